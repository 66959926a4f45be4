"""The write path shared by ``POST /v1/objects``, ``PUT``, ``PATCH``, validation and batch import.

``prepare`` turns one object body into a ``StoredObject`` ready to store, or
raises ``ValueError`` with Weaviate's message. It never stores anything itself,
so a failed object leaves no trace (auto-schema and auto-tenant additions aside,
as in Weaviate); the shard's own checks run when the object is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.classes import upper_first
from sandbox.http import fail
from sandbox.references import References
from sandbox.store import Collection, Database, StoredObject, TenantError, now_ms
from sandbox.uuids import parse_uuid
from sandbox.values import collection_for_write, normalize, vectors

CONSISTENCY_LEVELS = ("ONE", "QUORUM", "ALL")


class DuplicateId(ValueError):
    """``POST /v1/objects`` with an id its tenant (or class) already holds."""


@dataclass(slots=True)
class Write:
    """A validated object and where it goes."""

    col: Collection
    tenant: str | None
    obj: StoredObject


def prepare(db: Database, body: Any, unique: bool = False, validate_only: bool = False,
            now: int | None = None) -> Write:
    """Validate one object body against its collection (created by auto-schema if needed).

    Steps run in Weaviate's order: tenant (auto-creation, activation), the id (refused as
    ``DuplicateId`` when ``unique`` and already stored), then auto-schema and validation.
    ``validate_only`` (``POST /v1/objects/validate``) checks the body against the class as
    it is: no auto-schema, no tenant check or change, as ``ValidateObject`` does.
    """
    if not isinstance(body, dict):
        raise ValueError("object must be a JSON object")
    class_name = upper_first(body.get("class") or "")
    if not class_name:
        raise ValueError("object has an empty class")
    extend = db.auto_schema and not validate_only
    new_class = db.get(class_name) is None
    col = collection_for_write(db, class_name, create=extend)
    tenant = body.get("tenant") or None
    raw_id = body.get("id")
    object_id = parse_uuid(raw_id) if raw_id else str(uuid.uuid4())
    if not validate_only:
        col.require_tenant(tenant, creating=True)
        if unique and object_id in col.partition(tenant):
            raise DuplicateId(f"id '{raw_id}' already exists")
    props = normalize(col, body.get("properties"), extend, References(db, col, tenant, new_class))
    vector, named = vectors(col, body.get("vector"), body.get("vectors"))
    stamp = now_ms() if now is None else now
    return Write(col, tenant if col.multi_tenant else None,
                 StoredObject(object_id, props, vector, named, stamp, stamp))


def invalid(exc: ValueError) -> str:
    """The message of a refused object: validation and auto-schema errors carry Weaviate's
    ``invalid object: `` prefix, multi-tenancy and duplicate-id errors do not."""
    message = str(exc)
    if isinstance(exc, TenantError | DuplicateId) or message.startswith("invalid object"):
        return message
    return f"invalid object: {message}"


def check_consistency(query: dict[str, str]) -> None:
    """Answer 400 for a bad ``consistency_level`` or one combined with ``node_name``."""
    level = query.get("consistency_level")
    if level is not None and level not in CONSISTENCY_LEVELS:
        raise fail(400, f"unrecognized consistency level '{level}', try one of the following: "
                        "['ONE', 'QUORUM', 'ALL']")
    if level and query.get("node_name"):
        raise fail(400, "consistency_level and node_name are mutually exclusive")
