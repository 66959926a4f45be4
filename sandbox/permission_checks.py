"""Permission checks as adapters/handlers/rest/authz/validation.go and go-openapi's model
validation make them, before a permission is converted (sandbox.permissions)."""

from __future__ import annotations

import re
from typing import Any

from sandbox.classes import upper_first
from sandbox.http import GoSlice, GoStruct
from sandbox.permissions import ACTIONS, BRACES

ROLE_NAME = re.compile(r"^[A-Za-z][-_0-9A-Za-z]{0,254}$")  # handlers_authz.go


def validate(permissions: list[dict[str, Any]], allow_empty: bool) -> str | None:
    """Weaviate's permission checks: the first problem, or None."""
    if not allow_empty and not permissions:
        return "role has to have at least 1 permission"
    targets = {"collections": ("collection",), "tenants": ("collection", "tenant"),
               "data": ("collection", "tenant", "object"), "backups": ("collection",),
               "nodes": ("collection",), "replicate": ("collection", "shard"),
               "users": ("users",), "groups": ("group",), "roles": ("role",),
               "aliases": ("collection", "alias"), "namespaces": ("namespace",)}
    for perm in permissions:
        problems = []
        for obj, keys in targets.items():
            for key in keys:
                value = (perm.get(obj) or {}).get(key)
                if value is None:
                    continue
                name = upper_first(str(value)) if key == "collection" else str(value)
                problems += _name_problems(key, name) + _target_problems(key, name)
        if problems:
            return "\n".join(problems)
    return None


_CLASS_PATTERN = re.compile(r"^(\*|[A-Z][_0-9A-Za-z\-.*+?^$()|{}\[\]\\]{0,254})$")
_TENANT_PATTERN = re.compile(r"^[A-Za-z0-9\-_.*+?^$()|{}\[\]\\*]{1,64}$")


def _name_problems(field: str, value: str) -> list[str]:
    """entities/schema/validation.go ``ValidateClassNameIncludesRegex`` and
    ``ValidateTenantNameIncludesRegex``."""
    if field == "collection":
        if len(value) > 255:
            return [f"'{value}' is not a valid class name. Name should not be longer than 255 "
                    "characters"]
        return [] if _CLASS_PATTERN.match(value) else [f"'{value}' is not a valid class name"]
    if field == "tenant" and not _TENANT_PATTERN.match(value):
        return ["empty tenant name"] if not value else [
            f" '{value}' is not a valid tenant name. should only contain alphanumeric "
            "characters (a-z, A-Z, 0-9), underscore (_), and hyphen (-), with a length between "
            "1 and 64 characters"]
    return []


def _target_problems(field: str, value: str) -> list[str]:
    if len(value) > 256:
        return [f"{field} exceeds the maximum length of 256 characters"]
    if "/" in value:
        return [f"{field} '{value}' must not contain '/'"]
    try:
        re.compile(BRACES.sub("[^/]+", value.replace("*", ".*")))
    except re.error as exc:
        return [f"{field} '{value}' is not a valid pattern: {exc}"]
    return []


def validate_action(permission: Any, path: str) -> str | None:
    """go-openapi's model validation of one Permission's action (required, enum); ``path``
    names the field, e.g. ``permissions.0.action``."""
    if not isinstance(permission, dict) or permission.get("action") is None:
        return f"{path} in body is required"
    if permission["action"] not in ACTIONS:
        return f"{path} in body should be one of [{' '.join(ACTIONS)}]"
    return None


def _strings(name: str, *keys: str) -> GoStruct:
    return GoStruct(name, dict.fromkeys(keys, "string"))


# The request models as Go decodes them (entities/models/permission.go, role.go).
PERMISSION = GoStruct("Permission", {
    "action": "string",
    "aliases": _strings("PermissionAliases", "alias", "collection"),
    "backups": _strings("PermissionBackups", "collection"),
    "collections": _strings("PermissionCollections", "collection"),
    "data": _strings("PermissionData", "collection", "object", "tenant"),
    "groups": _strings("PermissionGroups", "group", "groupType"),
    "namespaces": _strings("PermissionNamespaces", "namespace"),
    "nodes": _strings("PermissionNodes", "collection", "verbosity"),
    "replicate": _strings("PermissionReplicate", "collection", "shard"),
    "roles": _strings("PermissionRoles", "role", "scope"),
    "tenants": _strings("PermissionTenants", "collection", "tenant"),
    "users": _strings("PermissionUsers", "users")})
_PERMISSIONS = GoSlice(PERMISSION, "[]*models.Permission")
ROLE = GoStruct("Role", {"name": "string", "permissions": _PERMISSIONS})
PERMISSIONS_BODY = GoStruct("AddPermissionsBody", {"permissions": _PERMISSIONS})
_ROLES = GoSlice("string", "[]string")
USER_ROLES_BODY = GoStruct("AssignRoleToUserBody", {"roles": _ROLES, "userType": "string"})
GROUP_ROLES_BODY = GoStruct("AssignRoleToGroupBody", {"roles": _ROLES, "groupType": "string"})
