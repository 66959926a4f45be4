"""``\\health`` on a three-node sandbox whose nodes, tenants and modules are put in trouble
through the sandbox's operations knobs (``/__sandbox/nodes``, ``/__sandbox/tenants``,
``/__sandbox/modules``): each failing check's row, hint, verdict and exit status.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from test_commands_health import create, fresh, health, report, row, shards_of

from commands.ops.health import cluster as health_cluster
from sandbox import Sandbox

# the package's gather() function shadows its module of the same name
health_gather = importlib.import_module("commands.ops.health.gather")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as server:
        yield server


@pytest.fixture
def url(cluster: Sandbox) -> str:
    """A reset cluster holding one collection with three replicas (so that factor 1 on
    three nodes does not warn)."""
    url = fresh(cluster)
    create(url, "Article")
    return url


def knob(url: str, path: str, **settings: object) -> None:
    httpx.put(f"{url}/__sandbox/{path}", json=settings).raise_for_status()


# --- H1 node status, readiness --------------------------------------------------------------

@pytest.mark.parametrize(("status", "hint"), [
    ("UNAVAILABLE", "GET /v1/.well-known/live on it"),
    ("TIMEOUT", "MINIMUM_INTERNAL_TIMEOUT (30 s by default)"),
    ("UNHEALTHY", "gossip (memberlist) health score is above 0"),
])
def test_a_node_not_healthy_is_critical(url: str, status: str, hint: str) -> None:
    knob(url, "nodes/node3", status=status)
    outcome = health(url)
    nodes = row(outcome, "nodes")
    assert nodes["status"] == "crit"
    assert nodes["evidence"] == f"node3 {status} (of 3 nodes)"
    assert hint in nodes["hint"]
    assert row(outcome, "raft")["evidence"].startswith(f"not synchronized (node3 {status}")
    assert (report(outcome)["verdict"], outcome.exit_code) == ("critical", 2)
    detailed = report(health(url, r"\health --detailed"))["checks"]
    assert {"check": "node node3", "status": "crit", "evidence": status,
            "hint": nodes["hint"].split(": ", 1)[1]} in detailed
    assert next(r for r in detailed if r["check"] == "node node1")["status"] == "ok"


def test_the_answering_node_unhealthy_is_not_ready(url: str) -> None:
    knob(url, "nodes/node1", status="UNHEALTHY")
    outcome = health(url)
    ready = row(outcome, "ready")
    assert ready["status"] == "crit"
    assert ready["evidence"] == ("GET /v1/.well-known/ready answered 503: this node cannot "
                                 "serve")
    assert "gossip health score above 0" in ready["hint"]
    assert outcome.exit_code == 2


def test_a_slow_node_past_the_peer_deadline_times_out(url: str) -> None:
    knob(url, "cluster", internal_timeout_ms=300)
    knob(url, "nodes/node2", latency_ms=2000)
    started = time.perf_counter()
    outcome = health(url)
    assert time.perf_counter() - started < 5  # the server's deadline, not the slow node
    assert row(outcome, "nodes")["evidence"] == "node2 TIMEOUT (of 3 nodes)"
    assert outcome.exit_code == 2


def test_a_slow_node_is_a_slow_response_reported_in_one_delay_not_two(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_cluster, "SLOW_FAN_OUT_S", 0.5)
    knob(url, "nodes/node2", latency_ms=2500)  # below the 30 s deadline: still HEALTHY
    started = time.perf_counter()
    outcome = health(url)
    assert time.perf_counter() - started < 4.5  # together: 2.5 s; one after the other: 5 s
    assert row(outcome, "nodes")["evidence"] == "3 nodes HEALTHY"
    slow = row(outcome, "response time")
    assert slow["status"] == "warn"
    assert re.fullmatch(r"GET /v1/nodes 2\.\d s; GET /v1/cluster/statistics 2\.\d s "
                        r"\(over 0\.5 s\)", slow["evidence"]), slow["evidence"]
    assert "wait for the slowest node, up to MINIMUM_INTERNAL_TIMEOUT" in slow["hint"]
    assert (report(outcome)["verdict"], outcome.exit_code) == ("degraded", 1)


def test_a_fan_out_past_our_timeout_is_critical_and_not_asked_again(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_gather, "FAN_OUT_TIMEOUT_S", 1.0)
    knob(url, "cluster", internal_timeout_ms=10_000)
    knob(url, "nodes/node2", latency_ms=2000)
    httpx.delete(f"{url}/__sandbox/requests")
    started = time.perf_counter()
    outcome = health(url)
    time.sleep(started + 3.4 - time.perf_counter())  # the sandbox logs a request once answered
    asked = [e["path"] for e in httpx.get(f"{url}/__sandbox/requests").json()]
    assert (asked.count("/v1/nodes"), asked.count("/v1/cluster/statistics")) == (1, 1)
    nodes = row(outcome, "nodes")
    assert (nodes["status"], nodes["evidence"]) == (
        "crit", "GET /v1/nodes did not answer within 1 s")
    assert "overloaded or stuck" in nodes["hint"]
    assert row(outcome, "raft")["evidence"] == (
        "GET /v1/cluster/statistics did not answer within 1 s")
    assert row(outcome, "response time")["evidence"] == (
        "GET /v1/nodes no answer; GET /v1/cluster/statistics no answer (over 5 s)")
    assert outcome.exit_code == 2


# --- H2 membership ---------------------------------------------------------------------------

def test_a_dead_node_is_missing_from_the_membership(url: str) -> None:
    knob(url, "nodes/node3", status="GONE")
    outcome = health(url)
    assert row(outcome, "nodes")["evidence"] == "2 nodes HEALTHY"
    membership = row(outcome, "membership")
    assert membership["status"] == "crit"
    assert membership["evidence"] == ("node3 missing from /v1/nodes (expected 3 nodes, "
                                      "2 answer)")
    assert "memberlist declared it dead" in membership["hint"]
    assert outcome.exit_code == 2
    detailed = report(health(url, r"\health Article --detailed"))["checks"]
    assert {"check": "member node3", "status": "crit",
            "evidence": "named in the RAFT configuration but absent from /v1/nodes",
            "hint": membership["hint"]} in detailed


def test_a_quick_failure_is_tried_once_more_then_reported(url: str) -> None:
    knob(url, "faults", fail_rate=1.0, kinds=["503"])
    try:
        httpx.delete(f"{url}/__sandbox/requests")
        outcome = health(url)
        asked = [e["path"] for e in httpx.get(f"{url}/__sandbox/requests").json()]
    finally:
        knob(url, "faults", fail_rate=0.0)
    assert [asked.count(p) for p in ("/v1/meta", "/v1/nodes", "/v1/cluster/statistics")] \
        == [2, 2, 2]
    nodes = row(outcome, "nodes")
    assert (nodes["status"], nodes["evidence"]) == (
        "crit", "GET /v1/nodes answered 503: sandbox: injected fault (service unavailable)")
    assert row(outcome, "response time")["status"] == "ok"  # answered at once, with an error
    assert outcome.exit_code == 2


# --- shards no live node reports --------------------------------------------------------------

def test_a_shard_only_on_a_node_that_is_down_is_unreachable_data(url: str) -> None:
    create(url, "Solo", factor=1, shards=3)
    [lost] = [name for name, owners in shards_of(url, "Solo").items() if owners == ["node2"]]
    assert row(health(url, r"\health Solo"), "reachable shards")["evidence"] == (
        "every shard of Solo (3) is reported by a live node")
    knob(url, "nodes/node2", status="UNAVAILABLE")
    outcome = health(url, r"\health Solo")
    reach = row(outcome, "reachable shards")
    assert (reach["status"], reach["evidence"]) == (
        "crit", "1 of 3 shards of Solo is not reported by any live node: its data is "
                "unreachable")
    assert "(node2 UNAVAILABLE)" in reach["hint"]
    assert row(outcome, "replicas")["evidence"] == (
        "every reported shard has its replication factor's replicas (1 shard not reported "
        "by any live node)")
    assert row(outcome, "readonly shards")["evidence"] == (
        "no READONLY shard in Solo (2 shard replicas; 1 shard not reported by any live node)")
    detailed = report(health(url, r"\health Solo --detailed"))["checks"]
    assert {"check": f"shard Solo/{lost}", "status": "crit",
            "evidence": "not reported by any live node", "hint": reach["hint"]} in detailed
    whole = row(health(url), "reachable shards")
    assert (whole["status"], whole["evidence"]) == (
        "crit", "1 shard not reported by any live node (Solo 1 of 3): its data is unreachable")
    detailed = report(health(url, r"\health --detailed"))["checks"]
    assert {"check": "shards of Solo", "status": "crit",
            "evidence": "1 of 3 shards not reported by any live node",
            "hint": whole["hint"] + r"; \health Solo names them"} in detailed


def test_an_active_tenant_only_on_a_gone_node_is_unreachable_data(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True}}).raise_for_status()
    httpx.post(f"{url}/v1/schema/Ticket/tenants", json=[
        {"name": f"t{i}"} for i in range(6)]).raise_for_status()
    on_node3 = sorted(name for name, owners in shards_of(url, "Ticket").items()
                      if owners == ["node3"])
    assert on_node3
    knob(url, "nodes/node3", status="GONE")
    reach = row(health(url, r"\health Ticket"), "reachable shards")
    verb = "is" if len(on_node3) == 1 else "are"
    assert reach["status"] == "crit"
    assert reach["evidence"].startswith(
        f"{len(on_node3)} of 6 active tenants of Ticket {verb} not reported by any live node")
    assert "(node3 missing)" in reach["hint"]


# --- H4 versions, H5 operational mode ----------------------------------------------------------

def test_version_skew_is_degraded(url: str) -> None:
    knob(url, "nodes/node2", version="1.38.2")
    outcome = health(url)
    versions = row(outcome, "versions")
    assert versions == {"check": "versions", "status": "warn",
                        "evidence": "1.38.2 on node2; 1.39.0 on node1, node3",
                        "hint": versions["hint"]}
    assert "one minor version at a time" in versions["hint"]
    assert (report(outcome)["verdict"], outcome.exit_code) == ("degraded", 1)


def test_a_read_only_node_is_degraded(url: str) -> None:
    knob(url, "nodes/node2", operational_mode="ReadOnly")
    outcome = health(url)
    mode = row(outcome, "operational mode")
    assert (mode["status"], mode["evidence"]) == ("warn", "node2 ReadOnly")
    assert "OPERATIONAL_MODE=ReadWrite" in mode["hint"]
    assert outcome.exit_code == 1
    detailed = report(health(url, r"\health --detailed"))["checks"]
    item = next(r for r in detailed if r["check"] == "mode node2")
    assert item["evidence"] == "ReadOnly: writes are refused with 503"


# --- H6 disk pressure --------------------------------------------------------------------------

def test_disk_pressure_makes_a_node_readonly_then_it_recovers(url: str) -> None:
    create(url, "Product", factor=1, shards=3)
    knob(url, "nodes/node2", disk_used_percent=95)
    outcome = health(url)
    readonly = row(outcome, "readonly shards")
    assert readonly["status"] == "crit"
    assert readonly["evidence"] == ("all 4 shards on node2 READONLY: likely disk pressure on "
                                    "node2 (>= 90% used by default)")
    assert readonly["hint"].startswith("free disk on node2")
    assert outcome.exit_code == 2
    detailed = report(health(url, r"\health Product --detailed"))["checks"]
    [product_shard] = [s for s, nodes in shards_of(url, "Product").items() if nodes == ["node2"]]
    # Product has one shard on node2: on its own that cannot tell disk from a hand.
    assert {"check": f"shard Product/{product_shard}", "status": "crit",
            "evidence": "READONLY on node2: disk pressure on node2 or set by hand",
            "hint": f"if disk: {readonly['hint']}; if by hand: PUT /v1/schema/Product/shards/"
                    f'{product_shard} {{"status":"READY"}}'} in detailed
    knob(url, "nodes/node2", disk_used_percent=50)  # v1.36+: back to READY by itself
    assert row(health(url), "readonly shards")["status"] == "ok"


# --- H7 async indexing backlog -----------------------------------------------------------------

def test_an_indexing_queue_is_degraded_with_its_length(url: str) -> None:
    knob(url, "nodes/node1", vector_queue=1234)
    outcome = health(url)
    indexing = row(outcome, "indexing")
    assert indexing["status"] == "warn"
    assert indexing["evidence"].startswith("3 shard replicas INDEXING, vector queue 3,702 in "
                                           "total (largest 1,234: Article/")
    assert r"\stats --watch" in indexing["hint"]
    assert (report(outcome)["verdict"], outcome.exit_code) == ("degraded", 1)


# --- H13 tenants ---------------------------------------------------------------------------------

def test_a_tenant_stuck_freezing_is_degraded(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True},
        "replicationConfig": {"factor": 3}}).raise_for_status()
    httpx.post(f"{url}/v1/schema/Ticket/tenants",
               json=[{"name": "acme"}, {"name": "globex"}]).raise_for_status()
    knob(url, "tenants/Ticket/acme", status="FREEZING")
    outcome = health(url, r"\health Ticket")
    tenants = row(outcome, "tenants")
    assert tenants["status"] == "warn"
    assert tenants["evidence"] == "1 in transition: acme FREEZING (of 2: 1 ACTIVE, 1 FREEZING)"
    assert "offload-s3" in tenants["hint"] and r"\tenants Ticket" in tenants["hint"]
    assert outcome.exit_code == 1
    detailed = report(health(url, r"\health Ticket --detailed"))["checks"]
    assert {"check": "tenant Ticket/acme", "status": "warn", "evidence": "FREEZING",
            "hint": tenants["hint"]} in detailed
    knob(url, "tenants/Ticket/acme", status=None)
    assert health(url, r"\health Ticket").exit_code == 0


# --- modules -------------------------------------------------------------------------------------

def test_a_failing_module_used_by_a_collection_is_critical(url: str) -> None:
    knob(url, "modules/text2vec-transformers", failing=True)
    unused = row(health(url), "modules")
    assert unused["status"] == "warn"
    assert unused["evidence"] == ("text2vec-transformers failing (no collection checked "
                                  "uses it)")
    # The sandbox's schema accepts no vectorizer module; a module config names it as well.
    httpx.post(f"{url}/v1/schema", json={
        "class": "Doc", "moduleConfig": {"text2vec-transformers": {"poolingStrategy": "cls"}},
        "replicationConfig": {"factor": 3}}).raise_for_status()
    outcome = health(url)
    modules = row(outcome, "modules")
    assert (modules["status"], modules["evidence"]) == (
        "crit", "text2vec-transformers failing (used by Doc)")
    assert "check its container" in modules["hint"]
    assert row(outcome, "ready")["status"] == "ok"  # since v1.27.7 /ready ignores it
    assert outcome.exit_code == 2
    detailed = report(health(url, r"\health --detailed"))["checks"]
    item = next(r for r in detailed if r["check"] == "module text2vec-transformers")
    assert "connection refused" in item["evidence"]


def test_an_old_server_fails_meta_and_is_not_ready(url: str) -> None:
    for node in ("node1", "node2", "node3"):
        knob(url, f"nodes/{node}", version="1.25.0")
    knob(url, "modules/text2vec-transformers", failing=True)
    outcome = health(url)
    modules = row(outcome, "modules")
    assert modules["status"] == "crit"
    assert modules["evidence"].startswith("GET /v1/meta answered 500: send GET meta request")
    assert row(outcome, "ready")["status"] == "crit"
    assert outcome.exit_code == 2


def test_inactive_tenants_are_not_judged_by_their_stale_shard_status(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True},
        "replicationConfig": {"factor": 3}}).raise_for_status()
    httpx.post(f"{url}/v1/schema/Ticket/tenants", json=[
        {"name": "acme"}, {"name": "initech", "activityStatus": "COLD"}]).raise_for_status()
    knob(url, "nodes/node1", vector_queue=10)
    indexing = row(health(url, r"\health Ticket --detailed"), "shard Ticket/acme")
    assert indexing["evidence"] == "INDEXING on node1, vector queue 10"
    checks = report(health(url, r"\health Ticket --detailed"))["checks"]
    assert not [r for r in checks if r["check"] == "shard Ticket/initech"]


def test_a_write_only_node_refusing_schema_reads_still_gets_its_cluster_checks(
        url: str) -> None:
    knob(url, "nodes/node1", operational_mode="WriteOnly")
    outcome = health(url, r"\health --detailed")
    checks = {r["check"]: r for r in report(outcome)["checks"]}
    assert checks["mode node1"]["evidence"] == "WriteOnly: reads are refused with 503"
    assert checks["schema"]["status"] == "crit"
    assert checks["schema"]["evidence"].startswith(
        "GET /v1/schema answered 503: write-only mode is enabled")
    assert "were skipped" in checks["schema"]["hint"]
    assert checks["node node2"]["status"] == checks["raft"]["status"] == "ok"
    assert "compression" not in checks and "replication factor" not in checks
    assert outcome.exit_code == 2
