"""Elysia's collections in a cluster: what it has preprocessed and whether that is stale.

Elysia (github:weaviate/elysia, Weaviate's agentic RAG framework) keeps its state in the
cluster it searches. Names and shapes, from its source:

* ``ELYSIA_METADATA__`` (``elysia/preprocessing/collection.py``, ``preprocess_async``): one
  object per preprocessed collection with ``name``, ``length`` (the object count then),
  ``summary``, ``fields`` (``name`` and ``type``: the property's data type, ``number``
  written as ``float``), ``mappings``, ... and no time property: re-preprocessing deletes
  the object and inserts a new one, so its creation time is when it was preprocessed.
* ``ELYSIA_CHUNKED_{name.lower()}__`` (``elysia/tools/retrieval/chunk.py``): the chunks of a
  collection, with a ``fullDocument`` reference back to it.
* ``ELYSIA_CONFIG__``, ``ELYSIA_FEEDBACK__``, ``ELYSIA_TREES__`` (``elysia/api/``): settings,
  feedback and saved conversations.

Everything here reads, except ``remove_companion``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops.collections import is_multi_tenant
from commands.ops.cursor import pages
from commands.ops.objects import aggregate_count
from commands.safety import ELYSIA_PROTECTED

METADATA = "ELYSIA_METADATA__"
KINDS = dict(zip(ELYSIA_PROTECTED, ("metadata", "config", "feedback", "conversations", "chunks"),
                 strict=True))


def kind(name: str) -> str | None:
    """What an Elysia collection holds (``metadata``, ``chunks``, ...); None if not Elysia's."""
    return next((k for p, k in KINDS.items() if fnmatch.fnmatchcase(name, p)), None)


def chunked_name(collection: str) -> str:
    """The chunked copy Elysia makes of ``collection`` (chunk.py lowercases the name)."""
    return f"ELYSIA_CHUNKED_{collection.lower()}__"


@dataclass(frozen=True, slots=True)
class Preprocessed:
    """One ``ELYSIA_METADATA__`` object against the collection as it is now. ``objects`` is
    None when the collection is gone or cannot be counted."""

    collection: str
    metadata_id: str
    preprocessed_at: str | None
    length: int | None
    exists: bool
    objects: int | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()
    chunked: str | None = None

    @property
    def reasons(self) -> list[str]:
        """Why the metadata no longer describes the collection (empty when it does)."""
        if not self.exists:
            return ["the collection no longer exists"]
        out = []
        if self.objects is not None and self.length is not None and self.objects != self.length:
            out.append(f"objects {self.length:,} -> {self.objects:,}")
        out += [f"property {p} added" for p in self.added]
        out += [f"property {p} removed" for p in self.removed]
        out += [f"property {p} changed type" for p in self.retyped]
        return out

    @property
    def status(self) -> str:
        """``missing`` (the collection is gone), ``stale`` or ``current``."""
        return "missing" if not self.exists else "stale" if self.reasons else "current"


@dataclass(frozen=True, slots=True)
class Companion:
    """Something of Elysia's that belongs to a collection: its metadata object or its
    chunked collection, and the request that removes it."""

    collection: str
    kind: str
    name: str
    request: str
    objects: int | None = None


@dataclass
class ElysiaState:
    """Elysia's collections (name: kind) and its metadata objects, read once."""

    collections: dict[str, str] = field(default_factory=dict)
    metadata: list[dict[str, Any]] = field(default_factory=list)


def _time(stamp: Any) -> str | None:
    if not isinstance(stamp, int | float) or stamp <= 0:
        return None
    when = datetime.fromtimestamp(stamp / 1000, UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def read_state(api: RestClient, classes: list[dict[str, Any]]) -> ElysiaState:
    """Elysia's collections among ``classes`` and, if it exists, every metadata object
    (cursor pages of ``GET /v1/objects``, without vectors)."""
    state = ElysiaState({c["class"]: k for c in classes if (k := kind(c["class"]))})
    if METADATA in state.collections:
        for found, _ in pages(api, METADATA, None, None, vectors=False):
            state.metadata.extend(found)
    return state


def _types(cls: dict[str, Any]) -> dict[str, str]:
    """Property name -> type as Elysia writes it in ``fields`` (references left out, as
    the client's ``config.properties`` leaves them out)."""
    out = {}
    for prop in cls.get("properties") or []:
        data_type = (prop.get("dataType") or [""])[0]
        if data_type[:1].isupper():
            continue
        out[prop.get("name", "")] = "float" if data_type == "number" else data_type
    return out


def _count(api: RestClient, cls: dict[str, Any]) -> int | None:
    if is_multi_tenant(cls):
        return None  # Elysia's own count (aggregate over all) has no tenant either
    try:
        return aggregate_count(api, cls["class"])
    except ShellError:
        return None


def compare(api: RestClient, state: ElysiaState,
            classes: list[dict[str, Any]]) -> list[Preprocessed]:
    """Each metadata object against its collection now: one Aggregate count per collection
    that still exists."""
    known = {c["class"]: c for c in classes}
    out = []
    for obj in sorted(state.metadata, key=lambda o: str((o.get("properties") or {}).get(
            "name", "")).lower()):
        props = obj.get("properties") or {}
        name = str(props.get("name") or "")
        length = props.get("length")
        base = {"collection": name, "metadata_id": obj.get("id", ""),
                "preprocessed_at": _time(obj.get("creationTimeUnix")),
                "length": int(length) if isinstance(length, int | float) else None}
        chunked = chunked_name(name)
        base["chunked"] = chunked if chunked in known else None
        cls = known.get(name)
        if cls is None:
            out.append(Preprocessed(**base, exists=False))
            continue
        then = {f.get("name", ""): f.get("type", "") for f in props.get("fields") or []
                if isinstance(f, dict)}
        now = _types(cls)
        out.append(Preprocessed(
            **base, exists=True, objects=_count(api, cls),
            added=tuple(sorted(set(now) - set(then))),
            removed=tuple(sorted(set(then) - set(now))),
            retyped=tuple(sorted(p for p in set(now) & set(then) if now[p] != then[p]))))
    return out


def owner(name: str, classes: list[dict[str, Any]]) -> str | None:
    """The collection a chunked collection was made from (its name lowercased in the chunked
    one's), or None when it is gone."""
    if kind(name) != "chunks":
        return None
    lowered = name.removeprefix("ELYSIA_CHUNKED_").removesuffix("__")
    return next((c["class"] for c in classes if c["class"].lower() == lowered), None)


def companions(state: ElysiaState, names: list[str]) -> list[Companion]:
    """Elysia's metadata objects and chunked collections that belong to ``names``."""
    out = []
    for name in names:
        if kind(name) is not None:
            continue
        for obj in state.metadata:
            if (obj.get("properties") or {}).get("name") == name:
                out.append(Companion(name, "metadata", f"{METADATA}/{obj.get('id')}",
                                     f"DELETE /v1/objects/{METADATA}/{obj.get('id')}"))
        chunked = chunked_name(name)
        if chunked in state.collections:
            out.append(Companion(name, "chunks", chunked, f"DELETE /v1/schema/{chunked}"))
    return out


def remove_companion(api: RestClient, companion: Companion) -> None:
    """Delete one companion (``DELETE /v1/objects/...`` answers 404 when it is already gone,
    which is what was wanted)."""
    method, path = companion.request.split(" ", 1)
    api.request(method, path, ok=(404,))
