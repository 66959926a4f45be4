"""``/v1/authz/roles`` endpoints, answering as adapters/handlers/rest/authz/handlers_authz.go
(with namespaces off): statuses, error texts and the role-scope checks (a caller with
``*_roles`` of scope ``match`` may only hand out permissions it holds itself)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox import permission_checks as checks
from sandbox import permissions as perms
from sandbox.http import (
    ApiError,
    GoStruct,
    Request,
    Response,
    empty,
    fail,
    framework_error,
    go_decode,
    json_response,
)
from sandbox.permissions import InvalidPermission, Policy
from sandbox.rbac import BUILT_IN_ROLES, ENV_VAR_ROLES, Rbac

if TYPE_CHECKING:
    from sandbox.state import State

_ROLE_NAME_MAX = 64
_SCOPE_PREFIX = "can only create roles with less or equal permissions as the current user: "


def role_json(name: str, policies: list[Policy] | None) -> dict[str, Any]:
    """``{"name", "permissions"}``; None policies give ``null`` (a names-only listing)."""
    return {"name": name,
            "permissions": None if policies is None else [perms.to_permission(p)
                                                          for p in policies]}


def scope_denial(rbac: Rbac, user: str, verb: str, role: str,
                 policies: list[Policy] | None = None) -> str | None:
    """handlers_authz.go ``authorizeRoleScopes``: ``<verb>_ALL`` on the role, or
    ``<verb>_MATCH`` plus every permission being granted; the error text, or None."""
    if rbac.denial(user, f"{verb}_ALL", *perms.roles(role)) is None:
        return None
    match = rbac.denial(user, f"{verb}_MATCH", *perms.roles(role))
    if match is not None:
        return _SCOPE_PREFIX + match
    missing = [rbac.denial(user, p.verb, p.resource) for p in policies or ()]
    return "\n".join(m for m in missing if m) or None


def read_body_permissions(request: Request, model: GoStruct) -> list[dict[str, Any]]:
    """The permissions of a body decoded into ``model`` (a Role, an add/remove body or one
    Permission), answering as go-openapi does: 400 for a misfit, 422 for a missing or unknown
    action."""
    body = request.json()
    go_decode(body, model)
    if model is checks.PERMISSION:
        found, paths = [body], ["action"]
    else:
        if not isinstance(body, dict) or body.get("permissions") is None:
            raise ApiError(framework_error(422, 602, "permissions in body is required"))
        found = body["permissions"]
        paths = [f"permissions.{i}.action" for i in range(len(found))]
    for item, path in zip(found, paths, strict=True):
        problem = checks.validate_action(item, path)
        if problem:
            code = 602 if problem.endswith("is required") else 606
            raise ApiError(framework_error(422, code, problem))
    return found


def to_policies(permissions: list[dict[str, Any]], prefix: str, status: int = 400) -> list[Policy]:
    """Convert permissions, answering ``status`` with ``prefix`` + the converter's error."""
    try:
        return [perms.to_policy(p) for p in permissions]
    except InvalidPermission as exc:
        raise fail(status, f"{prefix}{exc}") from None


def create_role(app: State, request: Request) -> Response:
    """``POST /v1/authz/roles``: 201 without a body."""
    body = request.json()
    go_decode(body, checks.ROLE)
    if not isinstance(body, dict) or body.get("name") is None:
        raise ApiError(framework_error(422, 602, "name in body is required"))
    permissions = read_body_permissions(request, checks.ROLE)
    name = str(body["name"])
    if name == "":
        raise fail(400, "role name is required")
    if len(name) > _ROLE_NAME_MAX or not checks.ROLE_NAME.match(name):
        raise fail(400, "role name is invalid")
    problem = checks.validate(permissions, allow_empty=True)
    if problem:
        raise fail(422, f"role permissions are invalid: {problem}")
    policies = to_policies(permissions, "invalid role: ")
    if name in BUILT_IN_ROLES:
        raise fail(400, f"you cannot create role with the same name as built-in role {name}")
    denial = scope_denial(app.rbac, request.user or "", perms.CREATE, name, policies)
    if denial:
        raise fail(403, denial)
    if name in app.rbac.role_names():
        raise fail(409, f"role with name {name} already exists")
    app.rbac.upsert(name, policies)
    return empty(201)


def list_roles(app: State, request: Request) -> Response:
    """``GET /v1/authz/roles``: sorted by name; root hidden from non-root callers; only the
    roles the caller may read (``read_roles`` scope all, else match)."""
    rbac, user = app.rbac, request.user or ""
    names = [n for n in rbac.role_names() if n != "root" or rbac.is_root(user)]
    for scope in (f"{perms.READ}_ALL", f"{perms.READ}_MATCH"):
        visible = [n for n in names if rbac.denial(user, scope, f"roles/{n}") is None]
        if visible:
            break
    return json_response([role_json(n, rbac.policies(n)) for n in visible])


def get_role(app: State, request: Request) -> Response:
    """``GET /v1/authz/roles/{id}``: 200, 403, or 404 without a body."""
    name = request.params["id"]
    denial = scope_denial(app.rbac, request.user or "", perms.READ, name)
    if denial:
        raise fail(403, denial)
    policies = app.rbac.policies(name)
    return empty(404) if policies is None else json_response(role_json(name, policies))


def delete_role(app: State, request: Request) -> Response:
    """``DELETE /v1/authz/roles/{id}``: 204, also for a role that never existed."""
    name = request.params["id"]
    if name in BUILT_IN_ROLES:
        raise fail(400, f"you can not delete built-in role {name}")
    denial = scope_denial(app.rbac, request.user or "", perms.DELETE, name, app.rbac.policies(name))
    if denial:
        raise fail(403, denial)
    app.rbac.delete(name)
    return empty(204)


def add_permissions(app: State, request: Request) -> Response:
    """``POST /v1/authz/roles/{id}/add-permissions``: 200 or 404, both without a body."""
    name = request.params["id"]
    permissions = read_body_permissions(request, checks.PERMISSIONS_BODY)
    if name in BUILT_IN_ROLES:
        raise fail(400, f"you can not update built-in role {name}")
    return _update(app, request, name, _checked(permissions), app.rbac.upsert)


def remove_permissions(app: State, request: Request) -> Response:
    """``POST /v1/authz/roles/{id}/remove-permissions``: 200 or 404; the role stays even
    when it has no permission left."""
    name = request.params["id"]
    policies = _checked(read_body_permissions(request, checks.PERMISSIONS_BODY))
    if name in BUILT_IN_ROLES:
        raise fail(400, f"you cannot update built-in role {name}")
    return _update(app, request, name, policies, app.rbac.remove_policies)


def _update(app: State, request: Request, name: str, policies: list[Policy],
            change: Callable[[str, list[Policy]], None]) -> Response:
    denial = scope_denial(app.rbac, request.user or "", perms.UPDATE, name, policies)
    if denial:
        raise fail(403, denial)
    if app.rbac.policies(name) is None:
        return empty(404)
    change(name, policies)
    return empty(200)


def _checked(permissions: list[dict[str, Any]]) -> list[Policy]:
    problem = checks.validate(permissions, allow_empty=False)
    if problem:
        raise fail(400, f"invalid permissions {problem}")
    return to_policies(permissions, "invalid permissions ")


def has_permission(app: State, request: Request) -> Response:
    """``POST /v1/authz/roles/{id}/has-permission``: ``true``/``false``; the stored policy
    must be exactly this one (built-in roles hold wildcards, so they answer false)."""
    name = request.params["id"]
    policy = _checked(read_body_permissions(request, checks.PERMISSION))[0]
    denial = scope_denial(app.rbac, request.user or "", perms.READ, name)
    if denial:
        raise fail(403, denial)
    stored = app.rbac.roles.get(name, []) if app.rbac.enabled else []
    return json_response(policy in stored)


def env_role_guard(app: State, request: Request) -> None:
    """The 403 for reading the assignments of ``root``/``read-only`` as a non-root user."""
    name = request.params["id"]
    if name in ENV_VAR_ROLES and not app.rbac.is_root(request.user or ""):
        raise fail(403, f"modifying '{name}' role or changing its assignments is not allowed")
    denial = scope_denial(app.rbac, request.user or "", perms.READ, name)
    if denial:
        raise fail(403, denial)


ROUTES = [
    ("GET", "/v1/authz/roles", list_roles),
    ("POST", "/v1/authz/roles", create_role),
    ("GET", "/v1/authz/roles/{id}", get_role),
    ("DELETE", "/v1/authz/roles/{id}", delete_role),
    ("POST", "/v1/authz/roles/{id}/add-permissions", add_permissions),
    ("POST", "/v1/authz/roles/{id}/remove-permissions", remove_permissions),
    ("POST", "/v1/authz/roles/{id}/has-permission", has_permission),
]
