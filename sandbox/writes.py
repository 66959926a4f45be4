"""The write path shared by ``POST /v1/objects``, ``PUT``, ``PATCH`` and batch import.

``prepare`` turns one object body into a ``StoredObject`` ready to store, or
raises ``ValueError`` with Weaviate's message. It never stores anything itself,
so a failed object leaves no trace (auto-schema additions aside, as in Weaviate).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.classes import upper_first
from sandbox.http import fail
from sandbox.store import Collection, Database, StoredObject, now_ms
from sandbox.values import collection_for_write, normalize, parse_uuid, vectors

CONSISTENCY_LEVELS = ("ONE", "QUORUM", "ALL")


@dataclass(slots=True)
class Write:
    """A validated object and where it goes."""

    col: Collection
    tenant: str | None
    obj: StoredObject


def prepare(db: Database, body: Any, keep_nulls: bool = False) -> Write:
    """Validate one object body against its collection (created by auto-schema if needed)."""
    if not isinstance(body, dict):
        raise ValueError("object must be a JSON object")
    class_name = body.get("class") or ""
    if not class_name:
        raise ValueError("object has an empty class")
    col = collection_for_write(db, upper_first(class_name))
    tenant = body.get("tenant") or None
    col.require_tenant(tenant, creating=True)
    raw_id = body.get("id")
    object_id = parse_uuid(raw_id) if raw_id else str(uuid.uuid4())
    if object_id is None:
        raise ValueError(f"invalid UUID length: {len(str(raw_id))}")
    props = normalize(db, col, body.get("properties"), keep_nulls=keep_nulls)
    vector, named = vectors(col, body.get("vector"), body.get("vectors"))
    stamp = now_ms()
    return Write(col, tenant if col.multi_tenant else None,
                 StoredObject(object_id, props, vector, named, stamp, stamp))


def check_consistency(query: dict[str, str]) -> None:
    """Answer 400 for a bad ``consistency_level`` or one combined with ``node_name``."""
    level = query.get("consistency_level")
    if level is not None and level not in CONSISTENCY_LEVELS:
        raise fail(400, f"unrecognized consistency level '{level}', try one of the following: "
                        "['ONE', 'QUORUM', 'ALL']")
    if level and query.get("node_name"):
        raise fail(400, "consistency_level and node_name are mutually exclusive")
