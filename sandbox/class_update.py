"""``PUT /v1/schema/{className}``: which fields may change, with Weaviate's messages (§4.4).

Weaviate checks an update twice (``usecases/schema/class.go`` ``UpdateClassInternal``):
before the RAFT apply (defaults and parsing, the multi-tenancy toggle, the replication factor
against the replicas of each shard, the class name, named vectors' vectorizers, the inverted
index flags) with plain messages, then inside it (``usecases/schema/parser.go``
``ParseClassUpdate``: module configs, named vectors, the legacy vectorizer and index, sharding,
properties), where ``cluster/schema/manager.go`` wraps every error as
``updating schema: TYPE_UPDATE_CLASS: bad request :parse class update: `` and the parser adds
its own prefixes (``validate vector index config: ``, ``invalid update for vector "v": ``,
``validate sharding config: ``). The checks run in that order.
"""

from __future__ import annotations

from typing import Any

from sandbox.classes import SchemaError, build_class
from sandbox.store import Collection

RAFT_PREFIX = "updating schema: TYPE_UPDATE_CLASS: bad request :parse class update: "
HNSW_IMMUTABLE = ("efConstruction", "maxConnections", "cleanupIntervalSeconds", "distance")
INVERTED_IMMUTABLE = {"indexTimestamps": "indexTimestamp", "indexNullState": "indexNullState",
                      "indexPropertyLength": "indexPropertyLength"}
MUTABLE_MODULES = ("generative", "reranker")


def _reject(message: str, raft: bool = False) -> SchemaError:
    return SchemaError((RAFT_PREFIX if raft else "") + message)


def _changed(name: str, old: Any, new: Any, raft: bool = True) -> SchemaError:
    return _reject(f'{name} is immutable: attempted change from "{old}" to "{new}"', raft)


def _strip_descriptions(props: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for prop in props:
        prop = {k: v for k, v in prop.items() if k != "description"}
        if "nestedProperties" in prop:
            prop["nestedProperties"] = _strip_descriptions(prop["nestedProperties"])
        out.append(prop)
    return out


def _check_index(label: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    for key in HNSW_IMMUTABLE:
        if key in old and old.get(key) != new.get(key):
            raise _changed(f"{label}{key}", old.get(key), new.get(key))
    for path in (("multivector", "enabled"), ("multivector", "muvera", "enabled")):
        before, after = old, new
        for key in path:
            before, after = (before or {}).get(key), (after or {}).get(key)
        if before != after:
            raise _changed(f"{label}{'.'.join(path)}", before, after)
    old_rq, new_rq = old.get("rq") or {}, new.get("rq") or {}
    if old_rq.get("enabled") and new_rq.get("enabled") and old_rq.get("bits") != new_rq.get(
            "bits"):
        raise _changed(f"{label}rq.bits", old_rq.get("bits"), new_rq.get("bits"))


def _check_named_vectorizers(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Pre-RAFT (``validateImmutableFields``): a named vector keeps its vectorizer."""
    for name, before in (old.get("vectorConfig") or {}).items():
        after = (new.get("vectorConfig") or {}).get(name)
        if after is not None and before["vectorizer"] != after["vectorizer"]:
            raise _reject(f'vectorizer config of vector "{name}" is immutable for class '
                          f'{old["class"]}')


def _check_vectors(old: dict[str, Any], new: dict[str, Any]) -> None:
    """In the RAFT apply: named vectors (``validateNamedVectorConfigsParityAndImmutables``),
    then the legacy vectorizer, index type and index settings, then named index settings."""
    new_named = new.get("vectorConfig") or {}
    legacy = "vectorIndexConfig" in old
    if legacy and "default" in new_named and "default" not in (old.get("vectorConfig") or {}):
        raise _reject("vector named default cannot be created when collection level vector "
                      "index is configured", True)
    for name, before in (old.get("vectorConfig") or {}).items():
        after = new_named.get(name)
        if after is None:
            raise _reject(f'missing config for vector "{name}"', True)
        if before["vectorIndexType"] != after["vectorIndexType"]:
            raise _changed(f'vector index type of vector "{name}"', before["vectorIndexType"],
                           after["vectorIndexType"])
    for key, label in (("vectorizer", "vectorizer"), ("vectorIndexType", "vector index type")):
        if old.get(key) != new.get(key):
            raise _changed(label, old.get(key) or "", new.get(key) or "")
    if legacy:
        _check_index("validate vector index config: ", old["vectorIndexConfig"],
                     new.get("vectorIndexConfig") or {})
    for name, before in (old.get("vectorConfig") or {}).items():
        _check_index(f'invalid update for vector "{name}": ', before["vectorIndexConfig"],
                     new_named[name]["vectorIndexConfig"])


def _check_modules(old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = old.get("moduleConfig") or {}, new.get("moduleConfig") or {}
    for module in set(before) | set(after):
        if before.get(module) != after.get(module) and not module.startswith(MUTABLE_MODULES):
            raise _reject("can only update generative and reranker module configs. Got: "
                          f"{module} for class: {old['class']}", True)


def update_class(col: Collection, body: Any, node_count: int) -> dict[str, Any]:
    """Validate an update of ``col`` and return the new stored class (raises ``SchemaError``)."""
    old = col.config
    if not isinstance(body, dict):
        raise _reject("class body must be a JSON object")
    if body.get("class") != old["class"]:
        raise _reject(f'class name is immutable: attempted change from "{old["class"]}" to '
                      f'"{body.get("class")}"')
    was = old["multiTenancyConfig"]["enabled"]
    now = bool((body.get("multiTenancyConfig") or {}).get("enabled"))
    if was != now:
        raise _reject(f"{'enabling' if now else 'disabling'} multi-tenancy for an existing "
                      "class is not supported")
    given = dict(body)
    if not was:
        given.setdefault("shardingConfig", old["shardingConfig"])
    new = build_class(given, node_count, updating=True)
    factor = new["replicationConfig"]["factor"]
    for shard, nodes in sorted(col.placement.items()):
        if factor > len(nodes):
            raise _reject(f'not enough replicas in shard "{shard}" to increase replication '
                          f'factor to {factor} for class "{old["class"]}"')
    _check_named_vectorizers(old, new)
    for key, label in INVERTED_IMMUTABLE.items():
        before = bool(old["invertedIndexConfig"].get(key))
        after = bool(new["invertedIndexConfig"].get(key))
        if before != after:
            raise _reject(f'"{label}" setting is immutable. Value changed from '
                          f'"{str(before).lower()}" to "{str(after).lower()}"')
    # from here on: inside the RAFT apply (ParseClassUpdate)
    _check_modules(old, new)
    _check_vectors(old, new)
    if not was:
        for key, label in (("desiredCount", "re-sharding not supported yet: shard count"),
                           ("virtualPerPhysical", "virtual shards per physical")):
            if old["shardingConfig"][key] != new["shardingConfig"][key]:
                raise _changed(f"validate sharding config: {label}", old["shardingConfig"][key],
                               new["shardingConfig"][key])
        new["shardingConfig"] = old["shardingConfig"]
    if _strip_descriptions(old["properties"]) != _strip_descriptions(new["properties"]):
        raise _reject("property fields other than description cannot be updated through "
                      "updating the class. Use the add property feature (e.g. \"POST "
                      "/v1/schema/{className}/properties\") to add additional properties", True)
    return new
