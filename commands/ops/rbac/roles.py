"""Roles: list, read, create, change and delete them, and who holds them.

Weaviate has no request for the holders of every role (nor for the roles of every user,
OIDC users being unknown to it), so listing them asks role by role (``holders``): on a
small pool, so that 50 roles cost the time of a few requests, not of 50 in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError, excerpt
from commands.ops.rbac.access import DB_USERS_FLOOR, GROUPS_FLOOR, segment
from commands.ops.versions import at_least

IN_FLIGHT = 8  # role lookups at a time: enough to hide latency, few for the server
T = TypeVar("T")
Holders = tuple[list[tuple[str, str]], list[str]]


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


def holders(api: RestClient, names: Iterable[str], version: str | None,
            groups: bool = True) -> dict[str, Holders]:
    """Each role's ``(users, groups)`` as ``role_users`` and ``role_groups`` give them,
    asked ``IN_FLIGHT`` roles at a time; ``groups`` False leaves groups out. When no group
    holds a role the caller may see (``GET /v1/authz/groups/oidc`` is empty), no role's
    groups are asked for."""
    names = list(names)
    groups = groups and bool(names) and _groups_hold_roles(api, version)

    def one(name: str) -> Holders:
        return (role_users(api, name, version),
                role_groups(api, name, version) if groups else [])

    return dict(zip(names, each(one, names), strict=True))


def _groups_hold_roles(api: RestClient, version: str | None) -> bool:
    if not at_least(version, GROUPS_FLOOR):
        return False
    try:
        return bool(api.get_json("/v1/authz/groups/oidc"))
    except ApiError as exc:
        if exc.status != 403:  # without read_groups on every group: ask role by role
            raise
        return True


def each(call: Callable[[str], T], names: list[str]) -> list[T]:
    """``call`` for every name, ``IN_FLIGHT`` at a time, answers in order; the first
    error raises, and the calls not started yet are dropped."""
    if len(names) < 2:
        return [call(name) for name in names]
    with ThreadPoolExecutor(min(IN_FLIGHT, len(names)), thread_name_prefix="rbac") as pool:
        futures = [pool.submit(call, name) for name in names]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()
