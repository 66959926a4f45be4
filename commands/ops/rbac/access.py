"""Whether the server can do RBAC at all: version floors and the env flags that switch it off."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError
from commands.ops.versions import require

RBAC_FLOOR = (1, 29)  # RBAC generally available (a preview in 1.28)
DB_USERS_FLOOR = (1, 30)  # /v1/users/db and role user-assignments
GROUPS_FLOOR = (1, 33)  # roles of OIDC groups (/v1/authz/groups)
RBAC_OFF = ShellError("the server has AUTHORIZATION_RBAC_ENABLED off",
                      "roles, grants and permissions need AUTHORIZATION_RBAC_ENABLED=true "
                      "(and AUTHORIZATION_RBAC_ROOT_USERS) on the server")
DB_USERS_OFF = "db user management is not enabled"  # handlers_db_users.go, a 422


def segment(name: str) -> str:
    """A name as one URL path segment (OIDC group names start with '/')."""
    return quote(name, safe="")


def rbac_roles(api: RestClient, version: str | None, *,
               listing: bool = True) -> list[dict[str, Any]]:
    """Every role the caller may see, after refusing a server too old for RBAC or with it off.

    With RBAC on, Weaviate always lists its built-in viewer and admin roles, so an empty
    list means RBAC is off (cluster/rbac/manager.go answers [] without an authorizer). When
    only checking (``listing`` False), a 403 proves RBAC is on: the caller may lack
    read_roles and still hold the permission the command needs.
    """
    require(version, RBAC_FLOOR, "RBAC")
    try:
        roles = api.get_json("/v1/authz/roles")
    except ApiError as exc:
        if exc.status == 403 and not listing:
            return []
        raise
    if not roles:
        raise RBAC_OFF
    return roles


def db_users_call(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a ``/v1/users/db`` request, naming the env flag when db users are switched off."""
    try:
        return call(*args, **kwargs)
    except ApiError as exc:
        if exc.status == 422 and DB_USERS_OFF in exc.message:
            raise ShellError("the server has AUTHENTICATION_DB_USERS_ENABLED off",
                             "database users need AUTHENTICATION_DB_USERS_ENABLED=true on the "
                             "server") from None
        raise
