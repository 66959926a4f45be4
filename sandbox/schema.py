"""``/v1/schema`` endpoints: list, get, create, update, delete, add property (§4.3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sandbox.class_update import update_class
from sandbox.classes import (
    SchemaError,
    build_class,
    check_no_duplicates,
    check_property,
    upper_first,
    with_async_flag,
)
from sandbox.http import ApiError, Request, Response, empty, json_response, restriction_error
from sandbox.references import require_classes, require_property_classes

if TYPE_CHECKING:
    from sandbox.state import State


@contextmanager
def _restricted() -> Iterator[None]:
    """Answer a refused class or property with the RestrictionViolation 422."""
    try:
        yield
    except SchemaError as exc:
        raise ApiError(restriction_error(str(exc))) from None


def list_classes(app: State, request: Request) -> Response:
    """``GET /v1/schema``: every class, ``{"classes": []}`` when there is none."""
    db = app.db
    with db.lock:
        classes = [with_async_flag(c.config) for c in db.collections.values()]
    return json_response({"classes": classes})


def create_class(app: State, request: Request) -> Response:
    """``POST /v1/schema``: the stored class with every default filled in."""
    db = app.db
    body = request.json("objectClass")
    with db.lock, _restricted():
        config = build_class(body, app.node_count)
        db.check_new_name(config["class"])
        require_classes(db, config)  # OPERATIONS.md §3.1.5
        db.add(config)
    return json_response(with_async_flag(config))


def get_class(app: State, request: Request) -> Response:
    """``GET /v1/schema/{className}``; aliases resolve to their target; 404 has no body."""
    db = app.db
    with db.lock:
        col = db.get(request.params["className"])
        if col is None:
            return empty(404)
        return json_response(with_async_flag(col.config))


def put_class(app: State, request: Request) -> Response:
    """``PUT /v1/schema/{className}``: mutable fields only, 404 without body when missing."""
    db = app.db
    body = request.json("objectClass")
    with db.lock:
        col = db.collections.get(upper_first(request.params["className"]))
        if col is None:
            return empty(404)
        with _restricted():
            col.config = update_class(col, body, app.node_count)
        col.follow_factor()
        return json_response(with_async_flag(col.config))


def delete_class(app: State, request: Request) -> Response:
    """``DELETE /v1/schema/{className}``: 200 with no body, also when the class is absent."""
    db = app.db
    with db.lock:
        db.drop(request.params["className"])
    return empty(200)


def add_property(app: State, request: Request) -> Response:
    """``POST /v1/schema/{className}/properties``: 422 (not 404) for a missing class."""
    db = app.db
    body = request.json()
    name = upper_first(request.params["className"])
    with db.lock:
        col = db.get(name)
        with _restricted():
            if col is None:
                raise SchemaError(f'class "{name}": not found')
            if not isinstance(body, dict):
                raise SchemaError("property body must be a JSON object")
            # usecases/schema/property.go AddClassProperty checks these before the validator
            if not body.get("name"):
                raise SchemaError("property must contain name")
            if body.get("dataType") is None:
                raise SchemaError("property must contain dataType")
            prop = check_property(body)
            check_no_duplicates(col.name, [*col.config["properties"], prop])
            require_property_classes(db, col.name, prop)
        col.config["properties"].append(prop)
    return json_response(prop)


ROUTES = [
    ("GET", "/v1/schema", list_classes),
    ("POST", "/v1/schema", create_class),
    ("GET", "/v1/schema/{className}", get_class),
    ("PUT", "/v1/schema/{className}", put_class),
    ("DELETE", "/v1/schema/{className}", delete_class),
    ("POST", "/v1/schema/{className}/properties", add_property),
]
