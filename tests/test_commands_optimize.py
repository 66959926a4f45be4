"""``\\optimize`` through the dispatcher against the sandbox over HTTP: what the analysis
measures and recommends, and what ``--apply`` sends (the sandbox's request log is the proof).

Read-only tests share the demo sandbox (DocumentChunk: 20,000 objects with 128-d vectors).
Tests that change a collection get their own sandbox.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import REGISTRY, make_session, mutating_requests

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.ops import class_paths
from commands.parse import tokenize
from commands.results import Message, Outcome, Record, Table
from commands.safety import Plan
from sandbox import Sandbox


def execute(session: Session, line: str, audit: MemoryAuditLog | None = None) -> Outcome:
    return Dispatcher(REGISTRY, session, audit or MemoryAuditLog()).execute(line, "argv")


def recommendations(outcome: Outcome) -> dict[str, dict[str, Any]]:
    """The recommendation Records of an analysis, by rule id (the first of each)."""
    assert outcome.exit_code == 0, outcome.error
    out: dict[str, dict[str, Any]] = {}
    for result in outcome.results[1:]:
        if isinstance(result, Record):
            out.setdefault(result.fields["rule"], result.fields)
    return out


def messages(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.results if isinstance(r, Message))


def requests(url: str) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in httpx.get(f"{url}/__sandbox/requests").json()]


def clear(url: str) -> None:
    httpx.delete(f"{url}/__sandbox/requests").raise_for_status()


def create(url: str, body: dict[str, Any]) -> None:
    httpx.post(f"{url}/v1/schema", json=body).raise_for_status()


def fill(url: str, name: str, count: int, dims: int = 0, tenant: str | None = None,
         props: Any = None) -> None:
    """``count`` objects with seeded random vectors of ``dims`` (none when 0)."""
    rng = random.Random(count)
    objects = []
    for i in range(count):
        obj: dict[str, Any] = {"class": name, "properties": props(i) if props else {"n": i}}
        if dims:
            obj["vector"] = [rng.random() for _ in range(dims)]
        if tenant:
            obj["tenant"] = tenant
        objects.append(obj)
    for start in range(0, count, 1000):
        answer = httpx.post(f"{url}/v1/batch/objects",
                            json={"objects": objects[start:start + 1000]}, timeout=60)
        answer.raise_for_status()
        assert not any(o["result"].get("errors") for o in answer.json())


@pytest.fixture(scope="module")
def demo_session(demo: Sandbox) -> Session:
    return make_session(demo.url)


@pytest.fixture
def fresh(tmp_path) -> Iterator[Sandbox]:
    with Sandbox(backup_dir=tmp_path / "b") as server:
        yield server


@pytest.fixture
def three(tmp_path) -> Iterator[Sandbox]:
    with Sandbox(nodes=3, backup_dir=tmp_path / "b") as server:
        yield server


# --- the analysis -------------------------------------------------------------------------------

def test_analysis_measures_in_four_get_requests_and_shows_the_estimate(
        demo: Sandbox, demo_session: Session) -> None:
    clear(demo.url)
    outcome = execute(demo_session, r"\optimize DocumentChunk --analyze")
    assert outcome.exit_code == 0, outcome.error
    assert requests(demo.url) == [
        ("GET", "/v1/schema/DocumentChunk"), ("GET", "/v1/meta"),
        ("GET", "/v1/nodes/DocumentChunk"), ("GET", "/v1/objects")]
    summary = outcome.results[0]
    assert isinstance(summary, Record) and summary.title == "Optimize DocumentChunk"
    assert summary.fields["objects"] == 20_000 and summary.fields["nodes"] == 1
    # N x (D x 4 + maxConnections x 10) = 20,000 x (512 + 320) B = 15.9 MiB
    assert summary.fields["vectors"] == [{"vector": "(class)", "index": "hnsw",
                                          "compression": None, "dimensions": 128,
                                          "memory_per_node": "15.9 MiB"}]
    inputs = {a["input"]: a["assumption"] for a in summary.fields["assumptions"]}
    assert "not visible over REST" in inputs["node RAM"] and "query mix" in inputs
    # 20,000 vectors and 16 MiB: under 100,000 per shard and 1 GiB, so no compression
    assert not any(rule.startswith("compress") for rule in recommendations(outcome))


def test_compression_fires_against_the_given_node_memory(demo_session: Session) -> None:
    recs = recommendations(execute(demo_session,
                                   r"\optimize DocumentChunk --node-memory 48MiB"))
    rec = recs["compress-rq8"]
    assert (rec["severity"], rec["operations_rule"], rec["applies"]) == ("medium", "T5",
                                                                       "in-place")
    assert "20,000 vectors of 128 dimensions" in rec["reason"]
    assert "15.9 MiB" in rec["reason"] and "33% of the 48.0 MiB" in rec["reason"]
    assert rec["change"] == "vectorIndexConfig.rq.enabled=true"
    assert rec["command"] == r"\optimize DocumentChunk --apply compress-rq8"
    # 20,000 x (128 + 16 + 320) B = 8.9 MiB with RQ-8
    assert rec["effect"].startswith("about 8.9 MiB with RQ-8")


def test_tight_memory_asks_for_rq1_first(demo_session: Session) -> None:
    outcome = execute(demo_session, r"\optimize DocumentChunk --node-memory 24MiB")
    first = outcome.results[1]
    assert isinstance(first, Record) and first.fields["rule"] == "compress-rq1"
    assert first.fields["severity"] == "high" and first.fields["operations_rule"] == "T6"
    assert first.fields["change"] == ("vectorIndexConfig.rq.enabled=true "
                                      "vectorIndexConfig.rq.bits=1")


def test_an_alias_and_the_current_collection_resolve(demo_session: Session) -> None:
    via_alias = execute(demo_session, r"\optimize Docs")
    assert via_alias.results[0].fields["collection"] == "DocumentChunk"
    demo_session.collection = "Article"
    try:
        current = execute(demo_session, r"\optimize")
    finally:
        demo_session.collection = None
    assert current.results[0].fields["collection"] == "Article"
    # 250 vectors in an HNSW index: flat, by a copy
    rec = recommendations(current)["index-flat"]
    assert rec["applies"] == "copy" and rec["operations_rule"] == "T1"
    url = demo_session.connection.url
    assert rec["command"] == (f"\\migrate Article --target {url} --as Article_v2 --set "
                              "vectorIndexType=flat --set "
                              "'vectorIndexConfig={\"distance\":\"cosine\"}'")


def test_json_is_the_analysis_then_one_object_per_recommendation(
        demo_session: Session) -> None:
    outcome = execute(demo_session, r"\optimize Article --format json")
    assert outcome.format == "json"
    data = [r.to_data() for r in outcome.results if not isinstance(r, Message)]
    assert data[0]["recommendations"] == len(data) - 1 >= 1
    assert {tuple(sorted(d)) for d in data[1:]} == {(
        "applies", "change", "command", "effect", "operations_rule", "reason", "rule",
        "severity", "source")}


@pytest.mark.parametrize(("line", "code", "text"), [
    (r"\optimize Articel", 1, "did you mean Article?"),
    (r"\optimize Article --node-memory lots", 2, "expected a size such as 16GiB"),
    (r"\optimize Article --apply compress-everything", 2,
     "rule ids this analysis found: index-flat"),
    (r"\optimize Article --dry-run", 2, "--force, --dry-run and --allow-protected go with --apply"),
])
def test_bad_input_is_one_line_and_sends_nothing(demo: Sandbox, demo_session: Session,
                                                 line: str, code: int, text: str) -> None:
    clear(demo.url)
    outcome = execute(demo_session, line)
    assert outcome.exit_code == code
    assert text in outcome.error.message + " " + (outcome.error.hint or "")
    assert not [r for r in httpx.get(f"{demo.url}/__sandbox/requests").json() if r["mutating"]]


def test_inactive_tenants_and_small_tenants(demo_session: Session) -> None:
    outcome = execute(demo_session, r"\optimize SupportTicket")
    recs = recommendations(outcome)
    assert recs["index-dynamic"]["applies"] == "copy"
    assert recs["async-indexing"] == {**recs["async-indexing"], "applies": "server-env",
                                      "change": "ASYNC_INDEXING=true"}
    # the sandbox has no offload-s3 module: nothing to offload, and the assumption says why
    assert "offload-tenants" not in recs
    inputs = {a["input"]: a["assumption"] for a in outcome.results[0].fields["assumptions"]}
    assert "offload-s3 module is not enabled" in inputs["tenant activity"]
    assert outcome.results[0].fields["tenants"] == {"ACTIVE": 2, "INACTIVE": 1, "OFFLOADED": 1}


# --- cluster layout on three nodes -------------------------------------------------------------

def test_replication_and_shards_on_three_nodes_are_copies(three: Sandbox) -> None:
    session = make_session(three.url)
    assert execute(session, r"\create Logs --replication 1 --shards 1").exit_code == 0
    fill(three.url, "Logs", 50)
    recs = recommendations(execute(session, r"\optimize Logs"))
    factor, shards = recs["replication-factor"], recs["shard-count"]
    assert (factor["operations_rule"], factor["change"]) == ("T20/H11",
                                                             "replicationConfig.factor=3")
    assert "replication factor 1 on a 3-node cluster" in factor["reason"]
    assert "/v1/replication/scale" in factor["effect"]
    assert shards["change"] == "shardingConfig.desiredCount=3"
    assert "1 of 3 nodes hold" in shards["reason"]
    clear(three.url)
    outcome = execute(session, r"\optimize Logs --apply replication-factor,shard-count --force")
    assert outcome.exit_code == 0
    text = messages(outcome)
    assert (f"\\migrate Logs --target {three.url} --as Logs_v2 --set "
            "replicationConfig.factor=3 --set shardingConfig.desiredCount=3") in text
    assert "nothing was sent" in text
    assert mutating_requests(httpx.Client(base_url=three.url)) == []


def test_an_even_factor_becomes_odd(three: Sandbox) -> None:
    session = make_session(three.url)
    execute(session, r"\create Pairs --replication 2 --shards 3")
    fill(three.url, "Pairs", 10)
    recs = recommendations(execute(session, r"\optimize Pairs"))
    assert recs["replication-factor"]["operations_rule"] == "T21"
    assert recs["replication-factor"]["change"] == "replicationConfig.factor=3"
    assert "shard-count" not in recs


# --- READONLY shards and --apply ----------------------------------------------------------------

@pytest.fixture
def vectors(fresh: Sandbox) -> Sandbox:
    """Items: 2,000 objects with 64-d vectors, one shard, set READONLY through the real PUT."""
    create(fresh.url, {"class": "Items", "properties": [{"name": "n", "dataType": ["int"]}]})
    fill(fresh.url, "Items", 2000, dims=64)
    shard = httpx.get(f"{fresh.url}/v1/schema/Items/shards").json()[0]["name"]
    httpx.put(f"{fresh.url}/v1/schema/Items/shards/{shard}",
              json={"status": "READONLY"}).raise_for_status()
    clear(fresh.url)
    return fresh


def shard_of(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/v1/schema/Items/shards").json()[0]


def test_a_readonly_shard_comes_first_with_the_disk_caveat(vectors: Sandbox) -> None:
    outcome = execute(make_session(vectors.url), r"\optimize Items --node-memory 4MiB")
    first = outcome.results[1].fields
    assert (first["rule"], first["severity"], first["applies"]) == ("shard-readonly", "high",
                                                                    "in-place")
    assert "DISK_USE_READONLY_PERCENTAGE" in first["reason"]
    assert "Check free disk on node1 first" in first["effect"]
    shard = shard_of(vectors.url)["name"]
    assert first["change"] == f'PUT /v1/schema/Items/shards/{shard} {{"status":"READY"}}'
    # 2,000 x (256 + 320) B = 1.1 MiB: 27% of 4 MiB
    assert recommendations(outcome)["compress-rq8"]["severity"] == "medium"


def test_vector_index_updates_are_refused_while_a_shard_is_readonly(vectors: Sandbox) -> None:
    outcome = execute(make_session(vectors.url),
                      r"\optimize Items --node-memory 4MiB --apply compress-rq8 --force")
    assert outcome.exit_code == 1
    assert "READONLY" in outcome.error.message and "nothing was sent" in outcome.error.message
    assert "--apply shard-readonly" in outcome.error.hint
    assert mutating_requests(httpx.Client(base_url=vectors.url)) == []


def test_dry_run_shows_the_diff_and_sends_nothing(vectors: Sandbox) -> None:
    audit = MemoryAuditLog()
    outcome = execute(make_session(vectors.url), r"\optimize Items --node-memory 4MiB "
                      r"--apply shard-readonly --apply compress-rq8 --dry-run", audit)
    assert outcome.exit_code == 0 and outcome.confirmation == "dry-run"
    tables = [r for r in outcome.results if isinstance(r, Table)]
    diff = next(t for t in tables if t.title == "PUT /v1/schema/Items changes")
    assert diff.rows == (("vectorIndexConfig.rq.enabled", False, True),)
    shard = shard_of(vectors.url)["name"]
    sent = next(t for t in tables if t.title == "requests it would send")
    assert sent.rows == (("PUT", f"/v1/schema/Items/shards/{shard}"),
                         ("PUT", "/v1/schema/Items"))
    assert mutating_requests(httpx.Client(base_url=vectors.url)) == []
    assert [e["confirmation"] for e in audit.entries()] == ["dry-run"]


def test_apply_without_a_terminal_is_refused(vectors: Sandbox) -> None:
    outcome = execute(make_session(vectors.url), r"\optimize Items --apply shard-readonly")
    assert outcome.exit_code == 4 and "--force" in outcome.error.hint
    assert mutating_requests(httpx.Client(base_url=vectors.url)) == []


def test_force_applies_shards_first_then_the_class_and_reads_back(vectors: Sandbox) -> None:
    audit = MemoryAuditLog()
    outcome = execute(make_session(vectors.url), r"\optimize Items --node-memory 4MiB "
                      r"--apply compress-rq8,shard-readonly --force", audit)
    assert outcome.exit_code == 0, outcome.error
    shard = shard_of(vectors.url)
    assert [(e["method"], e["path"]) for e in mutating_requests(
        httpx.Client(base_url=vectors.url))] == [
        ("PUT", f"/v1/schema/Items/shards/{shard['name']}"), ("PUT", "/v1/schema/Items")]
    after = httpx.get(f"{vectors.url}/v1/schema/Items").json()
    assert class_paths.get_path(after, "vectorIndexConfig.rq.enabled") is True
    assert shard["status"] == "READY"
    changed = next(r for r in outcome.results if isinstance(r, Table))
    assert changed.title == "What changed in Items (read back)"
    assert set(changed.rows) == {("vectorIndexConfig.rq.enabled", False, True),
                                 (f"shard {shard['name']}", "READONLY", "READY")}
    assert [e["confirmation"] for e in audit.entries()] == ["forced"]
    # applied: the analysis no longer finds either
    recs = recommendations(execute(make_session(vectors.url),
                                   r"\optimize Items --node-memory 4MiB"))
    assert "compress-rq8" not in recs and "shard-readonly" not in recs
    # ... so the same apply, rerun, has nothing to do: exit 0 and nothing sent
    clear(vectors.url)
    again = execute(make_session(vectors.url), r"\optimize Items --node-memory 4MiB "
                    r"--apply compress-rq8,shard-readonly --force")
    assert (again.exit_code, messages(again)) == (0, "nothing to apply: compress-rq8, "
                                                     "shard-readonly are not recommended for "
                                                     "Items now; nothing was sent")
    assert mutating_requests(httpx.Client(base_url=vectors.url)) == []


def test_apply_of_a_rule_that_recommends_nothing_now_sends_only_the_others(
        vectors: Sandbox) -> None:
    outcome = execute(make_session(vectors.url),
                      r"\optimize Items --apply shard-readonly,filter-acorn --force")
    assert outcome.exit_code == 0, outcome.error
    assert "not applied: filter-acorn is not recommended for Items now" in messages(outcome)
    shard = shard_of(vectors.url)
    assert [(e["method"], e["path"]) for e in mutating_requests(
        httpx.Client(base_url=vectors.url))] == [
        ("PUT", f"/v1/schema/Items/shards/{shard['name']}")]
    unknown = execute(make_session(vectors.url), r"\optimize Items --apply shard-readonli")
    assert unknown.exit_code == 2
    assert unknown.error.message == r"--apply shard-readonli: no \optimize rule has this id"


class Person:
    interactive = True

    def __init__(self, typed: str) -> None:
        self.typed, self.plans = typed, []

    def confirm(self, plan: Plan, word: str) -> bool:
        self.plans.append(plan)
        return self.typed == word


@pytest.mark.parametrize(("typed", "code", "status"), [("yes", 0, "READY"),
                                                        ("no", 4, "READONLY")])
def test_a_person_confirms_after_seeing_the_shards(vectors: Sandbox, typed: str, code: int,
                                                   status: str) -> None:
    session = make_session(vectors.url)
    session.confirmer = Person(typed)
    outcome = execute(session, r"\optimize Items --apply shard-readonly")
    assert outcome.exit_code == code
    [plan] = session.confirmer.plans
    assert plan.preview[0].title == "shard status"
    assert shard_of(vectors.url)["status"] == status


# --- HNSW settings, inverted index and version floors -------------------------------------------

@pytest.fixture
def tuned(fresh: Sandbox) -> Sandbox:
    """Tuned: ef 1000, a 100-vector cache, sweeping; an id-like sku text and a price."""
    create(fresh.url, {"class": "Tuned", "vectorIndexConfig": {
        "ef": 1000, "vectorCacheMaxObjects": 100, "filterStrategy": "sweeping"},
        "properties": [{"name": "sku", "dataType": ["text"]},
                       {"name": "price", "dataType": ["number"]}]})
    fill(fresh.url, "Tuned", 300, dims=8,
         props=lambda i: {"sku": f"SKU-{1000 + i}", "price": i / 10})
    return fresh


def test_hnsw_settings_are_applied_in_place(tuned: Sandbox) -> None:
    session = make_session(tuned.url)
    recs = recommendations(execute(session, r"\optimize Tuned"))
    assert recs["ef-dynamic"]["change"] == "vectorIndexConfig.ef=-1"
    assert recs["vector-cache"]["change"] == "vectorIndexConfig.vectorCacheMaxObjects=1000"
    assert recs["vector-cache"]["severity"] == "medium"
    assert recs["filter-acorn"]["change"] == "vectorIndexConfig.filterStrategy=acorn"
    assert "20 of 20 sampled values look like identifiers" in recs["tokenization-field"]["reason"]
    assert re.search(r"e\.g\. 'SKU-1\d{3}'", recs["tokenization-field"]["reason"])
    assert recs["tokenization-field"]["applies"] == "rest-call"
    assert recs["tokenization-field"]["change"] == (
        'PUT /v1/schema/Tuned/properties/sku/index/searchable {"tokenization":"field"}')
    clear(tuned.url)
    outcome = execute(session, r"\optimize Tuned --apply ef-dynamic,vector-cache,filter-acorn "
                               r"--apply tokenization-field --force")
    assert outcome.exit_code == 0, outcome.error
    assert "not applied: tokenization-field is a rest-call change" in messages(outcome)
    assert [(e["method"], e["path"]) for e in mutating_requests(
        httpx.Client(base_url=tuned.url))] == [("PUT", "/v1/schema/Tuned")]
    config = httpx.get(f"{tuned.url}/v1/schema/Tuned").json()["vectorIndexConfig"]
    assert (config["ef"], config["vectorCacheMaxObjects"], config["filterStrategy"]) == (
        -1, 1000, "acorn")


def test_older_servers_get_what_they_can_do(tuned: Sandbox) -> None:
    tuned.app.version = "1.31.2"
    session = make_session(tuned.url)
    recs = recommendations(execute(session, r"\optimize Tuned --node-memory 256KiB"))
    assert "filter-acorn" not in recs  # ACORN is v1.34+
    assert "compress-sq" in recs and not any(r.startswith("compress-rq") for r in recs)
    # property settings before the v1.39 reindex API: a copy with the whole property list
    rec = recs["tokenization-field"]
    assert rec["applies"] == "copy"
    words = tokenize(rec["command"])
    path, value = class_paths.parse_assignment(words[words.index("--set") + 1])
    assert path == "properties"
    assert [(p["name"], p["tokenization"]) for p in value if p["dataType"] == ["text"]] == [
        ("sku", "field")]


def test_the_audit_records_the_run(demo_session: Session) -> None:
    audit = MemoryAuditLog()
    execute(demo_session, r"\optimize Article", audit)
    [entry] = audit.entries()
    assert (entry["command"], entry["status"], entry["destructive"]) == ("optimize", "ok", False)


def test_applying_to_a_protected_collection_needs_allow_protected(sandbox: Sandbox) -> None:
    create(sandbox.url, {"class": "Jobs_SYSTEM"})
    shard = httpx.get(f"{sandbox.url}/v1/schema/Jobs_SYSTEM/shards").json()[0]["name"]
    httpx.put(f"{sandbox.url}/v1/schema/Jobs_SYSTEM/shards/{shard}",
              json={"status": "READONLY"}).raise_for_status()
    clear(sandbox.url)
    session = make_session(sandbox.url)
    refused = execute(session, r"\optimize Jobs_SYSTEM --apply shard-readonly --force")
    assert refused.exit_code == 4 and "Jobs_SYSTEM is protected" in refused.error.message
    assert mutating_requests(httpx.Client(base_url=sandbox.url)) == []
    applied = execute(session, r"\optimize Jobs_SYSTEM --apply shard-readonly --force "
                               "--allow-protected")
    assert applied.exit_code == 0, applied.error
    assert httpx.get(f"{sandbox.url}/v1/schema/Jobs_SYSTEM/shards").json()[0]["status"] == "READY"
