"""Reading the evidence for ``\\health`` in a fixed number of requests (OPERATIONS.md §1.1, §4).

``/v1/.well-known/ready`` and ``/v1/meta`` of the node we talk to, ONE
``/v1/nodes?output=verbose`` (``/v1/nodes/{c}`` for one collection),
``/v1/cluster/statistics`` and the schema: five requests for the whole cluster, whatever
the number of collections, plus one object of each of Elysia's collections if it has any.
One collection adds its shard status (``per_node_status``)
and, if multi-tenant, its tenant list. A source that answers with an error is recorded
for the checks to report; only a cluster that does not answer at all raises.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from commands.api.client import RETRY_STATUSES, RestClient
from commands.errors import ApiError, ConnectionFailed, TimedOut
from commands.ops.collections import is_multi_tenant
from commands.ops.elysia import kind
from commands.ops.health.model import Evidence, Unread
from commands.ops.schema import fetch_schema, get_class

if TYPE_CHECKING:
    import httpx

FAN_OUT_TIMEOUT_S = 40.0
"""Longer than Weaviate's own peer deadline (MINIMUM_INTERNAL_TIMEOUT, 30 s, OPERATIONS.md
§1.2), so a slow peer comes back as TIMEOUT in the answer instead of failing our request."""
READ_TIMEOUT_S = 30.0  # the other reads; /v1/meta asks every module, maybe over HTTP (§1.1)
QUICK_FAILURE_S = 5.0
"""A read that failed faster than this (a dropped connection, a 502/503/504) is tried once
more; one that timed out is not: the verdict comes within one timeout per read, as a cron
job expects (§4: never stack requests behind a slow node)."""


def _get(api: RestClient, path: str, timeout: float, **params: Any) -> httpx.Response:
    """One GET, tried a second time only after a quick failure (see QUICK_FAILURE_S)."""
    for attempt in (1, 2):
        started = time.perf_counter()
        try:
            return api.request("GET", path, params=params or None, timeout=timeout,
                               retries=0)
        except (ApiError, ConnectionFailed) as exc:
            quick = time.perf_counter() - started < QUICK_FAILURE_S
            transient = exc.status in RETRY_STATUSES if isinstance(exc, ApiError) \
                else not isinstance(exc, TimedOut)
            if attempt == 2 or not (quick and transient):
                raise
    raise AssertionError("unreachable")


def _read(evidence: Evidence, source: str, api: RestClient, path: str,
          timeout: float = READ_TIMEOUT_S, **params: Any) -> Any:
    """One GET whose error, or silence, is recorded as evidence instead of raised (the
    node we talk to answered /ready, so there is a verdict to give)."""
    try:
        return _get(api, path, timeout, **params).json()
    except ApiError as exc:
        evidence.errors[source] = _unread(exc)
    except ConnectionFailed as exc:
        evidence.errors[source] = Unread(None, f"GET {path} did not answer within {timeout:g} s"
                                         if isinstance(exc, TimedOut) else
                                         f"GET {path} failed: {exc.message}")
    return None


def _fan_out(evidence: Evidence, source: str, api: RestClient, path: str,
             **params: Any) -> Any:
    """A read the answering node fans out to every peer, timed into ``evidence.timings``
    (left None when no answer came)."""
    started = time.perf_counter()
    answer = _read(evidence, source, api, path, FAN_OUT_TIMEOUT_S, **params)
    failure = evidence.errors.get(source)
    if failure is None or failure.status is not None:
        evidence.timings[path] = time.perf_counter() - started
    return answer


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
    # One object of each of Elysia's collections: what Elysia reads before it answers.
    evidence.elysia = [c["class"] for c in evidence.classes if kind(c["class"])]
    for name in evidence.elysia:
        _read(evidence, f"elysia {name}", api, "/v1/objects", **{"class": name, "limit": 1})
    if evidence.collection is not None:
        name = evidence.collection
        evidence.shards = _read(evidence, "shards", api, f"/v1/schema/{name}/shards")
        if evidence.classes and is_multi_tenant(evidence.classes[0]):
            evidence.tenants = _read(evidence, "tenants", api, f"/v1/schema/{name}/tenants")
    return evidence
