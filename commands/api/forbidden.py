"""Reading Weaviate's 403 message: which permission was missing, and the commands that grant it.

RBAC denials read ``rbac: authorization, forbidden action: user 'bob' has insufficient
permissions to read_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]``
(usecases/auth/authorization/errors/errors.go ``Forbidden.Error``, with the action and resource
of rbac/manager.go ``prettyPermissionsActions``/``prettyPermissionsResources``); the admin
list writes a verb and resource paths instead: ``adminlist: authorization, forbidden action:
user 'bob' has insufficient permissions to C [schema/collections/Article/shards/#]``
(usecases/auth/authorization/types.go builds the paths).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commands.ops.rbac.permissions import DOMAINS, format_permission, role_name_for

DENIAL = re.compile(r"user '(?P<user>[^']*)'(?: \(of groups? [^)]*\))? has insufficient "
                    r"permissions to (?P<action>\S+) \[(?P<resource>.*)\]")
FIELD = re.compile(r"(\w+): ([^,\]]*)")
# The pretty resource's labels -> the Permission fields they print (rbac/manager.go).
LABELS = {"collection": "collection", "tenant": "tenant", "object": "object",
          "verbosity": "verbosity", "role": "role", "user": "users", "shard": "shard",
          "alias": "alias", "group": "group", "namespace": "namespace"}
VERBS = {"C": "create", "R": "read", "U": "update", "D": "delete", "A": "assign_and_revoke"}
# Admin-list resource paths -> (domain, which path segments are the target).
PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"schema/collections/([^/]+)/shards/#"), "collections"),
    (re.compile(r"schema/collections/([^/]+)/shards/([^/]+)"), "tenants"),
    (re.compile(r"data/collections/([^/]+)/shards/[^/]+/objects/[^/]+"), "data"),
    (re.compile(r"backups/collections/([^/]+)"), "backups"),
    (re.compile(r"nodes/verbosity/(minimal)"), "nodes"),
    (re.compile(r"nodes/verbosity/(verbose)/collections/([^/]+)"), "nodes"),
    (re.compile(r"cluster/.*"), "cluster"),
    (re.compile(r"roles/([^/]+)"), "roles"),
    (re.compile(r"users/([^/]+)"), "users"),
    (re.compile(r"groups/[^/]+/([^/]+)"), "groups"),
    (re.compile(r"replicate/collections/([^/]+)/shards/([^/]+)"), "replicate"),
    (re.compile(r"aliases/collections/([^/]+)/aliases/([^/]+)"), "aliases"),
    (re.compile(r"mcp"), "mcp"),
    (re.compile(r"namespaces/([^/]+)"), "namespaces"),
)


@dataclass(frozen=True)
class Denial:
    """A parsed 403: who was refused and the permissions they lacked (compact syntax)."""

    user: str
    permissions: tuple[str, ...]
    adminlist: bool = False


# The backups and namespaces domains have one action each; Weaviate names a denied backup
# by its verb (``create_backups``), which no role can hold (rbac/manager.go, conv).
ONE_ACTION = {"backups": "manage_backups", "namespaces": "manage_namespaces"}


def parse_denial(message: str) -> Denial | None:
    """The user and missing permissions named by a Weaviate 403 message, None if unreadable."""
    found = DENIAL.search(message)
    if found is None:
        return None
    user, action, resource = found["user"], found["action"], found["resource"]
    adminlist = message.lstrip().startswith("adminlist")
    if "_" in action:
        fields = {LABELS.get(k.lower(), k.lower()): v.strip() for k, v in FIELD.findall(resource)}
        domain_name = fields.pop("domain", action.rsplit("_", 1)[-1])
        domain = DOMAINS.get(domain_name)
        permission = {"action": ONE_ACTION.get(domain_name, action)}
        if domain is not None and domain.key:
            permission[domain.key] = fields  # type: ignore[assignment]
        return Denial(user, (format_permission(permission),), adminlist)
    paths = [_from_path(action, path) for path in resource.split()]
    return Denial(user, tuple(dict.fromkeys(p for p in paths if p)), adminlist)


def _from_path(verb: str, path: str) -> str | None:
    """A bare verb and resource path (admin list, backups) as the permission allowing it."""
    for pattern, domain_name in PATHS:
        matched = pattern.fullmatch(path)
        if matched is None:
            continue
        letter = verb[:1]
        if domain_name in ONE_ACTION:
            action = ONE_ACTION[domain_name]
        elif domain_name not in ("users", "groups") and letter == "A":
            return None
        else:
            action = f"{VERBS.get(letter, 'read')}_{domain_name}"
        parts = [g for g in matched.groups() if g not in ("minimal", "verbose")]
        text = action + (":" + "/".join(parts) if parts and parts != ["*"] else "")
        if "verbose" in matched.groups():
            text += (":" if parts and parts != ["*"] else ":*:") + "verbose"
        return text
    return None


def denial_hint(message: str) -> str | None:
    """The hint of a denial reported inside a 200 answer (GraphQL errors), None if the
    message is not one."""
    return forbidden_hint(message) if DENIAL.search(message) else None


def forbidden_hint(message: str) -> str | None:
    """The hint of a 403: the missing permission and the role commands that grant it (None
    for a refusal that is a rule, not a permission: "modifying 'root' role ... is not
    allowed")."""
    denial = parse_denial(message)
    if denial is None:
        if "forbidden" not in message.lower():
            return None
        return "this user lacks the permission; ask an administrator or use another key"
    if denial.adminlist:
        return (f"user '{denial.user}' may only read (AUTHORIZATION_ADMINLIST_READONLY_USERS); "
                "use the key of a user in AUTHORIZATION_ADMINLIST_USERS")
    if not denial.permissions:
        return f"user '{denial.user}' lacks a permission; ask an administrator"
    role = role_name_for(denial.permissions[0])
    needed = " ".join(f"--permission {p}" for p in denial.permissions)
    return (f"missing permission {', '.join(denial.permissions)}; an admin can grant it: "
            f"\\role create {role} {needed}; \\grant {role} {denial.user}")
