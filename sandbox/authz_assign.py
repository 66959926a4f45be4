"""Who holds which role: ``/v1/authz/users/...``, ``/v1/authz/groups/...``, the role's
assignment lists and ``/v1/users/own-info``, as handlers_authz.go and handlers_authn.go
answer them with namespaces off. Users are ``db`` users (static API keys and dynamic
users); OIDC is not emulated, so ``oidc`` lookups answer as a server without OIDC does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox import permission_checks as checks
from sandbox import permissions as perms
from sandbox.authz_roles import env_role_guard, role_json, scope_denial
from sandbox.http import (
    ApiError,
    Request,
    Response,
    empty,
    fail,
    framework_error,
    go_decode,
    json_response,
)
from sandbox.rbac import ENV_VAR_ROLES, subject

if TYPE_CHECKING:
    from sandbox.state import State


def _enum(value: str, name: str, allowed: tuple[str, ...], where: str = "path") -> str:
    if value not in allowed:
        raise ApiError(framework_error(
            422, 606, f"{name} in {where} should be one of [{' '.join(allowed)}]"))
    return value


def _db_user_exists(app: State, user: str) -> bool:
    return user in app.auth.keys.values() or user in app.db_users.users


def _caller(request: Request) -> str:
    return request.user or ""


def _roles_payload(app: State, request: Request, key: str, own: bool) -> list[dict[str, Any]]:
    """Assigned roles, names only or (``includeFullRoles=true``) with permissions; a role
    the caller may not read makes the whole answer 403, as visibleRolesForSubject does."""
    full = request.query.get("includeFullRoles") == "true"
    out, denied = [], []
    for name in app.rbac.roles_of(key):
        if full and not own:
            denial = scope_denial(app.rbac, _caller(request), perms.READ, name)
            if denial:
                denied.append(denial)
                continue
        out.append(role_json(name, app.rbac.policies(name) if full else None))
    if denied:
        raise fail(403, "\n".join(denied))
    return out


def user_roles(app: State, request: Request) -> Response:
    """``GET /v1/authz/users/{id}/roles/{userType}``."""
    user = request.params["id"]
    user_type = _enum(request.params["userType"], "userType", ("oidc", "db"))
    own = user == _caller(request) and user_type == "db"
    if not own:
        denial = app.rbac.denial(_caller(request), perms.READ, *perms.users(user))
        if denial:
            raise fail(403, denial)
    if user_type == "oidc":
        raise fail(500, "user existence: oidc is not enabled")
    if not _db_user_exists(app, user):
        return empty(404)
    return json_response(_roles_payload(app, request, subject(user), own))


def user_roles_deprecated(app: State, request: Request) -> Response:
    """``GET /v1/authz/users/{id}/roles`` (before 1.30): full roles of every user type."""
    user = request.params["id"]
    own = user == _caller(request)
    if not own:
        denial = app.rbac.denial(_caller(request), perms.READ, *perms.users(user))
        if denial:
            raise fail(403, denial)
    if not _db_user_exists(app, user):
        return empty(404)
    names = app.rbac.roles_of(subject(user))
    visible = [n for n in names
               if own or scope_denial(app.rbac, _caller(request), perms.READ, n) is None]
    if names and not visible:
        raise fail(403, scope_denial(app.rbac, _caller(request), perms.READ, names[-1]) or "")
    return json_response([role_json(n, app.rbac.policies(n)) for n in visible])


def _role_list(request: Request, what: str) -> list[str]:
    body = request.json()
    go_decode(body, checks.USER_ROLES_BODY if "/users/" in request.path
              else checks.GROUP_ROLES_BODY)
    roles = [str(r) for r in (body or {}).get("roles") or []]
    verb = "assign" if what == "assigning" else "revoke"
    for role in roles:
        if not role.strip():
            raise fail(400, f"one or more of the roles you want to {verb} is empty")
        if role in ENV_VAR_ROLES:
            raise fail(403, f"{what}: modifying '{role}' role or changing its assignments "
                            "is not allowed")
    return roles


def _missing_grants(app: State, request: Request, roles: list[str]) -> None:
    """authorizeAssignRolePermissions: the caller must hold what it hands out."""
    missing = [app.rbac.denial(_caller(request), p.verb, p.resource)
               for role in roles for p in app.rbac.policies(role) or ()]
    missing = [m for m in missing if m]
    if missing:
        raise fail(403, "can only assign roles with less or equal permissions as the current "
                        "user: " + "\n".join(missing))


def _change_user(app: State, request: Request, assigning: bool) -> Response:
    user = request.params["id"]
    what = "assigning" if assigning else "revoking"
    roles = _role_list(request, what)
    user_type = ((request.json() or {}).get("userType") or "")
    if user_type:
        _enum(user_type, "userType", ("db", "oidc"), "body")
    if not roles:
        raise fail(400, "roles can not be empty")
    denial = app.rbac.denial(_caller(request), perms.ASSIGN, *perms.users(user))
    if denial:
        raise fail(403, denial)
    if any(app.rbac.policies(r) is None for r in roles):
        raise fail(404, "one or more of the roles requested doesn't exist" if assigning
                   else "one or more of the request roles doesn't exist")
    if assigning:
        _missing_grants(app, request, roles)
    if user_type == "oidc":
        raise fail(500, "user exists: oidc is not enabled")
    if not _db_user_exists(app, user):
        target = "to assign role to" if assigning else "to revoke role from"
        raise fail(404, f"username {target} doesn't exist")
    # An empty userType means both db and oidc (getUserTypesAndValidateExistence), so the
    # role then lists the user twice in its user-assignments.
    change = app.rbac.assign if assigning else app.rbac.revoke
    for kind in [user_type] if user_type else ["oidc", "db"]:
        change(subject(user, kind), roles)
    return empty(200)


def assign_user(app: State, request: Request) -> Response:
    """``POST /v1/authz/users/{id}/assign`` ``{"roles": [..], "userType": "db"}``."""
    return _change_user(app, request, assigning=True)


def revoke_user(app: State, request: Request) -> Response:
    """``POST /v1/authz/users/{id}/revoke``."""
    return _change_user(app, request, assigning=False)


def _change_group(app: State, request: Request, assigning: bool) -> Response:
    group = request.params["id"]
    roles = _role_list(request, "assigning" if assigning else "revoking")
    if not roles:
        raise fail(400, "roles can not be empty")
    group_type = (request.json() or {}).get("groupType") or ""
    if group_type != "oidc":
        if group_type:
            _enum(group_type, "groupType", ("oidc",), "body")
        raise fail(400, f"unknown groupType: {group_type}")
    denial = app.rbac.denial(_caller(request), perms.ASSIGN, *perms.groups(group))
    if denial:
        raise fail(403, denial)
    if any(app.rbac.policies(r) is None for r in roles):
        return empty(404)
    if assigning:
        _missing_grants(app, request, roles)
    (app.rbac.assign if assigning else app.rbac.revoke)(subject(group, "group"), roles)
    return empty(200)


def assign_group(app: State, request: Request) -> Response:
    """``POST /v1/authz/groups/{id}/assign`` ``{"roles": [..], "groupType": "oidc"}``."""
    return _change_group(app, request, assigning=True)


def revoke_group(app: State, request: Request) -> Response:
    """``POST /v1/authz/groups/{id}/revoke``."""
    return _change_group(app, request, assigning=False)


def group_roles(app: State, request: Request) -> Response:
    """``GET /v1/authz/groups/{id}/roles/{groupType}``."""
    group = request.params["id"]
    _enum(request.params["groupType"], "groupType", ("oidc",))
    denial = app.rbac.denial(_caller(request), perms.READ, *perms.groups(group))
    if denial:
        raise fail(403, denial)
    return json_response(_roles_payload(app, request, subject(group, "group"), own=False))


def list_groups(app: State, request: Request) -> Response:
    """``GET /v1/authz/groups/{groupType}``: groups holding any role that the caller may
    read."""
    _enum(request.params["groupType"], "groupType", ("oidc",))
    with app.rbac.lock:
        held = sorted(k.split(":", 1)[1] for k, roles in app.rbac.assignments.items()
                      if k.startswith("group:") and roles)
    return json_response([g for g in held if app.rbac.denial(
        _caller(request), perms.READ, *perms.groups(g)) is None])


def role_user_assignments(app: State, request: Request) -> Response:
    """``GET /v1/authz/roles/{id}/user-assignments``: ``[{"userId", "userType"}]``."""
    env_role_guard(app, request)
    out = [{"userId": u, "userType": "oidc"} for u in _readable_users(app, request, "oidc")]
    for user in _readable_users(app, request, "db"):
        kind = "db_user" if user in app.db_users.users else "db_env_user"
        out.append({"userId": user, "userType": kind})
    return json_response(out)


def role_users_deprecated(app: State, request: Request) -> Response:
    """``GET /v1/authz/roles/{id}/users`` (before 1.30): user names."""
    env_role_guard(app, request)
    found = [*_readable_users(app, request, "db"), *_readable_users(app, request, "oidc")]
    return json_response(sorted(set(found)))


def _readable_users(app: State, request: Request, kind: str) -> list[str]:
    holders = app.rbac.holders(request.params["id"], kind)
    return [u for u in holders if u == _caller(request)
            or app.rbac.denial(_caller(request), perms.READ, *perms.users(u)) is None]


def role_group_assignments(app: State, request: Request) -> Response:
    """``GET /v1/authz/roles/{id}/group-assignments``: ``[{"groupId", "groupType"}]``."""
    env_role_guard(app, request)
    groups = [g for g in app.rbac.holders(request.params["id"], "group")
              if app.rbac.denial(_caller(request), perms.READ, *perms.groups(g)) is None]
    return json_response([{"groupId": g, "groupType": "oidc"} for g in groups])


def own_info(app: State, request: Request) -> Response:
    """``GET /v1/users/own-info``: name, groups (none without OIDC) and, with RBAC, the
    caller's roles with their permissions; 401 without a body for the anonymous user."""
    user = request.user
    if user in (None, "anonymous"):
        return Response(401)
    roles = None
    if app.rbac.enabled:
        names = app.rbac.roles_of(subject(user))
        roles = [role_json(n, app.rbac.policies(n)) for n in names] or None
    return json_response({"groups": None, "roles": roles, "username": user})


ROUTES = [
    ("GET", "/v1/users/own-info", own_info),
    ("GET", "/v1/authz/users/{id}/roles", user_roles_deprecated),
    ("GET", "/v1/authz/users/{id}/roles/{userType}", user_roles),
    ("POST", "/v1/authz/users/{id}/assign", assign_user),
    ("POST", "/v1/authz/users/{id}/revoke", revoke_user),
    ("POST", "/v1/authz/groups/{id}/assign", assign_group),
    ("POST", "/v1/authz/groups/{id}/revoke", revoke_group),
    ("GET", "/v1/authz/groups/{id}/roles/{groupType}", group_roles),
    ("GET", "/v1/authz/groups/{groupType}", list_groups),
    ("GET", "/v1/authz/roles/{id}/users", role_users_deprecated),
    ("GET", "/v1/authz/roles/{id}/user-assignments", role_user_assignments),
    ("GET", "/v1/authz/roles/{id}/group-assignments", role_group_assignments),
]
