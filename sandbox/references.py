"""Cross-references on write: beacons are parsed, their targets must exist (OPERATIONS.md §3.1.5).

Object writes (create, PUT, PATCH, validate, batch) check every beacon of a reference
property and that its target object exists, as Weaviate's validator does
(``usecases/objects/validation/properties_validation.go`` ``properties``, ``cRef``,
``parseAndValidateSingleRef``; ``model_validation.go`` ``ValidateExistence``;
``adapters/repos/db/crud.go`` ``Exists``). Schema writes refuse a reference property to a
class that does not exist, a self-reference aside (``cluster/schema/manager.go`` ``AddClass``;
``entities/schema/data_types.go`` ``FindPropertyDataTypeWithRefsAndAuth``). Functions raise
``ValueError`` (objects) or ``SchemaError`` (schema) with Weaviate's message text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from sandbox.classes import SchemaError, is_reference
from sandbox.http import go_syntax, go_type, go_value, is_uuid_format
from sandbox.store import Collection, Database
from sandbox.uuids import parse_uuid

MISSING_CLASS = "reference property to nonexistent class"
LOCALHOST = "localhost"
LOCAL_BEACON = f"weaviate://{LOCALHOST}/"
INVALID_SINGLE_REF = (
    "only direct references supported at the moment, concept references not supported yet: "
    "class '{cls}' with property '{prop}' requires exactly 1 arguments: 'beacon'. Check your "
    "input schema, got: {got}")


def require_classes(db: Database, cls: dict[str, Any]) -> None:
    """``POST /v1/schema``: every reference target must be a class, or the class itself.

    Weaviate checks this last, when the schema change is applied (after the duplicate-name
    check), with aliases not counting as classes (``schema.classExists``).
    """
    for prop in cls["properties"]:
        if is_reference(prop["dataType"]):
            for target in prop["dataType"]:
                if target != cls["class"] and target not in db.collections:
                    raise SchemaError(f"bad request: {MISSING_CLASS}")


def require_property_classes(db: Database, class_name: str, prop: dict[str, Any]) -> None:
    """``POST /v1/schema/{className}/properties``: the same rule, worded by the property
    validator (``usecases/schema/class.go`` ``validateProperty``)."""
    data_type = prop["dataType"]
    if is_reference(data_type):
        for target in data_type:
            if target != class_name and target not in db.collections:
                raise SchemaError(f"property '{prop['name']}': invalid dataType: "
                                  f"{go_value(data_type)}: {MISSING_CLASS}")


def _parse_beacon(beacon: str) -> tuple[str, str, str]:
    """``crossref.Parse``: (peer, class or "", id) of a beacon URI.

    [UNCONFIRMED] Go's ``url.Parse`` refuses a few malformed URIs (bad escapes, control
    characters) that ``urlsplit`` accepts; those are read as Python reads them.
    """
    parts = urlsplit(beacon)
    path = unquote(parts.path)
    if not path:
        # fmt's rendering of ``%w`` with the nil error url.Parse returned
        raise ValueError("invalid cref URI: %!w(<nil>)")
    segments = path.split("/")
    if len(segments) == 3:
        class_name, target, position = segments[1], segments[2], 2
    elif len(segments) == 2:
        class_name, target, position = "", segments[1], 1
    else:
        raise ValueError("invalid cref URI: path must be of format '<class>/<uuid>', but got "
                         f"'{path}'")
    if not is_uuid_format(target):
        raise ValueError(f"invalid cref URI: {position}nd path segment must be uuid, but got "
                         f"'{target}'")
    return parts.netloc, class_name, target


def _beacons(value: Any, prop: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The first pass of ``properties``: the shape of the value, every beacon parsed, and a
    class-less beacon given the class of a single-target property."""
    if not isinstance(value, list):
        raise ValueError(f"reference property is not a slice {go_value(value)}")
    parsed = []
    for item in value:
        if not isinstance(item, dict):
            # Go prints the type of the failed assertion's zero value, whatever the item was
            raise ValueError("reference property is not a map: map[string]interface {}")
        beacon = item.get("beacon")
        if not isinstance(beacon, str):
            raise ValueError(f"beacon property is not a string: {go_type(beacon)}")
        peer, class_name, target = _parse_beacon(beacon)
        if not class_name and len(prop["dataType"]) == 1:
            peer, class_name = LOCALHOST, prop["dataType"][0]
        parsed.append((peer, class_name, target))
    return parsed


def _exists(db: Database, class_name: str, object_id: str, tenant: str | None) -> bool:
    """``DB.Exists``: the class by its exact name (no alias, no case fix); a missing class
    holds nothing. A tenant a class cannot take is retried without one, since references
    may point from a multi-tenant class to a single-tenant one."""
    if not class_name:
        # [UNCONFIRMED] anyExists visits indices in map order and fails on the first
        # multi-tenant one; the sandbox only looks through the single-tenant classes.
        return any(object_id in c.partition(None) for c in db.collections.values()
                   if not c.multi_tenant)
    col = db.collections.get(class_name)
    if col is None:
        return False
    problem = col.check_tenant(tenant)
    if problem and tenant and not col.check_tenant(None):
        tenant, problem = None, None
    if problem:
        # the shard resolver's refusal, as Index.exists words it
        raise ValueError(f"invalid cref: determine shard: {problem}")
    return object_id in col.partition(tenant)


class References:
    """The reference checks of one object write: the store, the object's class and tenant."""

    def __init__(self, db: Database, col: Collection, tenant: str | None,
                 new_class: bool = False) -> None:
        self.db, self.col, self.tenant, self.new_class = db, col, tenant, new_class

    def new_property(self, prop: dict[str, Any]) -> None:
        """Auto-schema may add a reference property only to a class that exists, and says
        which of its two steps refused it (``usecases/objects/auto_schema.go``)."""
        try:
            if self.new_class:
                require_classes(self.db, {**self.col.config, "properties": [prop]})
            else:
                require_property_classes(self.db, self.col.name, prop)
        except SchemaError as exc:
            if self.new_class:
                # Weaviate creates the class with its properties in one step: nothing is left
                self.db.drop(self.col.name)
            step = "create" if self.new_class else "update"
            raise ValueError(f"auto-schema: {step} collection: {exc}") from None

    def check(self, prop: dict[str, Any], value: Any) -> list[dict[str, str]]:
        """Validate the value of one reference property and return it as Weaviate stores
        it: ``{"beacon": ...}`` items with a lowercase id, the class filled in for a
        single-target property."""
        name, cls = prop["name"], self.col.name
        stored = []
        for item, (peer, class_name, target) in zip(value, _beacons(value, prop), strict=True):
            extra = {k: v for k, v in item.items() if k != "href"}
            if len(extra) != 1:
                raise ValueError("invalid cref: " + INVALID_SINGLE_REF.format(
                    cls=cls, prop=name, got=go_syntax(extra)))
            if peer != LOCALHOST:
                raise ValueError("invalid cref: unrecognized cross-ref ref format")
            target = target.lower()
            if not _exists(self.db, class_name, parse_uuid(target) or target, self.tenant):
                raise ValueError(f"invalid cref: 'cref' {cls}:{name}: no object with id "
                                 f"{target} found")
            path = f"{class_name}/{target}" if class_name else target
            stored.append({"beacon": LOCAL_BEACON + path})
        return stored


def with_links(col: Collection, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Response objects with an ``href`` beside each beacon, as the REST object handlers add
    it (``handlers_objects.go`` ``extendReferenceWithAPILink``): ``ORIGIN`` is unset, so the
    link is the object's path. Stored references are left as they are."""
    names = [p["name"] for p in col.config["properties"] if is_reference(p["dataType"])]
    if not names:
        return objects
    for obj in objects:
        props = obj["properties"]
        linked = {n: [_linked(ref) for ref in props[n]] for n in names if props.get(n)}
        if linked:
            obj["properties"] = {**props, **linked}
    return objects


def _linked(ref: dict[str, str]) -> dict[str, str]:
    beacon = ref["beacon"]
    if not beacon.startswith(LOCAL_BEACON):
        return ref  # Weaviate leaves a beacon it cannot parse unchanged
    return {**ref, "href": "/v1/objects/" + beacon[len(LOCAL_BEACON):]}
