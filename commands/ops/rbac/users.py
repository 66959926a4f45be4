"""Users and groups: the caller, database users, and role assignments of users and groups."""

from __future__ import annotations

from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError, excerpt
from commands.ops.rbac.access import db_users_call, segment


def when(timestamp: str | None) -> str | None:
    """A user's time, or None for Go's zero time (never: env users, keys never used)."""
    return None if not timestamp or timestamp.startswith("0001-01-01") else timestamp


def own_info(api: RestClient) -> dict[str, Any] | None:
    """``GET /v1/users/own-info``; None for the anonymous user (a 401 without a body)."""
    response = api.request("GET", "/v1/users/own-info", ok=(401,))
    return None if response.status_code == 401 else response.json()


def oidc_enabled(api: RestClient) -> bool:
    """Whether the server has OIDC on: its discovery document answers 404 without it, and
    then no role can be assigned to an OIDC user (a 500 ``oidc is not enabled``)."""
    return api.request("GET", "/v1/.well-known/openid-configuration", ok=(404,)).status_code \
        != 404


def list_db_users(api: RestClient) -> list[dict[str, Any]]:
    """Every database user (DBUserInfo) with the time its key was last used."""
    return db_users_call(api.get_json, "/v1/users/db", includeLastUsedTime="true") or []


def get_db_user(api: RestClient, name: str) -> dict[str, Any]:
    """One database user; ShellError when there is none (404)."""
    response = db_users_call(api.request, "GET", f"/v1/users/db/{segment(name)}", ok=(404,))
    if response.status_code == 404:
        raise ShellError(f"no database user named {excerpt(name)!r}", r"\users lists the users")
    return response.json()


def user_call(api: RestClient, name: str, verb: str = "", body: Any = None) -> dict[str, Any]:
    """``POST /v1/users/db/NAME[/VERB]`` (create, rotate-key, activate, deactivate): its JSON
    answer, or {} when the answer has no body."""
    path = f"/v1/users/db/{segment(name)}" + (f"/{verb}" if verb else "")
    response = db_users_call(api.request, "POST", path, json=body, ok=(404,))
    if response.status_code == 404:
        raise ShellError(f"no database user named {excerpt(name)!r}", r"\users lists the users")
    return response.json() if response.content else {}


def delete_user(api: RestClient, name: str) -> None:
    """``DELETE /v1/users/db/NAME`` (204)."""
    response = db_users_call(api.request, "DELETE", f"/v1/users/db/{segment(name)}", ok=(404,))
    if response.status_code == 404:
        raise ShellError(f"no database user named {excerpt(name)!r}", r"\users lists the users")


def user_roles(api: RestClient, name: str, user_type: str) -> list[dict[str, Any]]:
    """The roles (with permissions) of a ``db`` or ``oidc`` user; [] when it has none."""
    response = api.request("GET", f"/v1/authz/users/{segment(name)}/roles/{user_type}",
                           params={"includeFullRoles": "true"}, ok=(404,))
    return [] if response.status_code == 404 else response.json() or []


def change_user_roles(api: RestClient, name: str, roles: list[str], user_type: str,
                      assign: bool) -> None:
    """``POST /v1/authz/users/NAME/assign`` or ``revoke``."""
    verb = "assign" if assign else "revoke"
    try:
        api.request("POST", f"/v1/authz/users/{segment(name)}/{verb}",
                    json={"roles": roles, "userType": user_type})
    except ApiError as exc:
        # handlers_authz.go checks that an OIDC user can exist: a 500 without OIDC
        if "oidc is not enabled" in exc.message:
            raise ShellError("the server has AUTHENTICATION_OIDC_ENABLED off: there are no "
                             "OIDC users", "leave out --oidc for a database user") from None
        if "doesn't exist" in exc.message and user_type == "db":
            raise ShellError(exc.message, r"\users lists the database users; --oidc names an "
                                          "OIDC user") from None
        raise


def list_groups(api: RestClient) -> list[str]:
    """The OIDC groups that hold a role."""
    return [str(g) for g in api.get_json("/v1/authz/groups/oidc") or []]


def group_roles(api: RestClient, group: str) -> list[dict[str, Any]]:
    """The roles of an OIDC group."""
    response = api.request("GET", f"/v1/authz/groups/{segment(group)}/roles/oidc",
                           params={"includeFullRoles": "true"}, ok=(404,))
    return [] if response.status_code == 404 else response.json() or []


def change_group_roles(api: RestClient, group: str, roles: list[str], assign: bool) -> None:
    """``POST /v1/authz/groups/GROUP/assign`` or ``revoke``."""
    verb = "assign" if assign else "revoke"
    api.request("POST", f"/v1/authz/groups/{segment(group)}/{verb}",
                json={"roles": roles, "groupType": "oidc"})
