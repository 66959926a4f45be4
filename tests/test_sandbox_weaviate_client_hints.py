"""The official client's REST calls behind a name hint, against the sandbox: a missing
collection (``collections.exists``, ``GET /v1/schema/{name}``) and the introspection query
elysiactl sends instead of downloading the schema (``graphql_raw_query``, ``POST
/v1/graphql``; the client keeps only Get/Aggregate/Explore of the answer, so the names are
read here over plain HTTP from the same request)."""

from __future__ import annotations

import httpx
import pytest

from commands.ops.hints import INTROSPECT_GET
from sandbox import Sandbox
from tests.test_sandbox_weaviate_client import Connect, connect, dead_grpc_port  # noqa: F401

weaviate = pytest.importorskip("weaviate")

from weaviate.classes.config import DataType, Property  # noqa: E402


def test_a_missing_collection_and_the_names_by_introspection(sandbox: Sandbox,
                                                             connect: Connect,  # noqa: F811
                                                             client: httpx.Client) -> None:
    wv = connect(sandbox)
    wv.collections.create("Article", properties=[Property(name="title",
                                                          data_type=DataType.TEXT)])
    wv.collections.create("Empty")
    wv.alias.create(alias_name="News", target_collection="Article")
    client.delete("/__sandbox/requests")
    assert wv.collections.exists("Artcle") is False
    assert wv.collections.exists("article") is True  # the client upper-cases the first letter
    raw = wv.graphql_raw_query(INTROSPECT_GET)
    assert raw.errors is None and raw.get == {} and raw.aggregate == {}
    sent = [(e["method"], e["path"], e["status"]) for e in client.get("/__sandbox/requests").json()]
    assert sent == [("GET", "/v1/schema/Artcle", 404), ("GET", "/v1/schema/Article", 200),
                    ("POST", "/v1/graphql", 200)]
    answer = client.post("/v1/graphql", json={"query": INTROSPECT_GET}).json()
    assert answer == {"data": {"__type": {"fields": [
        {"name": "Article"}, {"name": "Empty"}, {"name": "News"}]}}}
