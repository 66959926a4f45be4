"""Database users (``/v1/users/db``) as ``AUTHENTICATION_DB_USERS_ENABLED`` has them.

Statuses, bodies and checks follow adapters/handlers/rest/db_users/handlers_db_users.go;
keys have Weaviate's shape (usecases/auth/authentication/apikey/keys/key_generation.go):
base64 of ``<16-char identifier>_<44-char secret>_v200``. A created or rotated key works
at once; a deactivated user's key answers 401 ``unauthorized: invalid api key: user
deactivated`` (apikey/db_users.go).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.db_user_store import ZERO_TIME, DbUser
from sandbox.http import ApiError, Request, Response, empty, fail, json_response
from sandbox.permissions import CREATE, DELETE, READ, UPDATE, users
from sandbox.rbac import subject

if TYPE_CHECKING:
    from sandbox.state import State

_USER_NAME = re.compile(r"^[A-Za-z][-_0-9A-Za-z@.]{0,128}$")
NOT_ENABLED = "db user management is not enabled"


def _static_users(app: State) -> list[str]:
    return list(dict.fromkeys(app.auth.keys.values()))


def _is_root_caller(app: State, request: Request) -> bool:
    return app.rbac.is_root(request.user or "")


def _info(app: State, request: Request, user_id: str, user: DbUser | None) -> dict[str, Any]:
    info: dict[str, Any] = {"active": True if user is None else user.active}
    if user is not None and _is_root_caller(app, request):
        info["apiKeyFirstLetters"] = user.first_letters
    info["createdAt"] = user.created_at if user else ZERO_TIME
    info["dbUserType"] = "db_user" if user else "db_env_user"
    wanted = request.query.get("includeLastUsedTime") == "true"
    info["lastUsedAt"] = user.last_used if user and wanted else ZERO_TIME
    info["roles"] = app.rbac.roles_of(subject(user_id))
    info["userId"] = user_id
    return info


def _allowed(app: State, request: Request, verb: str) -> str:
    """The path's user id once the caller may use ``verb`` on it and db users are on (every
    handler checks both first)."""
    user_id = request.params["user_id"]
    message = app.rbac.denial(request.user or "", verb, *users(user_id))
    if message:
        raise fail(403, message)
    if not app.db_users.enabled:
        raise fail(422, NOT_ENABLED)
    return user_id


def list_users(app: State, request: Request) -> Response:
    """``GET /v1/users/db``: the dynamic users the caller may read; root also sees static
    users (``db_env_user``); ``[]`` when db users are off."""
    if not app.db_users.enabled:
        return json_response([])
    with app.db_users.lock:
        known = dict(app.db_users.users)
    visible = [u for u in known
               if app.rbac.denial(request.user or "", READ, *users(u)) is None]
    out = [_info(app, request, u, known[u]) for u in visible]
    if _is_root_caller(app, request):
        out += [_info(app, request, u, None) for u in _static_users(app) if u not in known]
    return json_response(out)


def get_user(app: State, request: Request) -> Response:
    """``GET /v1/users/db/{user_id}``."""
    user_id = _allowed(app, request, READ)
    user = app.db_users.users.get(user_id)
    if user is None and not (_is_root_caller(app, request) and user_id in _static_users(app)):
        return empty(404)
    return json_response(_info(app, request, user_id, user))


def create_user(app: State, request: Request) -> Response:
    """``POST /v1/users/db/{user_id}``: 201 ``{"apikey": ..}``, shown this once."""
    user_id = request.params["user_id"]
    if len(user_id) > 128:
        raise fail(422, f"'{user_id}' is not a valid user name. Name should not be longer "
                        "than 128 characters")
    if not _USER_NAME.match(user_id):
        raise fail(422, f"'{user_id}' is not a valid user name")
    _allowed(app, request, CREATE)
    body = request.json(required=False) or {}
    if body.get("import"):
        if not _is_root_caller(app, request) and app.rbac.enabled:
            raise fail(403, "only root users can import static api keys")
        raise fail(404, f"static user {user_id} does not exist")  # the sandbox imports none
    if user_id in _static_users(app):
        raise fail(409, f"user '{user_id}' already exists")
    if app.rbac.is_root(user_id):
        raise fail(422, "cannot create db user with root user name")
    if user_id in app.auth.read_only_users:
        raise fail(422, "cannot create db user with admin list name")
    if user_id in app.db_users.users:
        raise fail(409, f"user '{user_id}' already exists")
    return json_response({"apikey": app.db_users.issue(user_id)}, 201)


def _existing(app: State, user_id: str) -> DbUser:
    """The dynamic user; a static one is 422, an unknown one 404 without a body."""
    user = app.db_users.users.get(user_id)
    if user is None:
        if user_id in _static_users(app):
            raise fail(422, f"user '{user_id}' is static user")
        raise ApiError(empty(404))
    return user


def rotate_key(app: State, request: Request) -> Response:
    """``POST /v1/users/db/{user_id}/rotate-key``: 200 with the new key; the old one dies."""
    user_id = _allowed(app, request, UPDATE)
    _existing(app, user_id)
    return json_response({"apikey": app.db_users.issue(user_id)})


def _not_self_or_root(app: State, request: Request, verb: str, what: str) -> str:
    user_id = _allowed(app, request, verb)
    if user_id == request.user:
        raise fail(422, f'cannot {what} its own user "{user_id}"')
    if app.rbac.is_root(user_id):
        raise fail(422, f"cannot {what} root user")
    return user_id


def delete_user(app: State, request: Request) -> Response:
    """``DELETE /v1/users/db/{user_id}``: 204; its role assignments go with it."""
    user_id = _not_self_or_root(app, request, DELETE, "delete")
    _existing(app, user_id)
    with app.db_users.lock:
        app.db_users.users.pop(user_id, None)
    app.rbac.forget(subject(user_id))
    return empty(204)


def deactivate_user(app: State, request: Request) -> Response:
    """``POST /v1/users/db/{user_id}/deactivate`` (``{"revoke_key": bool}``): 200, 409 when
    already inactive."""
    user_id = _not_self_or_root(app, request, UPDATE, "deactivate")
    user = _existing(app, user_id)
    if not user.active:
        return empty(409)
    body = request.json(required=False) or {}
    with app.db_users.lock:
        user.active = False
        user.revoked = user.revoked or bool(body.get("revoke_key"))
    return empty(200)


def activate_user(app: State, request: Request) -> Response:
    """``POST /v1/users/db/{user_id}/activate``: 200, 409 when already active."""
    user_id = _allowed(app, request, UPDATE)
    if app.rbac.is_root(user_id):
        raise fail(422, "cannot activate root user")
    user = _existing(app, user_id)
    if user.active:
        return empty(409)
    with app.db_users.lock:
        user.active = True
    return empty(200)


ROUTES = [
    ("GET", "/v1/users/db", list_users),
    ("GET", "/v1/users/db/{user_id}", get_user),
    ("POST", "/v1/users/db/{user_id}", create_user),
    ("DELETE", "/v1/users/db/{user_id}", delete_user),
    ("POST", "/v1/users/db/{user_id}/rotate-key", rotate_key),
    ("POST", "/v1/users/db/{user_id}/activate", activate_user),
    ("POST", "/v1/users/db/{user_id}/deactivate", deactivate_user),
]
