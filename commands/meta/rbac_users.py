"""Who you are and who else there is: ``\\whoami``, ``\\users``, ``\\user ...``, ``\\groups``.

New API keys (``\\user create``, ``\\user rotate-key``) are shown once as a message on stderr,
never in the results that ``--format json|yaml`` writes to stdout, so redirecting the output to
a file does not capture them; ``--key-file`` writes the key to a new 0600 file instead. The
key is never an argument, so it never reaches the history or the audit log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from commands.context import CommandContext
from commands.errors import ApiError, ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.lifecycle_remove import FORCE
from commands.results import Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results
from commands.spec import Arg, Kind, Opt, command

access = lazy_module("commands.ops.rbac.access")
guard = lazy_module("commands.ops.rbac.guard")
permissions = lazy_module("commands.ops.rbac.permissions")
roles_ops = lazy_module("commands.ops.rbac.roles")
users = lazy_module("commands.ops.rbac.users")
versions = lazy_module("commands.ops.versions")

DRY_RUN = Opt("--dry-run", flag=True, help="show the request it would send, send nothing")
USER = Arg("name", Kind.USER, "a database user")
KEY_FILE = Opt("--key-file", Kind.FILE, "write the new key to this new file (mode 0600) "
                                        "instead of showing it")


def me(ctx: CommandContext) -> dict[str, Any] | None:
    """The caller's own-info (None when anonymous)."""
    return users.own_info(ctx.api)


def _is_me(ctx: CommandContext, name: str) -> bool:
    info = me(ctx)
    return info is not None and info.get("username") == name


@command(
    "whoami", "Show who this session is: user, groups, roles and their permissions.",
    group="access",
    help="Reads GET /v1/users/own-info: the user name the key belongs to, its OIDC groups,\n"
         "its roles (its own and its groups') and every permission they grant, in the\n"
         "compact syntax of \\role create. Works with RBAC off too (then there are no\n"
         "roles, and every authenticated user may do everything unless the admin list\n"
         "limits it); without a key the user is anonymous.\n\n"
         "  \\whoami\n  \\whoami --format json",
)
def whoami_cmd(ctx: CommandContext) -> Result:
    """``\\whoami``: a Record of the caller."""
    url = ctx.session.connection.url if ctx.session.connection else None
    try:
        info = me(ctx)
    except ApiError as exc:
        if exc.status != 404:
            raise
        identity = ctx.session.connection.identity if ctx.session.connection else None
        return Record({"user": identity, "cluster": url, "groups": [], "roles": [],
                       "permissions": [],
                       "note": "this Weaviate has no /v1/users/own-info (it came with RBAC in "
                               "1.28); the user is the one the connection found"},
                      title="Who am I")
    if info is None:
        return Record({"user": "anonymous", "cluster": url, "groups": [], "roles": [],
                       "permissions": [],
                       "note": "no API key: anonymous access (give one with --api-key)"},
                      title="Who am I")
    roles = info.get("roles")
    granted = sorted({permissions.format_permission(p) for r in roles or []
                      for p in r.get("permissions") or []})
    fields: dict[str, Any] = {
        "user": info.get("username"), "cluster": url, "groups": info.get("groups") or [],
        "roles": sorted(str(r.get("name")) for r in roles or []), "permissions": granted}
    if roles is None:
        fields["note"] = ("no roles: RBAC is off on the server (AUTHORIZATION_RBAC_ENABLED), "
                          "or none are assigned to this user")
    return Record(fields, title="Who am I")


def _oidc_users(ctx: CommandContext) -> tuple[dict[str, list[str]], str | None]:
    """OIDC users (who exist only through their roles) with their roles, and a note when they
    could not be read ({} when RBAC is off)."""
    version = ctx.server_version
    found: dict[str, list[str]] = {}
    if not users.oidc_enabled(ctx.api):
        return found, None  # no role can be assigned to an OIDC user: nothing to look for
    try:
        names = [str(role["name"]) for role in access.rbac_roles(ctx.api, version)]
        for name, (held, _) in roles_ops.holders(ctx.api, names, version, groups=False).items():
            for user, kind in held:
                if kind == "oidc":
                    found.setdefault(user, []).append(name)
    except ShellError as exc:
        if exc is access.RBAC_OFF:
            return {}, None
        if isinstance(exc, ApiError) and exc.status == 403:
            return {}, "OIDC users are not shown: reading them needs read_roles and read_users"
        raise
    return found, None


@command(
    "users", "List database and OIDC users with their roles, activity and key use.",
    group="access",
    help="Database users come from GET /v1/users/db (Weaviate >= 1.30): type (db_user,\n"
         "created through the API; db_env_user, from AUTHENTICATION_APIKEY_USERS), roles,\n"
         "active, created, when the key was last used and its first letters. OIDC users\n"
         "exist only in the identity provider, so those with a role are found through the\n"
         "roles' user assignments: one request per role, 8 at a time, and none when the\n"
         "server has OIDC off (GET /v1/.well-known/openid-configuration answers 404).\n\n"
         "  \\users\n  \\users --format json",
)
def users_cmd(ctx: CommandContext) -> Result:
    """``\\users``: a Table of users."""
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "listing users")
    note = None
    try:
        db = users.list_db_users(ctx.api)
    except ShellError as exc:
        if "AUTHENTICATION_DB_USERS_ENABLED" not in exc.message:
            raise
        db, note = [], "database users are off (AUTHENTICATION_DB_USERS_ENABLED)"
    rows = [(u.get("userId"), u.get("dbUserType"), u.get("active"), sorted(u.get("roles") or []),
             users.when(u.get("createdAt")), users.when(u.get("lastUsedAt")),
             u.get("apiKeyFirstLetters"))
            for u in sorted(db, key=lambda u: str(u.get("userId")))]
    oidc, unread = _oidc_users(ctx)
    rows += [(name, "oidc", None, sorted(roles), None, None, None)
             for name, roles in sorted(oidc.items())]
    empty = None if rows else "no user this user may read (reading users needs read_users)"
    notes = [n for n in (note, unread, empty) if n]
    return Table(("user", "type", "active", "roles", "created", "last_used", "key_prefix"),
                 tuple(rows), title="Users", note="; ".join(notes) or None)


def _check_key_file(path: str | None) -> Path | None:
    if path is None:
        return None
    target = Path(path).expanduser()
    if target.exists():
        raise UsageError(f"--key-file {path}: the file exists; a key is never overwritten",
                         "name a new file")
    if not target.parent.is_dir():
        raise UsageError(f"--key-file {path}: no directory {target.parent}")
    return target


def _show_key(name: str, key: str, key_file: Path | None, what: str) -> list[Result]:
    """The key once: in a new 0600 file, or as a stderr message (never in the results). The
    server has made the key already, so a file that cannot be written falls back to stderr."""
    shown: list[Result] = []
    if key_file is not None:
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(key + "\n")
            where = str(key_file)
            return [Message(f"{what} for {name}: the API key is in {where} (mode 0600)"),
                    Record({"user": name, "key_prefix": key[:3], "api_key": where},
                           title=f"User {name}")]
        except OSError as exc:
            shown.append(Message(f"cannot write {key_file}: {exc.strerror}", Level.WARNING))
    shown.append(Message(f"{what} for {name}; its API key, shown only now (store it; it is "
                         f"not kept anywhere): {key}", Level.WARNING, secret=True))
    return [*shown, Record({"user": name, "key_prefix": key[:3],
                            "api_key": "shown once on stderr"}, title=f"User {name}")]


@command(
    "user create", "Create a database user and show its API key once.",
    args=(Arg("name", Kind.TEXT, "the new user's name"),),
    opts=(KEY_FILE, DRY_RUN),
    group="access",
    help="POST /v1/users/db/NAME (Weaviate >= 1.30, AUTHENTICATION_DB_USERS_ENABLED=true).\n"
         "The key works at once; it has no role until \\grant gives one. The key is shown\n"
         "once on stderr (not in --format json/yaml output, not in history or audit), or\n"
         "written to a new file with --key-file.\n\n"
         "  \\user create bob\n  \\user create ci-bot --key-file ~/.ci-bot.key\n"
         "  \\grant viewer bob",
)
def user_create_cmd(ctx: CommandContext, *, name: str, key_file: str | None,
                    dry_run: bool) -> list[Result]:
    """``\\user create``."""
    permissions.check_user_name(name)
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "database users")
    target = _check_key_file(key_file)
    plan = Plan(action=f"create database user {name}", targets=(name,),
                requests=(f"POST /v1/users/db/{name}",))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)
    key = users.user_call(ctx.api, name).get("apikey", "")
    return _show_key(name, key, target, "created database user")


def _user_plan(ctx: CommandContext, name: str, action: str, request: str,
               warning: str) -> Plan:
    info = users.get_db_user(ctx.api, name)
    table = Table(("user", "type", "active", "roles", "last_used"),
                  ((name, info.get("dbUserType"), info.get("active"),
                    sorted(info.get("roles") or []), users.when(info.get("lastUsedAt"))),),
                  title="At stake")
    return Plan(action=action, targets=(name,), preview=(table, Message(warning, Level.WARNING)),
                requests=(request,))


@command(
    "user rm", "Delete a database user; its key stops working.",
    args=(USER,), opts=(FORCE, DRY_RUN),
    group="access", destructive=True,
    help="DELETE /v1/users/db/NAME. Shows the user and its roles, then asks to type 'yes'\n"
         "(--force in scripts). Deleting your own user needs --force even at a terminal.\n\n"
         "  \\user rm bob\n  \\user rm bob --dry-run",
)
def user_rm_cmd(ctx: CommandContext, *, name: str, force: bool, dry_run: bool) -> list[Result]:
    """``\\user rm``."""
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "database users")
    plan = _user_plan(ctx, name, f"delete database user {name}", f"DELETE /v1/users/db/{name}",
                      f"{name}'s API key stops working at once")
    _refuse_self(ctx, name, plan.action, force)
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    users.delete_user(ctx.api, name)
    return [Message(f"deleted database user {name}")]


def _refuse_self(ctx: CommandContext, name: str, action: str, force: bool) -> None:
    info = me(ctx)
    if info is not None and info.get("username") == name:
        guard.refuse_self_lockout(info, guard.own_role_names(info), action, force)


@command(
    "user activate", "Let a deactivated database user's key work again.",
    args=(USER,), opts=(DRY_RUN,),
    group="access",
    help="POST /v1/users/db/NAME/activate.\n\n  \\user activate bob",
)
def user_activate_cmd(ctx: CommandContext, *, name: str, dry_run: bool) -> list[Result]:
    """``\\user activate``."""
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "database users")
    plan = Plan(action=f"activate database user {name}", targets=(name,),
                requests=(f"POST /v1/users/db/{name}/activate",))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)
    return [Message(_conflict_or(lambda: users.user_call(ctx.api, name, "activate"),
                                 f"activated database user {name}",
                                 f"{name} was already active"))]


def _conflict_or(call: Any, done: str, already: str) -> str:
    """Weaviate answers 409 without a body when the user is already in that state."""
    try:
        call()
    except ApiError as exc:
        if exc.status != 409:
            raise
        return already
    return done


@command(
    "user deactivate", "Stop a database user's key from working (reversible).",
    args=(USER,),
    opts=(Opt("--revoke-key", flag=True, help="also revoke its key (activating it again then "
                                             "needs \\user rotate-key)"), FORCE, DRY_RUN),
    group="access", destructive=True,
    help="POST /v1/users/db/NAME/deactivate: the user keeps its roles but its key is refused\n"
         "until \\user activate. Asks to type 'yes' (--force in scripts).\n\n"
         "  \\user deactivate bob\n  \\user deactivate bob --revoke-key --force",
)
def user_deactivate_cmd(ctx: CommandContext, *, name: str, revoke_key: bool, force: bool,
                        dry_run: bool) -> list[Result]:
    """``\\user deactivate``."""
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "database users")
    body = {"revoke_key": revoke_key}
    plan = _user_plan(ctx, name, f"deactivate database user {name}",
                      f"POST /v1/users/db/{name}/deactivate {body}",
                      f"{name}'s API key is refused until \\user activate {name}")
    _refuse_self(ctx, name, plan.action, force)
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    return [Message(_conflict_or(lambda: users.user_call(ctx.api, name, "deactivate", body),
                                 f"deactivated database user {name}",
                                 f"{name} was already deactivated"))]


@command(
    "user rotate-key", "Give a database user a new API key; the old one stops working.",
    args=(USER,), opts=(KEY_FILE, FORCE, DRY_RUN),
    group="access", destructive=True,
    help="POST /v1/users/db/NAME/rotate-key. The old key is refused at once, so this asks\n"
         "to type 'yes' (--force in scripts). The new key is shown once on stderr, never in\n"
         "--format json/yaml output, history or the audit log; --key-file writes it to a\n"
         "new 0600 file instead.\n\n"
         "  \\user rotate-key bob\n  \\user rotate-key ci-bot --key-file ci.key --force",
)
def user_rotate_cmd(ctx: CommandContext, *, name: str, key_file: str | None, force: bool,
                    dry_run: bool) -> list[Result]:
    """``\\user rotate-key``."""
    versions.require(ctx.server_version, access.DB_USERS_FLOOR, "database users")
    target = _check_key_file(key_file)
    mine = _is_me(ctx, name)
    warning = f"{name}'s current API key stops working at once" + (
        "; it is this session's key: reconnect with the new one" if mine else "")
    plan = _user_plan(ctx, name, f"rotate the API key of {name}",
                      f"POST /v1/users/db/{name}/rotate-key", warning)
    if ctx.approve(plan, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(plan)
    key = users.user_call(ctx.api, name, "rotate-key").get("apikey", "")
    return _show_key(name, key, target, "rotated the key")


@command(
    "groups", "List the OIDC groups that hold roles, with their roles.",
    group="access",
    help="GET /v1/authz/groups/oidc, then each group's roles (Weaviate >= 1.33, RBAC on).\n"
         "Groups live in the identity provider; Weaviate knows those that were given a role\n"
         "(\\grant ROLE --group G).\n\n  \\groups",
)
def groups_cmd(ctx: CommandContext) -> Result:
    """``\\groups``: a Table of groups."""
    version = ctx.server_version
    versions.require(version, access.GROUPS_FLOOR, "OIDC groups")
    access.require_rbac(ctx.api, version)
    rows = tuple((g, sorted(str(r.get("name")) for r in users.group_roles(ctx.api, g)))
                 for g in sorted(users.list_groups(ctx.api)))
    return Table(("group", "roles"), rows, title="OIDC groups",
                 note=None if rows else "no group holds a role")
