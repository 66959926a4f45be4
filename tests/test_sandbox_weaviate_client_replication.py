"""The official weaviate-client's REST calls for shard status and replica movement against
a 3-node sandbox: ``collection.config.get_shards`` / ``update_shards``,
``cluster.replicate``, ``cluster.query_sharding_state`` and ``cluster.replications``
(get, list_all, query, cancel, delete, delete_all)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

weaviate = pytest.importorskip(
    "weaviate", reason="weaviate-client is a test-only dependency (pip install -e .[test])")

import test_sandbox_weaviate_client as base  # noqa: E402
from weaviate import WeaviateClient  # noqa: E402
from weaviate.cluster.models import ReplicationType  # noqa: E402
from weaviate.exceptions import UnexpectedStatusCodeError  # noqa: E402

from sandbox import Sandbox  # noqa: E402

NODES = ["node1", "node2", "node3"]


connect = base.connect  # the shared fixtures: REST-only clients, gRPC pointed at a dead port
dead_grpc_port = base.dead_grpc_port


@pytest.fixture
def three() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as server:
        httpx.put(f"{server.url}/__sandbox/replication", json={"step_ms": 5})
        yield server


@pytest.fixture
def wv(three: Sandbox, connect: base.Connect) -> WeaviateClient:
    client = connect(three)
    client.collections.create_from_dict({"class": "Article",
                                         "shardingConfig": {"desiredCount": 2}})
    return client


def a_move(wv: WeaviateClient) -> tuple[str, str, str]:
    state = wv.cluster.query_sharding_state(collection="Article")
    shard = sorted(state.shards, key=lambda s: s.name)[0]
    return shard.name, shard.replicas[0], next(n for n in NODES if n not in shard.replicas)


def settled(wv: WeaviateClient, op_id) -> object:
    deadline = time.monotonic() + 5
    while True:
        op = wv.cluster.replications.get(uuid=op_id, include_history=True)
        if op.status.state.value in ("READY", "CANCELLED") or time.monotonic() > deadline:
            return op
        time.sleep(0.01)


def test_shards_status_get_and_update(wv: WeaviateClient) -> None:
    articles = wv.collections.get("Article")
    shards = articles.config.get_shards()
    assert len(shards) == 2 and {s.status for s in shards} == {"READY"}
    updated = articles.config.update_shards("READONLY")
    assert set(updated.values()) == {"READONLY"}
    assert {s.status for s in articles.config.get_shards()} == {"READONLY"}
    one = shards[0].name
    assert articles.config.update_shards("READY", shard_names=one) == {one: "READY"}
    statuses = {s.name: s.status for s in articles.config.get_shards()}
    assert statuses[one] == "READY" and list(statuses.values()).count("READONLY") == 1


def test_replicate_move_and_sharding_state(wv: WeaviateClient) -> None:
    shard, source, target = a_move(wv)
    op_id = wv.cluster.replicate(collection="Article", shard=shard, source_node=source,
                                 target_node=target, replication_type=ReplicationType.MOVE)
    op = settled(wv, op_id)
    assert op.status.state.value == "READY"
    assert op.transfer_type == ReplicationType.MOVE and op.uuid == op_id
    assert [s.state.value for s in op.status_history] == [
        "REGISTERED", "HYDRATING", "FINALIZING", "INTEGRATING", "DEHYDRATING"]
    state = wv.cluster.query_sharding_state(collection="Article", shard=shard)
    assert [(s.name, s.replicas) for s in state.shards] == [(shard, [target])]
    assert wv.cluster.query_sharding_state(collection="Nope") is None
    nodes = {n.name: {s.name for s in n.shards} for n in wv.cluster.nodes(output="verbose")}
    assert shard in nodes[target] and shard not in nodes[source]


def test_replications_list_query_cancel_delete(wv: WeaviateClient, three: Sandbox) -> None:
    httpx.put(f"{three.url}/__sandbox/replication", json={"step_ms": 60_000})
    shard, source, target = a_move(wv)
    op_id = wv.cluster.replicate(collection="Article", shard=shard, source_node=source,
                                 target_node=target)
    [listed] = wv.cluster.replications.list_all()
    assert listed.uuid == op_id and listed.status.state.value == "REGISTERED"
    assert len(wv.cluster.replications.query(collection="Article", shard=shard)) == 1
    assert wv.cluster.replications.query(target_node=source) == []
    wv.cluster.replications.cancel(uuid=op_id)
    httpx.put(f"{three.url}/__sandbox/replication", json={"step_ms": 1})
    assert settled(wv, op_id).status.state.value == "CANCELLED"
    wv.cluster.replications.delete(uuid=op_id)
    time.sleep(0.01)
    assert wv.cluster.replications.get(uuid=op_id) is None
    wv.cluster.replications.delete_all()


def test_replicate_errors_reach_the_client(wv: WeaviateClient, three: Sandbox) -> None:
    shard, source, target = a_move(wv)
    with pytest.raises(UnexpectedStatusCodeError) as refused:
        wv.cluster.replicate(collection="Article", shard=shard, source_node=target,
                             target_node=source)
    assert refused.value.status_code == 422
    assert "could not find shard" in str(refused.value)
    httpx.put(f"{three.url}/__sandbox/replication", json={"enabled": False})
    with pytest.raises(UnexpectedStatusCodeError) as off:
        wv.cluster.replications.list_all()
    assert off.value.status_code == 501
