"""``\\health`` against a three-node sandbox over HTTP: each check's row (status, evidence,
hint), the verdict and the exit status, through the dispatcher and as ``elysiactl``
processes, and the fixed number of requests a whole-cluster run costs.

Checks the sandbox cannot put in a failing state by a faithful REST call alone
(compression not applied, under-replication, split RAFT) are in
``test_commands_health_rules.py``, on recorded Weaviate answers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.results import Outcome, Record
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    """One three-node sandbox for the module; each test starts from an empty reset one."""
    with Sandbox(nodes=3) as server:
        yield server


def fresh(cluster: Sandbox) -> str:
    """The sandbox reset: no collections, every node, tenant and module healthy, no log."""
    httpx.post(f"{cluster.url}/__sandbox/reset", json={"seed": "none"}).raise_for_status()
    httpx.delete(f"{cluster.url}/__sandbox/requests").raise_for_status()
    return cluster.url


@pytest.fixture
def url(cluster: Sandbox) -> str:
    return fresh(cluster)


def health(url: str, line: str = r"\health") -> Outcome:
    """Run one command line through the dispatcher, as every mode does."""
    return Dispatcher(REGISTRY, make_session(url), MemoryAuditLog()).execute(line, "repl")


def report(outcome: Outcome) -> dict:
    assert outcome.error is None, outcome.error
    [record] = outcome.results
    assert isinstance(record, Record)
    return record.to_data()


def row(outcome: Outcome, check: str) -> dict:
    rows = [r for r in report(outcome)["checks"] if r["check"] == check]
    assert len(rows) == 1, (check, report(outcome)["checks"])
    return rows[0]


def create(url: str, name: str, factor: int = 3, shards: int = 3) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": name, "replicationConfig": {"factor": factor},
        "shardingConfig": {"desiredCount": shards}}).raise_for_status()


def shards_of(url: str, name: str) -> dict[str, list[str]]:
    """Shard name -> the nodes holding a replica."""
    return {s["name"]: sorted(s["per_node_status"])
            for s in httpx.get(f"{url}/v1/schema/{name}/shards").json()}


def set_shard(url: str, name: str, shard: str, status: str) -> None:
    httpx.put(f"{url}/v1/schema/{name}/shards/{shard}",
              json={"status": status}).raise_for_status()


def requests_made(url: str) -> list[dict]:
    return httpx.get(f"{url}/__sandbox/requests").json()


# --- a healthy cluster -------------------------------------------------------------------

def test_a_healthy_cluster_is_healthy_with_exit_status_0(url: str) -> None:
    create(url, "Article")
    outcome = health(url)
    data = report(outcome)
    assert (data["verdict"], data["exit_status"], outcome.exit_code) == ("healthy", 0, 0)
    assert data["collection"] is None
    statuses = {r["check"]: r["status"] for r in data["checks"]}
    assert statuses == {
        "ready": "ok", "modules": "ok", "nodes": "ok", "response time": "ok",
        "membership": "ok", "raft": "ok", "versions": "ok", "operational mode": "ok",
        "reachable shards": "ok", "readonly shards": "ok", "indexing": "ok",
        "compression": "ok", "replicas": "ok", "replication factor": "ok"}
    assert row(outcome, "nodes")["evidence"] == "3 nodes HEALTHY"
    assert re.fullmatch(r"GET /v1/nodes \d+ ms; GET /v1/cluster/statistics \d+ ms",
                        row(outcome, "response time")["evidence"])
    assert row(outcome, "raft")["evidence"] == "synchronized, leader node1, 3 members"
    assert row(outcome, "membership")["evidence"].endswith("(3) is in /v1/nodes")
    assert all(r["hint"] is None for r in data["checks"])


def test_detailed_lists_every_node_instead_of_the_summary(url: str) -> None:
    create(url, "Article")
    checks = report(health(url, r"\health --detailed"))["checks"]
    names = [r["check"] for r in checks]
    assert "nodes" not in names
    assert names[2:5] == ["node node1", "node node2", "node node3"]
    node1 = next(r for r in checks if r["check"] == "node node1")
    assert node1["status"] == "ok"
    assert node1["evidence"] == "HEALTHY, v1.39.0, ReadWrite, 3 shard replicas, 0 objects"


# --- bounded cost ---------------------------------------------------------------------------

def test_a_whole_cluster_run_costs_five_requests_however_many_collections(url: str) -> None:
    def cost() -> list[tuple[str, str]]:
        httpx.delete(f"{url}/__sandbox/requests")
        assert health(url).error is None
        return sorted((e["method"], e["path"]) for e in requests_made(url))

    create(url, "First")
    few = cost()
    for i in range(20):
        create(url, f"More{i}", factor=1, shards=1)
    assert cost() == few
    assert few == sorted([("GET", "/v1/meta"), ("GET", "/v1/schema"),
        ("GET", "/v1/nodes"), ("GET", "/v1/cluster/statistics")])
    verbose = [e for e in requests_made(url) if e["path"] == "/v1/nodes"]
    assert verbose[0]["query"] == {"output": "verbose"}
    assert all(e["method"] == "GET" for e in requests_made(url))


def test_one_collection_adds_its_shards_and_tenants(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True},
        "replicationConfig": {"factor": 3}}).raise_for_status()
    httpx.post(f"{url}/v1/schema/Ticket/tenants",
               json=[{"name": "acme"}, {"name": "globex", "activityStatus": "COLD"}])
    httpx.delete(f"{url}/__sandbox/requests")
    outcome = health(url, r"\health Ticket")
    assert report(outcome)["collection"] == "Ticket"
    paths = sorted(e["path"] for e in requests_made(url) if "well-known" not in e["path"])
    assert paths == sorted(["/v1/meta", "/v1/schema/Ticket",
                            "/v1/nodes/Ticket", "/v1/cluster/statistics",
                            "/v1/schema/Ticket/shards", "/v1/schema/Ticket/tenants"])
    assert row(outcome, "tenants") == {"check": "tenants", "status": "ok",
                                       "evidence": "2 tenants: 1 ACTIVE, 1 INACTIVE",
                                       "hint": None}


def test_an_alias_resolves_and_an_unknown_name_fails_with_a_hint(url: str) -> None:
    create(url, "Article")
    httpx.post(f"{url}/v1/aliases", json={"alias": "Live", "class": "Article"}).raise_for_status()
    assert report(health(url, r"\health Live"))["collection"] == "Article"
    missing = health(url, r"\health Artcle")
    assert missing.exit_code == 1 and missing.results == []
    assert "no collection named 'Artcle'" in missing.error.message
    assert "did you mean Article?" in missing.error.hint


def test_without_a_collection_tenants_are_not_read_but_named(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True},
        "replicationConfig": {"factor": 3}}).raise_for_status()
    outcome = health(url)
    assert row(outcome, "tenants") == {
        "check": "tenants", "status": "info",
        "evidence": "tenant states not read for 1 multi-tenant collection (a request each)",
        "hint": r"\health Ticket checks its tenants"}
    assert outcome.exit_code == 0  # info never degrades


# --- replication factor (H11) --------------------------------------------------------------

def test_factor_1_on_three_nodes_is_degraded_with_exit_status_1(url: str) -> None:
    create(url, "Solo", factor=1)
    create(url, "Replicated")
    outcome = health(url)
    factor = row(outcome, "replication factor")
    assert factor["status"] == "warn"
    assert factor["evidence"] == "factor 1 on a 3-node cluster: Solo"
    assert "raise the factor to 3" in factor["hint"]
    assert (report(outcome)["verdict"], outcome.exit_code) == ("degraded", 1)
    detailed = report(health(url, r"\health --detailed"))["checks"]
    assert {"check": "collection Solo", "status": "warn", "evidence": "factor 1 on 3 nodes",
            "hint": factor["hint"]} in detailed


def test_factor_1_on_one_node_is_not_a_finding(tmp_path: Path) -> None:
    with Sandbox() as single:
        create(single.url, "Solo", factor=1, shards=1)
        outcome = health(single.url)
        assert outcome.exit_code == 0
        assert "replication factor" not in [r["check"] for r in report(outcome)["checks"]]


# --- READONLY shards (H6) --------------------------------------------------------------------

def test_one_readonly_shard_among_ready_ones_was_likely_set_by_hand(url: str) -> None:
    create(url, "Article", factor=1, shards=6)  # two shards per node
    shard, [node] = next(iter(shards_of(url, "Article").items()))
    set_shard(url, "Article", shard, "READONLY")
    outcome = health(url)
    readonly = row(outcome, "readonly shards")
    assert readonly["status"] == "crit"
    assert readonly["evidence"] == (f"1 of 2 shards on {node} READONLY: likely set by hand "
                                    "(disk pressure would make all of them READONLY)")
    assert readonly["hint"].startswith(
        'if nobody meant it: PUT /v1/schema/{c}/shards/{s} {"status":"READY"}')
    assert (report(outcome)["verdict"], outcome.exit_code) == ("critical", 2)
    detailed = report(health(url, r"\health --detailed"))["checks"]
    [item] = [r for r in detailed if r["check"].startswith("shard ")]
    assert item["check"] == f"shard Article/{shard}"
    assert item["evidence"].startswith(f"READONLY on {node}: likely set by hand")
    assert f'PUT /v1/schema/Article/shards/{shard} {{"status":"READY"}}' in item["hint"]


def test_every_shard_of_a_node_readonly_points_at_disk_pressure(url: str) -> None:
    create(url, "Article", factor=1, shards=6)
    create(url, "Product", factor=1, shards=3)
    on_node2 = [(c, s) for c in ("Article", "Product")
                for s, nodes in shards_of(url, c).items() if nodes == ["node2"]]
    for collection, shard in on_node2:
        set_shard(url, collection, shard, "READONLY")
    outcome = health(url)
    readonly = row(outcome, "readonly shards")
    assert readonly["evidence"] == (f"all {len(on_node2)} shards on node2 READONLY: likely "
                                    "disk pressure on node2 (>= 90% used by default)")
    assert "free disk on node2" in readonly["hint"]
    assert "v1.36+ returns them to READY by itself" in readonly["hint"]
    assert outcome.exit_code == 2
    # One collection in depth: the same inference over its own shards on the node.
    article = row(health(url, r"\health Article"), "readonly shards")
    assert article["evidence"].startswith("all 2 shards of Article on node2 READONLY")


def test_a_readonly_shard_back_to_ready_is_healthy_again(url: str) -> None:
    create(url, "Article")
    shard = next(iter(shards_of(url, "Article")))
    set_shard(url, "Article", shard, "READONLY")
    assert health(url).exit_code == 2
    set_shard(url, "Article", shard, "READY")
    assert health(url).exit_code == 0


# --- processes: one-shot, -c, JSON ------------------------------------------------------------

def elysiactl(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    env.pop("WEAVIATE_URL", None)
    return subprocess.run([sys.executable, "-m", "shell", "--url", url, *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_processes_exit_with_the_verdict(url: str, tmp_path: Path) -> None:
    create(url, "Article")
    healthy = elysiactl(url, tmp_path, "col", "health", "--detailed")
    assert healthy.returncode == 0, healthy.stderr
    assert "node node2" in healthy.stdout and "healthy" in healthy.stdout
    create(url, "Solo", factor=1)
    degraded = elysiactl(url, tmp_path, "col", "health", "--format", "json")
    assert degraded.returncode == 1, degraded.stderr
    data = json.loads(degraded.stdout)
    assert data["verdict"] == "degraded" and data["exit_status"] == 1
    assert {"check", "status", "evidence", "hint"} == set(data["checks"][0])
    set_shard(url, "Article", next(iter(shards_of(url, "Article"))), "READONLY")
    critical = elysiactl(url, tmp_path, "-c", r"\health Article")
    assert critical.returncode == 2, critical.stderr
    assert "READONLY" in critical.stdout and "critical" in critical.stdout


def test_help_documents_the_exit_statuses() -> None:
    outcome = Dispatcher(REGISTRY, make_session("http://127.0.0.1:9"), MemoryAuditLog()) \
        .execute(r"\health --help", "repl")
    text = outcome.results[0].text
    assert r"usage: \health [COLLECTION] [--detailed]" in text
    for line in ("0  healthy", "1  degraded", "2  critical"):
        assert line in text


def test_nothing_answering_is_a_connection_error_not_a_verdict() -> None:
    outcome = health("http://127.0.0.1:9")
    assert outcome.exit_code == 3 and outcome.results == []
    assert "cannot reach" in outcome.error.message


def test_the_repl_shows_the_verdict_and_its_exit_status_and_goes_on(url: str) -> None:
    from test_shell_repl import repl

    create(url, "Solo", factor=1)
    dispatcher, out, _ = repl(url, "\\health\r\\health --format json\r\\q\r")
    assert "Health of the cluster" in out and "degraded" in out
    document = json.loads(out[out.index("{"):])
    assert (document["verdict"], document["exit_status"]) == ("degraded", 1)
    assert dispatcher.session.history == [r"\health", r"\health --format json", r"\q"]
