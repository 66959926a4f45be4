"""The sandbox's ``/v1/replication/*`` over HTTP on a 3-node cluster: Weaviate's op states,
validation errors and status codes, the sharding state, scale plans, and the
REPLICA_MOVEMENT_ENABLED switch."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox
from sandbox.__main__ import build_parser

NODES = ["node1", "node2", "node3"]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as server:
        yield server


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sb.url) as client:
        client.post("/v1/schema", json={"class": "Article",
                                        "shardingConfig": {"desiredCount": 2}}).raise_for_status()
        yield client


def pace(http: httpx.Client, step_ms: float) -> None:
    http.put("/__sandbox/replication", json={"step_ms": step_ms}).raise_for_status()


def replicas(http: httpx.Client) -> dict[str, list[str]]:
    state = http.get("/v1/replication/sharding-state", params={"collection": "Article"}).json()
    assert state["shardingState"]["collection"] == "Article"
    return {s["shard"]: s["replicas"] for s in state["shardingState"]["shards"]}


def first_shard(http: httpx.Client) -> tuple[str, str, str]:
    """A shard, the node holding it and a node that does not."""
    shard, nodes = sorted(replicas(http).items())[0]
    return shard, nodes[0], next(n for n in NODES if n not in nodes)


def settle(http: httpx.Client, op_id: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        op = http.get(f"/v1/replication/replicate/{op_id}",
                      params={"includeHistory": "true"}).json()
        if op["status"]["state"] in ("READY", "CANCELLED") or time.monotonic() > deadline:
            return op
        time.sleep(0.01)


def node_shards(http: httpx.Client) -> dict[str, set[str]]:
    nodes = http.get("/v1/nodes", params={"output": "verbose"}).json()["nodes"]
    return {n["name"]: {s["name"] for s in n["shards"] or []} for n in nodes}


def test_a_move_walks_weaviate_states_and_moves_the_replica(http: httpx.Client) -> None:
    pace(http, 20)
    shard, source, target = first_shard(http)
    answer = http.post("/v1/replication/replicate", json={
        "collection": "article", "shard": shard, "sourceNode": source, "targetNode": target,
        "type": "MOVE"})
    assert answer.status_code == 200
    op_id = answer.json()["id"]
    op = settle(http, op_id)
    assert op["status"]["state"] == "READY"
    assert [h["state"] for h in op["statusHistory"]] == [
        "REGISTERED", "HYDRATING", "FINALIZING", "INTEGRATING", "DEHYDRATING"]
    assert op["collection"] == "Article" and op["type"] == "MOVE" and op["uncancelable"]
    assert replicas(http)[shard] == [target]
    assert shard in node_shards(http)[target] and shard not in node_shards(http)[source]
    status = http.get("/v1/schema/Article/shards").json()
    assert next(s for s in status if s["name"] == shard)["per_node_status"] == {target: "READY"}
    # without includeHistory there is no statusHistory at all
    assert "statusHistory" not in http.get(f"/v1/replication/replicate/{op_id}").json()


def test_a_copy_keeps_the_source_and_has_no_dehydrating(http: httpx.Client) -> None:
    pace(http, 5)
    shard, source, target = first_shard(http)
    op_id = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).json()["id"]
    op = settle(http, op_id)
    assert op["type"] == "COPY"
    assert "DEHYDRATING" not in [h["state"] for h in op["statusHistory"]]
    assert sorted(replicas(http)[shard]) == sorted([source, target])
    shards = http.get("/v1/nodes", params={"output": "verbose"}).json()["nodes"]
    entry = next(s for n in shards for s in n["shards"] or [] if s["name"] == shard)
    assert entry["numberOfReplicas"] == 2 and entry["replicationFactor"] == 1


def test_progress_is_observable_and_cancel_stops_it(http: httpx.Client) -> None:
    pace(http, 60_000)
    shard, source, target = first_shard(http)
    op_id = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).json()["id"]
    listed = http.get("/v1/replication/replicate/list").json()
    assert [(o["id"], o["status"]["state"]) for o in listed] == [(op_id, "REGISTERED")]
    assert http.post(f"/v1/replication/replicate/{op_id}/cancel").status_code == 204
    assert http.get(f"/v1/replication/replicate/{op_id}").json()["scheduledForCancel"] is True
    pace(http, 1)
    op = settle(http, op_id)
    assert op["status"]["state"] == "CANCELLED"
    assert replicas(http)[shard] == [source]
    assert http.delete(f"/v1/replication/replicate/{op_id}").status_code == 204
    time.sleep(0.01)
    assert http.get(f"/v1/replication/replicate/{op_id}").status_code == 404
    assert http.get(f"/v1/replication/replicate/{op_id}").content == b""


def test_ready_ops_cannot_be_cancelled_but_can_be_deleted(http: httpx.Client) -> None:
    pace(http, 1)
    shard, source, target = first_shard(http)
    op_id = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).json()["id"]
    settle(http, op_id)
    refused = http.post(f"/v1/replication/replicate/{op_id}/cancel")
    assert refused.status_code == 409
    assert refused.json() == {"error": [{"message":
                                         "execute cancel replication: cancellation impossible"}]}
    assert http.delete(f"/v1/replication/replicate/{op_id}").status_code == 204
    unknown = "11111111-1111-1111-1111-111111111111"
    assert http.post(f"/v1/replication/replicate/{unknown}/cancel").status_code == 204
    assert http.delete(f"/v1/replication/replicate/{unknown}").status_code == 204
    bad = http.get("/v1/replication/replicate/not-a-uuid")
    assert bad.status_code == 422 and bad.json()["code"] == 601


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"shard": "x", "sourceNode": "node1", "targetNode": "node2"}, 422,
     "collection in body is required"),
    ({"collection": "Article", "shard": "x", "sourceNode": "node1", "targetNode": "node2",
      "type": "SWAP"}, 422, "type in body should be one of [COPY MOVE]"),
    ({"collection": "Article", "shard": "x", "sourceNode": "node1", "targetNode": "node1"}, 422,
     "invalid request: source and target node are the same: bad request"),
    ({"collection": "Nope", "shard": "x", "sourceNode": "node1", "targetNode": "node2"}, 422,
     "invalid request: collection Nope does not exists: class not found"),
    ({"collection": "Article", "shard": "x", "sourceNode": "node1", "targetNode": "node2"}, 422,
     "invalid request: shard not found"),
])
def test_replicate_validation(http: httpx.Client, body: dict, status: int, message: str) -> None:
    answer = http.post("/v1/replication/replicate", json=body)
    assert answer.status_code == status
    data = answer.json()
    assert (data.get("message") or data["error"][0]["message"]) == message


def test_replicate_refuses_wrong_nodes_and_conflicting_ops(http: httpx.Client) -> None:
    pace(http, 60_000)
    shard, source, target = first_shard(http)
    wrong = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": target, "targetNode": source})
    assert wrong.status_code == 422
    assert wrong.json()["error"][0]["message"] == (
        f"invalid request: could not find shard {shard} for collection Article on source node "
        f"{target}: node not found")
    http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source, "targetNode": target,
        "type": "MOVE"}).raise_for_status()
    third = next(n for n in NODES if n not in (source, target))
    again = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source, "targetNode": third})
    assert again.status_code == 500
    assert again.json()["error"][0]["message"].endswith(
        "shares a source replica and is a MOVE: replica is already being replicated")


def test_list_filters(http: httpx.Client) -> None:
    pace(http, 60_000)
    shard, source, target = first_shard(http)
    http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).raise_for_status()
    listing = "/v1/replication/replicate/list"
    assert len(http.get(listing, params={"collection": "Article", "shard": shard}).json()) == 1
    assert http.get(listing, params={"collection": "Other"}).json() == []
    assert len(http.get(listing, params={"targetNode": target}).json()) == 1
    alone = http.get(listing, params={"shard": shard})
    assert alone.status_code == 400
    assert alone.json()["error"][0]["message"] == "shard id provided without collection id"


def test_sharding_state_errors(http: httpx.Client) -> None:
    state = "/v1/replication/sharding-state"
    missing = http.get(state)
    assert missing.status_code == 400
    assert missing.json()["error"][0]["message"] == "collection is required"
    assert http.get(state, params={"collection": "Nope"}).status_code == 404
    assert http.get(state, params={"collection": "Article", "shard": "x"}).content == b""
    shard = first_shard(http)[0]
    one = http.get(state, params={"collection": "Article", "shard": shard}).json()
    assert [s["shard"] for s in one["shardingState"]["shards"]] == [shard]


def test_scale_plan_and_apply(http: httpx.Client) -> None:
    pace(http, 1)
    plan = http.get("/v1/replication/scale", params={"collection": "Article",
                                                     "replicationFactor": 2}).json()
    assert plan["collection"] == "Article" and len(plan["shardScaleActions"]) == 2
    for shard, action in plan["shardScaleActions"].items():
        assert action["removeNodes"] == []
        [(added, source)] = action["addNodes"].items()
        assert source == replicas(http)[shard][0] and added != source
    applied = http.post("/v1/replication/scale", json=plan).json()
    assert applied["planId"] == plan["planId"] and len(applied["operationIds"]) == 2
    for op_id in applied["operationIds"]:
        assert settle(http, op_id)["status"]["state"] == "READY"
    assert all(len(nodes) == 2 for nodes in replicas(http).values())
    down = http.get("/v1/replication/scale", params={"collection": "Article",
                                                     "replicationFactor": 1}).json()
    assert all(len(a["removeNodes"]) == 1 and a["addNodes"] == {}
               for a in down["shardScaleActions"].values())
    http.post("/v1/replication/scale", json=down).raise_for_status()
    assert all(len(nodes) == 1 for nodes in replicas(http).values())
    # the class's factor is left alone
    assert http.get("/v1/schema/Article").json()["replicationConfig"]["factor"] == 1


def test_scale_errors(http: httpx.Client) -> None:
    scale = "/v1/replication/scale"
    too_many = http.get(scale, params={"collection": "Article", "replicationFactor": 4})
    assert too_many.status_code == 500
    assert too_many.json()["error"][0]["message"] == (
        "failed to execute query: not enough storage replicas: found 3 want 4")
    zero = http.get(scale, params={"collection": "Article", "replicationFactor": 0})
    assert zero.status_code == 400
    assert zero.json()["error"][0]["message"] == "replication factor must be greater than zero"
    missing = http.get(scale, params={"collection": "Article"})
    assert missing.status_code == 422 and missing.json()["code"] == 602
    pace(http, 60_000)
    shard, source, target = first_shard(http)
    http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).raise_for_status()
    plan = http.get(scale, params={"collection": "Article", "replicationFactor": 3}).json()
    busy = http.post(scale, json=plan)
    assert busy.status_code == 500
    assert busy.json()["error"][0]["message"] == (
        'cannot scale while there are ongoing replications for collection "Article"')


def test_replica_movement_switched_off_answers_501_without_body() -> None:
    with Sandbox(nodes=3, replica_movement=False) as off, httpx.Client(base_url=off.url) as c:
        for method, path in (("GET", "/v1/replication/replicate/list"),
                             ("POST", "/v1/replication/replicate"),
                             ("GET", "/v1/replication/sharding-state?collection=A"),
                             ("GET", "/v1/replication/scale?collection=A&replicationFactor=2")):
            answer = c.request(method, path, json={} if method == "POST" else None)
            assert (answer.status_code, answer.content) == (501, b""), path
        # the switch survives a reset, as the server's environment does
        c.post("/__sandbox/reset", json={}).raise_for_status()
        assert c.get("/v1/replication/replicate/list").status_code == 501
        c.put("/__sandbox/replication", json={"enabled": True}).raise_for_status()
        assert c.get("/v1/replication/replicate/list").json() == []
    assert build_parser().parse_args(["--no-replica-movement"]).replica_movement is False


def test_older_servers_know_no_such_paths(http: httpx.Client) -> None:
    for node in NODES:
        http.put(f"/__sandbox/nodes/{node}", json={"version": "1.34.2"}).raise_for_status()
    assert http.get("/v1/replication/replicate/list").status_code == 200
    assert http.get("/v1/replication/scale", params={"collection": "Article",
                                                     "replicationFactor": 2}).status_code == 404
    for node in NODES:
        http.put(f"/__sandbox/nodes/{node}", json={"version": "1.31.0"}).raise_for_status()
    answer = http.get("/v1/replication/replicate/list")
    assert answer.status_code == 404
    assert answer.json()["message"] == "path /v1/replication/replicate/list was not found"


def test_an_op_waits_for_its_target_node(http: httpx.Client) -> None:
    pace(http, 1)
    shard, source, target = first_shard(http)
    nowhere = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source, "targetNode": "node9"})
    assert nowhere.status_code == 200  # registration does not check the target node
    http.put(f"/__sandbox/nodes/{target}", json={"status": "UNAVAILABLE"}).raise_for_status()
    waiting = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).json()["id"]
    time.sleep(0.05)
    ops = {o["targetNode"]: o["status"]["state"]
           for o in http.get("/v1/replication/replicate/list").json()}
    assert ops == {"node9": "REGISTERED", target: "REGISTERED"}
    http.put(f"/__sandbox/nodes/{target}", json={"status": "HEALTHY"}).raise_for_status()
    assert settle(http, waiting)["status"]["state"] == "READY"
    assert "node9" not in replicas(http)[shard]


def test_scale_down_keeps_the_class_factor(http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Twice", "replicationConfig": {"factor": 2},
                                  "shardingConfig": {"desiredCount": 1}}).raise_for_status()
    plan = http.get("/v1/replication/scale", params={"collection": "Twice",
                                                     "replicationFactor": 1}).json()
    [(shard, action)] = plan["shardScaleActions"].items()
    [node] = action["removeNodes"]
    refused = http.post("/v1/replication/scale", json=plan)
    assert refused.status_code == 500
    assert refused.json()["error"][0]["message"] == (
        f'delete replica "{node}" from shard "{shard}": unable to delete replica from shard, '
        "minimum replication factor 2")


def test_force_delete(http: httpx.Client) -> None:
    pace(http, 60_000)
    shard, source, target = first_shard(http)
    op_id = http.post("/v1/replication/replicate", json={
        "collection": "Article", "shard": shard, "sourceNode": source,
        "targetNode": target}).json()["id"]
    force = "/v1/replication/replicate/force-delete"
    assert http.post(force, json={"collection": "Article", "dryRun": True}).json() == {
        "deleted": [op_id], "dryRun": True}
    assert http.post(force, json={"shard": shard}).status_code == 400
    assert http.post(force, json={"collection": "Article"}).json() == {}
    assert http.get("/v1/replication/replicate/list").json() == []
    unknown = "11111111-1111-1111-1111-111111111111"
    assert http.post(force, json={"id": unknown}).json() == {"deleted": [unknown]}
    http.put("/__sandbox/replication", json={"enabled": False})
    off = http.post(force, json={})
    assert off.status_code == 501 and off.json()["code"] == 501
