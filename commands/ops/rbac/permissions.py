"""Weaviate permissions written compactly as ``ACTION[:TARGET[:OPTION]]``.

``read_data:Article/tenantA`` is ``{"action": "read_data", "data": {"collection": "Article",
"tenant": "tenantA", "object": "*"}}``. The action's last word names its resource (Weaviate's
``{verb}_{domain}`` convention, usecases/auth/authorization/types.go); the target's parts fill
that resource's fields in order; anything left out is ``*``. The OPTION is the nodes
verbosity (``read_nodes:*:verbose``) or the roles scope (``update_roles:*:all``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commands.did_you_mean import did_you_mean
from commands.errors import UsageError

# The Permission.action enum of Weaviate's openapi.json, in its order.
ACTIONS: tuple[str, ...] = (
    "manage_backups", "read_cluster", "create_data", "read_data", "update_data", "delete_data",
    "read_nodes", "create_roles", "read_roles", "update_roles", "delete_roles",
    "create_collections", "read_collections", "update_collections", "delete_collections",
    "assign_and_revoke_users", "create_users", "read_users", "update_users", "delete_users",
    "create_tenants", "read_tenants", "update_tenants", "delete_tenants",
    "create_replicate", "read_replicate", "update_replicate", "delete_replicate",
    "create_aliases", "read_aliases", "update_aliases", "delete_aliases",
    "assign_and_revoke_groups", "read_groups", "create_mcp", "read_mcp", "update_mcp",
    "manage_namespaces")


@dataclass(frozen=True)
class Domain:
    """A resource kind of a permission: its key in the JSON, the fields a target fills in
    order, its option field and the option's values."""

    key: str
    fields: tuple[str, ...]
    target: str
    option: str | None = None
    options: tuple[str, ...] = ()


DOMAINS: dict[str, Domain] = {
    "backups": Domain("backups", ("collection",), "COLLECTION"),
    "cluster": Domain("", (), ""),
    "data": Domain("data", ("collection", "tenant", "object"), "COLLECTION[/TENANT[/OBJECT]]"),
    "nodes": Domain("nodes", ("collection",), "COLLECTION[:verbose|minimal]", "verbosity",
                    ("verbose", "minimal")),
    "roles": Domain("roles", ("role",), "ROLE[:match|all]", "scope", ("match", "all")),
    "collections": Domain("collections", ("collection",), "COLLECTION"),
    "users": Domain("users", ("users",), "USER"),
    "tenants": Domain("tenants", ("collection", "tenant"), "COLLECTION[/TENANT]"),
    "replicate": Domain("replicate", ("collection", "shard"), "COLLECTION[/SHARD]"),
    "aliases": Domain("aliases", ("collection", "alias"), "COLLECTION[/ALIAS]"),
    "groups": Domain("groups", ("group",), "GROUP"),
    "mcp": Domain("", (), ""),
    "namespaces": Domain("namespaces", ("namespace",), "NAMESPACE"),
}
FLOORS: dict[str, tuple[int, int]] = {"aliases": (1, 32), "replicate": (1, 32),
                                      "groups": (1, 33)}
"""Resource kinds newer than RBAC itself (1.29): the Weaviate release that added them."""
SYNTAX_HINT = ("write ACTION[:TARGET[:OPTION]], e.g. read_data:Article, "
               "read_data:Article/tenantA, manage_backups:*, read_nodes:*:verbose")


def domain_of(action: str) -> Domain:
    """The resource kind ``action`` applies to (``read_data`` -> data)."""
    return DOMAINS[action.rsplit("_", 1)[-1]]


def check_action(action: str) -> str:
    """``action`` when Weaviate knows it, else a UsageError naming the closest ones."""
    if action in ACTIONS:
        return action
    hint = did_you_mean(action, ACTIONS) or "actions: " + ", ".join(ACTIONS)
    raise UsageError(f"unknown permission action {action!r}", hint)


def parse_permission(text: str) -> dict[str, Any]:
    """``read_data:Article/tenantA`` -> Weaviate's Permission JSON; UsageError when wrong."""
    action, _, rest = text.strip().partition(":")
    domain = domain_of(check_action(action))
    target, _, option = rest.partition(":")
    if not domain.key:
        if target not in ("", "*") or option:
            raise UsageError(f"{text}: {action} takes no target", f"write just {action}")
        return {"action": action}
    # one-field targets are taken whole: OIDC group names start with '/'
    parts = (target.split("/") if len(domain.fields) > 1 else [target]) if target else []
    if len(parts) > len(domain.fields) or any(p == "" for p in parts):
        raise UsageError(f"{text}: {action} takes {domain.target}", SYNTAX_HINT)
    resource = {f: (parts[i] if i < len(parts) else "*") for i, f in enumerate(domain.fields)}
    if option:
        if option not in domain.options:
            allowed = ", ".join(domain.options) or "no option"
            raise UsageError(f"{text}: {option!r} is not an option of {action} ({allowed})",
                             SYNTAX_HINT)
        resource[domain.option] = option  # type: ignore[index]
    if domain.key == "groups":
        resource["groupType"] = "oidc"  # the only group type Weaviate has (GroupType enum)
    return {"action": action, domain.key: resource}


def format_permission(permission: dict[str, Any]) -> str:
    """Weaviate's Permission JSON -> the compact text (defaults left out)."""
    action = str(permission.get("action", ""))
    try:
        domain = domain_of(action)
    except KeyError:
        return action
    resource = permission.get(domain.key) or {} if domain.key else {}
    values = [str(resource.get(f) or "*") for f in domain.fields]
    while len(values) > 1 and values[-1] == "*":
        values.pop()
    text = action + (":" + "/".join(values) if values and values != ["*"] else "")
    option = resource.get(domain.option) if domain.option else None
    default = "minimal" if domain.option == "verbosity" else "match"
    if option and option != default:
        text += (":" if values and values != ["*"] else ":*:") + str(option)
    return text


ROLE_NAME = re.compile(r"[A-Za-z][-_0-9A-Za-z]{0,254}")  # handlers_authz.go roleNameRegexCore


def check_role_name(name: str) -> str:
    """``name`` when Weaviate accepts it as a role name, else a UsageError."""
    if not ROLE_NAME.fullmatch(name):
        raise UsageError(f"{name!r} is not a valid role name",
                         "a letter, then up to 254 letters, digits, '-' or '_'")
    return name


USER_NAME = re.compile(r"[A-Za-z][-_0-9A-Za-z@.]{0,128}")  # apikey/db_users.go UserNameRegexCore


def check_user_name(name: str) -> str:
    """``name`` when Weaviate accepts it for a database user, else a UsageError."""
    if not USER_NAME.fullmatch(name):
        raise UsageError(f"{name!r} is not a valid user name",
                         "a letter, then up to 128 letters, digits, '-', '_', '@' or '.'")
    return name


def role_name_for(text: str) -> str:
    """A valid role name (``[A-Za-z][-_0-9A-Za-z]*``) suggesting what a permission grants."""
    name = re.sub(r"[^-_0-9A-Za-z]+", "-", text.replace("*", "all")).strip("-")
    return name[:255] or "role"
