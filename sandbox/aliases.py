"""``/v1/aliases`` endpoints (§6.2): an alias names a collection wherever a name is read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.classes import CLASS_NAME, upper_first
from sandbox.http import Request, Response, empty, fail, json_response
from sandbox.store import Database

if TYPE_CHECKING:
    from sandbox.state import State


APPLY_CREATE = "updating schema: TYPE_CREATE_ALIAS: create alias: "


def _alias(alias: str, target: str) -> dict[str, str]:
    return {"alias": alias, "class": target}


def _require_target(db: Database, target: str) -> None:
    if target not in db.collections:
        raise fail(422, f'validation: target class "{target}" does not exist')


def list_aliases(app: State, request: Request) -> Response:
    """``GET /v1/aliases[?class=X]``."""
    db = app.db
    target = request.query.get("class")
    with db.lock:
        items = [_alias(a, c) for a, c in db.aliases.items()
                 if target is None or c == upper_first(target)]
    return json_response({"aliases": items})


def create_alias(app: State, request: Request) -> Response:
    """``POST /v1/aliases`` with ``{"alias": .., "class": ..}``, checked in Weaviate's order
    (usecases/schema/alias.go ``AddAlias``, then cluster/schema/schema.go ``createAlias``
    behind the RAFT apply, whose errors carry ``updating schema: TYPE_CREATE_ALIAS: ``).
    An alias equal to a class name is not a validation error there, so it answers 500."""
    db = app.db
    body = request.json()
    alias = upper_first((body or {}).get("alias") or "")
    target = upper_first((body or {}).get("class") or "")
    if not CLASS_NAME.match(alias):
        raise fail(422, f"validation: '{alias}' is not a valid alias name")
    if not CLASS_NAME.match(target):
        raise fail(422, f"validation: '{target}' is not a valid class name")
    with db.lock:
        _require_target(db, target)
        if db.similar_alias(alias) is not None:
            raise fail(422, f"validation: {APPLY_CREATE}{alias}, alias already exists")
        if alias in db.collections:
            raise fail(500, f"{APPLY_CREATE}class {alias} already exists")
        db.set_alias(alias, target)
    return json_response(_alias(alias, target))


def get_alias(app: State, request: Request) -> Response:
    """``GET /v1/aliases/{aliasName}``: 404 without a body when absent."""
    db = app.db
    alias = upper_first(request.params["aliasName"])
    with db.lock:
        target = db.aliases.get(alias)
    return empty(404) if target is None else json_response(_alias(alias, target))


def update_alias(app: State, request: Request) -> Response:
    """``PUT /v1/aliases/{aliasName}`` with ``{"class": ..}``: point the alias elsewhere."""
    db = app.db
    alias = upper_first(request.params["aliasName"])
    target = upper_first((request.json() or {}).get("class") or "")
    with db.lock:
        if alias not in db.aliases:
            return empty(404)
        _require_target(db, target)
        db.set_alias(alias, target)
    return json_response(_alias(alias, target))


def delete_alias(app: State, request: Request) -> Response:
    """``DELETE /v1/aliases/{aliasName}``: 204, or 404 without a body."""
    db = app.db
    alias = upper_first(request.params["aliasName"])
    with db.lock:
        found = db.drop_alias(alias)
    return empty(204 if found else 404)


ROUTES = [
    ("GET", "/v1/aliases", list_aliases),
    ("POST", "/v1/aliases", create_alias),
    ("GET", "/v1/aliases/{aliasName}", get_alias),
    ("PUT", "/v1/aliases/{aliasName}", update_alias),
    ("DELETE", "/v1/aliases/{aliasName}", delete_alias),
]
