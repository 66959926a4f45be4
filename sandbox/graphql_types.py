"""The part of Weaviate's GraphQL schema the sandbox models, built from the classes.

``WeaviateObj`` { Get, Aggregate, Explore }; ``GetObjectsObj`` and ``AggregateObjectsObj``
with one field per class and per alias (adapters/handlers/graphql/local/get/class_builder.go
``kinds``, local/aggregate); ``<Class>`` { properties, _additional } and
``<Class>Additional`` { id, creationTimeUnix, ... } (class_builder.go ``classObject``,
``additionalFields``); ``Aggregate<Class>`` { aggregatable properties, meta, groupedBy } and
``Aggregate<Class>MetaObject`` { count }. Of a ``<Class>``, the scalar properties (and lists
of them), ``_additional { id creationTimeUnix lastUpdateTimeUnix }`` and the ``limit``,
``offset`` and ``tenant`` arguments are emulated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.classes import upper_first
from sandbox.store import Collection, Database

ROOT, AGGREGATE, GET = "WeaviateObj", "AggregateObjectsObj", "GetObjectsObj"
CLASS_ARGS = ("limit", "where", "groupBy", "nearVector", "nearObject", "objectLimit", "hybrid")
# class_builder_fields.go buildGetClassField (no vectorizer module: no nearText)
GET_ARGS = ("after", "limit", "offset", "autocut", "sort", "nearVector", "nearObject", "where",
            "group", "groupBy", "hybrid", "bm25", "consistencyLevel")
GET_DEFAULT_LIMIT = 100  # QUERY_DEFAULTS_LIMIT_GRAPHQL
# a primitive property's GraphQL type (class_builder_fields.go primitiveField)
PRIMITIVES = {"text": "String", "string": "String", "int": "Int", "number": "Float",
              "boolean": "Boolean", "date": "String", "uuid": "String", "blob": "String"}
NOT_AGGREGATABLE = {"uuid", "uuid[]", "geoCoordinates", "phoneNumber", "object", "object[]"}
SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
SCALAR_NAMES = SCALARS | {"DateTime", "FieldSet"}  # every GraphQL scalar's name


@dataclass(slots=True)
class FieldDef:
    """A field of the modelled schema; ``inner`` is the object type of its selection."""

    type_label: str
    inner: str | None = None
    args: tuple[str, ...] = ()
    col: Collection | None = None
    emulated: bool = True
    emulated_args: tuple[str, ...] = ("tenant",)


class ClassFields(Mapping[str, FieldDef]):
    """One field per class and per alias (``GetObjectsObj``, ``AggregateObjectsObj``), each
    made when a query names it."""

    def __init__(self, classes: dict[str, Collection],
                 make: Callable[[Collection], FieldDef]) -> None:
        self._classes, self._make = classes, make

    def __getitem__(self, name: str) -> FieldDef:
        return self._make(self._classes[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)


class Types(dict[str, Mapping[str, FieldDef]]):
    """Object type name -> fields, as Weaviate builds its GraphQL schema from the classes.

    Weaviate builds its schema once per schema change; the sandbox builds it per request,
    so the fields of a class are made only when a query reaches them: a request costs what
    it uses, not what the schema holds.
    """

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        fields_by_name = dict(db.collections)
        fields_by_name.update({a: db.collections[c] for a, c in db.aliases.items()
                               if c in db.collections})
        self[ROOT] = {"Aggregate": FieldDef(AGGREGATE, AGGREGATE),
                      "Explore": FieldDef("[ExploreObj]", emulated=False),
                      "Get": FieldDef(GET, GET)}
        self[AGGREGATE] = ClassFields(fields_by_name, _aggregate_field)
        self[GET] = ClassFields(fields_by_name, _get_field)

    def __missing__(self, type_name: str) -> Mapping[str, FieldDef]:
        """``<Class>``, ``<Class>Additional``, ``Aggregate<Class>`` and
        ``Aggregate<Class>MetaObject``, made on first use."""
        col = self._db.collections.get(type_name.removeprefix("_")) or \
            self._db.collections.get(type_name.removesuffix("Additional"))
        if col is not None:
            obj = _object_name(col.name)
            fields = {p["name"]: _property_field(p) for p in col.config.get("properties") or []}
            fields["_additional"] = FieldDef(f"{col.name}Additional", f"{col.name}Additional")
            self[obj], self[f"{col.name}Additional"] = fields, _additional_fields(col)
            if type_name in self:
                return self[type_name]
        rest = type_name.removeprefix("Aggregate")
        for cls in (rest, rest.removesuffix("MetaObject")) if rest != type_name else ():
            col = self._db.collections.get(cls)
            if col is not None:
                obj = f"Aggregate{col.name}"
                fields = {p["name"]: FieldDef(f"{obj}{upper_first(p['name'])}Obj",
                                              emulated=False)
                          for p in col.config.get("properties") or []
                          if p["dataType"][0] not in NOT_AGGREGATABLE}
                fields["meta"] = FieldDef(f"{obj}MetaObject", f"{obj}MetaObject")
                fields["groupedBy"] = FieldDef(f"{obj}GroupedByObj", emulated=False)
                self[obj], self[f"{obj}MetaObject"] = fields, {"count": FieldDef("Int")}
                if type_name in self:
                    return self[type_name]
        raise KeyError(type_name)

    def find(self, type_name: str) -> Mapping[str, FieldDef] | None:
        """A modelled type's fields, or None."""
        try:
            return self[type_name]
        except KeyError:
            return None


def _aggregate_field(col: Collection) -> FieldDef:
    obj = f"Aggregate{col.name}"
    return FieldDef(f"[{obj}]", obj, CLASS_ARGS + (("tenant",) if col.multi_tenant else ()),
                    col)


def _object_name(name: str) -> str:
    """A class's object type: an underscore before a class named like a built-in scalar
    (class_builder.go ``getClassObjectName``)."""
    return f"_{name}" if name in SCALAR_NAMES else name


def _get_field(col: Collection) -> FieldDef:
    obj = _object_name(col.name)
    return FieldDef(f"[{obj}]", obj, GET_ARGS + (("tenant",) if col.multi_tenant else ()), col,
                    emulated_args=("tenant", "limit", "offset"))


def _property_field(prop: dict[str, Any]) -> FieldDef:
    """A property of a Get object: primitives and their lists are emulated; geo
    coordinates, phone numbers, nested objects and references are not."""
    data_type = prop["dataType"][0]
    scalar = PRIMITIVES.get(data_type.removesuffix("[]"))
    if scalar is None:
        return FieldDef(data_type, emulated=False)
    return FieldDef(f"[{scalar}]" if data_type.endswith("[]") else scalar)


def _additional_fields(col: Collection) -> dict[str, FieldDef]:
    """``<Class>Additional``: what an object carries besides its properties; the scores and
    vectors of searches, classification and groups are not emulated."""
    fields = {name: FieldDef("String") for name in ("id", "creationTimeUnix",
                                                    "lastUpdateTimeUnix")}
    for name, label in (("certainty", "Float"), ("distance", "Float"), ("vector", "[Float]"),
                        ("score", "String"), ("explainScore", "String"),
                        ("classification", f"{col.name}AdditionalClassification"),
                        ("group", f"{col.name}AdditionalGroup")):
        fields[name] = FieldDef(label, emulated=False)
    if (col.config.get("replicationConfig") or {}).get("factor", 1) > 1:
        fields["isConsistent"] = FieldDef("Boolean", emulated=False)
    return fields
