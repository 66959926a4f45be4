"""Roles: list, read, create, change and delete them, and who holds them."""

from __future__ import annotations

from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError, excerpt
from commands.ops.rbac.access import DB_USERS_FLOOR, GROUPS_FLOOR, segment
from commands.ops.versions import at_least


def unknown_role(name: str) -> ShellError:
    return ShellError(f"no role named {excerpt(name)!r}", r"\roles lists the roles")


def get_role(api: RestClient, name: str) -> dict[str, Any]:
    """One role with its permissions; ShellError when it does not exist (404)."""
    response = api.request("GET", f"/v1/authz/roles/{segment(name)}", ok=(404,))
    if response.status_code == 404:
        raise unknown_role(name)
    return response.json()


def create_role(api: RestClient, name: str, permissions: list[dict[str, Any]]) -> None:
    """``POST /v1/authz/roles`` (201, empty)."""
    try:
        api.request("POST", "/v1/authz/roles", json={"name": name, "permissions": permissions})
    except ApiError as exc:
        if exc.status != 409:
            raise
        raise ShellError(exc.message, f"\\role add {name} --permission ... adds to it; "
                                      f"\\role {name} shows it") from None


def change_permissions(api: RestClient, name: str, permissions: list[dict[str, Any]],
                       add: bool) -> None:
    """``add-permissions`` or ``remove-permissions`` of a role (the spec wants the name too)."""
    verb = "add-permissions" if add else "remove-permissions"
    response = api.request("POST", f"/v1/authz/roles/{segment(name)}/{verb}",
                           json={"name": name, "permissions": permissions}, ok=(404,))
    if response.status_code == 404:
        raise unknown_role(name)


def delete_role(api: RestClient, name: str) -> None:
    """``DELETE /v1/authz/roles/NAME`` (204, also when it did not exist)."""
    api.request("DELETE", f"/v1/authz/roles/{segment(name)}")


def role_users(api: RestClient, name: str, version: str | None) -> list[tuple[str, str]]:
    """``(user, type)`` holding the role; type is db_user, db_env_user or oidc."""
    if not at_least(version, DB_USERS_FLOOR):  # before 1.30: names only, type unknown
        names = api.get_json(f"/v1/authz/roles/{segment(name)}/users")
        return [(str(n), "") for n in names or []]
    found = api.get_json(f"/v1/authz/roles/{segment(name)}/user-assignments")
    return [(str(a.get("userId")), str(a.get("userType") or "")) for a in found or []]


def role_groups(api: RestClient, name: str, version: str | None) -> list[str]:
    """The OIDC groups holding the role ([] before 1.33, which has no groups)."""
    if not at_least(version, GROUPS_FLOOR):
        return []
    found = api.get_json(f"/v1/authz/roles/{segment(name)}/group-assignments")
    return [str(a.get("groupId")) for a in found or []]
