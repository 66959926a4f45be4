"""The official client's REST calls for changing a collection in place, against the sandbox:
``config.add_property``, ``config.update``, ``config.add_vector`` and
``config.delete_property_index`` (weaviate-client 4.x, ``collections/config/executor.py``).
The client has no call for the reindex endpoints or ``/v1/tasks``."""

from __future__ import annotations

import time

import httpx
import pytest
from test_sandbox_weaviate_client import Connect, connect, dead_grpc_port, status_of, wv

from sandbox import Sandbox

weaviate = pytest.importorskip("weaviate")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.classes.config import (  # noqa: E402
    Configure,
    DataType,
    Property,
    Reconfigure,
    Tokenization,
)
from weaviate.exceptions import UnexpectedStatusCodeError  # noqa: E402

__all__ = ["connect", "dead_grpc_port", "wv"]  # fixtures used by name


def test_add_property_with_index_settings(wv: WeaviateClient) -> None:
    articles = wv.collections.create("Article",
                                     properties=[Property(name="title", data_type=DataType.TEXT)])
    articles.config.add_property(Property(name="slug", data_type=DataType.TEXT,
                                          tokenization=Tokenization.FIELD,
                                          index_searchable=False))
    articles.config.add_property(Property(name="views", data_type=DataType.INT,
                                          index_range_filters=True))
    props = {p.name: p for p in articles.config.get().properties}
    assert props["slug"].tokenization == Tokenization.FIELD
    assert props["slug"].index_searchable is False and props["slug"].index_filterable is True
    assert props["views"].index_range_filters is True
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        articles.config.add_property(Property(name="Title", data_type=DataType.TEXT))
    assert status_of(exc) == 422 and "conflict for property" in str(exc.value)
    missing = wv.collections.use("Nope")
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        missing.config.add_property(Property(name="x", data_type=DataType.TEXT))
    assert status_of(exc) == 404  # the client reads the class first: GET's empty 404


def test_update_changes_mutable_settings_and_refuses_immutable_ones(wv: WeaviateClient) -> None:
    docs = wv.collections.create("Docs", description="old",
                                 vector_config=Configure.Vectors.self_provided())
    docs.config.update(description="new",
                       inverted_index_config=Reconfigure.inverted_index(bm25_b=0.6, bm25_k1=1.5),
                       vector_config=Reconfigure.Vectors.update(
                           name="default",
                           vector_index_config=Reconfigure.VectorIndex.hnsw(ef=77)))
    config = docs.config.get()
    assert config.description == "new"
    assert (config.inverted_index_config.bm25.b, config.inverted_index_config.bm25.k1) == (
        0.6, 1.5)
    assert config.vector_config["default"].vector_index_config.ef == 77
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        docs.config.update(replication_config=Reconfigure.replication(factor=3))
    assert status_of(exc) == 422


def test_add_vector_and_delete_property_index(wv: WeaviateClient) -> None:
    multi = wv.collections.create(
        "Multi", vector_config=[Configure.Vectors.self_provided(name="body")],
        properties=[Property(name="title", data_type=DataType.TEXT)])
    multi.config.add_vector(vector_config=Configure.Vectors.self_provided(
        name="title_vec", vector_index_config=Configure.VectorIndex.flat()))
    vectors = multi.config.get().vector_config
    assert set(vectors) == {"body", "title_vec"}
    assert multi.config.delete_property_index("title", "filterable") is True
    title = multi.config.get().properties[0]
    assert title.index_filterable is False and title.index_searchable is True
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        multi.config.delete_property_index("nope", "searchable")
    assert status_of(exc) == 422


def test_the_client_sees_a_reindex_finish(sandbox: Sandbox, connect: Connect) -> None:
    """A reindex sent over plain REST changes what the client reads afterwards."""
    client = connect(sandbox)
    coll = client.collections.create("Counted",
                                     properties=[Property(name="n", data_type=DataType.INT)])
    httpx.put(f"{sandbox.url}/__sandbox/tasks", json={"duration_ms": 0, "runtime_reindex": True})
    answer = httpx.put(f"{sandbox.url}/v1/schema/Counted/properties/n/index/rangeFilters",
                       json={})
    assert answer.status_code == 202
    time.sleep(0.01)
    assert coll.config.get().properties[0].index_range_filters is True
