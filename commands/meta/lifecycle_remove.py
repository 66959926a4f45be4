"""Removing and emptying collections: ``\\rm``, ``\\clear``, and ``\\protected``.

Both destructive commands describe everything they would do as one ``Plan`` and pass
the safety gate (``CommandContext.approve``) before their first mutating request; a
dry run, a refused confirmation or a protected target sends nothing at all.
Progress: when the shell sets ``session.progress`` (a factory
``progress(description, total)`` returning a context manager that yields
``advance(n)``), ``\\clear`` advances it by the objects each batch call deleted.
"""

from __future__ import annotations

import json
from typing import Any

from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta import safety_backup
from commands.ops.schema import fetch_schema, unknown_collection
from commands.progress import bar
from commands.results import Level, Message, Result, Table
from commands.safety import Decision, Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

collections = lazy_module("commands.ops.collections")
elysia = lazy_module("commands.ops.elysia")
lifecycle = lazy_module("commands.ops.lifecycle")

FORCE = Opt("--force", flag=True, help="do not ask for confirmation (scripts that mean it)")
DRY_RUN = Opt("--dry-run", flag=True,
              help="show what would be deleted and the REST calls, send nothing")
ALLOW_PROTECTED = Opt("--allow-protected", flag=True,
                      help="allow a protected collection (then its name must be typed)")
SHOWN_TENANTS = 10


def _resolve(ctx: CommandContext, names: list[str], pattern: str | None,
             classes: list[dict[str, Any]]) -> list[str]:
    """Canonical class names for ``names`` plus those matching ``pattern``, in that order."""
    known = [c["class"] for c in classes]
    chosen: list[str] = []
    aliases: dict[str, tuple[str, ...]] | None = None
    for name in names:
        fixed = lifecycle.upper_first(name)
        if fixed not in known:
            if aliases is None:
                aliases = lifecycle.fetch_aliases(ctx.api) or {}
            target = next((c for c, found in aliases.items()
                           if fixed.lower() in (a.lower() for a in found)), None)
            if target is not None:
                raise ShellError(f"{name} is an alias of {target}; \\rm removes collections only",
                                 f"\\rm {target} removes the collection itself")
            raise unknown_collection(name, known)
        chosen.append(fixed)
    if pattern:
        matched = sorted((n for n in known if collections.matches(n, [pattern])), key=str.lower)
        if not matched:
            raise ShellError(f"no collection matches {pattern!r}", r"\ls lists the collections")
        chosen += matched
    if not chosen:
        raise UsageError(r"\rm: name at least one collection, or use --filter PATTERN",
                         r"usage: \rm NAME [NAME ...] [--filter PATTERN] [--force] [--dry-run]")
    return list(dict.fromkeys(chosen))


def _tenant_text(radius: lifecycle.BlastRadius) -> str | None:
    if radius.tenants is None:
        return None
    detail = ", ".join(f"{n} {s}" for s, n in radius.tenants.items())
    return f"{radius.tenant_count}" + (f": {detail}" if detail else "")


def _created_text(radius: lifecycle.BlastRadius) -> str:
    return f"{radius.created} ({radius.created_from})" if radius.created else "unknown"


def _radius_table(found: list[lifecycle.BlastRadius]) -> Table:
    rows = tuple((r.name, r.objects, _tenant_text(r), r.replication, r.shards, list(r.nodes),
                  "unknown" if r.aliases is None else list(r.aliases), _created_text(r))
                 for r in found)
    note = "aliases of a deleted collection no longer resolve"
    if any(not r.objects_exact for r in found):
        note = ("objects of multi-tenant collections are the approximate total of the active "
                "tenants (from /v1/nodes); " + note)
    return Table(("collection", "objects", "tenants", "replication", "shards", "nodes",
                  "aliases", "created"), rows, title="At stake", note=note)


def _elysia_table(found: list[elysia.Companion], with_elysia: bool) -> Table:
    fate = "removed with it" if with_elysia else "kept, stale (add --with-elysia)"
    return Table(("collection", "elysia", "name", "fate"),
                 tuple((c.collection, c.kind, c.name, fate) for c in found),
                 title="Elysia's data for these collections",
                 note="Elysia's metadata describes the collection; its chunks reference it")


@command(
    "rm", "Remove collections with everything in them, after showing what is at stake.",
    args=(Arg("names", Kind.COLLECTION, "collections to remove (first letter case-fixed; "
                                        "aliases are refused)", required=False, many=True),),
    opts=(Opt("--filter", Kind.PATTERN, "also remove every collection matching this glob "
                                        "(case-insensitive, as in \\ls)"),
          Opt("--with-elysia", flag=True, help="also remove Elysia's metadata object and chunked "
                                                "collection of each (see \\elysia)"),
          FORCE, DRY_RUN, ALLOW_PROTECTED, safety_backup.NO_SAFETY_BACKUP),
    group="lifecycle",
    destructive=True,
    changes_schema=True,
    help="Deletes collections (DELETE /v1/schema/NAME) with their objects and tenants;\n"
         "their aliases stop resolving. First it shows, per collection: objects, tenants,\n"
         "replication factor, shards and the nodes holding them, aliases, and when it was\n"
         "created (from the audit log when elysiactl created it, else the oldest object's\n"
         "creation time, else unknown), then the total, and asks once to type 'yes' (on a\n"
         "production tier, the collection's name). An unknown name stops the command\n"
         "before anything is deleted.\n"
         "Elysia's data for a collection (its ELYSIA_METADATA__ object and its\n"
         "ELYSIA_CHUNKED_<name>__ collection) is listed too; --with-elysia removes it after\n"
         "the collection (without it, it stays and \\elysia shows it as missing).\n"
         "Protected collections (\\protected) need --allow-protected and their name typed.\n"
         "Outside a terminal, --force (or elysiactl --yes) is required.\n"
         "The preview lists the backups that hold the collections (in ./backup, in the\n"
         "directories \\backup --output wrote to, and in the safety area). Before deleting,\n"
         "a safety backup is taken into the state directory (up to\n"
         "safety_backup_max_objects objects; not with --dry-run or --no-safety-backup):\n"
         "\\undo brings the collections back from it.\n\n"
         "  \\rm DevCollection\n  \\rm --filter 'test_*' --dry-run\n  \\rm Old1 Old2 --force\n"
         "  \\rm Article --with-elysia",
)
def rm_cmd(ctx: CommandContext, *, names: list[str], filter: str | None, with_elysia: bool,
           force: bool, dry_run: bool, allow_protected: bool,
           no_safety_backup: bool) -> list[Result]:
    """``\\rm``: one plan and one confirmation for every collection named or matched."""
    classes = fetch_schema(ctx.api)
    targets = _resolve(ctx, list(names or []), filter, classes)
    entries = ctx.audit.entries() if ctx.audit is not None else ()
    found = lifecycle.blast_radius(ctx.api, targets, entries, classes)
    total = sum(r.objects or 0 for r in found)
    approx = "" if all(r.objects_exact for r in found) else " (approximate)"
    action = f"delete collection {targets[0]}" if len(targets) == 1 else \
        f"delete {len(targets)} collections"
    hits = protected_names(targets, ctx.session.protected)
    # --with-elysia is the explicit consent for Elysia's (protected) companions
    try:
        extras, unread = elysia.companions(elysia.read_state(ctx.api, classes), targets), []
    except ShellError as exc:  # e.g. a key that may not read ELYSIA_METADATA__
        extras, unread = [], [Message(f"Elysia's metadata could not be read ({exc.message}): "
                                      "its data for these collections is not listed",
                                      Level.WARNING)]
    removed = extras if with_elysia else []
    chunks = [c for c in removed if c.kind == "chunks"]  # Elysia's chunked collections
    backed_up = [*targets, *(c.name for c in chunks)]
    choice = safety_backup.choose(ctx, total + sum(c.objects or 0 for c in chunks),
                                  no_safety_backup, ", ".join(backed_up))
    plan = Plan(action=action, targets=tuple(targets),
                preview=(_radius_table(found),
                         *([_elysia_table(extras, with_elysia)] if extras else unread),
                         Message(f"total: {total:,} objects{approx} in {len(targets)} "
                                 f"collection{'s' if len(targets) != 1 else ''}: "
                                 + ", ".join(targets), Level.WARNING),
                         *safety_backup.preview(ctx, choice, targets, sum(
                             n for r in found for s, n in (r.tenants or {}).items()
                             if s != "ACTIVE"))),
                requests=(*(f"DELETE /v1/schema/{n}" for n in targets),
                          *(c.request for c in removed)), objects=total,
                protected=tuple(name for name, _ in hits))
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    out = safety_backup.take(ctx, choice, "rm", ((n, None) for n in backed_up))
    deleted: list[str] = []
    ctx.objects_affected = 0
    for radius in found:
        try:
            lifecycle.delete_collection(ctx.api, radius.name)
        except ShellError as exc:
            done = ", ".join(deleted) or "nothing"
            raise ShellError(f"deleting {radius.name} failed: {exc.message} (deleted so far: "
                             f"{done})", exc.hint) from None
        deleted.append(radius.name)
        ctx.objects_affected += radius.objects or 0
        if ctx.session.collection == radius.name:
            ctx.session.collection = ctx.session.tenant = None
        out.append(Message(f"deleted collection {radius.name} ({radius.objects or 0:,} objects)"))
        for companion in (c for c in removed if c.collection == radius.name):
            elysia.remove_companion(ctx.api, companion)
            out.append(Message(f"deleted Elysia's {companion.kind} {companion.name}"))
    if extras and not with_elysia:
        out.append(Message(f"Elysia's data for {', '.join(sorted({c.collection for c in extras}))}"
                           " was kept: \\elysia shows it; \\rm --with-elysia removes it",
                           Level.WARNING))
    return out


def _clear_requests(scope: lifecycle.ClearScope) -> tuple[str, ...]:
    body = json.dumps({"match": {"class": scope.name, "where": lifecycle.MATCH_ALL},
                       "output": "minimal"}, separators=(",", ":"))
    lines = []
    for tenant, count in scope.partitions[:SHOWN_TENANTS]:
        calls = -(-(count or 0) // lifecycle.DELETE_LIMIT) + 1  # the last one matches 0
        query = f"?tenant={tenant}" if tenant else ""
        lines.append(f"DELETE /v1/batch/objects{query} {body} "
                     f"(x{calls}, until matches is 0)")
    rest = len(scope.partitions) - SHOWN_TENANTS
    if rest > 0:
        lines.append(f"DELETE /v1/batch/objects?tenant=... the same for {rest:,} more tenants")
    return tuple(lines)


@command(
    "clear", "Delete every object of a collection (or one tenant), keeping its definition.",
    args=(Arg("collection", Kind.COLLECTION, "a collection or an alias", from_context=True),),
    opts=(Opt("--tenant", Kind.TENANT, "clear only this tenant (default: every tenant; the "
                                       "session's tenant is not used)"),
          FORCE, DRY_RUN, ALLOW_PROTECTED, safety_backup.NO_SAFETY_BACKUP),
    group="lifecycle",
    destructive=True,
    help="Removes every object with repeated DELETE /v1/batch/objects calls matching all\n"
         "ids (Weaviate deletes at most 10,000 per call), until nothing matches, so it\n"
         "empties collections of any size; a progress bar shows on a terminal. The class\n"
         "definition, its configuration, tenants and aliases stay exactly as they were.\n"
         "A multi-tenant collection is cleared tenant by tenant; without --tenant every\n"
         "tenant is cleared, which is refused (nothing sent) while any tenant is not\n"
         "active, since deleting from it would need it activated. Confirmation, --force,\n"
         "--dry-run, protection, the safety backup (\\undo) and the list of existing\n"
         "backups work as for \\rm.\n\n"
         "  \\clear DevCollection\n  \\clear SupportTicket --tenant acme --force\n"
         "  \\clear Article --dry-run",
)
def clear_cmd(ctx: CommandContext, *, collection: str | None, tenant: str | None, force: bool,
              dry_run: bool, allow_protected: bool, no_safety_backup: bool) -> list[Result]:
    """``\\clear``: empty a collection (or one tenant) after one confirmation."""
    collection = collection or ctx.session.collection
    if collection is None:
        raise UsageError(r"\clear: no collection given and none in use",
                         r"give one, or pick one with \use COLLECTION")
    scope = lifecycle.clear_scope(ctx.api, collection, tenant)
    name, total = scope.name, scope.objects
    if scope.multi_tenancy:
        rows = tuple((t, c) for t, c in scope.partitions)
        which = f"tenant {tenant}" if tenant else f"all {len(rows)} tenants"
        table = Table(("tenant", "objects"), rows, title=f"At stake in {name} ({which})",
                      note=None if scope.exact else "approximate counts (from /v1/nodes)")
    else:
        which = ""
        table = Table(("collection", "objects"), ((name, total),), title="At stake")
    where = f"{name} ({which})" if which else name
    choice = safety_backup.choose(ctx, total, no_safety_backup, where)
    plan = Plan(action=f"delete every object of {where}", targets=(name,),
                preview=(table, Message(f"{total:,} objects will be deleted; the schema, "
                                        "configuration, tenants and aliases stay as they are",
                                        Level.WARNING),
                         *safety_backup.preview(ctx, choice, [name])),
                requests=_clear_requests(scope), objects=total,
                protected=tuple(n for n, _ in protected_names([name], ctx.session.protected)))
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    out = safety_backup.take(ctx, choice, "clear", [(name, tenant)])
    ctx.objects_affected = 0
    with bar(ctx.session.progress, f"clearing {where}", total) as advance:

        def report(done: int, _total: int | None) -> None:
            if done > (ctx.objects_affected or 0):
                advance(done - (ctx.objects_affected or 0))
            ctx.objects_affected = done

        deleted = lifecycle.clear_collection(ctx.api, name, tenant, report)
    return [*out, Message(f"deleted {deleted:,} objects from {where}; the schema, tenants "
                          "and aliases are unchanged")]


@command(
    "protected", "List the protected-name patterns and the collections they match now.",
    group="lifecycle",
    help="Protected collections cannot be removed, cleared, overwritten or restored onto\n"
         "without --allow-protected, and then only after typing the name. The patterns are\n"
         "shell globs matched case-sensitively against the whole name; they come from the\n"
         "config file's 'protected' list (default ELYSIACTL_*, *_SYSTEM, .internal*).\n"
         "Collection names start with an uppercase letter, so a pattern starting with '.'\n"
         "never matches one. One request (GET /v1/schema).",
)
def protected_cmd(ctx: CommandContext) -> Result:
    """``\\protected``: one row per pattern with the collections it matches."""
    names = sorted((c["class"] for c in fetch_schema(ctx.api)), key=str.lower)
    rows = tuple((pattern, [n for n, _ in protected_names(names, (pattern,))])
                 for pattern in ctx.session.protected)
    note = None if ctx.session.protected else "no protected patterns are configured"
    return Table(("pattern", "collections"), rows, title="Protected collections", note=note)
