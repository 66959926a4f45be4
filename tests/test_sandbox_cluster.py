"""Nodes, cluster statistics and shard status on a simulated 3-node cluster (§6.1, §9)."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_schema import require_spec, validate

from sandbox import Sandbox


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


def ok(response: httpx.Response) -> Any:
    """The body of a 200, validated against the spec's schema for the operation."""
    assert response.status_code == 200, response.text
    validate(response)
    return response.json()


def add_objects(http: httpx.Client, cls: str, n: int, tenant: str | None = None) -> None:
    objects = [{"class": cls, "id": str(uuid.uuid4()), "properties": {"title": f"t{i}"},
                **({"tenant": tenant} if tenant else {})} for i in range(n)]
    result = http.post("/v1/batch/objects", json={"objects": objects})
    assert result.status_code == 200
    assert all(r["result"].get("status") == "SUCCESS" for r in result.json())


@pytest.fixture
def articles(http: httpx.Client) -> list[str]:
    """``Article``: 3 shards, replication factor 2, 30 objects; returns the shard names."""
    created = http.post("/v1/schema", json={
        "class": "Article", "properties": [{"name": "title", "dataType": ["text"]}],
        "replicationConfig": {"factor": 2}, "shardingConfig": {"desiredCount": 3}})
    assert created.status_code == 200, created.text
    add_objects(http, "Article", 30)
    return sorted(s["name"] for s in http.get("/v1/schema/Article/shards").json())


def test_minimal_output_lists_every_node_without_shards(http: httpx.Client, sb: Sandbox,
                                                        articles: list[str]) -> None:
    nodes = ok(http.get("/v1/nodes"))["nodes"]
    assert [n["name"] for n in nodes] == ["node1", "node2", "node3"]
    for node in nodes:
        assert node["shards"] is None and "stats" not in node
        assert node["status"] == "HEALTHY" and node["operationalMode"] == "ReadWrite"
        assert node["version"] == sb.app.version == http.get("/v1/meta").json()["version"]
        assert node["batchStats"]["queueLength"] == 0
        assert node["batchStats"]["ratePerSecond"] > 0  # the fixture's batch, on every node
        assert len(node["gitHash"]) == 7
    assert ok(http.get("/v1/nodes", params={"output": "minimal"}))["nodes"] == nodes


def test_verbose_places_every_shard_on_factor_nodes(http: httpx.Client,
                                                    articles: list[str]) -> None:
    nodes = ok(http.get("/v1/nodes", params={"output": "verbose"}))["nodes"]
    replicas = Counter(s["name"] for n in nodes for s in n["shards"])
    assert sorted(replicas) == articles and set(replicas.values()) == {2}
    per_shard: dict[str, int] = {}
    for node in nodes:
        shards = node["shards"]
        assert [s["name"] for s in shards] == sorted(s["name"] for s in shards)
        assert node["stats"] == {"objectCount": sum(s["objectCount"] for s in shards),
                                 "shardCount": len(shards)}
        for shard in shards:
            assert shard["class"] == "Article" and shard["loaded"] is True
            assert shard["replicationFactor"] == shard["numberOfReplicas"] == 2
            assert shard["vectorIndexingStatus"] == "READY" and shard["compressed"] is False
            assert shard["asyncReplicationStatus"] == [] and shard["vectorQueueLength"] == 0
            assert per_shard.setdefault(shard["name"], shard["objectCount"]) == \
                shard["objectCount"]  # every replica reports the same count
    assert sum(per_shard.values()) == 30
    assert sum(n["stats"]["shardCount"] for n in nodes) == 6


def test_lowering_the_factor_drops_replicas(http: httpx.Client, articles: list[str]) -> None:
    cls = http.get("/v1/schema/Article").json()
    cls["replicationConfig"]["factor"] = 1
    assert http.put("/v1/schema/Article", json=cls).status_code == 200
    nodes = ok(http.get("/v1/nodes", params={"output": "verbose"}))["nodes"]
    shards = [s for n in nodes for s in n["shards"] or []]
    assert sorted(s["name"] for s in shards) == articles  # each shard on one node now
    assert {(s["replicationFactor"], s["numberOfReplicas"]) for s in shards} == {(1, 1)}
    assert sum(s["objectCount"] for s in shards) == 30
    status = http.get("/v1/schema/Article/shards").json()
    assert {len(s["per_node_status"]) for s in status} == {1}
    cls["replicationConfig"]["factor"] = 2
    raised = http.put("/v1/schema/Article", json=cls)
    assert raised.status_code == 422 and "not enough replicas in shard" in message(raised)


def test_shards_sort_by_class_then_name(http: httpx.Client, articles: list[str]) -> None:
    http.post("/v1/schema", json={"class": "Book", "shardingConfig": {"desiredCount": 3}})
    for node in ok(http.get("/v1/nodes", params={"output": "verbose"}))["nodes"]:
        keys = [(s["class"], s["name"]) for s in node["shards"]]
        assert keys == sorted(keys) and {k[0] for k in keys} == {"Article", "Book"}


def test_class_filter_and_shard_name(http: httpx.Client, articles: list[str]) -> None:
    http.post("/v1/schema", json={"class": "Book"})
    nodes = ok(http.get("/v1/nodes/article", params={"output": "verbose"}))["nodes"]
    assert {s["class"] for n in nodes for s in n["shards"] or []} == {"Article"}
    one = ok(http.get("/v1/nodes/Article", params={"output": "verbose",
                                                   "shardName": articles[0]}))["nodes"]
    holders = [n for n in one if n["shards"]]
    assert len(holders) == 2 and all([s["name"] for s in n["shards"]] == [articles[0]]
                                     for n in holders)
    (idle,) = [n for n in one if not n["shards"]]
    assert idle["shards"] is None and idle["stats"] == {"objectCount": 0, "shardCount": 0}
    assert ok(http.get("/v1/nodes/Article"))["nodes"][0]["shards"] is None


def test_errors_are_error_responses(http: httpx.Client, articles: list[str]) -> None:
    bad = http.get("/v1/nodes", params={"output": "x"})
    assert bad.status_code == 422
    assert message(bad) == 'invalid output: "x", possible values are: "minimal", "verbose"'
    assert http.get("/v1/nodes/Foo", params={"output": "x"}).status_code == 422
    assert http.get("/v1/nodes", params={"output": ""}).status_code == 422
    missing = http.get("/v1/nodes/foo", params={"output": "verbose"})
    assert missing.status_code == 404 and message(missing) == 'class "Foo" not found'
    validate(missing)


def test_tenants_only_active_ones_are_on_nodes(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True},
                                  "properties": [{"name": "title", "dataType": ["text"]}]})
    http.post("/v1/schema/Ticket/tenants", json=[{"name": "hot"}, {"name": "cold"}])
    add_objects(http, "Ticket", 4, tenant="hot")
    add_objects(http, "Ticket", 2, tenant="cold")
    http.put("/v1/schema/Ticket/tenants", json=[{"name": "cold", "activityStatus": "COLD"}])
    nodes = ok(http.get("/v1/nodes/Ticket", params={"output": "verbose"}))["nodes"]
    shards = [s for n in nodes for s in n["shards"] or []]
    assert [(s["name"], s["objectCount"], s["numberOfReplicas"]) for s in shards] == \
        [("hot", 4, 1)]
    assert sum(n["stats"]["objectCount"] for n in nodes) == 4


def test_compressed_follows_the_quantizer(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Pq", "vectorIndexConfig": {"pq": {"enabled": True}}})
    http.post("/v1/schema", json={"class": "Named", "vectorConfig": {
        "a": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"},
        "b": {"vectorizer": {"none": {}}, "vectorIndexType": "flat",
              "vectorIndexConfig": {"bq": {"enabled": True}}}}})
    http.post("/v1/schema", json={"class": "Plain"})
    nodes = ok(http.get("/v1/nodes", params={"output": "verbose"}))["nodes"]
    flags = {s["class"]: s["compressed"] for n in nodes for s in n["shards"]}
    assert flags == {"Named": True, "Pq": True, "Plain": False}


def test_cluster_statistics(http: httpx.Client) -> None:
    body = http.get("/v1/cluster/statistics")
    assert body.status_code == 200
    # The spec types leaderId, leaderAddress and raft.latestConfiguration as ``object``,
    # which go-swagger turns into ``interface{}`` (entities/models/statistics.go,
    # raft_statistics.go); Weaviate fills them with raft.ServerID/ServerAddress strings
    # and a list of {address, id, suffrage} (cluster/store.go ``Stats``), which is also
    # what the Python client parses. Only those three fields are relaxed here.
    spec = require_spec()
    definitions = copy.deepcopy(spec["definitions"])
    for name, prop in (("Statistics", "leaderId"), ("Statistics", "leaderAddress"),
                       ("RaftStatistics", "latestConfiguration")):
        definitions[name]["properties"][prop] = {}
    jsonschema.Draft4Validator({"$ref": "#/definitions/ClusterStatisticsResponse",
                                "definitions": definitions}).validate(body.json())
    stats = body.json()
    assert stats["synchronized"] is True
    assert [s["name"] for s in stats["statistics"]] == ["node1", "node2", "node3"]
    states = [s["raft"]["state"] for s in stats["statistics"]]
    assert states == ["Leader", "Follower", "Follower"]
    for node in stats["statistics"]:
        assert node["leaderId"] == "node1" and node["status"] == "HEALTHY"
        assert node["ready"] and node["isVoter"] and node["open"] and node["dbLoaded"]
        assert all(isinstance(v, str) for k, v in node["raft"].items()
                   if k != "latestConfiguration")
        assert [m["id"] for m in node["raft"]["latestConfiguration"]] == \
            ["node1", "node2", "node3"]
        assert node["raft"]["numPeers"] == "2"
    assert len({s["raft"]["appliedIndex"] for s in stats["statistics"]}) == 1


def test_shard_status_lists_replica_nodes(http: httpx.Client, sb: Sandbox,
                                          articles: list[str]) -> None:
    shards = ok(http.get("/v1/schema/article/shards"))
    assert sorted(s["name"] for s in shards) == articles
    col = sb.app.db.collections["Article"]
    for shard in shards:
        assert shard["status"] == "READY" and shard["vectorQueueSize"] == 0
        assert shard["per_node_status"] == dict.fromkeys(sorted(col.placement[shard["name"]]),
                                                         "READY")
    http.post("/v1/aliases", json={"alias": "Posts", "class": "Article"})
    assert ok(http.get("/v1/schema/Posts/shards")) == shards
    missing = http.get("/v1/schema/Nope/shards")
    assert missing.status_code == 404
    assert message(missing) == "cannot get shards status for a non-existing index for Nope: " \
                               "not found"


def test_shard_status_of_tenants(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True}})
    http.post("/v1/schema/Ticket/tenants", json=[{"name": "t1"}, {"name": "t2"}])
    assert sorted(s["name"] for s in ok(http.get("/v1/schema/Ticket/shards"))) == ["t1", "t2"]
    (one,) = ok(http.get("/v1/schema/Ticket/shards", params={"tenant": "t2"}))
    assert one["name"] == "t2" and len(one["per_node_status"]) == 1
    assert ok(http.get("/v1/schema/Ticket/shards", params={"tenant": "t9"})) == []
    put = http.put("/v1/schema/Ticket/shards/t1", json={"status": "READONLY"})
    assert ok(put) == {"status": "READONLY"}
    (t1,) = http.get("/v1/schema/Ticket/shards", params={"tenant": "t1"}).json()
    assert t1["status"] == "READONLY"


def test_readonly_round_trip_blocks_writes(http: httpx.Client, sb: Sandbox,
                                           articles: list[str]) -> None:
    col = sb.app.db.collections["Article"]
    put = http.put(f"/v1/schema/Article/shards/{articles[0]}", json={"status": "readonly"})
    assert ok(put) == {"status": "readonly"}  # the request body, echoed as sent
    assert col.shard_status[articles[0]] == "READONLY"
    listed = {s["name"]: s for s in http.get("/v1/schema/Article/shards").json()}
    assert listed[articles[0]]["status"] == "READONLY"
    assert set(listed[articles[0]]["per_node_status"].values()) == {"READONLY"}
    assert listed[articles[1]]["status"] == "READY"
    statuses = {s["name"]: s["vectorIndexingStatus"] for n in http.get(
        "/v1/nodes", params={"output": "verbose"}).json()["nodes"] for s in n["shards"]}
    assert statuses[articles[0]] == "READONLY" and statuses[articles[1]] == "READY"

    ids = [str(uuid.uuid4()) for _ in range(40)]
    target = next(i for i in ids if col.shard_of(i, None) == articles[0])
    shard, read_only = articles[0], "store is read-only due to: manually set by user"
    refused = http.post("/v1/objects", json={"class": "Article", "id": target})
    assert refused.status_code == 500 and message(refused) == (
        f'put object: import into index article: put local object: shard="{shard}": {read_only}')
    batch = http.post("/v1/batch/objects", json={"objects": [{"class": "Article", "id": target}]})
    assert batch.json()[0]["result"]["errors"]["error"][0]["message"] == read_only
    ok(http.put(f"/v1/schema/Article/shards/{shard}", json={"status": "READY"}))
    assert http.post("/v1/objects", json={"class": "Article", "id": target}).status_code == 200
    ok(http.put(f"/v1/schema/Article/shards/{shard}", json={"status": "READONLY"}))
    replaced = http.put(f"/v1/objects/Article/{target}", json={"class": "Article", "id": target})
    assert replaced.status_code == 500 and message(replaced).startswith("put object: ")
    patched = http.patch(f"/v1/objects/Article/{target}", json={"properties": {}})
    assert patched.status_code == 500 and message(patched) == (
        "msg:repo.merge code:500 err:merge into index article: update local object: "
        f'shard="{shard}": {read_only}')
    deleted = http.delete(f"/v1/objects/Article/{target}")
    assert deleted.status_code == 500 and message(deleted) == (
        'could not delete object from vector repo: delete from index "article": delete local '
        f'object: shard="{shard}": {read_only}')
    where = {"path": ["id"], "operator": "Equal", "valueText": target}
    by_filter = http.request("DELETE", "/v1/batch/objects", json={
        "match": {"class": "Article", "where": where}, "output": "verbose"}).json()["results"]
    assert (by_filter["failed"], by_filter["objects"][0]["errors"]["error"][0]["message"]) == \
        (1, read_only)
    assert http.get(f"/v1/objects/Article/{target}").status_code == 200


def test_shard_update_errors(http: httpx.Client, articles: list[str]) -> None:
    prefix = "updating db: TYPE_UPDATE_SHARD_STATUS: "
    unknown = http.put("/v1/schema/Article/shards/nope", json={"status": "bogus"})
    assert ok(unknown) == {"status": "bogus"}  # no replica owns it: a no-op
    invalid = http.put(f"/v1/schema/Article/shards/{articles[0]}", json={"status": "bogus"})
    assert invalid.status_code == 500
    assert message(invalid) == f"{prefix}bogus: invalid storage status"
    missing = http.put(f"/v1/schema/nope/shards/{articles[0]}", json={"status": "READY"})
    assert missing.status_code == 404
    assert message(missing) == f"{prefix}cannot update shard status to a non-existing index " \
                               "for Nope: not found"
    http.post("/v1/aliases", json={"alias": "Posts", "class": "Article"})
    assert http.put(f"/v1/schema/Posts/shards/{articles[0]}",
                    json={"status": "READY"}).status_code == 404  # no alias resolution
    for response in (invalid, missing):
        validate(response)
    empty = http.put(f"/v1/schema/Article/shards/{articles[0]}")
    assert empty.status_code == 422 and empty.json()["code"] == 602
    assert http.put(f"/v1/schema/Article/shards/{articles[0]}", json=[]).status_code == 400


def test_shard_update_errors_before_1_38(http: httpx.Client, sb: Sandbox,
                                         articles: list[str]) -> None:
    """Up to 1.38.2 every failure is a 422 and an unknown shard is an error."""
    sb.app.version = "1.32.9"
    prefix = "updating db: TYPE_UPDATE_SHARD_STATUS: "
    unknown = http.put("/v1/schema/Article/shards/nope", json={"status": "READY"})
    assert unknown.status_code == 422
    assert message(unknown) == f'{prefix}class Article has no physical shard "nope": ' \
                               "shard not found"
    invalid = http.put(f"/v1/schema/Article/shards/{articles[0]}", json={"status": "bogus"})
    assert (invalid.status_code, message(invalid)) == (422, f"{prefix}bogus: invalid storage "
                                                            "status")
    missing = http.put(f"/v1/schema/Nope/shards/{articles[0]}", json={"status": "READY"})
    assert (missing.status_code, message(missing)) == (
        422, f"{prefix}cannot update shard status to a non-existing index for Nope")
    gone = http.get("/v1/schema/Nope/shards")
    assert message(gone) == "cannot get shards status for a non-existing index for Nope"
