"""The official client's listing calls on a cluster of hundreds of collections, against the
sandbox, and ``\\ls --verbose`` agreeing with what the client reads: ``collections.create``
and ``collections.list_all`` (``GET /v1/schema``, weaviate-client 4.x
``collections/collections/executor.py``) and ``cluster.nodes(output="verbose")``
(``GET /v1/nodes``, ``cluster/base.py``)."""

from __future__ import annotations

import pytest
from conftest import REGISTRY, make_session
from test_sandbox_weaviate_client import connect, dead_grpc_port, wv

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.results import Table
from sandbox import Sandbox

weaviate = pytest.importorskip("weaviate")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.classes.config import Configure, DataType, Property  # noqa: E402

__all__ = ["connect", "dead_grpc_port", "wv"]  # fixtures used by name
COUNT = 150


def _create(wv: WeaviateClient) -> None:
    for i in range(COUNT):
        name = f"Team{i:03d}"
        props = [Property(name="title", data_type=DataType.TEXT)]
        if i % 10 == 0:
            wv.collections.create(name, properties=props,
                                  multi_tenancy_config=Configure.multi_tenancy(enabled=True))
        elif i % 7 == 0:
            wv.collections.create(name, properties=props, description=f"team {i}",
                                  vector_config=[Configure.Vectors.self_provided(name="a"),
                                                 Configure.Vectors.self_provided(name="b")])
        else:
            wv.collections.create(name, properties=props, description=f"team {i}")


def test_list_all_and_ls_agree_on_every_collection(wv: WeaviateClient,
                                                     sandbox: Sandbox) -> None:
    _create(wv)
    wv.collections.use("Team001").data.insert({"title": "x"})
    listed = wv.collections.list_all(simple=False)
    assert len(listed) == COUNT
    (node,) = wv.cluster.nodes(output="verbose")
    shards = {s.collection for s in node.shards}
    assert shards == {n for n in listed if not listed[n].multi_tenancy_config.enabled}

    outcome = Dispatcher(REGISTRY, make_session(sandbox.url), MemoryAuditLog()).execute(
        r"\ls --verbose", "test")
    assert outcome.error is None
    (table,) = outcome.results
    assert isinstance(table, Table)
    rows = {r["name"]: r for r in table.to_data()}
    assert sorted(rows) == sorted(listed) == list(rows)  # sorted by name, all of them
    for name, config in listed.items():
        row = rows[name]
        assert row["description"] == config.description
        assert row["multi_tenancy"] is config.multi_tenancy_config.enabled
        assert row["replication"] == config.replication_config.factor
        named = sorted(config.vector_config or {})
        if named:
            assert row["vector_index"] == ", ".join(f"{n}:hnsw" for n in named)
        assert row["shards"] == (0 if row["multi_tenancy"] else 1)
    assert rows["Team001"]["objects"] in (0, 1)  # approximate, as /v1/nodes counts it
