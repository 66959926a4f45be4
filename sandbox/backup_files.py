"""The on-disk form of one backed-up class, and restoring a class from it.

A class file holds the class config, shard layout, tenants, aliases and every
object (vector index dimensions are not kept: as when Weaviate loads an index, the
restored vectors set them); vectors are written as the exact float64 values of their float32
components so they read back bit-identical. Descriptor timestamps use Go's
``time.Time`` JSON form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from sandbox.classes import SchemaError
from sandbox.store import Database, StoredObject

ZERO = datetime(1, 1, 1, tzinfo=UTC)
ALIAS_EXISTS = ("failed to restore alias for class: alias already exists. You can overwrite "
                "using `overwrite_alias` param when restoring")


def iso(moment: datetime, api: bool = False) -> str:
    """UTC RFC3339: Go's ``time.Time`` JSON for descriptors, ``strfmt.DateTime`` for the API."""
    if moment == ZERO and not api:
        return "0001-01-01T00:00:00Z"
    return moment.isoformat(timespec="milliseconds" if api else "microseconds")[:-6] + "Z"


def api_time(text: str) -> str:
    """A descriptor timestamp as the API prints it (zero time included, as Go does)."""
    return iso(datetime.fromisoformat(text.replace("Z", "+00:00")), api=True)


def class_names(meta: dict[str, Any]) -> list[str]:
    """The classes a descriptor covers, in backup order."""
    return list(dict.fromkeys(c for node in meta["nodes"].values() for c in node["classes"]))


def snapshot(db: Database, name: str) -> bytes:
    """One class as bytes: config, layout, tenants, aliases and every object (call under lock)."""
    col, exact = db.collections[name], _exact
    objects = [{"tenant": tenant, "id": o.id, "properties": o.properties,
                "vector": exact(o.vector), "vectors": None if o.vectors is None else
                {k: exact(v) for k, v in o.vectors.items()},
                "created": o.created, "updated": o.updated}
               for tenant, part in col.partitions.items() for o in part.values()]
    return orjson.dumps({"class": col.config, "shards": col.shards, "placement": col.placement,
                         "tenants": col.tenants, "objects": objects,
                         "aliases": [a for a, c in db.aliases.items() if c == name]},
                        option=orjson.OPT_SERIALIZE_NUMPY)


def _exact(vector: np.ndarray | None) -> np.ndarray | None:
    """float32 widened to float64 is exact, and orjson prints float64 round-trippably."""
    return None if vector is None else np.ascontiguousarray(vector, dtype=np.float64)


def _vector(values: Any) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float32)


def restore_class(db: Database, data: dict[str, Any], overwrite_alias: bool) -> str:
    """Recreate one class from its snapshot; Weaviate's error text or "" (call under lock)."""
    name = data["class"]["class"]
    try:
        col = db.add(data["class"])
    except SchemaError as exc:
        return f"error when trying to restore class: {exc}"
    if not col.multi_tenant and len(data["shards"]) == len(col.shards):
        col.shards = list(data["shards"])
        col.placement = {s: list(nodes) for s, nodes in data["placement"].items()}
        col.shard_status = dict.fromkeys(col.shards, "READY")
    for tenant, status in data["tenants"].items():
        col.add_tenant(tenant, status)
    for o in data["objects"]:
        vectors = o["vectors"] if o["vectors"] is None else \
            {k: _vector(v) for k, v in o["vectors"].items()}
        col.put(o["tenant"], StoredObject(o["id"], o["properties"], _vector(o["vector"]),
                                          vectors, o["created"], o["updated"]))
    for alias in data["aliases"]:
        if alias in db.collections or db.aliases.get(alias, name) != name and not overwrite_alias:
            return ALIAS_EXISTS
        db.set_alias(alias, name)
    return ""
