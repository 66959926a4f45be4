"""The part of Weaviate's GraphQL schema the sandbox models, built from the classes.

``WeaviateObj`` { Get, Aggregate, Explore }; ``GetObjectsObj`` and ``AggregateObjectsObj``
with one field per class and per alias (adapters/handlers/graphql/local/get/class_builder.go
``kinds``, local/aggregate); ``Aggregate<Class>`` { aggregatable properties, meta,
groupedBy } and ``Aggregate<Class>MetaObject`` { count }.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.classes import upper_first
from sandbox.store import Collection, Database

ROOT, AGGREGATE, GET = "WeaviateObj", "AggregateObjectsObj", "GetObjectsObj"
CLASS_ARGS = ("limit", "where", "groupBy", "nearVector", "nearObject", "objectLimit", "hybrid")
NOT_AGGREGATABLE = {"uuid", "uuid[]", "geoCoordinates", "phoneNumber", "object", "object[]"}
SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


@dataclass(slots=True)
class FieldDef:
    """A field of the modelled schema; ``inner`` is the object type of its selection."""

    type_label: str
    inner: str | None = None
    args: tuple[str, ...] = ()
    col: Collection | None = None
    emulated: bool = True


class Types(dict[str, dict[str, FieldDef]]):
    """Object type name -> fields, as Weaviate builds its GraphQL schema from the classes.

    Weaviate builds its schema once per schema change; the sandbox builds it per request,
    so a class's ``Aggregate<Class>`` types are made only when a query reaches them: a
    request costs what it uses, not what the schema holds.
    """

    def __init__(self, db: Database) -> None:
        super().__init__()
        fields_by_name = dict(db.collections)
        fields_by_name.update({a: db.collections[c] for a, c in db.aliases.items()
                               if c in db.collections})
        self[ROOT] = {"Aggregate": FieldDef(AGGREGATE, AGGREGATE),
                      "Explore": FieldDef("[ExploreObj]", emulated=False),
                      "Get": FieldDef(GET, emulated=False)}
        self[AGGREGATE], self[GET] = {}, {}
        self._classes: dict[str, Collection] = {}
        for name, col in fields_by_name.items():
            obj = f"Aggregate{col.name}"
            args = CLASS_ARGS + (("tenant",) if col.multi_tenant else ())
            self[AGGREGATE][name] = FieldDef(f"[{obj}]", obj, args, col)
            self[GET][name] = FieldDef(f"[{object_name(col.name)}]", emulated=False)
            self._classes[obj] = col

    def __missing__(self, type_name: str) -> dict[str, FieldDef]:
        col = self._classes.get(type_name.removesuffix("MetaObject"))
        if col is None:
            raise KeyError(type_name)
        obj = f"Aggregate{col.name}"
        fields = {p["name"]: FieldDef(f"{obj}{upper_first(p['name'])}Obj", emulated=False)
                  for p in col.config.get("properties") or []
                  if p["dataType"][0] not in NOT_AGGREGATABLE}
        fields["meta"] = FieldDef(f"{obj}MetaObject", f"{obj}MetaObject")
        fields["groupedBy"] = FieldDef(f"{obj}GroupedByObj", emulated=False)
        self[obj], self[f"{obj}MetaObject"] = fields, {"count": FieldDef("Int")}
        return self[type_name]

    def find(self, type_name: str) -> dict[str, FieldDef] | None:
        """A modelled type's fields, or None."""
        try:
            return self[type_name]
        except KeyError:
            return None


def object_name(cls: str) -> str:
    """A class's Get object type: an underscore before a class named like a built-in scalar
    (class_builder.go ``getClassObjectName``)."""
    return f"_{cls}" if cls in SCALARS | {"DateTime", "FieldSet"} else cls
