"""Collection (class) definitions: name rules and the defaults Weaviate fills in on create.

Pure functions over class JSON, following REST-BEHAVIOUR.md §4.1-4.2. They raise
``SchemaError`` with Weaviate's messages; they never touch the store.
"""

from __future__ import annotations

import copy
import re
from typing import Any

CLASS_NAME = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,230}$")
NESTED_PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
RESERVED_PROPERTIES = {"_additional", "_id", "id"}
RESERVED_SUFFIXES = (
    "_searchable", "_rangeable", "_temp", "__meta_count", "_propertyLength", "_nullState",
)
SCALAR_TYPES = {
    "text", "int", "number", "boolean", "date", "uuid", "geoCoordinates", "phoneNumber",
    "blob", "blobHash", "object",
}
ARRAY_TYPES = {"text[]", "int[]", "number[]", "boolean[]", "date[]", "uuid[]", "object[]"}
TEXT_TYPES = {"text", "text[]"}
RANGE_TYPES = {"int", "number", "date"}
TOKENIZATIONS = {"word", "lowercase", "whitespace", "field", "trigram"}
VECTOR_INDEX_TYPES = {"hnsw", "flat", "dynamic"}
DELETION_STRATEGIES = {"NoAutomatedResolution", "DeleteOnConflict", "TimeBasedResolution"}
COMPRESSIONS = ("pq", "bq", "sq", "rq")


def upper_first(name: str) -> str:
    """Weaviate uppercases byte 0 of every class name it reads."""
    return name[:1].upper() + name[1:]


def lower_first(name: str) -> str:
    """Weaviate lowercases byte 0 of every property name it reads."""
    return name[:1].lower() + name[1:]


def is_reference(data_type: list[str]) -> bool:
    """A reference dataType is a list of class names, primitives are lowercase words (Go's
    ``IsRefDataType``: a first character that uppercasing leaves alone, such as ``_``)."""
    first = data_type[0][:1] if data_type else ""
    return len(data_type) > 1 or (first != "" and first.upper() == first)


class SchemaError(ValueError):
    """A class or property Weaviate refuses; the schema handlers answer it with the
    ``{"allowed":null,"error":[..]}`` 422, object writes (auto-schema) as invalid objects."""


def _reject(message: str) -> SchemaError:
    return SchemaError(message)


def check_class_name(name: str) -> str:
    """Return the case-fixed class name or raise Weaviate's 422."""
    fixed = upper_first(name)
    if fixed.lower() == "raft":
        raise _reject("parse class name: class name `raft` is reserved")
    if len(fixed) > 255:
        raise _reject(
            f"'{fixed}' is not a valid class name. Name should not be longer than 255 characters"
        )
    if not CLASS_NAME.match(fixed):
        raise _reject(f"'{fixed}' is not a valid class name")
    return fixed


def hnsw_defaults() -> dict[str, Any]:
    """The HNSW index configuration a 1.3x server fills in (§4.2)."""
    return {
        "skip": False, "cleanupIntervalSeconds": 300, "maxConnections": 32,
        "efConstruction": 128, "ef": -1, "dynamicEfMin": 100, "dynamicEfMax": 500,
        "dynamicEfFactor": 8, "vectorCacheMaxObjects": 1000000000000,
        "flatSearchCutoff": 40000, "distance": "cosine",
        "pq": {"enabled": False, "bitCompression": False, "segments": 0, "centroids": 256,
               "trainingLimit": 100000,
               "encoder": {"type": "kmeans", "distribution": "log-normal"}},
        "bq": {"enabled": False},
        "sq": {"enabled": False, "trainingLimit": 100000, "rescoreLimit": 20},
        "rq": {"enabled": False, "bits": 8, "rescoreLimit": 20},
        "filterStrategy": "acorn",
        "multivector": {"enabled": False,
                        "muvera": {"enabled": False, "ksim": 4, "dprojections": 16,
                                   "repetitions": 10},
                        "aggregation": "maxSim"},
        "skipDefaultQuantization": False, "trackDefaultQuantization": False,
    }


def flat_defaults() -> dict[str, Any]:
    """The flat index configuration (entities/vectorindex/flat) [inferred field set]."""
    return {
        "distance": "cosine", "vectorCacheMaxObjects": 1000000000000,
        "pq": {"enabled": False, "rescoreLimit": -1, "cache": False},
        "bq": {"enabled": False, "rescoreLimit": -1, "cache": False},
        "sq": {"enabled": False, "rescoreLimit": -1, "cache": False},
        "rq": {"enabled": False, "bits": 8, "rescoreLimit": -1, "cache": False},
        "skipDefaultQuantization": False, "trackDefaultQuantization": False,
    }


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def vector_index(index_type: str | None, config: dict[str, Any] | None) -> tuple[str, dict]:
    """Validate an index type and fill its configuration defaults."""
    index_type = index_type or "hnsw"
    if index_type not in VECTOR_INDEX_TYPES:
        raise _reject(f'unrecognized or unsupported vectorIndexType "{index_type}"')
    if index_type == "dynamic":
        raise _reject("the dynamic index can only be created when async indexing is enabled")
    base = hnsw_defaults() if index_type == "hnsw" else flat_defaults()
    merged = _merge(base, config or {})
    enabled = [c for c in COMPRESSIONS if merged.get(c, {}).get("enabled")]
    if len(enabled) > 1:
        raise _reject(
            f"invalid {index_type} config: more than a single compression methods enabled")
    return index_type, merged


def check_vectorizer(vectorizer: Any) -> None:
    """Only ``none`` exists: the sandbox registers no vectorizer modules."""
    name = vectorizer if isinstance(vectorizer, str) else next(iter(vectorizer or {"none": 0}))
    if name != "none":
        raise _reject(f'vectorizer: no module with name "{name}" present')


def _named_vectors(config: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, entry in config.items():
        vectorizer = entry.get("vectorizer") or {"none": {}}
        if not isinstance(vectorizer, dict) or len(vectorizer) != 1:
            raise _reject(f"class.VectorConfig.Vectorizer of vector {name!r} must be a one-key map")
        try:  # usecases/schema/class.go prefixes each named vector's errors with its name
            check_vectorizer(vectorizer)
            index_type, index_config = vector_index(
                entry.get("vectorIndexType"), entry.get("vectorIndexConfig")
            )
        except SchemaError as exc:
            raise _reject(f'target vector "{name}": {exc}') from None
        out[name] = {**entry, "vectorizer": vectorizer, "vectorIndexType": index_type,
                     "vectorIndexConfig": index_config}
    return out


def data_type_problem(data_type: list[str]) -> str | None:
    """Why Weaviate refuses ``data_type``, or None: a single lowercase word must be a known
    primitive, anything else is a list of class names, taken as written (not case-fixed)
    (``entities/schema/data_types.go`` ``FindPropertyDataTypeWithRefsAndAuth``)."""
    if not data_type:
        return "dataType must have at least one element"
    if len(data_type) == 1:
        word = data_type[0]
        if word in SCALAR_TYPES | ARRAY_TYPES:
            return None
        if not word:
            return "dataType cannot be an empty string"
        if not is_reference(data_type):
            return f"unknown primitive data type '{word}'"
    for word in data_type:
        if not CLASS_NAME.match(word):
            return f"'{word}' is not a valid class name"
    return None


def check_property(prop: dict[str, Any], nested: bool = False) -> dict[str, Any]:
    """Validate one property (of a class, ``POST .../properties`` or auto-schema) and fill its
    defaults."""
    prop = dict(prop)
    name = prop.get("name") or ""
    if not nested:
        name = lower_first(name)
        if name in RESERVED_PROPERTIES:
            raise _reject(f"'{name}' is a reserved property name")
        if not PROPERTY_NAME.match(name):
            raise _reject(
                f"'{name}' is not a valid property name. Property names in Weaviate are "
                "restricted to valid GraphQL names, which must be “/[_A-Za-z][_0-9A-Za-z]{0,230}/”"
            )
        for suffix in RESERVED_SUFFIXES:
            if name.endswith(suffix):
                raise _reject(
                    f"'{name}' is not a valid property name: "
                    f"suffix '{suffix}' is reserved for internal indices"
                )
    elif not NESTED_PROPERTY_NAME.match(name):
        raise _reject(f"'{name}' is not a valid nested property name")
    prop["name"] = name
    data_type = list(prop.get("dataType") or [])
    if data_type in (["string"], ["string[]"]):
        data_type = ["text" + data_type[0][6:]]
        if prop.get("tokenization") in (None, "word"):
            prop["tokenization"] = "whitespace"
    problem = data_type_problem(data_type)
    if problem is None and nested and is_reference(data_type):
        problem = "dataType not found"
    if problem:
        raise _reject(f"property '{name}': invalid dataType: [{' '.join(data_type)}]: "
                      f"{problem}")
    primitive = data_type[0] if data_type[0] in SCALAR_TYPES | ARRAY_TYPES else None
    prop["dataType"] = data_type
    _index_flags(prop, primitive, nested)
    if primitive in ("object", "object[]"):
        children = prop.get("nestedProperties")
        if not children:
            raise _reject(
                f"property '{name}': At least one nested property is required for data type "
                "object/object[]"
            )
        prop["nestedProperties"] = [check_property(child, nested=True) for child in children]
    elif prop.get("nestedProperties"):
        raise _reject(
            f"property '{name}': nestedProperties not allowed for data types other than "
            "object/object[]"
        )
    if not prop.get("description"):
        prop.pop("description", None)
    return prop


def _index_flags(prop: dict[str, Any], primitive: str | None, nested: bool) -> None:
    if "indexInverted" in prop:
        inverted = prop.pop("indexInverted")
        if any(k in prop for k in ("indexFilterable", "indexSearchable", "indexRangeFilters")):
            raise _reject(
                "`indexInverted` is deprecated and can not be set together with "
                "`indexFilterable`, `indexSearchable` or `indexRangeFilters`"
            )
        if inverted is False:
            prop["indexFilterable"] = prop["indexSearchable"] = False
    is_text = primitive in TEXT_TYPES
    if prop.get("indexSearchable") and not is_text:
        raise _reject(
            "`indexSearchable` is allowed only for text/text[] data types. "
            "For other data types set false or leave empty"
        )
    if prop.get("indexRangeFilters") and primitive not in RANGE_TYPES:
        raise _reject(
            "`indexRangeFilters` is allowed only for number/int/date data types. "
            "For other data types set false or leave empty"
        )
    prop.setdefault("indexFilterable", not (nested and primitive == "blob"))
    prop.setdefault("indexSearchable", is_text)
    prop.setdefault("indexRangeFilters", False)
    tokenization = prop.get("tokenization")
    if is_text:
        tokenization = tokenization or "word"
        if tokenization not in TOKENIZATIONS:
            raise _reject(f"tokenization '{tokenization}' is not allowed for data type "
                          f"'{primitive}'")
        prop["tokenization"] = tokenization
    elif tokenization:
        raise _reject(f"tokenization is not allowed for data type '{primitive or 'reference'}'")
    else:
        prop.pop("tokenization", None)


def check_no_duplicates(class_name: str, props: list[dict[str, Any]]) -> None:
    """Property names must be unique, case-insensitively."""
    seen: set[str] = set()
    for prop in props:
        key = prop["name"].lower()
        if key in seen:
            raise _reject(
                f'class "{class_name}": conflict for property "{prop["name"]}": '
                "already in use or provided multiple times"
            )
        seen.add(key)


def _sharding(given: dict[str, Any] | None, node_count: int) -> dict[str, Any]:
    given = given or {}
    for key, allowed in (("key", "_id"), ("strategy", "hash"), ("function", "murmur3")):
        if given.get(key, allowed) != allowed:
            raise _reject(f'sharding {key} "{given[key]}" is not supported, use "{allowed}"')
    virtual = int(given.get("virtualPerPhysical") or 128)
    desired = int(given.get("desiredCount") or node_count)
    if desired < 1:
        raise _reject("sharding desiredCount must be at least 1")
    return {"virtualPerPhysical": virtual, "desiredCount": desired, "actualCount": desired,
            "desiredVirtualCount": desired * virtual, "actualVirtualCount": desired * virtual,
            "key": "_id", "strategy": "hash", "function": "murmur3"}


EMPTY_SHARDING = {"virtualPerPhysical": 0, "desiredCount": 0, "actualCount": 0,
                  "desiredVirtualCount": 0, "actualVirtualCount": 0, "key": "", "strategy": "",
                  "function": ""}


def build_class(body: Any, node_count: int, updating: bool = False) -> dict[str, Any]:
    """Validate a class body and return it with every default filled in.

    On create (``POST /v1/schema``) a multi-tenant class may not carry any
    ``shardingConfig``; on update (``updating``) Weaviate ignores it for such a class.
    """
    if not isinstance(body, dict):
        raise _reject("class body must be a JSON object")
    cls = copy.deepcopy(body)
    cls["class"] = check_class_name(cls.get("class") or "")
    if not cls.get("description"):
        cls.pop("description", None)
    named = cls.get("vectorConfig")
    legacy = any(k in cls for k in ("vectorizer", "vectorIndexType", "vectorIndexConfig"))
    # an update may add named vectors beside the class-level index (class_update checks it)
    if named and legacy and not updating and (cls.get("vectorIndexType")
                                             or cls.get("vectorIndexConfig")):
        raise _reject("creating a class with both a class level vector index and named vectors "
                      "is forbidden")
    if named:
        cls["vectorConfig"] = _named_vectors(named)
    else:
        cls.pop("vectorConfig", None)
    if not named or legacy:
        check_vectorizer(cls.get("vectorizer") or "none")
        cls["vectorizer"] = cls.get("vectorizer") or "none"
        cls["vectorIndexType"], cls["vectorIndexConfig"] = vector_index(
            cls.get("vectorIndexType"), cls.get("vectorIndexConfig"))
    props = [check_property(p) for p in cls.get("properties") or []]
    check_no_duplicates(cls["class"], props)
    cls["properties"] = props
    cls["invertedIndexConfig"] = _inverted(cls.get("invertedIndexConfig"))
    cls["multiTenancyConfig"] = _multi_tenancy(cls.get("multiTenancyConfig"))
    if cls["multiTenancyConfig"]["enabled"]:
        if cls.get("shardingConfig") is not None and not updating:
            raise _reject("cannot have both shardingConfig and multiTenancyConfig")
        cls["shardingConfig"] = dict(EMPTY_SHARDING)
    else:
        cls["shardingConfig"] = _sharding(cls.get("shardingConfig"), node_count)
    cls["replicationConfig"] = replication(cls.get("replicationConfig"), node_count)
    return cls


def _inverted(given: dict[str, Any] | None) -> dict[str, Any]:
    given = dict(given or {})
    out: dict[str, Any] = {
        "bm25": {"b": 0.75, "k1": 1.2, **(given.pop("bm25", None) or {})},
        "cleanupIntervalSeconds": given.pop("cleanupIntervalSeconds", None) or 60,
        "stopwords": {"additions": None, "preset": "en", "removals": None,
                      **(given.pop("stopwords", None) or {})},
        "usingBlockMaxWAND": given.pop("usingBlockMaxWAND", True),
    }
    for flag in ("indexTimestamps", "indexNullState", "indexPropertyLength"):
        if given.pop(flag, False):
            out[flag] = True
    out.update(given)
    return out


def _multi_tenancy(given: dict[str, Any] | None) -> dict[str, bool]:
    given = given or {}
    out = {key: bool(given.get(key, False))
           for key in ("autoTenantActivation", "autoTenantCreation", "enabled")}
    if not out["enabled"]:
        for key, word in (("autoTenantCreation", "creation"), ("autoTenantActivation",
                                                               "activation")):
            if out[key]:
                raise _reject(f"can't enable autoTenant{word.capitalize()} on a non-multi-tenant "
                              "class")
    return out


def replication(given: dict[str, Any] | None, node_count: int) -> dict[str, Any]:
    """Fill and check ``replicationConfig``; the factor cannot exceed the node count."""
    given = dict(given or {})
    given.pop("asyncEnabled", None)
    factor = int(given.get("factor") or 1)
    if factor < 1:
        raise _reject(f"invalid replication factor: setup requires a minimum replication "
                      f"factor of 1: got {factor}")
    if factor > node_count:
        raise _reject(f"init sharding state: not enough storage replicas: found {node_count} "
                      f"want {factor}")
    strategy = given.get("deletionStrategy") or "TimeBasedResolution"
    if strategy not in DELETION_STRATEGIES:
        raise _reject(f'replicationConfig.deletionStrategy "{strategy}" is not one of '
                      f"{sorted(DELETION_STRATEGIES)}")
    return {**given, "factor": factor, "deletionStrategy": strategy}


def with_async_flag(cls: dict[str, Any]) -> dict[str, Any]:
    """Add the synthesized ``replicationConfig.asyncEnabled`` that every Class response carries."""
    rep = cls["replicationConfig"]
    return {**cls, "replicationConfig": {**rep, "asyncEnabled": rep["factor"] > 1}}
