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


def require_rbac(api: RestClient, version: str | None) -> None:
    """Refuse before any write when the server is too old for RBAC or has it off.

    The built-in ``viewer`` role always exists with RBAC on: reading it answers 200, or 403
    to a caller without read_roles; with RBAC off the role store is absent and it is 404
    (cluster/rbac/manager.go). The role list cannot tell: Weaviate filters it down to the
    roles the caller may read, so it is empty for an ordinary user either way.
    """
    require(version, RBAC_FLOOR, "RBAC")
    probe = api.request("GET", "/v1/authz/roles/viewer", ok=(403, 404))
    if probe.status_code == 404:
        raise RBAC_OFF


def rbac_roles(api: RestClient, version: str | None) -> list[dict[str, Any]]:
    """Every role the caller may read (an empty list is checked for RBAC being off)."""
    require(version, RBAC_FLOOR, "RBAC")
    roles = api.get_json("/v1/authz/roles")
    if not roles:
        require_rbac(api, version)
    return roles or []


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
