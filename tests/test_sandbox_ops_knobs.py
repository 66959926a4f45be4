"""The operations knobs: node health, slow peers, disk pressure, async indexing queues,
tenant offloads, failing modules and batch rates, as /v1 reports them (OPERATIONS.md §1);
and each node's Prometheus endpoint (§1.9)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema import require_spec, validate
from prometheus_client.parser import text_string_to_metric_families

from sandbox import Sandbox

DEADLINE_MS = 400
PRESSURE = "store is read-only due to: resource pressure"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    """One three-node sandbox for the module; every test starts from a reset."""
    with Sandbox(nodes=3, internal_timeout_ms=DEADLINE_MS) as server:
        yield server


@pytest.fixture
def http(cluster: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.url, timeout=10) as client:
        assert client.post("/__sandbox/reset").status_code == 204
        client.delete("/__sandbox/requests")
        yield client


def ok(response: httpx.Response) -> Any:
    """The body of a 200, checked against Weaviate's OpenAPI schema."""
    assert response.status_code == 200, response.text
    require_spec()
    validate(response)
    return response.json()


def knob(http: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    response = http.put(f"/__sandbox/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def articles(http: httpx.Client, factor: int = 2, shards: int = 3, n: int = 30) -> list[dict]:
    """``Article`` with ``n`` objects; the batch results."""
    created = http.post("/v1/schema", json={
        "class": "Article", "properties": [{"name": "title", "dataType": ["text"]}],
        "replicationConfig": {"factor": factor}, "shardingConfig": {"desiredCount": shards}})
    assert created.status_code == 200, created.text
    return batch(http, "Article", n)


def batch(http: httpx.Client, cls: str, n: int) -> list[dict]:
    objects = [{"class": cls, "id": str(uuid.uuid4()), "properties": {"title": f"t{i}"}}
               for i in range(n)]
    response = http.post("/v1/batch/objects", json={"objects": objects})
    assert response.status_code == 200
    return response.json()


def nodes(http: httpx.Client, path: str = "/v1/nodes", **params: str) -> list[dict]:
    return ok(http.get(path, params=params))["nodes"]


def by_name(entries: list[dict]) -> dict[str, dict]:
    return {e["name"]: e for e in entries}


def shard_nodes(http: httpx.Client) -> dict[str, list[str]]:
    """Shard name -> the nodes whose verbose answer lists a replica of it."""
    out: dict[str, list[str]] = {}
    for node in nodes(http, output="verbose"):
        for shard in node.get("shards") or []:
            out.setdefault(shard["name"], []).append(node["name"])
    return out


def test_unreachable_peers_report_name_and_status_only(http: httpx.Client) -> None:
    articles(http)
    knob(http, "nodes/node2", {"status": "UNAVAILABLE"})
    knob(http, "nodes/node3", {"status": "TIMEOUT"})
    for path in ("/v1/nodes", "/v1/nodes/Article"):
        for output in ("minimal", "verbose"):
            answer = nodes(http, path, output=output)
            assert [n["name"] for n in answer] == ["node1", "node2", "node3"]
            assert answer[1:] == [{"name": "node2", "shards": None, "status": "UNAVAILABLE"},
                                  {"name": "node3", "shards": None, "status": "TIMEOUT"}]
            assert answer[0]["status"] == "HEALTHY"
    verbose = nodes(http, output="verbose")
    assert {s["class"] for s in verbose[0]["shards"]} == {"Article"}
    stats = ok(http.get("/v1/cluster/statistics"))
    assert stats["synchronized"] is False
    assert stats["statistics"][1:] == [{"name": "node2", "status": "UNAVAILABLE"},
                                       {"name": "node3", "status": "TIMEOUT"}]
    assert stats["statistics"][0]["raft"]["state"] == "Leader"
    # a replica on a node that does not answer is left out of per_node_status
    shards = ok(http.get("/v1/schema/Article/shards"))
    assert all(set(s.get("per_node_status", {})) <= {"node1"} for s in shards)
    assert any("per_node_status" not in s and "status" not in s for s in shards)


def test_a_gone_node_leaves_the_answers_but_not_raft_or_ownership(http: httpx.Client) -> None:
    articles(http)
    before = shard_nodes(http)
    knob(http, "nodes/node3", {"status": "GONE"})
    assert [n["name"] for n in nodes(http)] == ["node1", "node2"]
    verbose = nodes(http, output="verbose")
    on_node3 = [s for s, owners in before.items() if "node3" in owners]
    listed = [s for n in verbose for s in n["shards"] or []]
    assert on_node3 and all(s["numberOfReplicas"] == 2 for s in listed)
    stats = ok(http.get("/v1/cluster/statistics"))
    assert [s["name"] for s in stats["statistics"]] == ["node1", "node2"]
    for entry in stats["statistics"]:
        assert [c["id"] for c in entry["raft"]["latestConfiguration"]] == \
            ["node1", "node2", "node3"]
        assert entry["raft"]["numPeers"] == "2"
    assert stats["synchronized"] is True  # computed over the nodes that are listed
    for shard in ok(http.get("/v1/schema/Article/shards")):
        assert "node3" not in shard.get("per_node_status", {})


def test_an_unhealthy_answering_node_is_not_ready(http: httpx.Client) -> None:
    knob(http, "nodes/node1", {"status": "UNHEALTHY"})
    answer = by_name(nodes(http))
    assert answer["node1"]["status"] == "UNHEALTHY" and "batchStats" in answer["node1"]
    stats = ok(http.get("/v1/cluster/statistics"))
    assert stats["statistics"][0]["status"] == "UNHEALTHY" and not stats["synchronized"]
    assert http.get("/v1/.well-known/ready").status_code == 503
    assert http.get("/v1/.well-known/live").status_code == 200
    # node1 dead: node2 answers, and it is healthy
    knob(http, "nodes/node1", {"status": "GONE"})
    knob(http, "nodes/node2", {"version": "1.38.2"})
    assert http.get("/v1/.well-known/ready").status_code == 200
    assert http.get("/v1/meta").json()["version"] == "1.38.2"
    stats = ok(http.get("/v1/cluster/statistics"))["statistics"]
    assert [(s["name"], s["raft"]["state"], s["leaderId"]) for s in stats] == \
        [("node2", "Leader", "node2"), ("node3", "Follower", "node2")]


def test_with_every_node_down_nothing_answers(http: httpx.Client, cluster: Sandbox) -> None:
    for node in ("node1", "node2", "node3"):
        knob(http, f"nodes/{node}", {"status": "UNAVAILABLE"})
    with httpx.Client(base_url=cluster.url, timeout=5) as fresh:
        for path in ("/v1/.well-known/live", "/v1/schema"):
            with pytest.raises(httpx.TransportError):
                fresh.get(path)
    assert http.post("/__sandbox/reset").status_code == 204
    assert http.get("/v1/.well-known/ready").status_code == 200


def test_version_skew_and_operational_mode_are_per_node(http: httpx.Client) -> None:
    knob(http, "nodes/node2", {"version": "1.38.2", "operational_mode": "ReadOnly"})
    answer = by_name(nodes(http))
    assert [answer[n]["version"] for n in ("node1", "node2", "node3")] == \
        ["1.39.0", "1.38.2", "1.39.0"]
    assert {n["gitHash"] for n in answer.values()} == {answer["node1"]["gitHash"]}
    assert [answer[n]["operationalMode"] for n in ("node1", "node2")] == ["ReadWrite", "ReadOnly"]
    # merged: a later PUT keeps the fields it does not name
    settings = knob(http, "nodes/node2", {"latency_ms": 5})
    assert (settings["version"], settings["operational_mode"]) == ("1.38.2", "ReadOnly")
    assert http.get("/__sandbox/nodes").json()["node2"] == settings
    # version-dependent answers follow the answering node's version
    articles(http, n=1)
    unknown = {"status": "READY"}
    assert http.put("/v1/schema/Article/shards/nope", json=unknown).status_code == 200
    knob(http, "nodes/node1", {"version": "1.32.9"})
    assert http.put("/v1/schema/Article/shards/nope", json=unknown).status_code == 422


def test_a_slow_peer_delays_fan_out_requests_only(http: httpx.Client) -> None:
    # margins as wide as the delay itself, so a loaded machine cannot blur them
    knob(http, "nodes/node2", {"latency_ms": 300})  # below the 400 ms deadline
    for path in ("/v1/nodes", "/v1/nodes/Missing", "/v1/cluster/statistics"):
        started = time.monotonic()
        response = http.get(path)
        elapsed = time.monotonic() - started
        if path.endswith("Missing"):
            assert response.status_code == 404 and elapsed < 0.3  # no fan-out for it
        else:
            assert elapsed >= 0.3 and response.status_code == 200
    assert by_name(nodes(http))["node2"]["status"] == "HEALTHY"
    started = time.monotonic()
    http.get("/v1/schema")
    http.get("/v1/meta")
    assert time.monotonic() - started < 0.3
    # past the deadline the peer is reported TIMEOUT once the deadline has passed
    knob(http, "nodes/node2", {"latency_ms": 5000})
    started = time.monotonic()
    answer = by_name(nodes(http, output="verbose"))
    elapsed = time.monotonic() - started
    assert answer["node2"] == {"name": "node2", "shards": None, "status": "TIMEOUT"}
    assert DEADLINE_MS / 1000 <= elapsed < 2
    stats = ok(http.get("/v1/cluster/statistics"))["statistics"]
    assert by_name(stats)["node2"] == {"name": "node2", "status": "TIMEOUT"}
    assert knob(http, "cluster", {"internal_timeout_ms": 6000}) == {"internal_timeout_ms": 6000}
    assert http.get("/__sandbox/cluster").json() == {"internal_timeout_ms": 6000}
    knob(http, "nodes/node2", {"latency_ms": 200})
    assert by_name(nodes(http))["node2"]["status"] == "HEALTHY"
    http.post("/__sandbox/reset")
    assert http.get("/__sandbox/cluster").json() == {"internal_timeout_ms": DEADLINE_MS}


def test_disk_pressure_makes_replicas_readonly_until_it_drops(http: httpx.Client) -> None:
    articles(http, factor=1, shards=3, n=3)
    owners = {s: n[0] for s, n in shard_nodes(http).items()}
    before = object_counts(http)
    on_node1 = [s for s, node in owners.items() if node == "node1"]
    manual = next(s for s, node in owners.items() if node != "node1")
    assert len(on_node1) == 1
    assert ok(http.put(f"/v1/schema/Article/shards/{manual}", json={"status": "READONLY"}))
    knob(http, "nodes/node1", {"disk_used_percent": 93.5})
    status = {s["name"]: s["per_node_status"] for s in ok(http.get("/v1/schema/Article/shards"))}
    assert status[on_node1[0]] == {"node1": "READONLY"}
    verbose = by_name(nodes(http, output="verbose"))
    assert [s["vectorIndexingStatus"] for s in verbose["node1"]["shards"]] == ["READONLY"]
    results = batch(http, "Article", 40)
    failed = [r["result"]["errors"]["error"][0]["message"] for r in results
              if r["result"]["status"] == "FAILED"]
    assert failed and set(failed) <= {PRESSURE, "store is read-only due to: manually set by user"}
    assert PRESSURE in failed and len(failed) < 40
    counts = object_counts(http)
    assert counts[on_node1[0]] == before[on_node1[0]]  # nothing written there
    assert counts[manual] == before[manual]
    # below 90 % again (v1.36+): the scanner's READONLY goes, the manual one stays
    knob(http, "nodes/node1", {"disk_used_percent": 50})
    status = {s["name"]: s["status"] for s in ok(http.get("/v1/schema/Article/shards"))}
    assert status[on_node1[0]] == "READY" and status[manual] == "READONLY"
    refusals = {r["result"]["errors"]["error"][0]["message"] for r in batch(http, "Article", 40)
                if r["result"]["status"] == "FAILED"}
    assert refusals == {"store is read-only due to: manually set by user"}
    assert object_counts(http)[on_node1[0]] > counts[on_node1[0]]


def object_counts(http: httpx.Client) -> dict[str, int]:
    return {s["name"]: s["objectCount"] for n in nodes(http, output="verbose")
            for s in n["shards"] or []}


def test_before_v1_36_pressure_readonly_needs_a_manual_reset(http: httpx.Client) -> None:
    articles(http, factor=1, shards=1, n=2)
    ((shard, (placed,)),) = shard_nodes(http).items()
    knob(http, f"nodes/{placed}", {"version": "1.35.4", "disk_used_percent": 99})
    knob(http, f"nodes/{placed}", {"disk_used_percent": 10})
    assert ok(http.get("/v1/schema/Article/shards"))[0]["status"] == "READONLY"
    ok(http.put(f"/v1/schema/Article/shards/{shard}", json={"status": "READY"}))
    assert ok(http.get("/v1/schema/Article/shards"))[0]["status"] == "READY"
    assert all(r["result"]["status"] == "SUCCESS" for r in batch(http, "Article", 5))


def test_an_async_indexing_queue_shows_per_shard(http: httpx.Client) -> None:
    articles(http)
    knob(http, "nodes/node1", {"vector_queue": 7})
    answer = by_name(nodes(http, output="verbose"))
    assert "queueLength" not in answer["node1"]["batchStats"]
    assert answer["node2"]["batchStats"]["queueLength"] == 0
    assert {(s["vectorQueueLength"], s["vectorIndexingStatus"])
            for s in answer["node1"]["shards"]} == {(7, "INDEXING")}
    assert {(s["vectorQueueLength"], s["vectorIndexingStatus"])
            for s in answer["node2"]["shards"]} == {(0, "READY")}
    for shard in ok(http.get("/v1/schema/Article/shards")):
        if "node1" in shard["per_node_status"]:
            assert shard["per_node_status"]["node1"] == "INDEXING"
        assert shard["vectorQueueSize"] == 0
    knob(http, "nodes/node1", {"vector_queue": 0})
    answer = by_name(nodes(http, output="verbose"))
    assert "queueLength" not in answer["node1"]["batchStats"]  # async indexing still on
    assert {s["vectorIndexingStatus"] for s in answer["node1"]["shards"]} == {"READY"}
    knob(http, "nodes/node1", {"vector_queue": None})
    assert by_name(nodes(http))["node1"]["batchStats"]["queueLength"] == 0


def test_a_tenant_offload_in_progress_is_reported(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True}})
    http.post("/v1/schema/Ticket/tenants", json=[{"name": "t1"}, {"name": "t2",
                                                                   "activityStatus": "COLD"}])
    state = knob(http, "tenants/Ticket/t1", {"status": "FREEZING"})
    assert state["activityStatus"] == "FREEZING" and state["stored"] == "HOT"
    assert state["since"] > 0
    knob(http, "tenants/Ticket/t2", {"status": "UNFREEZING"})
    tenants = {t["name"]: t["activityStatus"] for t in ok(http.get("/v1/schema/Ticket/tenants"))}
    assert tenants == {"t1": "FREEZING", "t2": "UNFREEZING"}
    assert http.get("/v1/schema/Ticket/tenants/t1").json()["activityStatus"] == "FREEZING"
    assert http.get("/__sandbox/tenants/Ticket/t1").json() == state
    knob(http, "tenants/Ticket/t1", {"status": None})
    knob(http, "tenants/Ticket/t2", {"status": None})
    tenants = {t["name"]: t["activityStatus"] for t in ok(http.get("/v1/schema/Ticket/tenants"))}
    assert tenants == {"t1": "HOT", "t2": "COLD"}
    assert http.put("/__sandbox/tenants/Ticket/nope", json={"status": "FREEZING"}).status_code \
        == 404
    assert http.put("/__sandbox/tenants/Nope/t1", json={"status": "FREEZING"}).status_code == 404
    bad = http.put("/__sandbox/tenants/Ticket/t1", json={"status": "FROZEN"})
    assert bad.status_code == 422 and "FREEZING" in bad.json()["error"][0]["message"]


def test_a_failing_module_meta(http: httpx.Client) -> None:
    assert "model" in ok(http.get("/v1/meta"))["modules"]["text2vec-transformers"]
    assert knob(http, "modules/text2vec-transformers", {"failing": True}) == {"failing": True}
    # 1.27.7+: the module's entry carries the error, /v1/meta and /ready stay up
    modules = ok(http.get("/v1/meta"))["modules"]
    assert modules["text2vec-transformers"]["error"].startswith("send GET meta request: ")
    assert "backupsPath" in modules["backup-filesystem"]
    assert http.get("/v1/.well-known/ready").status_code == 200
    # before that, GetMeta failed as a whole: 500 and not ready
    knob(http, "nodes/node1", {"version": "1.27.2"})
    failed = http.get("/v1/meta")
    assert failed.status_code == 500
    assert failed.json()["error"][0]["message"].startswith("send GET meta request: ")
    assert http.get("/v1/.well-known/ready").status_code == 503
    knob(http, "modules/text2vec-transformers", {"failing": False})
    assert http.get("/v1/.well-known/ready").status_code == 200
    assert http.get("/__sandbox/modules").json() == {"text2vec-transformers": {"failing": False}}
    assert http.put("/__sandbox/modules/nope", json={"failing": True}).status_code == 404


def test_batch_rate_follows_imports_and_keeps_its_last_reading(http: httpx.Client) -> None:
    assert {n["batchStats"]["ratePerSecond"] for n in nodes(http)} == {0}
    articles(http, factor=3, shards=1, n=120)
    rates = [n["batchStats"]["ratePerSecond"] for n in nodes(http)]
    assert rates == [120, 120, 120]
    time.sleep(1.1)
    batch(http, "Article", 10)  # a second later: only the new objects are in the window
    assert [n["batchStats"]["ratePerSecond"] for n in nodes(http)] == [10, 10, 10]
    http.post("/__sandbox/reset")
    assert {n["batchStats"]["ratePerSecond"] for n in nodes(http)} == {0}


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("nodes/node9", {"status": "HEALTHY"}, 404, "unknown node 'node9'"),
    ("nodes/node1", {"status": "SICK"}, 422, "status must be one of"),
    ("nodes/node1", {"version": "latest"}, 422, "version must look like"),
    ("nodes/node1", {"operational_mode": "Off"}, 422, "operational_mode must be one of"),
    ("nodes/node1", {"latency_ms": -1}, 422, "latency_ms must be at least 0"),
    ("nodes/node1", {"disk_used_percent": 101}, 422, "between 0 and 100"),
    ("nodes/node1", {"disk_used_percent": True}, 422, "must be a number"),
    ("nodes/node1", {"vector_queue": 1.5}, 422, "vector_queue must be"),
    ("nodes/node1", {"colour": "red"}, 422, "unknown node setting 'colour'"),
    ("cluster", {"internal_timeout_ms": 0}, 422, "internal_timeout_ms must be at least 1"),
    ("modules/text2vec-transformers", {"failing": "yes"}, 422, "true or false"),
])
def test_bad_knob_values_are_refused(http: httpx.Client, path: str, body: dict, status: int,
                                     words: str) -> None:
    before = http.get("/__sandbox/nodes").json()
    response = http.put(f"/__sandbox/{path}", json=body)
    assert response.status_code == status
    assert words in response.json()["error"][0]["message"]
    assert http.get("/__sandbox/nodes").json() == before


def test_reset_restores_every_node(http: httpx.Client) -> None:
    articles(http, n=3)
    knob(http, "nodes/node1", {"status": "UNHEALTHY", "disk_used_percent": 95,
                               "vector_queue": 3, "version": "1.30.0"})
    knob(http, "nodes/node3", {"status": "GONE"})
    knob(http, "modules/text2vec-transformers", {"failing": True})
    http.post("/__sandbox/reset")
    settings = http.get("/__sandbox/nodes").json()
    assert settings["node1"] == settings["node3"] == {
        "status": "HEALTHY", "version": "1.39.0", "operational_mode": "ReadWrite",
        "latency_ms": 0.0, "disk_used_percent": 0.0, "vector_queue": None}
    assert [n["status"] for n in nodes(http)] == ["HEALTHY"] * 3
    assert http.get("/v1/.well-known/ready").status_code == 200
    assert ok(http.get("/v1/cluster/statistics"))["synchronized"] is True


# --- Prometheus metrics (OPERATIONS.md §1.9) ---------------------------------------------------


@pytest.fixture
def scraped() -> Iterator[Sandbox]:
    """Two nodes with metrics on: ``Article`` spread over both (factor 1, 4 shards)."""
    with Sandbox(nodes=2, metrics=True, internal_timeout_ms=DEADLINE_MS) as server:
        yield server


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Sample name and sorted labels -> value, parsed with the reference parser."""
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def series(samples: dict, name: str, **labels: str) -> dict[tuple, float]:
    """The samples of ``name`` whose labels include ``labels``."""
    return {k[1]: v for k, v in samples.items()
            if k[0] == name and set(labels.items()) <= set(k[1])}


def test_each_node_serves_prometheus_metrics_on_its_own_port(scraped: Sandbox) -> None:
    with httpx.Client(base_url=scraped.url, timeout=10) as http:
        assert http.get("/metrics").status_code == 404  # never on the REST port
        articles(http, factor=1, shards=4, n=60)
        urls = scraped.metrics_urls
        assert sorted(urls) == ["node1", "node2"] and scraped.metrics_url == urls["node1"]
        assert len({u.split("/metrics")[0] for u in urls.values()} | {scraped.url}) == 3
        verbose = by_name(nodes(http, output="verbose"))
        batches = {}
        for node, url in urls.items():
            samples = scrape(url)
            counts = {dict(k)["shard_name"]: v for k, v in series(samples, "object_count").items()}
            assert counts == {s["name"]: s["objectCount"] for s in verbose[node]["shards"]}
            batches[node] = sum(series(samples, "batch_objects_processed_total").values())
            assert batches[node] == sum(counts.values())
            shards = series(samples, "weaviate_index_shards_total")
            assert shards[(("status", "READY"),)] == len(counts)
            assert series(samples, "go_memstats_heap_inuse_bytes")[()] > 1_000_000
            assert not [k for k in samples if k[0].endswith("_created")]
        assert sum(batches.values()) == 60
        batch(http, "Article", 40)
        http.post("/v1/graphql", json={"query": "{ Aggregate { Article { meta { count } } } }"})
        http.get("/v1/schema/Article")
        after = scrape(urls["node1"])
        assert sum(series(after, "batch_objects_processed_total").values()) > batches["node1"]
        assert series(after, "batch_durations_ms_count", operation="object_storage")
        assert series(after, "queries_durations_ms_count", class_name="Article",
                      query_type="aggregate") == {
            (("class_name", "Article"), ("query_type", "aggregate")): 1.0}
        routes = series(after, "weaviate_http_request_duration_seconds_count", method="GET",
                        status_code="200")
        assert (("method", "GET"), ("route", "/v1/schema/{className}"),
                ("status_code", "200")) in routes
        # node2 answers nothing from the REST side, so its HTTP series stay empty
        assert not series(scrape(urls["node2"]), "weaviate_http_request_duration_seconds_count")


def test_metrics_follow_the_node_knobs(scraped: Sandbox) -> None:
    with httpx.Client(base_url=scraped.url, timeout=10) as http:
        articles(http, factor=2, shards=2, n=10)
        knob(http, "nodes/node1", {"disk_used_percent": 95, "vector_queue": 4})
        samples = scrape(scraped.metrics_urls["node1"])
        assert series(samples, "weaviate_index_shards_total", status="READONLY") == {
            (("status", "READONLY"),): 2.0}
        assert set(series(samples, "queue_size").values()) == {4.0}
        assert not series(scrape(scraped.metrics_urls["node2"]), "queue_size")
        knob(http, "nodes/node2", {"status": "GONE"})
        with pytest.raises(httpx.TransportError):
            httpx.get(scraped.metrics_urls["node2"], timeout=5)
        assert httpx.get(scraped.metrics_urls["node1"].replace("/metrics", "/other")) \
            .status_code == 404


def test_python_m_sandbox_metrics_prints_every_scrape_url() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", "--seed", "none",
                             "--nodes", "2", "--metrics"], cwd=root, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline() for _ in range(3)]
        urls = [re.search(r"http://127\.0\.0\.1:\d+/metrics", line) for line in lines[1:]]
        assert [line.split()[0] for line in lines[1:]] == ["node1", "node2"]
        assert all(u is not None and httpx.get(u.group(0)).status_code == 200 for u in urls)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_without_metrics_there_is_no_scrape_url(http: httpx.Client, cluster: Sandbox) -> None:
    assert cluster.metrics_url is None and cluster.metrics_urls == {}


def test_the_answering_nodes_operational_mode_refuses_requests(http: httpx.Client) -> None:
    articles(http, n=2)
    knob(http, "nodes/node2", {"operational_mode": "WriteOnly"})
    assert http.get("/v1/schema").status_code == 200  # node1 answers
    knob(http, "nodes/node1", {"operational_mode": "ReadOnly"})
    refused = http.post("/v1/schema", json={"class": "Other"})
    assert refused.status_code == 503
    assert refused.json() == {"error": [{"message": "read-only mode is enabled temporally at the "
                                         "config level: write operations are not allowed "
                                         "during this time"}]}
    assert http.get("/v1/schema/Article").status_code == 200
    query = {"query": "{ Aggregate { Article { meta { count } } } }"}
    assert http.post("/v1/graphql", json=query).status_code == 200  # whitelisted
    knob(http, "nodes/node1", {"operational_mode": "WriteOnly"})
    refused = http.get("/v1/schema")
    assert refused.status_code == 503 and "read operations are not allowed" in \
        refused.json()["error"][0]["message"]
    assert http.get("/v1/nodes").status_code == 200  # whitelisted
    assert http.get("/v1/.well-known/ready").status_code == 200
    assert all(r["result"]["status"] == "SUCCESS" for r in batch(http, "Article", 3))
    knob(http, "nodes/node1", {"operational_mode": "ScaleOut"})
    assert "besides /replication" in http.delete("/v1/schema/Article").json()["error"][0][
        "message"]
    log = http.get("/__sandbox/requests").json()
    assert ("DELETE", "/v1/schema/Article", 503) in [(e["method"], e["path"], e["status"])
                                                     for e in log]


def test_a_tenant_being_offloaded_refuses_object_access(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {
        "enabled": True, "autoTenantActivation": True}})
    http.post("/v1/schema/Ticket/tenants", json=[{"name": "t1"}])
    knob(http, "tenants/Ticket/t1", {"status": "FREEZING"})
    refused = http.post("/v1/objects", json={"class": "Ticket", "tenant": "t1"})
    assert refused.status_code == 422
    assert refused.json()["error"][0]["message"] == "tenant not active: 't1'"
    knob(http, "tenants/Ticket/t1", {"status": None})
    assert http.post("/v1/objects", json={"class": "Ticket", "tenant": "t1"}).status_code == 200
