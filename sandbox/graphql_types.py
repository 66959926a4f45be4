"""The part of Weaviate's GraphQL schema the sandbox models, built from the classes.

``WeaviateObj`` { Get, Aggregate, Explore }; ``GetObjectsObj`` and ``AggregateObjectsObj``
with one field per class and per alias (adapters/handlers/graphql/local/get/class_builder.go
``kinds``, local/aggregate); ``Aggregate<Class>`` { aggregatable properties, meta,
groupedBy } and ``Aggregate<Class>MetaObject`` { count }.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from sandbox.classes import upper_first
from sandbox.store import Collection, Database

ROOT, AGGREGATE, GET = "WeaviateObj", "AggregateObjectsObj", "GetObjectsObj"
CLASS_ARGS = ("limit", "where", "groupBy", "nearVector", "nearObject", "objectLimit", "hybrid")
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
                      "Get": FieldDef(GET, emulated=False)}
        self[AGGREGATE] = ClassFields(fields_by_name, _aggregate_field)
        self[GET] = ClassFields(fields_by_name, _get_field)

    def __missing__(self, type_name: str) -> Mapping[str, FieldDef]:
        """``Aggregate<Class>`` and ``Aggregate<Class>MetaObject``, made on first use."""
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


def _get_field(col: Collection) -> FieldDef:
    """A class's Get field: its object type has an underscore before a class named like a
    built-in scalar (class_builder.go ``getClassObjectName``)."""
    name = col.name
    return FieldDef(f"[_{name}]" if name in SCALAR_NAMES else f"[{name}]", emulated=False)
