"""``\\stats`` one-shot and ``--watch`` through the dispatcher and as an ``elysiactl`` process,
against the sandbox over HTTP: rows, growth, ``--by``, patterns, and what was requested.

The live dashboard in a terminal, the slow node and the request budget of a watch are in
``test_commands_stats_live.py``; the metrics in ``test_commands_stats_metrics.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.ops.stats.sample import Sampler, StatsOptions
from commands.results import Document, Outcome, Table
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = ["DocumentChunk", "Article", "Product", "SupportTicket", "ELYSIACTL_Audit"]


def dispatcher(url: str) -> Dispatcher:
    session = Session(connection=Connection(api=RestClient(url, retries=0), url=url))
    return Dispatcher(REGISTRY, session, MemoryAuditLog())


def execute(url: str, line: str) -> Outcome:
    outcome = dispatcher(url).execute(line, "test")
    assert outcome.error is None, outcome.error
    return outcome


def requests_made(url: str) -> list[tuple[str, str]]:
    return [(r["method"], r["path"] + (f"?output={r['query']['output']}" if r["query"].get(
        "output") else "")) for r in httpx.get(f"{url}/__sandbox/requests").json()]


def clear_requests(url: str) -> None:
    httpx.delete(f"{url}/__sandbox/requests")


def add_replicated(url: str, name: str = "Rep", objects: int = 30) -> None:
    """A class of 3 shards with 2 replicas each on a three-node sandbox, and its objects."""
    http = httpx.Client(base_url=url)
    http.post("/v1/schema", json={"class": name, "replicationConfig": {"factor": 2},
                                  "shardingConfig": {"desiredCount": 3}}).raise_for_status()
    http.post("/v1/batch/objects", json={"objects": [
        {"class": name, "properties": {"n": i}} for i in range(objects)]}).raise_for_status()


@pytest.fixture(scope="module")
def replicated() -> Iterator[Sandbox]:
    """Three nodes: Rep (3 shards, factor 2, 30 objects) and RepMt (factor 2, tenants hot
    with 7 objects and cold, inactive)."""
    with Sandbox(nodes=3) as server:
        add_replicated(server.url)
        http = httpx.Client(base_url=server.url)
        http.post("/v1/schema", json={"class": "RepMt", "replicationConfig": {"factor": 2},
                                      "multiTenancyConfig": {"enabled": True}}
                  ).raise_for_status()
        http.post("/v1/schema/RepMt/tenants", json=[
            {"name": "hot"}, {"name": "cold", "activityStatus": "INACTIVE"}]).raise_for_status()
        http.post("/v1/batch/objects", json={"objects": [
            {"class": "RepMt", "tenant": "hot", "properties": {"n": i}} for i in range(7)]}
                  ).raise_for_status()
        yield server


# --- one sample ----------------------------------------------------------------------------

def test_one_sample_on_the_demo_as_tables(demo: Sandbox) -> None:
    results = execute(demo.url, r"\stats").results
    collections, nodes = (r for r in results if isinstance(r, Table))
    rows = {r["collection"]: r for r in collections.to_data()}
    assert [r["collection"] for r in collections.to_data()] == DEMO_ORDER  # largest first
    assert rows["Article"] == {
        "collection": "Article", "objects": 250, "growth_per_s": None, "shards": 1,
        "tenants": None, "status": "READY", "vector_queue": 0, "objects_per_node": "node1 250"}
    # acme and globex are active (22 + 52 objects); initech is COLD, umbrella FROZEN
    assert rows["SupportTicket"]["tenants"] == "ACTIVE 2, INACTIVE 1, OFFLOADED 1"
    assert rows["SupportTicket"]["objects"] == 74 and rows["SupportTicket"]["shards"] == 2
    assert "growth needs two samples" in collections.note
    assert nodes.to_data() == [{"node": "node1", "status": "HEALTHY", "version": "1.39.0",
                                "mode": "ReadWrite", "batch_rate": 0, "batch_queue": 0}]


def test_one_sample_as_json_is_one_object_and_costs_a_request_per_collection(
        demo: Sandbox) -> None:
    clear_requests(demo.url)
    outcome = execute(demo.url, r"\stats *t --format json")
    [document] = outcome.results
    assert isinstance(document, Document)
    data = document.to_data()
    assert set(data) == {"sample", "time", "interval_s", "by", "rows", "nodes", "metrics",
                         "stale", "matched", "notes"}
    assert [r["collection"] for r in data["rows"]] == [
        "Product", "SupportTicket", "ELYSIACTL_Audit"]
    assert data["rows"][1]["tenants"] == {"ACTIVE": 2, "INACTIVE": 1, "OFFLOADED": 1}
    assert data["rows"][1]["objects_per_node"] == {"node1": 74}
    assert (data["matched"], data["stale"], data["metrics"], data["interval_s"]) == (
        3, [], None, None)
    assert sorted(requests_made(demo.url)) == sorted([
        ("GET", "/v1/schema"), ("GET", "/v1/nodes?output=minimal"),
        ("GET", "/v1/nodes/Product?output=verbose"),
        ("GET", "/v1/nodes/SupportTicket?output=verbose"),
        ("GET", "/v1/nodes/ELYSIACTL_Audit?output=verbose"),
        ("GET", "/v1/schema/SupportTicket/tenants")])


def test_more_matches_than_the_limit_read_one_full_verbose_answer(demo: Sandbox) -> None:
    clear_requests(demo.url)
    data = execute(demo.url, r"\stats --limit 2 --format json").results[0].to_data()
    assert [r["collection"] for r in data["rows"]] == ["DocumentChunk", "Article"]
    assert data["matched"] == 5 and "the 2 largest of 5" in data["notes"][0]
    assert sorted(requests_made(demo.url)) == sorted([
        ("GET", "/v1/schema"), ("GET", "/v1/nodes?output=minimal"),
        ("GET", "/v1/nodes?output=verbose")])


@pytest.mark.parametrize(("line", "expected"), [
    (r"\stats Art*", ["Article"]),
    (r"\stats art* ?roduct", []),  # every pattern must match, as in \ls
    # rows are the largest first: globex (52) > ELYSIACTL_Audit (40) > acme (22)
    (r"\stats *t --by shard", ["Product", "SupportTicket", "ELYSIACTL_Audit", "SupportTicket"]),
])
def test_patterns_filter_collections(demo: Sandbox, line: str, expected: list[str]) -> None:
    data = execute(demo.url, line + " --format json").results[0].to_data()
    assert [r["collection"] for r in data["rows"]] == expected


def test_by_node_shard_and_tenant(replicated: Sandbox) -> None:
    by_node = execute(replicated.url, r"\stats Rep --by node --format json").results[0]
    rows = by_node.to_data()["rows"]
    assert sorted(r["node"] for r in rows) == ["node1", "node2", "node3"]
    assert [r["objects"] for r in rows] == sorted((r["objects"] for r in rows), reverse=True)
    assert sum(r["shards"] for r in rows) == 6 and sum(r["objects"] for r in rows) == 60
    by_shard = execute(replicated.url, r"\stats Rep --by shard --format json").results[0]
    shards = by_shard.to_data()["rows"]
    assert len(shards) == 3 and sum(s["objects"] for s in shards) == 30
    assert all(len(s["nodes"]) == 2 and s["status"] == "READY" for s in shards)
    by_tenant = execute(replicated.url, r"\stats Rep* --by tenant --format json").results[0]
    assert [(r["collection"], r["tenant"], r["status"], r["objects"])
            for r in by_tenant.to_data()["rows"]] == [
        ("RepMt", "hot", "ACTIVE", 7), ("RepMt", "cold", "INACTIVE", None)]
    default = execute(replicated.url, r"\stats --format json").results[0].to_data()["rows"]
    rep = next(r for r in default if r["collection"] == "Rep")
    assert rep["objects"] == 30 and rep["shards"] == 3
    assert sum(rep["objects_per_node"].values()) == 60 and len(rep["objects_per_node"]) == 3
    mt = next(r for r in default if r["collection"] == "RepMt")
    assert mt["tenants"] == {"ACTIVE": 1, "INACTIVE": 1} and mt["objects"] == 7


@pytest.mark.parametrize(("line", "rows", "note"), [
    (r"\stats --limit 1", ["Rep"],
     "the largest of 2 matching collections; narrow with PATTERN, or --limit 0 for all"),
    (r"\stats --by node --limit 1", ["Rep"],
     "1 of 3 rows (one per collection and node, the largest first), from the largest of 2 "
     "matching collections; narrow with PATTERN, or --limit 0 for all"),
    (r"\stats --by node --limit 2", ["Rep", "Rep"],
     "2 of 5 rows (one per collection and node, the largest first); narrow with PATTERN, or "
     "--limit 0 for all"),
    # the multi-tenant collections only are ranked: Rep has no tenants
    (r"\stats --by tenant --limit 1", ["RepMt"],
     "1 of 2 rows (one per tenant, the largest first); narrow with PATTERN, or --limit 0 for "
     "all"),
    (r"\stats --by shard", None, None),
])
def test_the_note_says_what_the_rows_are_for_each_by(
        replicated: Sandbox, line: str, rows: list[str] | None, note: str | None) -> None:
    data = execute(replicated.url, line + " --format json").results[0].to_data()
    if rows is not None:
        assert [r["collection"] for r in data["rows"]] == rows
    assert data["notes"][:1] == ([note] if note else ["growth needs two samples: \\stats "
                                                      "--watch shows it"])


def test_empty_answers_say_why(demo: Sandbox, sandbox: Sandbox) -> None:
    assert execute(sandbox.url, r"\stats --format json").results[0].to_data()["notes"][0] == (
        "no collections")
    table = execute(demo.url, r"\stats 'nothing*'").results[0]
    assert table.rows == () and "no collection matches 'nothing*'" in table.note
    table = execute(demo.url, r"\stats Art* --by tenant").results[0]
    assert table.rows == () and "no multi-tenant collection" in table.note


def test_usage_errors_are_one_line_with_a_hint(demo: Sandbox) -> None:
    run = dispatcher(demo.url).execute
    outcome = run(r"\stats 5", "test")
    assert outcome.exit_code == 2 and "--watch 5" in outcome.error.hint
    assert run(r"\stats --watch=0", "test").exit_code == 2
    assert run(r"\stats --watch=inf", "test").exit_code == 2
    assert run(r"\stats nan --format json", "test").exit_code == 0  # a pattern, not a number
    assert run(r"\stats --watch", "test").exit_code == 2  # no terminal, no --count: endless
    assert run(r"\stats --by table", "test").exit_code == 2
    outcome = run(r"\stats --metrics-url localhost:2112", "test")
    assert outcome.exit_code == 2 and "2112" in outcome.error.hint


@pytest.mark.parametrize(("word", "hint"), [
    ("5", "--watch 5?"), ("1e3", "--watch 1000?"), (".5", "--watch 0.5?"),
    ("-1", "--watch SECONDS (0.2 to 86400)?"), ("0.01", "--watch SECONDS (0.2 to 86400)?"),
    ("-x", "--watch SECONDS (0.2 to 86400)?"), ("9lives", "--watch SECONDS (0.2 to 86400)?")])
def test_a_pattern_no_collection_name_can_match_is_a_misplaced_interval(
        demo: Sandbox, word: str, hint: str) -> None:
    outcome = dispatcher(demo.url).execute(rf"\stats {word} --count 1", "test")
    assert outcome.exit_code == 2
    assert outcome.error.message == (rf"\stats: {word!r} is not a collection pattern "
                                     "(collection names start with a letter)")
    assert outcome.error.hint == f"did you mean {hint}"


def test_a_misplaced_negative_interval_fails_as_a_process(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "shell", "--url", demo.url, "col", "stats",
                           "--watch", "-1"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=30)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        r"error: \stats: '-1' is not a collection pattern (collection names start with a "
        "letter)", "hint: did you mean --watch SECONDS (0.2 to 86400)?"]


@pytest.mark.parametrize("seconds", ["0.1", "0.01", "86401", "10000000000", "99999999999"])
def test_the_interval_is_bounded_from_a_fifth_of_a_second_to_a_day(
        demo: Sandbox, seconds: str) -> None:
    clear_requests(demo.url)
    outcome = dispatcher(demo.url).execute(rf"\stats --watch {seconds} --count 1", "test")
    assert outcome.exit_code == 2
    assert outcome.error.message == (
        f"--watch expects 0.2 to 86400 seconds (one day), got {seconds}")
    assert requests_made(demo.url) == []  # refused before anything was asked


def test_a_one_day_interval_is_taken(demo: Sandbox) -> None:
    frames = execute(demo.url, r"\stats --watch 86400 --count 1 --format json").results
    assert [(f.to_data()["interval_s"], f.to_data()["stale"]) for f in frames] == [(86400, [])]


# --- growth --------------------------------------------------------------------------------

def test_growth_is_objects_per_second_between_two_samples(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    http.post("/v1/schema", json={"class": "Grow"}).raise_for_status()
    now = [100.0]
    sampler = Sampler(RestClient(sandbox.url), StatsOptions(), clock=lambda: now[0])
    first = sampler.sample()
    assert first.rows[0]["objects"] == 0 and first.rows[0]["growth_per_s"] is None
    http.post("/v1/batch/objects", json={"objects": [
        {"class": "Grow", "properties": {"n": i}} for i in range(30)]}).raise_for_status()
    now[0] += 10
    second = sampler.sample()
    assert second.rows[0]["objects"] == 30 and second.rows[0]["growth_per_s"] == 3.0
    assert "growth needs two samples" not in " ".join(second.notes)
    sampler.close()


def test_watch_through_the_dispatcher_sees_writes_between_samples(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    http.post("/v1/schema", json={"class": "Grow"}).raise_for_status()
    writer = threading.Timer(0.3, lambda: http.post("/v1/batch/objects", json={"objects": [
        {"class": "Grow", "properties": {"n": i}} for i in range(40)]}).raise_for_status())
    writer.start()
    runner = dispatcher(sandbox.url)
    outcome = runner.execute(r"\stats --watch 0.6 --count 3 --format json", "test")
    writer.join()
    frames = [r.to_data() for r in outcome.results]
    assert [f["sample"] for f in frames] == [1, 2, 3]
    assert frames[0]["rows"][0]["objects"] == 0 and frames[-1]["rows"][0]["objects"] == 40
    growth = [f["rows"][0]["growth_per_s"] for f in frames]
    assert growth[0] is None and max(growth[1:]) > 20  # 40 objects within about a second
    assert all(f["interval_s"] == 0.6 for f in frames)
    [entry] = runner.audit.entries()
    # a numeric option with an optional value takes the number that follows it
    assert (entry["command"], entry["status"], entry["arguments"]["pattern"],
            entry["arguments"]["watch"]) == ("stats", "ok", [], 0.6)


# --- as a process --------------------------------------------------------------------------

def test_watch_off_a_terminal_prints_ndjson_lines(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "shell", "--url", demo.url, "col", "stats",
                           "--watch", "0.2", "--count", "3"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    frames = [json.loads(line) for line in lines]
    assert [f["sample"] for f in frames] == [1, 2, 3]
    assert [r["collection"] for r in frames[2]["rows"]] == DEMO_ORDER
    assert frames[2]["rows"][1]["growth_per_s"] == 0.0
    audit = [json.loads(line) for line in (tmp_path / "elysiactl" / "audit.jsonl")
             .read_text().splitlines()]
    assert [(e["command"], e["status"], e["arguments"]["count"]) for e in audit] == [
        ("stats", "ok", 3)]


def test_watch_as_yaml_prints_one_document_per_sample(demo: Sandbox, tmp_path: Path) -> None:
    import yaml

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "shell", "--url", demo.url, "col", "stats",
                           "--watch", "0.2", "--count", "2", "--format", "yaml"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("---\nsample: 1\n")
    assert done.stdout.count("---\n") == 2 and "{" not in done.stdout.splitlines()[0]
    frames = list(yaml.safe_load_all(done.stdout))
    assert [(f["sample"], f["interval_s"]) for f in frames] == [(1, 0.2), (2, 0.2)]
    assert [r["collection"] for r in frames[1]["rows"]] == DEMO_ORDER


def test_the_seeds_one_shot_col_stats_watch(demo: Sandbox, tmp_path: Path) -> None:
    """The seed's literal `elysiactl col stats --watch`, stopped by Ctrl-C (SIGINT): exit 0."""
    import signal
    import time

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "WEAVIATE_URL": demo.url}
    proc = subprocess.Popen([sys.executable, "-m", "shell", "col", "stats", "--watch"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stdout.readline()
    assert json.loads(first)["sample"] == 1
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert all(json.loads(line)["interval_s"] == 2.0 for line in out.splitlines())


# --- queues and batch rate (sandbox knobs) -------------------------------------------------

def test_async_indexing_queue_and_batch_rate(replicated: Sandbox) -> None:
    url = replicated.url
    httpx.put(f"{url}/__sandbox/nodes/node2", json={"vector_queue": 5}).raise_for_status()
    add_replicated(url, "Queued", objects=60)
    try:
        data = execute(url, r"\stats Queued --format json").results[0].to_data()
        nodes = {n["node"]: n for n in data["nodes"]}
        # §1.4: with async indexing on, the node has no batch queue to report
        assert nodes["node2"]["batch_queue"] is None and nodes["node1"]["batch_queue"] == 0
        assert sum(n["batch_rate"] for n in nodes.values()) > 0
        [row] = data["rows"]
        shards = execute(url, r"\stats Queued --by shard --format json").results[0]
        on_node2 = sum(1 for s in shards.to_data()["rows"] if "node2" in s["nodes"])
        assert row["vector_queue"] == 5 * on_node2 > 0
        assert "INDEXING" in row["status"]
        tables = execute(url, r"\stats Queued").results
        assert "async indexing" in tables[1].note
    finally:
        httpx.put(f"{url}/__sandbox/nodes/node2", json={"vector_queue": None})
        httpx.delete(f"{url}/v1/schema/Queued")


def test_a_dropped_collection_leaves_the_watch_at_the_next_sample(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    for name in ("Kept", "Dropped"):
        http.post("/v1/schema", json={"class": name}).raise_for_status()
    sampler = Sampler(RestClient(sandbox.url), StatsOptions(interval=0.5))
    assert sorted(r["collection"] for r in sampler.sample().rows) == ["Dropped", "Kept"]
    http.delete("/v1/schema/Dropped").raise_for_status()
    late = sampler.sample()
    assert [(s.key, "not found" in s.error) for s in late.stale] == [
        ("/v1/nodes/Dropped", True)]
    assert [r["collection"] for r in sampler.sample().rows] == ["Kept"]
    sampler.close()


def test_a_reader_that_goes_away_ends_the_watch_quietly(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m shell --url {demo.url} col stats --watch 0.2 "
         "| head -1; echo status=${PIPESTATUS[0]} >&2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout)["sample"] == 1
    assert done.stderr.strip() == "status=0"
