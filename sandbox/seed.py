"""The ``demo`` seed: realistic collections to explore, built through the normal write path.

Deterministic (fixed random seeds), so ids and values are the same on every start.
``DocumentChunk`` holds 20,000 objects with 128-dim vectors; ``ELYSIACTL_Audit``
matches a protected pattern; ``SupportTicket`` is multi-tenant with tenants in
several states; ``Product`` uses named vectors.
"""

from __future__ import annotations

import functools
import pickle
import random
import uuid
from typing import Any

import numpy as np

from sandbox.classes import build_class
from sandbox.store import ACTIVE, INACTIVE, OFFLOADED, Database, now_ms
from sandbox.writes import prepare

YEAR_MS = 365 * 24 * 3600 * 1000
BIG_COLLECTION_SIZE = 20_000
WORDS = ("vector database index shard tenant replica backup restore cluster query filter "
         "schema object property search latency memory throughput embedding cosine").split()

CLASSES: list[dict[str, Any]] = [
    {"class": "Article", "description": "News articles with every common data type",
     "properties": [
         {"name": "title", "dataType": ["text"]},
         {"name": "body", "dataType": ["text"]},
         {"name": "wordCount", "dataType": ["int"]},
         {"name": "rating", "dataType": ["number"]},
         {"name": "published", "dataType": ["boolean"]},
         {"name": "publishedAt", "dataType": ["date"]},
         {"name": "authorId", "dataType": ["uuid"]},
         {"name": "location", "dataType": ["geoCoordinates"]},
         {"name": "tags", "dataType": ["text[]"]},
         {"name": "source", "dataType": ["object"], "nestedProperties": [
             {"name": "name", "dataType": ["text"]}, {"name": "url", "dataType": ["text"]}]},
     ]},
    {"class": "Product", "description": "A catalogue with two named vectors",
     "properties": [
         {"name": "name", "dataType": ["text"]},
         {"name": "sku", "dataType": ["text"], "tokenization": "field"},
         {"name": "price", "dataType": ["number"]},
         {"name": "inStock", "dataType": ["boolean"]},
     ],
     "vectorConfig": {
         "title_vector": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"},
         "image_vector": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"},
     }},
    {"class": "SupportTicket", "description": "One tenant per customer",
     "multiTenancyConfig": {"enabled": True},
     "properties": [
         {"name": "subject", "dataType": ["text"]},
         {"name": "priority", "dataType": ["int"]},
         {"name": "open", "dataType": ["boolean"]},
     ]},
    {"class": "DocumentChunk", "description": "Chunks of a document corpus for retrieval",
     "vectorIndexConfig": {"distance": "cosine"},
     "properties": [
         {"name": "text", "dataType": ["text"]},
         {"name": "docId", "dataType": ["uuid"]},
         {"name": "chunkIndex", "dataType": ["int"]},
     ]},
    {"class": "ELYSIACTL_Audit", "description": "Matches a protected pattern",
     "properties": [
         {"name": "action", "dataType": ["text"]},
         {"name": "at", "dataType": ["date"]},
     ]},
]
TENANTS = {"acme": ACTIVE, "globex": ACTIVE, "initech": INACTIVE, "umbrella": OFFLOADED}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _date(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _article(rng: random.Random, i: int, ms: int) -> dict[str, Any]:
    return {"title": f"{_text(rng, 4).capitalize()} #{i}", "body": _text(rng, 30),
            "wordCount": rng.randint(200, 3000), "rating": round(rng.uniform(1, 5), 2),
            "published": rng.random() < 0.8, "publishedAt": _date(ms), "authorId": _uuid(rng),
            "location": {"latitude": round(rng.uniform(-60, 60), 4),
                         "longitude": round(rng.uniform(-180, 180), 4)},
            "tags": rng.sample(WORDS, 3),
            "source": {"name": rng.choice(["Wire", "Daily", "Weekly"]),
                       "url": f"https://news.example/{i}"}}


def _insert(db: Database, rng: random.Random, body: dict[str, Any]) -> None:
    write = prepare(db, body)
    write.obj.created = write.obj.updated = now_ms() - rng.randrange(YEAR_MS)
    write.col.put(write.tenant, write.obj)


def demo_database(node_count: int, auto_schema: bool) -> Database:
    """A database holding the demo data. It is built once per process and copied after that:
    unpickling is about 3x faster than building 20,000 objects through the write path again
    (every test module and ``/__sandbox/reset`` starts from a fresh demo)."""
    return pickle.loads(_built_demo(node_count, auto_schema))


@functools.cache
def _built_demo(node_count: int, auto_schema: bool) -> bytes:
    db = Database(node_count, auto_schema)
    load_demo(db)
    return pickle.dumps(db, protocol=pickle.HIGHEST_PROTOCOL)


def load_demo(db: Database) -> None:
    """Create the demo collections and their objects in ``db``."""
    rng = random.Random(20240115)
    vectors = np.random.default_rng(7)
    for config in CLASSES:
        db.add(build_class(config, len(db.nodes)))
    start = now_ms() - YEAR_MS
    for i, vec in enumerate(vectors.standard_normal((250, 32), dtype=np.float32)):
        _insert(db, rng, {"class": "Article", "id": _uuid(rng), "vector": vec,
                          "properties": _article(rng, i, start + rng.randrange(YEAR_MS))})
    titles = vectors.standard_normal((120, 64), dtype=np.float32)
    images = vectors.standard_normal((120, 16), dtype=np.float32)
    for i in range(120):
        _insert(db, rng, {"class": "Product", "id": _uuid(rng),
                          "vectors": {"title_vector": titles[i], "image_vector": images[i]},
                          "properties": {"name": f"{_text(rng, 2).title()} {i}",
                                         "sku": f"SKU-{i:05d}",
                                         "price": round(rng.uniform(2, 400), 2),
                                         "inStock": rng.random() < 0.7}})
    tickets = db.collections["SupportTicket"]
    for tenant in TENANTS:
        tickets.add_tenant(tenant, ACTIVE)
        for _ in range(rng.randint(20, 60)):
            _insert(db, rng, {"class": "SupportTicket", "tenant": tenant, "id": _uuid(rng),
                              "properties": {"subject": _text(rng, 5),
                                             "priority": rng.randint(1, 4),
                                             "open": rng.random() < 0.4}})
    tickets.tenants.update(TENANTS)
    _load_chunks(db, rng, vectors)
    for i in range(40):
        _insert(db, rng, {"class": "ELYSIACTL_Audit", "id": _uuid(rng),
                          "properties": {"action": rng.choice(["create", "rm", "backup"]),
                                         "at": _date(start + i * YEAR_MS // 40)}})
    db.set_alias("Docs", "DocumentChunk")


def _load_chunks(db: Database, rng: random.Random, vectors: np.random.Generator) -> None:
    matrix = vectors.standard_normal((BIG_COLLECTION_SIZE, 128), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    docs = [_uuid(rng) for _ in range(BIG_COLLECTION_SIZE // 20)]
    for i in range(BIG_COLLECTION_SIZE):
        _insert(db, rng, {"class": "DocumentChunk", "id": _uuid(rng), "vector": matrix[i],
                          "properties": {"text": _text(rng, 12), "docId": docs[i // 20],
                                         "chunkIndex": i % 20}})
