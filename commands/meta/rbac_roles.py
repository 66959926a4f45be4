"""Roles and who holds them: ``\\roles``, ``\\role ...``, ``\\grant``, ``\\revoke``.

Permissions are written ``ACTION[:TARGET[:OPTION]]`` (``commands/ops/rbac/permissions.py``)
and checked against Weaviate's list of actions before any request is sent.
"""

from __future__ import annotations

import json
from typing import Any

from commands.context import CommandContext
from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.meta.lifecycle_remove import FORCE
from commands.meta.rbac_users import DRY_RUN, me
from commands.results import Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results
from commands.spec import Arg, Kind, Opt, command

access = lazy_module("commands.ops.rbac.access")
guard = lazy_module("commands.ops.rbac.guard")
permissions = lazy_module("commands.ops.rbac.permissions")
roles_ops = lazy_module("commands.ops.rbac.roles")
users = lazy_module("commands.ops.rbac.users")
versions = lazy_module("commands.ops.versions")

ROLE = Arg("role", Kind.ROLE, "a role")
PERMISSION = Opt("--permission", Kind.PERMISSION,
                 "ACTION[:TARGET[:OPTION]], e.g. read_data:Article (repeatable)", many=True)
BUILT_IN = ("admin", "root", "viewer", "read-only")
SYNTAX = (
    "Permissions are ACTION[:TARGET[:OPTION]]; a left-out part is '*' (all), names may be\n"
    "regular expressions as Weaviate allows:\n"
    "  read_data:Article              objects of Article (all tenants)\n"
    "  read_data:Article/tenantA      one tenant's objects (COLLECTION/TENANT[/OBJECT])\n"
    "  update_collections:Art*        definitions of collections named Art...\n"
    "  read_tenants:Article/tenantA   tenants (COLLECTION[/TENANT])\n"
    "  manage_backups:*               backups of every collection\n"
    "  read_nodes:*:verbose           nodes with shard details (minimal: without)\n"
    "  read_cluster                   cluster statistics (no target; also read_mcp...)\n"
    "  update_roles:*:all             roles (ROLE[:match|all] scope)\n"
    "  read_users:bob, assign_and_revoke_users:*, read_groups:G\n"
    "  create_aliases:Article/ArtAlias, create_replicate:Article/shard1")


def _parse_all(texts: list[str], version: str | None) -> list[dict[str, Any]]:
    if not texts:
        raise UsageError("give at least one --permission ACTION[:TARGET]",
                         permissions.SYNTAX_HINT)
    parsed = [permissions.parse_permission(t) for t in texts]
    for perm in parsed:
        domain = perm["action"].rsplit("_", 1)[-1]
        floor = permissions.FLOORS.get(domain)
        if floor is not None:
            versions.require(version, floor, f"the {domain} permission {perm['action']}")
    return parsed


def _holders(ctx: CommandContext, name: str) -> tuple[list[str], list[str]]:
    version = ctx.server_version
    return _shown(roles_ops.role_users(ctx.api, name, version),
                  roles_ops.role_groups(ctx.api, name, version))


def _shown(users: list[tuple[str, str]], groups: list[str]) -> tuple[list[str], list[str]]:
    """Users (``name (oidc)`` for an OIDC user) and groups, sorted."""
    held = [u if not kind or kind.startswith("db") else f"{u} ({kind})" for u, kind in users]
    return sorted(held), sorted(groups)


@command(
    "roles", "List roles with their permission counts, users and groups.",
    group="access",
    help="GET /v1/authz/roles (Weaviate >= 1.29, AUTHORIZATION_RBAC_ENABLED=true), then\n"
         "each role's user (and, from 1.33, group) assignments, 8 roles at a time; the\n"
         "groups' only when GET /v1/authz/groups/oidc lists a group holding a role. \\role\n"
         "NAME shows one role's permissions.\n\n  \\roles\n  \\roles --format json",
)
def roles_cmd(ctx: CommandContext) -> Result:
    """``\\roles``: a Table of roles."""
    found = sorted(access.rbac_roles(ctx.api, ctx.server_version), key=lambda r: str(r.get("name")))
    holding = roles_ops.holders(ctx.api, (str(r.get("name")) for r in found), ctx.server_version)
    rows = []
    for role in found:
        name = str(role.get("name"))
        held, groups = _shown(*holding[name])
        rows.append((name, name in BUILT_IN, len(role.get("permissions") or []), held, groups))
    note = None if rows else "no role this user may read (reading roles needs read_roles)"
    return Table(("role", "built_in", "permissions", "users", "groups"), tuple(rows),
                 title="Roles", note=note)


@command(
    "role", "Show one role: its permissions, users and groups.",
    args=(ROLE,), aliases=("role show",),
    group="access",
    help="GET /v1/authz/roles/NAME, with the users and groups holding it; permissions in\n"
         "the compact syntax of \\role create. Subcommands: show, create, add, remove, rm.\n\n"
         "  \\role viewer\n  \\role show readers --format json",
)
def role_cmd(ctx: CommandContext, *, role: str) -> Result:
    """``\\role NAME`` (or ``\\role show NAME``): a Record of one role."""
    access.require_rbac(ctx.api, ctx.server_version)
    found = roles_ops.get_role(ctx.api, role)
    held, groups = _holders(ctx, role)
    return Record({"role": found.get("name"), "built_in": role in BUILT_IN,
                   "permissions": sorted(permissions.format_permission(p)
                                         for p in found.get("permissions") or []),
                   "users": held, "groups": groups}, title=f"Role {role}")


def _perm_requests(method_path: str, name: str, perms: list[dict[str, Any]]) -> tuple[str, ...]:
    body = {"name": name, "permissions": perms}
    return (f"{method_path} {json.dumps(body, separators=(',', ':'))}",)


@command(
    "role create", "Create a role with permissions.",
    args=(Arg("role", Kind.TEXT, "the new role's name ([A-Za-z][-_0-9A-Za-z]*)"),),
    opts=(PERMISSION, DRY_RUN),
    group="access",
    help="POST /v1/authz/roles. Every --permission is checked against Weaviate's actions\n"
         "before anything is sent.\n" + SYNTAX + "\n\n"
         "  \\role create readers --permission read_data:Article "
         "--permission read_collections:Article\n"
         "  \\role create ops --permission manage_backups:* --permission read_nodes:*:verbose\n"
         "  \\grant readers bob",
)
def role_create_cmd(ctx: CommandContext, *, role: str, permission: list[str],
                    dry_run: bool) -> list[Result]:
    """``\\role create``."""
    permissions.check_role_name(role)
    perms = _parse_all(permission, ctx.server_version)
    access.require_rbac(ctx.api, ctx.server_version)
    plan = Plan(action=f"create role {role}", targets=(role,),
                requests=_perm_requests("POST /v1/authz/roles", role, perms))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)
    roles_ops.create_role(ctx.api, role, perms)
    return [Message(f"created role {role} with {len(perms)} permission"
                    f"{'s' if len(perms) != 1 else ''}; \\grant {role} USER gives it")]


@command(
    "role add", "Add permissions to a role.",
    args=(ROLE,), opts=(PERMISSION, DRY_RUN),
    group="access",
    help="POST /v1/authz/roles/NAME/add-permissions (syntax as in \\role create).\n\n"
         "  \\role add readers --permission read_data:Product",
)
def role_add_cmd(ctx: CommandContext, *, role: str, permission: list[str],
                 dry_run: bool) -> list[Result]:
    """``\\role add``."""
    perms = _parse_all(permission, ctx.server_version)
    access.require_rbac(ctx.api, ctx.server_version)
    roles_ops.get_role(ctx.api, role)
    plan = Plan(action=f"add permissions to role {role}", targets=(role,),
                requests=_perm_requests(f"POST /v1/authz/roles/{role}/add-permissions", role,
                                        perms))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)
    roles_ops.change_permissions(ctx.api, role, perms, add=True)
    return [Message(f"added {', '.join(permission)} to role {role}")]


def _lockout_check(ctx: CommandContext, losing: set[str], action: str, force: bool) -> None:
    info = me(ctx)
    guard.refuse_self_lockout(info, losing & guard.own_role_names(info), action, force)


@command(
    "role remove", "Remove permissions from a role; its holders lose them.",
    args=(ROLE,), opts=(PERMISSION, FORCE, DRY_RUN),
    group="access", destructive=True,
    help="POST /v1/authz/roles/NAME/remove-permissions. Every holder of the role loses the\n"
         "access, so this asks to type 'yes' (--force in scripts). Taking the admin\n"
         "permissions from your own last admin role needs --force.\n\n"
         "  \\role remove readers --permission read_data:Product",
)
def role_remove_cmd(ctx: CommandContext, *, role: str, permission: list[str], force: bool,
                    dry_run: bool) -> list[Result]:
    """``\\role remove``."""
    perms = _parse_all(permission, ctx.server_version)
    access.require_rbac(ctx.api, ctx.server_version)
    current = roles_ops.get_role(ctx.api, role)
    held, groups = _holders(ctx, role)
    texts = {permissions.format_permission(p) for p in perms}
    left = [p for p in current.get("permissions") or []
            if permissions.format_permission(p) not in texts]
    action = f"remove {len(perms)} permission{'s' if len(perms) != 1 else ''} from role {role}"
    if not guard.is_admin_role({"permissions": left}):
        _lockout_check(ctx, {role}, action, force)
    plan = Plan(action=action, targets=(role,),
                preview=(Table(("role", "removed", "users", "groups"),
                               ((role, sorted(texts), held, groups),), title="At stake"),),
                requests=_perm_requests(f"POST /v1/authz/roles/{role}/remove-permissions", role,
                                        perms))
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    roles_ops.change_permissions(ctx.api, role, perms, add=False)
    return [Message(f"removed {', '.join(sorted(texts))} from role {role}")]


@command(
    "role rm", "Delete a role; its users and groups lose its permissions.",
    args=(ROLE,), opts=(FORCE, DRY_RUN),
    group="access", destructive=True,
    help="DELETE /v1/authz/roles/NAME. Shows who holds it, then asks to type 'yes' (--force\n"
         "in scripts). Deleting your own last admin role needs --force.\n\n"
         "  \\role rm readers\n  \\role rm readers --dry-run",
)
def role_rm_cmd(ctx: CommandContext, *, role: str, force: bool, dry_run: bool) -> list[Result]:
    """``\\role rm``."""
    access.require_rbac(ctx.api, ctx.server_version)
    current = roles_ops.get_role(ctx.api, role)
    held, groups = _holders(ctx, role)
    action = f"delete role {role}"
    _lockout_check(ctx, {role}, action, force)
    count = len(current.get("permissions") or [])
    plan = Plan(action=action, targets=(role,),
                preview=(Table(("role", "permissions", "users", "groups"),
                               ((role, count, held, groups),), title="At stake"),
                         Message(f"{len(held)} user(s) and {len(groups)} group(s) lose its "
                                 "permissions", Level.WARNING)),
                requests=(f"DELETE /v1/authz/roles/{role}",))
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    roles_ops.delete_role(ctx.api, role)
    return [Message(f"deleted role {role}")]


GRANTEE = (Arg("role", Kind.ROLE, "the role"),
           Arg("user", Kind.USER, "the user (or --group G)", required=False))
GROUP = Opt("--group", Kind.TEXT, "an OIDC group instead of a user (Weaviate >= 1.33)")
OIDC = Opt("--oidc", flag=True, help="the user is an OIDC user (default: a database user)")


def _grantee(ctx: CommandContext, role: str, user: str | None, group: str | None,
             oidc: bool, assign: bool) -> tuple[str, str, str]:
    """(description, request line, kind) after the checks every grant and revoke makes."""
    if (user is None) == (group is None):
        verb = "grant" if assign else "revoke"
        raise UsageError(f"\\{verb}: name a USER or --group G (one of them)",
                         f"e.g. \\{verb} {role} bob, or \\{verb} {role} --group /admins")
    if group is not None and oidc:
        raise UsageError("--oidc is for users; groups are always OIDC groups")
    version = ctx.server_version
    if group is not None:
        versions.require(version, access.GROUPS_FLOOR, "roles of groups")
    access.require_rbac(ctx.api, version)
    roles_ops.get_role(ctx.api, role)
    verb = "assign" if assign else "revoke"
    if group is not None:
        body = json.dumps({"roles": [role], "groupType": "oidc"}, separators=(",", ":"))
        return f"group {group}", f"POST /v1/authz/groups/{group}/{verb} {body}", "group"
    kind = "oidc" if oidc else "db"
    body = json.dumps({"roles": [role], "userType": kind}, separators=(",", ":"))
    return (f"{'OIDC ' if oidc else ''}user {user}", f"POST /v1/authz/users/{user}/{verb} {body}",
            kind)


def _send(ctx: CommandContext, role: str, user: str | None, group: str | None, kind: str,
          assign: bool) -> None:
    if group is not None:
        users.change_group_roles(ctx.api, group, [role], assign)
    else:
        users.change_user_roles(ctx.api, str(user), [role], kind, assign)


@command(
    "grant", "Give a role to a user or an OIDC group.",
    args=GRANTEE, opts=(OIDC, GROUP, DRY_RUN),
    group="access",
    help="POST /v1/authz/users/USER/assign (a database user; --oidc for an OIDC user) or\n"
         "POST /v1/authz/groups/G/assign (--group, Weaviate >= 1.33). The role must exist.\n\n"
         "  \\grant viewer bob\n  \\grant readers alice@example.com --oidc\n"
         "  \\grant admin --group /ops",
)
def grant_cmd(ctx: CommandContext, *, role: str, user: str | None, oidc: bool,
              group: str | None, dry_run: bool) -> list[Result]:
    """``\\grant``."""
    who, request, kind = _grantee(ctx, role, user, group, oidc, assign=True)
    plan = Plan(action=f"grant role {role} to {who}", targets=(role,), requests=(request,))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)
    _send(ctx, role, user, group, kind, assign=True)
    return [Message(f"granted role {role} to {who}")]


@command(
    "revoke", "Take a role from a user or an OIDC group.",
    args=GRANTEE, opts=(OIDC, GROUP, FORCE, DRY_RUN),
    group="access", destructive=True,
    help="POST /v1/authz/users/USER/revoke (--oidc for an OIDC user) or\n"
         "POST /v1/authz/groups/G/revoke (--group). The holder loses the role's access, so\n"
         "this asks to type 'yes' (--force in scripts). Revoking your own last admin role\n"
         "needs --force.\n\n"
         "  \\revoke readers bob\n  \\revoke admin --group /ops --dry-run",
)
def revoke_cmd(ctx: CommandContext, *, role: str, user: str | None, oidc: bool,
               group: str | None, force: bool, dry_run: bool) -> list[Result]:
    """``\\revoke``."""
    who, request, kind = _grantee(ctx, role, user, group, oidc, assign=False)
    info = me(ctx)
    if info is not None and (info.get("username") == user or group in (info.get("groups") or [])):
        guard.refuse_self_lockout(info, {role}, f"revoke role {role} from {who}", force)
    plan = Plan(action=f"revoke role {role} from {who}", targets=(role,),
                preview=(Message(f"{who} loses the permissions of {role}", Level.WARNING),),
                requests=(request,))
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    _send(ctx, role, user, group, kind, assign=False)
    return [Message(f"revoked role {role} from {who}")]
