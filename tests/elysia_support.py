"""Elysia's collections written as Elysia writes them: the same weaviate-client calls, with
the same schemas, from github:weaviate/elysia (commit 0f363c5):

* ``ELYSIA_METADATA__``: ``elysia/preprocessing/collection.py`` (``preprocess_async``: the
  ``collections.create`` call and ``data.insert(out)`` of its ``out`` dictionary);
* ``ELYSIA_CHUNKED_{name.lower()}__``: ``elysia/tools/retrieval/chunk.py``
  (``get_chunked_collection``; Elysia inserts chunks with gRPC, here with REST batch);
* ``ELYSIA_CONFIG__``: ``elysia/api/routes/user_config.py``; ``ELYSIA_FEEDBACK__``:
  ``elysia/api/utils/feedback.py`` (their first properties).

The summary, field statistics and mappings Elysia gets from an LLM are fixed texts here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import weaviate
from weaviate import WeaviateClient
from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    ReferenceProperty,
    Tokenization,
)


@contextmanager
def elysia_client(url: str) -> Iterator[WeaviateClient]:
    """The official client on ``url`` over REST (its gRPC port bound but never listening)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        client = weaviate.connect_to_custom(
            http_host="127.0.0.1", http_port=port, http_secure=False, grpc_host="127.0.0.1",
            grpc_port=dead.getsockname()[1], grpc_secure=False, skip_init_checks=True)
        try:
            yield client
        finally:
            client.close()


def _metadata_collection(client: WeaviateClient) -> Any:
    if client.collections.exists("ELYSIA_METADATA__"):
        return client.collections.get("ELYSIA_METADATA__")
    text = DataType.TEXT
    return client.collections.create(
        "ELYSIA_METADATA__",
        vectorizer_config=Configure.Vectorizer.none(),
        properties=[
            Property(name="name", data_type=text, tokenization=Tokenization.FIELD),
            Property(name="length", data_type=DataType.NUMBER),
            Property(name="summary", data_type=text),
            Property(name="index_properties", data_type=DataType.OBJECT, nested_properties=[
                Property(name="isNullIndexed", data_type=DataType.BOOL),
                Property(name="isLengthIndexed", data_type=DataType.BOOL),
                Property(name="isTimestampIndexed", data_type=DataType.BOOL)]),
            Property(name="named_vectors", data_type=DataType.OBJECT_ARRAY, nested_properties=[
                Property(name="name", data_type=text),
                Property(name="vectorizer", data_type=text),
                Property(name="model", data_type=text),
                Property(name="source_properties", data_type=DataType.TEXT_ARRAY),
                Property(name="enabled", data_type=DataType.BOOL),
                Property(name="description", data_type=text)]),
            Property(name="vectorizer", data_type=DataType.OBJECT, nested_properties=[
                Property(name="vectorizer", data_type=text),
                Property(name="model", data_type=text)]),
            Property(name="fields", data_type=DataType.OBJECT_ARRAY, nested_properties=[
                Property(name="name", data_type=text),
                Property(name="type", data_type=text),
                Property(name="description", data_type=text),
                Property(name="range", data_type=DataType.NUMBER_ARRAY),
                Property(name="date_range", data_type=DataType.DATE_ARRAY),
                Property(name="groups", data_type=DataType.OBJECT_ARRAY, nested_properties=[
                    Property(name="value", data_type=text),
                    Property(name="count", data_type=DataType.INT)]),
                Property(name="date_median", data_type=DataType.DATE),
                Property(name="mean", data_type=DataType.NUMBER)]),
            # leave mappings for auto-schema generation (as Elysia does)
        ],
        inverted_index_config=Configure.inverted_index(index_null_state=True),
    )


def preprocess(url: str, collection: str) -> str:
    """Write ``collection``'s ``ELYSIA_METADATA__`` object as ``preprocess_async`` does; its
    id. The count and the property types are read from the collection as Elysia reads them
    (``aggregate.over_all`` is gRPC in the client, so the count comes from GraphQL here)."""
    with elysia_client(url) as client:
        config = client.collections.get(collection).config.get()
        properties = {p.name: p.data_type[:] for p in config.properties}
        query = f"{{ Aggregate {{ {collection} {{ meta {{ count }} }} }} }}"
        length = client.graphql_raw_query(query).aggregate[collection][0]["meta"]["count"]
        out = {
            "name": collection, "length": length,
            "summary": f"A collection of {length} {collection.lower()} objects.",
            "index_properties": {"isNullIndexed": False, "isLengthIndexed": False,
                                 "isTimestampIndexed": False},
            "named_vectors": [], "vectorizer": {"vectorizer": "none", "model": ""},
            "fields": [{"name": name, "type": kind if kind != "number" else "float",
                        "range": None, "mean": None, "date_range": None, "date_median": None,
                        "groups": None, "description": ""}
                       for name, kind in properties.items()],
            "mappings": {"table": {name: name for name in properties}},
            "prompts": [f"What is in {collection}?"],
        }
        return str(_metadata_collection(client).data.insert(out))


def chunk(url: str, collection: str, content_field: str, chunks: int = 3) -> str:
    """Create ``collection``'s chunked collection as ``Chunker.get_chunked_collection`` does
    and add ``chunks`` chunks; its name."""
    name = f"ELYSIA_CHUNKED_{collection.lower()}__"
    with elysia_client(url) as client:
        client.collections.create(
            name,
            properties=[Property(name=content_field, data_type=DataType.TEXT),
                        Property(name="chunk_spans", data_type=DataType.INT_ARRAY)],
            references=[ReferenceProperty(name="fullDocument", target_collection=collection)],
            vector_config=Configure.Vectors.self_provided(),
        )
    objects = [{"class": name, "properties": {content_field: f"chunk {i}",
                                              "chunk_spans": [i * 10, i * 10 + 9]}}
               for i in range(chunks)]
    httpx.post(f"{url}/v1/batch/objects", json={"objects": objects}).raise_for_status()
    return name


def settings_and_feedback(url: str) -> None:
    """``ELYSIA_CONFIG__`` and ``ELYSIA_FEEDBACK__`` with one object each."""
    with elysia_client(url) as client:
        config = client.collections.create(
            "ELYSIA_CONFIG__", vectorizer_config=Configure.Vectorizer.none(),
            inverted_index_config=Configure.inverted_index(index_timestamps=True),
            properties=[Property(name="name", data_type=DataType.TEXT),
                        Property(name="style", data_type=DataType.TEXT)])
        config.data.insert({"name": "default", "style": "informative"})
        feedback = client.collections.create(
            "ELYSIA_FEEDBACK__",
            properties=[Property(name="user_id", data_type=DataType.TEXT),
                        Property(name="feedback", data_type=DataType.NUMBER)])
        feedback.data.insert({"user_id": "u1", "feedback": 2})
