"""``\\alter``: turn ``--set``, ``--description``, ``--add-property`` and ``--add-vector`` into
one in-place change of a class, refusing before any request what Weaviate cannot change in
place (REST-BEHAVIOUR.md §4.4, OPERATIONS.md §2.2; Weaviate's checks are
``usecases/schema/class.go`` ``validateImmutableFields`` and
``adapters/repos/db/vector/hnsw/config_update.go``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from commands.errors import UsageError
from commands.ops import class_paths
from commands.ops.class_update import InPlace

PRIMITIVES = ("text", "int", "number", "boolean", "date", "uuid", "geoCoordinates",
              "phoneNumber", "blob", "object", "text[]", "int[]", "number[]", "boolean[]",
              "date[]", "uuid[]", "object[]")
TOKENIZATIONS = ("word", "lowercase", "whitespace", "field", "trigram", "gse", "kagome_ja",
                 "kagome_kr")
VECTOR_INDEX_TYPES = ("hnsw", "flat", "dynamic")
INDEX_FLAGS = {"filterable": "indexFilterable", "searchable": "indexSearchable",
               "rangeable": "indexRangeFilters", "range": "indexRangeFilters"}
COMPRESSIONS = ("pq", "bq", "sq", "rq")
# paths (a trailing ".*" is a prefix) Weaviate refuses to change, with why
IMMUTABLE: tuple[tuple[str, str], ...] = (
    ("class", "the name of a collection cannot change"),
    ("properties", "property settings other than description change only through a copy "
                   "(new properties: --add-property)"),
    ("vectorizer", "the vectorizer is immutable"),
    ("vectorIndexType", "the vector index type is immutable"),
    ("vectorConfig.*.vectorizer", "a named vector's vectorizer is immutable"),
    ("vectorConfig.*.vectorIndexType", "a named vector's index type is immutable"),
    ("shardingConfig.*", "the shard count is fixed at creation (re-sharding is not supported)"),
    ("multiTenancyConfig.enabled", "multi-tenancy cannot be switched on or off"),
    ("invertedIndexConfig.indexTimestamps", "indexTimestamps is immutable"),
    ("invertedIndexConfig.indexNullState", "indexNullState is immutable"),
    ("invertedIndexConfig.indexPropertyLength", "indexPropertyLength is immutable"),
)
HNSW_IMMUTABLE = ("efConstruction", "maxConnections", "cleanupIntervalSeconds", "distance",
                  "multivector")
MUTABLE_MODULES = ("generative", "reranker")


@dataclass(frozen=True)
class Alteration:
    """What ``\\alter`` would send, and why parts of it need a confirmation."""

    name: str
    plan: InPlace
    vectors: tuple[str, ...]
    risks: tuple[tuple[str, str], ...]
    sets: tuple[str, ...]
    descriptions: tuple[tuple[str, Any, str], ...] = ()
    """``(property, old, new)`` description changes (sent within the class PUT)."""


def _matches(path: str, pattern: str) -> bool:
    """``pattern`` (``*`` is one key) names ``path`` or an object that contains it."""
    regex = re.escape(pattern).replace(r"\*", "[^.]+")
    return re.fullmatch(rf"{regex}(\..+)?", path) is not None


def immutable_reason(cls: dict[str, Any], path: str) -> str | None:
    """Why Weaviate refuses to change ``path`` of ``cls`` in place, or None."""
    keys = path.split(".")
    if keys[0] == "vectorConfig" and len(keys) > 1 and keys[1] not in (
            cls.get("vectorConfig") or {}):
        return None  # a new named vector (Weaviate >= 1.31)
    for pattern, reason in IMMUTABLE:
        if _matches(path, pattern):
            return reason
    index_at = keys.index("vectorIndexConfig") if "vectorIndexConfig" in keys else -1
    if index_at >= 0 and len(keys) > index_at + 1 and keys[index_at + 1] in HNSW_IMMUTABLE:
        return f"the vector index's {keys[index_at + 1]} is immutable"
    if index_at >= 0 and keys[index_at + 1:index_at + 3] == ["rq", "bits"]:
        owner = ".".join(keys[:index_at + 1])
        if class_paths.get_path(cls, owner + ".rq.enabled"):
            return "rq.bits cannot change while RQ is enabled"
    if keys[0] == "moduleConfig" and len(keys) > 1 and not keys[1].startswith(MUTABLE_MODULES):
        return "only generative and reranker module settings can change"
    return None


def _compression_enabled(cls: dict[str, Any], path: str, value: Any) -> bool:
    keys = path.split(".")
    return len(keys) >= 2 and keys[-2] in COMPRESSIONS and keys[-1] == "enabled" \
        and value is True and not class_paths.get_path(cls, path)


def risks_of(cls: dict[str, Any], changes: list[tuple[str, Any, Any]]
             ) -> list[tuple[str, str]]:
    """``(short, explained)`` for each change that can lose data or access (they need a
    confirmation)."""
    out = []
    for path, old, new in changes:
        if path == "replicationConfig.factor" and isinstance(old, int) and isinstance(new, int) \
                and new < old:
            out.append((f"lowers the replication factor from {old} to {new}",
                        f"lowering the replication factor from {old} to {new} deletes replicas "
                        "(less redundancy, and reads at consistency ALL may fail meanwhile)"))
        elif path.endswith("vectorIndexConfig.skip") and new is True:
            out.append(("stops indexing vectors",
                        f"{path}=true stops indexing vectors: vector search returns nothing "
                        "for objects written from now on"))
        elif _compression_enabled(cls, path, new):
            out.append((f"turns on {path.split('.')[-2]} compression",
                        f"{path}=true compresses vectors; Weaviate cannot turn compression off "
                        "again"))
    return out


def property_from_spec(spec: str) -> dict[str, Any]:
    """``NAME:TYPE[:OPTION...]`` -> a Property body. Options: ``filterable``/``no-filterable``,
    ``searchable``/``no-searchable``, ``rangeable``, a tokenization word or
    ``tokenization=WORD``, ``description=TEXT``; TYPE is a Weaviate dataType or a class name
    (a reference), several classes joined by ``|``."""
    parts = spec.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise UsageError(f"--add-property {spec!r}: expected NAME:TYPE[:OPTION...]",
                         "e.g. --add-property summary:text:field or --add-property "
                         "price:number:rangeable")
    name, kind, options = parts[0], parts[1], parts[2:]
    types = kind.split("|")
    if len(types) == 1 and kind[:1].islower() and kind not in PRIMITIVES:
        raise UsageError(f"--add-property {spec!r}: unknown data type {kind!r}",
                         "data types: " + ", ".join(PRIMITIVES) + ", or a collection name "
                         "for a reference")
    prop: dict[str, Any] = {"name": name, "dataType": types}
    for option in options:
        key, eq, value = option.partition("=")
        flag = key.removeprefix("no-")
        if eq and key == "tokenization" or not eq and key in TOKENIZATIONS:
            prop["tokenization"] = value if eq else key
        elif eq and key == "description":
            prop["description"] = value
        elif not eq and flag in INDEX_FLAGS:
            prop[INDEX_FLAGS[flag]] = not key.startswith("no-")
        else:
            raise UsageError(f"--add-property {spec!r}: unknown option {option!r}",
                             "options: filterable, no-filterable, searchable, no-searchable, "
                             "rangeable, a tokenization (" + ", ".join(TOKENIZATIONS[:5]) +
                             "), description=TEXT")
    return prop


def vector_from_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``NAME:INDEX_TYPE[:VECTORIZER]`` -> (name, a vectorConfig entry); the vectorizer
    defaults to ``none`` (vectors are brought by the client)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or parts[1] not in VECTOR_INDEX_TYPES:
        raise UsageError(f"--add-vector {spec!r}: expected NAME:INDEX_TYPE[:VECTORIZER]",
                         "INDEX_TYPE is " + ", ".join(VECTOR_INDEX_TYPES) +
                         "; e.g. --add-vector title_vec:hnsw")
    vectorizer = parts[2] if len(parts) == 3 and parts[2] else "none"
    return parts[0], {"vectorizer": {vectorizer: {}}, "vectorIndexType": parts[1]}


def _describe_properties(new: dict[str, Any], specs: list[str]) -> list[tuple[str, Any, str]]:
    """Set ``NAME=TEXT`` property descriptions on ``new`` (the one property setting Weaviate
    changes in place); ``(name, old, new)`` of each."""
    changes = []
    by_name = {p["name"].lower(): p for p in new.get("properties") or []}
    for spec in specs:
        name, eq, text = spec.partition("=")
        prop = by_name.get(name.strip().lower())
        if not eq or prop is None:
            raise UsageError(f"--property-description {spec!r}: expected NAME=TEXT for a "
                             f"property of {new['class']}",
                             f"its properties: {', '.join(p['name'] for p in by_name.values())}")
        if prop.get("description") != text:
            changes.append((prop["name"], prop.get("description", class_paths.MISSING), text))
            prop["description"] = text
    return changes


def build(cls: dict[str, Any], description: str | None, sets: list[str],
          properties: list[str], vectors: list[str],
          descriptions: list[str] | None = None) -> Alteration:
    """The in-place change of ``cls`` the options ask for; a UsageError for what Weaviate
    cannot change in place (the caller names the copy that would)."""
    name = cls["class"]
    new = copy.deepcopy(cls)
    new.get("replicationConfig", {}).pop("asyncEnabled", None)  # synthesized, not stored
    old = copy.deepcopy(new)
    assignments = [class_paths.parse_assignment(s) for s in sets]
    if description is not None:
        assignments.append(("description", description))
    for path, value in assignments:
        reason = immutable_reason(cls, path)
        if reason is not None:
            raise ImmutableChange(path, reason)
        new = class_paths.set_path(new, path, value)
    described = _describe_properties(new, list(descriptions or []))
    known = {p["name"].lower() for p in cls.get("properties") or []}
    added = [property_from_spec(s) for s in properties]
    for prop in added:
        if prop["name"].lower() in known:
            raise UsageError(f"{name} already has a property {prop['name']!r}",
                             "a property's settings other than its description change only "
                             "through a copy (\\migrate --as)")
        known.add(prop["name"].lower())
    new_vectors = []
    for spec in vectors:
        vector, entry = vector_from_spec(spec)
        if vector in (cls.get("vectorConfig") or {}):
            raise UsageError(f"{name} already has a named vector {vector!r}")
        new.setdefault("vectorConfig", {})[vector] = entry
        new_vectors.append(vector)
    plan = InPlace(old, new, properties=tuple(added))
    return Alteration(name, plan, tuple(new_vectors), tuple(risks_of(cls, plan.diff)),
                      tuple(class_paths.assignment_text(p, v) for p, v in assignments),
                      tuple(described))


class ImmutableChange(UsageError):
    """A ``--set`` of a setting Weaviate cannot change in place."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} cannot change in place: {reason}; nothing was sent")
        self.path = path
