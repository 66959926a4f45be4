"""Reading the evidence for ``\\health`` in a fixed number of requests (OPERATIONS.md §1.1, §4).

``/v1/.well-known/ready`` and ``/v1/meta`` of the node we talk to, ONE
``/v1/nodes?output=verbose`` (``/v1/nodes/{c}`` for one collection),
``/v1/cluster/statistics`` and the schema: five requests for the whole cluster, whatever
the number of collections. One collection adds its shard status (``per_node_status``)
and, if multi-tenant, its tenant list. A source that answers with an error is recorded
for the checks to report; only a cluster that does not answer at all raises.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from commands.api.client import RETRY_STATUSES, RestClient
from commands.errors import ApiError, ConnectionFailed
from commands.ops.collections import is_multi_tenant
from commands.ops.health.model import Evidence, Unread
from commands.ops.schema import fetch_schema, get_class

FAN_OUT_TIMEOUT_S = 40.0
"""Longer than Weaviate's own peer deadline (MINIMUM_INTERNAL_TIMEOUT, 30 s, OPERATIONS.md
§1.2), so a slow peer comes back as TIMEOUT in the answer instead of failing our request."""
QUICK_FAILURE_S = 5.0
"""A fan-out that failed faster than this (a dropped connection, a 503) is tried once more;
one that timed out is not: the verdict comes within one timeout, as a cron job polling
every minute expects (§4: never stack requests behind a slow node)."""


def _read(evidence: Evidence, source: str, api: RestClient, path: str) -> Any:
    """One GET whose failure is recorded as evidence instead of raised (connection
    failures still raise: with nothing answering there is no verdict to give)."""
    try:
        return api.request("GET", path).json()
    except ApiError as exc:
        evidence.errors[source] = _unread(exc)
        return None


def _fan_out(evidence: Evidence, source: str, api: RestClient, path: str,
             **params: Any) -> Any:
    """A GET the answering node fans out to every peer, timed into ``evidence.timings``;
    an error or a timeout is recorded as evidence (the node we talk to answered /ready)."""
    for attempt in (1, 2):
        started = time.perf_counter()
        try:
            answer = api.request("GET", path, params=params, timeout=FAN_OUT_TIMEOUT_S,
                                 retries=0)
        except ApiError as exc:
            elapsed = time.perf_counter() - started
            if attempt == 1 and exc.status in RETRY_STATUSES and elapsed < QUICK_FAILURE_S:
                continue
            evidence.timings[path] = elapsed
            evidence.errors[source] = _unread(exc)
            return None
        except ConnectionFailed as exc:
            timed_out = "timed out" in exc.message  # the client's words for httpx's timeouts
            if attempt == 1 and not timed_out \
                    and time.perf_counter() - started < QUICK_FAILURE_S:
                continue
            evidence.errors[source] = Unread(None, f"GET {path} did not answer within "
                                                   f"{FAN_OUT_TIMEOUT_S:g} s" if timed_out
                                             else f"GET {path} failed: {exc.message}")
            return None
        evidence.timings[path] = time.perf_counter() - started
        return answer.json()
    raise AssertionError("unreachable")


def _unread(exc: ApiError) -> Unread:
    return Unread(exc.status, f"GET {exc.path} answered {exc.status}: {exc.message}")


def _classes(evidence: Evidence, api: RestClient, collection: str | None) -> None:
    """The class definitions: every one, or the one asked for (an alias resolved). A node
    that refuses schema reads (WriteOnly mode, RB§3.4) still gets its cluster checks."""
    try:
        if collection is None:
            evidence.classes = fetch_schema(api)
            return
        cls = get_class(api, collection)
    except ApiError as exc:
        evidence.errors["schema"] = _unread(exc)
        evidence.collection = collection
        return
    evidence.collection = cls["class"]
    evidence.classes = [cls]


def gather(api: RestClient, collection: str | None = None) -> Evidence:
    """Read the evidence; ``collection`` (a name or an alias) narrows the data checks to it."""
    evidence = Evidence()
    # The retry policy would repeat a 503; a not-ready node is an answer here.
    evidence.ready = api.request("GET", "/v1/.well-known/ready", ok=(503,),
                                 retries=0).status_code
    evidence.meta = _read(evidence, "meta", api, "/v1/meta")
    _classes(evidence, api, collection)
    nodes_path = "/v1/nodes" if collection is None else f"/v1/nodes/{evidence.collection}"
    # Both wait for the slowest peer: asked together, a slow node costs its delay once.
    evidence.timings = dict.fromkeys((nodes_path, "/v1/cluster/statistics"))
    with ThreadPoolExecutor(2, thread_name_prefix="health") as pool:
        nodes = pool.submit(_fan_out, evidence, "nodes", api, nodes_path, output="verbose")
        statistics = pool.submit(_fan_out, evidence, "statistics", api,
                                 "/v1/cluster/statistics")
        answer = nodes.result()
        evidence.read_at_ms = int(time.time() * 1000)
        evidence.statistics = statistics.result()
    evidence.nodes = None if answer is None else answer.get("nodes") or []
    if evidence.collection is not None:
        name = evidence.collection
        evidence.shards = _read(evidence, "shards", api, f"/v1/schema/{name}/shards")
        if evidence.classes and is_multi_tenant(evidence.classes[0]):
            evidence.tenants = _read(evidence, "tenants", api, f"/v1/schema/{name}/tenants")
    return evidence
