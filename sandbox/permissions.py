"""RBAC permissions as Weaviate stores and matches them (no state here).

A permission (``{"action": "read_data", "data": {...}}``, REST-BEHAVIOUR.md §2.2) becomes
a policy: a resource path pattern, a verb and a domain, as
usecases/auth/authorization/conv/casbin_types.go converts it; a request needs a verb on a
resource path built as usecases/auth/authorization/types.go builds them, and a policy grants
it when its pattern matches the whole path (casbin's KeyMatch5 with Weaviate's ``/shards/#``
carve-out, rbac/model.go) and its verb regex is found in the request's verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.classes import upper_first

CREATE, READ, UPDATE, DELETE, ASSIGN = "C", "R", "U", "D", "A"
CRUD = "(C)|(R)|(U)|(D)"
ALL_VERBS = "(C)|(R)|(U)|(D)|(A)"
# Weaviate's action enum (openapi.json Permission.action), in its order.
ACTIONS = (
    "manage_backups", "read_cluster", "create_data", "read_data", "update_data", "delete_data",
    "read_nodes", "create_roles", "read_roles", "update_roles", "delete_roles",
    "create_collections", "read_collections", "update_collections", "delete_collections",
    "assign_and_revoke_users", "create_users", "read_users", "update_users", "delete_users",
    "create_tenants", "read_tenants", "update_tenants", "delete_tenants", "create_replicate",
    "read_replicate", "update_replicate", "delete_replicate", "create_aliases", "read_aliases",
    "update_aliases", "delete_aliases", "assign_and_revoke_groups", "read_groups", "create_mcp",
    "read_mcp", "update_mcp", "manage_namespaces")
# The order of types.go availableWeaviateActions: built-in roles list their permissions so.
_BUILT_IN_ORDER = (
    "create_roles", "read_roles", "update_roles", "delete_roles", "manage_backups",
    "manage_namespaces", "assign_and_revoke_users", "create_users", "read_users",
    "update_users", "delete_users", "read_cluster", "assign_and_revoke_groups", "read_groups",
    "read_nodes", "create_collections", "read_collections", "update_collections",
    "delete_collections", "create_data", "read_data", "update_data", "delete_data",
    "create_tenants", "read_tenants", "update_tenants", "delete_tenants", "create_replicate",
    "read_replicate", "update_replicate", "delete_replicate", "create_aliases", "read_aliases",
    "update_aliases", "delete_aliases", "create_mcp", "read_mcp", "update_mcp")
_PREFIXES = {CRUD: "manage", "MATCH": "manage", CREATE: "create", READ: "read",
             UPDATE: "update", DELETE: "delete", ASSIGN: "assign_and_revoke"}
_VALID_RESOURCES = [re.compile(p) for p in (
    r"^groups/.*$", r"^users/.*$", r"^roles/.*$", r"^cluster/.*$", r"^mcp$",
    r"^nodes/verbosity/minimal$", r"^nodes/verbosity/verbose/collections/[^/]+$",
    r"^backups/collections/.*$", r"^schema/collections/.*$",
    r"^data/collections/[^/]+/shards/[^/]+/objects/.*$",
    r"^replicate/collections/[^/]+/shards/[^/]+$",
    r"^aliases/collections/[^/]+/aliases/[^/]+$", r"^namespaces/[^/]+$")]
BRACES = re.compile(r"\{[^/]+?\}")


class InvalidPermission(ValueError):
    """A permission Weaviate's converter refuses (its message is Weaviate's)."""


@dataclass(frozen=True)
class Policy:
    """One casbin policy row of a role: resource pattern, verb (regex) and domain."""

    resource: str
    verb: str
    domain: str


# --- request resources (types.go) --------------------------------------------------------

def _cls(name: str | None) -> str:
    return upper_first(name) if name else "*"


def collections_metadata(*classes: str) -> list[str]:
    """``schema/collections/C/shards/#`` per class (``*`` for none)."""
    return [f"schema/collections/{_cls(c)}/shards/#" for c in classes or ("",)]


def shards_metadata(cls: str, *shards: str) -> list[str]:
    """``schema/collections/C/shards/S`` per shard (tenant), ``*`` for none."""
    return [f"schema/collections/{_cls(cls)}/shards/{s or '*'}" for s in shards or ("",)]


def objects(cls: str | None, shard: str | None = "", obj: str | None = "") -> str:
    """``data/collections/C/shards/S/objects/ID``."""
    return f"data/collections/{_cls(cls)}/shards/{shard or '*'}/objects/{obj or '*'}"


def shards_data(cls: str, *shards: str) -> list[str]:
    """Objects of a class in the given shards (tenants)."""
    return [objects(cls, s) for s in shards or ("",)]


def nodes(verbosity: str, cls: str = "") -> list[str]:
    """``nodes/verbosity/minimal`` or ``nodes/verbosity/verbose/collections/C``."""
    if (verbosity or "minimal") == "minimal":
        return ["nodes/verbosity/minimal"]
    return [f"nodes/verbosity/{verbosity}/collections/{_cls(cls)}"]


def backups(*classes: str) -> list[str]:
    """``backups/collections/C`` per class."""
    return [f"backups/collections/{_cls(c)}" for c in classes or ("",)]


def aliases(cls: str | None, alias: str | None) -> list[str]:
    """``aliases/collections/C/aliases/A``."""
    return [f"aliases/collections/{_cls(cls)}/aliases/{_cls(alias)}"]


def users(user: str = "") -> list[str]:
    """``users/U``."""
    return [f"users/{user or '*'}"]


def roles(role: str = "") -> list[str]:
    """``roles/R``."""
    return [f"roles/{role or '*'}"]


def groups(group: str = "", group_type: str = "oidc") -> list[str]:
    """``groups/oidc/G``."""
    return [f"groups/{group_type}/{group or '*'}"]


def replications(cls: str = "", shard: str = "") -> list[str]:
    """``replicate/collections/C/shards/S``."""
    return [f"replicate/collections/{_cls(cls)}/shards/{shard or '*'}"]


CLUSTER = "cluster/*"


# --- matching (rbac/model.go weaviateKeyMatch, casbin KeyMatch5) -------------------------

def resource_matches(requested: str, pattern: str) -> bool:
    """Whether a policy's resource pattern grants a requested resource path."""
    if requested.endswith("/shards/#") and pattern.endswith("/shards/.*"):
        return False  # a tenant-level grant never covers the collection itself
    regex = ".*" if pattern == "*" else BRACES.sub("[^/]+", pattern.replace("/*", "/.*"))
    try:
        return re.fullmatch(regex, requested) is not None
    except re.error:
        return False


def verb_matches(requested: str, pattern: str) -> bool:
    """casbin's regexMatch: the policy's verb regex found anywhere in the request's verb."""
    return re.search(pattern, requested) is not None


# --- permission <-> policy (conv/casbin_types.go) -----------------------------------------

def _segment(name: str) -> str:
    body = name.replace("*", ".*")
    return f"({body})" if any(c in body for c in "|^$") else body


def _unsegment(name: str) -> str:
    if len(name) >= 2 and name[0] == "(" and name[-1] == ")" and any(c in name for c in "|^$"):
        return name[1:-1]
    return name


def _field(permission: dict[str, Any], obj: str, key: str, default: str = "*") -> str:
    value = (permission.get(obj) or {}).get(key)
    return default if value is None else str(value)


def to_policy(permission: dict[str, Any]) -> Policy:
    """The policy Weaviate stores for a permission; InvalidPermission as its converter says."""
    action = permission.get("action")
    parts = str(action).split("_")
    if len(parts) < 2:
        raise InvalidPermission(f"policy: invalid action: {action}")
    domain = parts[-1]
    verb = CRUD if parts[0][:1].upper() == "M" else parts[0][:1].upper()
    if domain == "roles":
        given = permission.get("roles") or {}
        role, scope = given.get("role"), given.get("scope")
        suffix = str(scope).upper() if role is not None and scope is not None else "MATCH"
        return Policy(f"roles/{_segment(role or '*')}", f"{verb}_{suffix}", domain)
    resource = _resource(domain, permission)
    if not any(p.match(resource) for p in _VALID_RESOURCES):
        raise InvalidPermission(f"policy: invalid resource: {resource}")
    return Policy(resource, verb, "schema" if domain in ("collections", "tenants") else domain)


def _resource(domain: str, p: dict[str, Any]) -> str:
    seg = _segment
    if domain == "groups":
        if not p.get("groups"):
            raise InvalidPermission(f"policy: invalid permission: {p}")
        if (p["groups"].get("groupType") or "") != "oidc":
            raise InvalidPermission(
                f"policy: invalid groups type: {p['groups'].get('groupType') or ''}")
        return f"groups/oidc/{seg(_field(p, 'groups', 'group'))}"
    if domain == "users":
        return f"users/{seg(_field(p, 'users', 'users'))}"
    if domain == "cluster":
        return "cluster/.*"
    if domain == "collections":
        return f"schema/collections/{seg(upper_first(_field(p, 'collections', 'collection')))}" \
               "/shards/#"
    if domain == "tenants":
        return (f"schema/collections/{seg(upper_first(_field(p, 'tenants', 'collection')))}"
                f"/shards/{seg(_field(p, 'tenants', 'tenant'))}")
    if domain == "data":
        return (f"data/collections/{seg(upper_first(_field(p, 'data', 'collection')))}"
                f"/shards/{seg(_field(p, 'data', 'tenant'))}"
                f"/objects/{seg(_field(p, 'data', 'object'))}")
    if domain == "backups":
        return f"backups/collections/{seg(upper_first(_field(p, 'backups', 'collection')))}"
    if domain == "nodes":
        if _field(p, "nodes", "verbosity", "minimal") == "minimal":
            return "nodes/verbosity/minimal"
        return f"nodes/verbosity/verbose/collections/" \
               f"{seg(upper_first(_field(p, 'nodes', 'collection')))}"
    if domain == "replicate":
        return (f"replicate/collections/{seg(upper_first(_field(p, 'replicate', 'collection')))}"
                f"/shards/{seg(_field(p, 'replicate', 'shard'))}")
    if domain == "aliases":
        return (f"aliases/collections/{seg(upper_first(_field(p, 'aliases', 'collection')))}"
                f"/aliases/{seg(upper_first(_field(p, 'aliases', 'alias')))}")
    if domain == "mcp":
        return "mcp"
    if domain == "namespaces":
        return f"namespaces/{seg(_field(p, 'namespaces', 'namespace'))}"
    raise InvalidPermission(f"policy: invalid domain: {domain}")


def to_permission(policy: Policy) -> dict[str, Any]:
    """The permission JSON Weaviate answers for a stored policy (casbin_types.go
    ``permission``), key order as Go's encoder writes the struct fields."""
    parts = [_unsegment(s) for s in policy.resource.replace(".*", "*").split("/")]
    verb, out = policy.verb, {}
    domain = policy.domain
    if domain == "schema":
        if parts[4] == "#":
            out["collections"] = {"collection": parts[2]}
        else:
            out["tenants"] = {"collection": parts[2], "tenant": parts[4]}
    elif domain == "data":
        out["data"] = {"collection": parts[2], "object": parts[6], "tenant": parts[4]}
    elif domain == "roles":
        verb, scope = verb.split("_", 1)
        out["roles"] = {"role": parts[1], "scope": scope.lower()}
    elif domain == "nodes":
        nodes_obj = {"verbosity": parts[2]}
        if parts[2] != "minimal":
            nodes_obj = {"collection": parts[4], "verbosity": parts[2]}
        out["nodes"] = nodes_obj
    elif domain == "backups":
        out["backups"] = {"collection": parts[2]}
    elif domain == "users":
        out["users"] = {"users": parts[1]}
    elif domain == "replicate":
        out["replicate"] = {"collection": parts[2], "shard": parts[4]}
    elif domain == "aliases":
        out["aliases"] = {"alias": parts[4], "collection": parts[2]}
    elif domain == "groups":
        out["groups"] = {"group": parts[2], "groupType": parts[1]}
    elif domain == "namespaces":
        out["namespaces"] = {"namespace": parts[1]}
    return {"action": action_name(verb, domain, parts[-1]), **dict(sorted(out.items()))}


def action_name(verb: str, domain: str, last: str) -> str:
    """conv ``weaviatePermissionAction``: ``read`` + ``_data``; schema splits by ``#``."""
    prefix = _PREFIXES.get(verb, "")
    if domain == "schema":
        return f"{prefix}_{'collections' if last == '#' else 'tenants'}"
    return f"{prefix}_{domain}".replace("_*", "")


# --- the 403 text (rbac/manager.go prettyPermissionsResources) ----------------------------

def describe(resource: str) -> str:
    """``[Domain: data, Collection: Foo, Tenant: *, Object: *]`` for a requested path."""
    parts = resource.split("/")
    domain = parts[0]
    if domain == "schema":
        if parts[4] == "#":
            return f"[Domain: collections, Collection: {parts[2]}]"
        return f"[Domain: tenants, Collection: {parts[2]}, Tenant: {parts[4]}]"
    if domain == "data":
        return f"[Domain: data, Collection: {parts[2]}, Tenant: {parts[4]}, Object: {parts[6]}]"
    if domain == "backups":
        return f"[Domain: backups,Collection: {parts[2]}]"  # sic: no space (manager.go)
    if domain == "nodes":
        extra = f", Collection: {parts[4]}" if parts[2] != "minimal" else ""
        return f"[Domain: nodes, Verbosity: {parts[2]}{extra}]"
    if domain == "roles":
        return f"[Domain: roles, Role: {parts[1]}]"
    if domain == "users":
        return f"[Domain: users, User: {parts[1]}]"
    if domain == "replicate":
        return f"[Domain: replicate, Collection: {parts[2]}, Shard: {parts[4]}]"
    if domain == "aliases":
        return f"[Domain: aliases, Collection: {parts[2]}, Alias: {parts[4]}]"
    return ""  # cluster, groups, mcp: Weaviate prints no resource for these


def describe_action(verb: str, resource: str) -> str:
    """The action named in a 403 for a verb on a requested path."""
    parts = resource.split("/")
    return action_name(verb.split("_")[0], parts[0], parts[-1])


# --- built-in roles (types.go adminPermissions / viewerPermissions) -----------------------

_ALL_RESOURCES: dict[str, Any] = {
    "backups": {"collection": "*"}, "data": {"collection": "*", "tenant": "*", "object": "*"},
    "nodes": {"verbosity": "verbose", "collection": "*"},
    "roles": {"role": "*", "scope": "all"}, "collections": {"collection": "*"},
    "tenants": {"collection": "*", "tenant": "*"}, "users": {"users": "*"},
    "aliases": {"collection": "*", "alias": "*"}, "groups": {"group": "*", "groupType": "oidc"},
    "namespaces": {"namespace": "*"}}


def built_in_policies(read_only: bool) -> list[Policy]:
    """The policies GET /v1/authz/roles shows for admin/root (all actions) or
    viewer/read-only (the ``read_`` ones)."""
    actions = [a for a in _BUILT_IN_ORDER if not read_only or a.startswith("read_")]
    return [to_policy({"action": a, **_ALL_RESOURCES}) for a in actions]
