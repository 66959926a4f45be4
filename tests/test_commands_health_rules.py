"""``\\health`` rules the sandbox cannot trigger with a faithful REST call, on answers shaped
as Weaviate sends them (REST-BEHAVIOUR.md §9.1, §9.2): compression configured but not
applied (H9), under-replication (H10), RAFT not converged (H3), loading shards (H8), and
a source that answers with an error.
"""

from __future__ import annotations

from typing import Any

from commands.ops.health import cluster, data, replication
from commands.ops.health.model import Check, Evidence, Status, Unread, rows, verdict


def shard(name: str = "s1", cls: str = "Article", **fields: Any) -> dict[str, Any]:
    return {"name": name, "class": cls, "objectCount": 10, "vectorIndexingStatus": "READY",
            "vectorQueueLength": 0, "compressed": False, "loaded": True,
            "asyncReplicationStatus": [], "replicationFactor": 1, "numberOfReplicas": 1,
            **fields}


def node(name: str, shards: list[dict[str, Any]], async_indexing: bool = False,
         **fields: Any) -> dict[str, Any]:
    batch = {"ratePerSecond": 0} if async_indexing else {"queueLength": 0, "ratePerSecond": 0}
    return {"name": name, "status": "HEALTHY", "version": "1.39.0", "gitHash": "22948b7",
            "operationalMode": "ReadWrite", "batchStats": batch,
            "stats": {"objectCount": sum(s["objectCount"] for s in shards),
                      "shardCount": len(shards)}, "shards": shards or None, **fields}


def hnsw(quantizer: str | None = None, **settings: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"distance": "cosine"}
    if quantizer:
        config[quantizer] = {"enabled": True, **settings}
    return {"class": "Article", "vectorizer": "none", "vectorIndexType": "hnsw",
            "vectorIndexConfig": config, "replicationConfig": {"factor": 1}}


def found(checks: list[Check], name: str) -> Check:
    [check] = [c for c in checks if c.check == name]
    return check


# --- H9 compression ----------------------------------------------------------------------------

def compression(cls: dict[str, Any], objects: int, async_indexing: bool) -> Check:
    evidence = Evidence(nodes=[node("node1", [shard(objectCount=objects)], async_indexing)],
                        classes=[cls])
    return found(data.checks(evidence), "compression")


def test_pq_past_its_training_limit_but_not_compressed_warns() -> None:
    check = compression(hnsw("pq", trainingLimit=1000), 5000, async_indexing=True)
    assert check.status is Status.WARN
    assert check.evidence == "configured but not applied on 1 shard replica: Article/s1"
    assert "vector compression failed" in check.hint
    [item] = check.items
    assert (item.check, item.evidence) == ("shard Article/s1",
                                           "pq configured, not compressed on node1 (5,000 objects)")


def test_pq_below_its_training_limit_with_async_indexing_is_normal() -> None:
    check = compression(hnsw("pq", trainingLimit=1000), 500, async_indexing=True)
    assert (check.status, check.evidence) == (Status.OK, "applied where configured (Article)")
    # The default training limit is 100,000.
    assert compression(hnsw("sq"), 99_999, async_indexing=True).status is Status.OK


def test_pq_without_async_indexing_and_rq_compress_at_once() -> None:
    assert compression(hnsw("pq", trainingLimit=1000), 10, async_indexing=False).status \
        is Status.WARN
    assert compression(hnsw("rq"), 10, async_indexing=True).status is Status.WARN
    assert compression(hnsw("rq"), 0, async_indexing=True).status is Status.OK


def test_no_compression_configured() -> None:
    check = compression(hnsw(), 5000, async_indexing=False)
    assert (check.status, check.evidence) == (Status.OK, "no vector compression configured")


# --- H10 replicas ------------------------------------------------------------------------------

def test_fewer_replicas_than_the_factor_is_critical() -> None:
    cls = {**hnsw(), "replicationConfig": {"factor": 3}}
    short = shard(replicationFactor=3, numberOfReplicas=2)
    evidence = Evidence(nodes=[node("node1", [short]), node("node2", [short]),
                               node("node3", [])], classes=[cls])
    checks = data.checks(evidence)
    replicas = found(checks, "replicas")
    assert replicas.status is Status.CRIT
    assert replicas.evidence == "1 shard under-replicated: Article/s1"
    assert "POST /v1/replication/replicate" in replicas.hint
    assert [(i.check, i.evidence) for i in replicas.items] == [
        ("shard Article/s1", "2 replicas of factor 3")]
    assert verdict(checks) == "critical"


def test_a_shard_no_node_reports_while_every_node_answers_warns() -> None:
    """With no node down, a filtered verbose /v1/nodes (RBAC) is likelier than lost data."""
    cls = {**hnsw(), "shardingConfig": {"actualCount": 2}}
    evidence = Evidence(nodes=[node("node1", [shard("s1")]), node("node2", [])],
                        classes=[cls])
    reach = found(data.checks(evidence), "reachable shards")
    assert (reach.status, reach.evidence) == (
        Status.WARN, "1 shard not reported by any node, though every node answers "
                     "(Article 1 of 2)")
    assert "RBAC" in reach.hint
    evidence.collection, evidence.shards = "Article", [{"name": "s1"}, {"name": "s2"}]
    reach = found(data.checks(evidence), "reachable shards")
    assert reach.evidence == ("1 of 2 shards of Article is not reported by any node, though "
                              "every node answers")
    assert [i.check for i in reach.items] == ["shard Article/s2"]


# --- H3 RAFT -----------------------------------------------------------------------------------

def stats(name: str, state: str, leader: str, applied: str = "42", pending: str = "0",
          status: str = "HEALTHY") -> dict[str, Any]:
    return {"name": name, "status": status, "leaderId": leader, "ready": True,
            "raft": {"state": state, "appliedIndex": applied, "fsmPending": pending,
                     "latestConfiguration": [{"id": n, "suffrage": 0}
                                             for n in ("node1", "node2", "node3")]}}


def raft(entries: list[dict[str, Any]], synchronized: bool) -> Check:
    evidence = Evidence(statistics={"statistics": entries, "synchronized": synchronized})
    return cluster.check_raft(evidence)


def test_raft_two_leaders_and_disagreement_are_critical() -> None:
    check = raft([stats("node1", "Leader", "node1"), stats("node2", "Leader", "node2"),
                  stats("node3", "Follower", "node1")], synchronized=True)
    assert check.status is Status.CRIT
    assert check.evidence == ("nodes disagree on the leader (node1, node2); "
                              "2 leaders (node1, node2)")
    assert "8300" in check.hint


def test_raft_not_synchronized_names_the_applied_indexes() -> None:
    check = raft([stats("node1", "Leader", "node1", "42"),
                  stats("node2", "Follower", "node1", "40"),
                  stats("node3", "Follower", "node1", "42")], synchronized=False)
    assert check.status is Status.CRIT
    assert check.evidence == "not synchronized (appliedIndex node1 42, node2 40, node3 42)"


def test_raft_unreachable_leader_and_pending_entries() -> None:
    down = {"name": "node1", "status": "UNAVAILABLE"}
    check = raft([down, stats("node2", "Follower", "node1"),
                  stats("node3", "Follower", "node1")], synchronized=False)
    assert check.evidence == "not synchronized (node1 UNAVAILABLE); the leader node1 did not report"
    pending = raft([stats("node1", "Leader", "node1"), stats("node2", "Follower", "node1",
                                                              pending="7")], synchronized=True)
    assert pending.status is Status.INFO  # one sample cannot tell stuck from draining
    assert pending.evidence == "synchronized, leader node1, 2 members; fsmPending node2 7"


# --- H8 loading, unreadable sources, --detailed -----------------------------------------------

def test_loading_shards_are_info_and_never_degrade() -> None:
    evidence = Evidence(nodes=[node("node1", [shard(vectorIndexingStatus="LAZY_LOADING")])],
                        classes=[hnsw()])
    checks = data.checks(evidence)
    loading = found(checks, "loading")
    assert (loading.status, loading.evidence) == (
        Status.INFO, "1 shard replica loading: Article/s1")
    assert verdict(checks) == "healthy"


def test_a_source_answering_with_an_error_becomes_a_critical_row() -> None:
    evidence = Evidence(ready=200, meta={"modules": {}}, nodes=None, errors={
        "nodes": Unread(500, "GET /v1/nodes answered 500: boom"),
        "statistics": Unread(403, "GET /v1/cluster/statistics answered 403: forbidden")})
    checks = cluster.checks(evidence)
    assert found(checks, "nodes").evidence == "GET /v1/nodes answered 500: boom"
    assert found(checks, "nodes").status is Status.CRIT
    raft = found(checks, "raft")  # refused: not a fact about the cluster, so only a warning
    assert (raft.status, raft.evidence) == (
        Status.WARN, "not checked: GET /v1/cluster/statistics answered 403: forbidden")
    assert "a key allowed to read" in raft.hint
    assert found(checks, "membership").status is Status.INFO
    assert data.checks(evidence) == []  # nothing to judge the data by


def test_detailed_rows_replace_summaries_that_have_items() -> None:
    item = Check("node node1", Status.OK, "HEALTHY")
    summary = Check("nodes", Status.OK, "1 node HEALTHY", items=(item,))
    plain = Check("ready", Status.OK, "200")
    assert rows([plain, summary], detailed=False) == [plain, summary]
    assert rows([plain, summary], detailed=True) == [plain, item]


def test_a_failing_module_is_critical_for_the_collections_vectorizing_with_it() -> None:
    failing = {"text2vec-transformers": {"error": "connection refused"},
               "backup-filesystem": {"backupsPath": "/b"}}
    named = {"class": "Doc", "vectorConfig": {"body": {
        "vectorizer": {"text2vec-transformers": {}}, "vectorIndexType": "hnsw"}}}
    check = cluster.check_modules(Evidence(meta={"modules": failing},
                                           classes=[hnsw(), named]))
    assert (check.status, check.evidence) == (
        Status.CRIT, "text2vec-transformers failing (used by Doc)")
    [item] = check.items
    assert item.evidence == "connection refused (used by Doc)"
    alone = cluster.check_modules(Evidence(meta={"modules": failing}, classes=[hnsw()]))
    assert alone.status is Status.WARN


# --- H12 async replication ---------------------------------------------------------------------

NOW = 1_800_000_000_000


def async_check(started_ms_ago: list[int], factor: int = 3,
                frequency: int | None = None) -> Check | None:
    statuses = [{"targetNode": f"node{i + 2}", "objectsPropagated": 0,
                 "startDiffTimeUnixMillis": NOW - ago} for i, ago in enumerate(started_ms_ago)]
    cls = {**hnsw(), "replicationConfig": {"factor": factor, "asyncConfig": (
        {"frequency": frequency} if frequency else {})}}
    evidence = Evidence(nodes=[node("node1", [shard(replicationFactor=factor,
                                                    numberOfReplicas=factor,
                                                    asyncReplicationStatus=statuses)])],
                        classes=[cls], read_at_ms=NOW)
    return replication.check_async(evidence)


def test_async_replication_that_stopped_comparing_warns() -> None:
    check = async_check([400_000, 320_000])
    assert check.status is Status.WARN
    assert check.evidence == "stalled on 1 shard replica: Article/s1"
    [item] = check.items
    assert item.evidence == "on node1: last comparison began 320 s ago (every 30 s)"
    assert "ASYNC_REPLICATION_DISABLED" in item.hint


def test_async_replication_comparing_recently_or_not_judged() -> None:
    assert async_check([5_000, 400_000]).status is Status.OK  # the latest one counts
    assert async_check([400_000], frequency=60_000).status is Status.OK  # ten periods: 600 s
    assert async_check([], factor=3) is None  # no status: off or not run yet
    assert async_check([400_000], factor=1) is None


def test_an_unreadable_shard_status_is_its_own_row_unless_the_schema_failed_too() -> None:
    evidence = Evidence(nodes=[node("node1", [shard()])], classes=[hnsw()],
                        collection="Article",
                        errors={"shards": Unread(500, "GET /v1/schema/Article/shards answered "
                                                      "500: boom")})
    assert found(data.checks(evidence), "shard status").status is Status.CRIT
    evidence.errors["schema"] = Unread(503, "GET /v1/schema/Article answered 503: write-only")
    names = [c.check for c in data.checks(evidence)]
    assert "schema" in names and "shard status" not in names
