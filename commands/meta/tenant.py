"""Changing tenants: ``\\tenant create``, ``\\tenant set`` and ``\\tenant rm`` (the read-only
list is ``\\tenants``).

PATTERNs are shell globs over the tenant names (exact names too), matched case-sensitively
as Weaviate names are. Every write is previewed (which tenants, how many objects) and goes
through the safety gate: ``rm`` and a status that takes tenants offline (INACTIVE,
OFFLOADED) ask for confirmation; ``--dry-run`` sends no mutating request at all.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass

from commands.context import CommandContext
from commands.errors import ApiError, ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.lifecycle_remove import DRY_RUN, FORCE
from commands.ops.schema import get_class
from commands.progress import Advance, bar
from commands.results import Level, Message, Result, Table
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

collections = lazy_module("commands.ops.collections")
tenants = lazy_module("commands.ops.tenants")
versions = lazy_module("commands.ops.versions")

SHOWN = 20
COLLECTION = Arg("collection", Kind.COLLECTION, "a multi-tenant collection (or an alias)")
PATTERNS = Arg("patterns", Kind.TENANT, "tenant names or globs ('cust-*')", many=True)
ALLOW_PROTECTED = Opt("--allow-protected", flag=True,
                      help="allow a protected collection or tenant (then its name must be "
                           "typed)")
OFFLINE = ("INACTIVE", "OFFLOADED")
OFFLOAD_HINT = ("start Weaviate with ENABLE_MODULES including offload-s3 (and OFFLOAD_S3_BUCKET "
                "set), or use --status INACTIVE, which keeps the data on the node")
UNKNOWN_NOTE = ("objects: exact for ACTIVE tenants (GraphQL Aggregate); unknown for INACTIVE "
                "and OFFLOADED ones, which are not loaded")


@dataclass(frozen=True, slots=True)
class Scope:
    """The collection and the tenants a command's patterns chose (name -> status)."""

    collection: str
    chosen: dict[str, str]


def _multi_tenant(ctx: CommandContext, collection: str) -> str:
    """The canonical name of ``collection``, which must be multi-tenant."""
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    if not collections.is_multi_tenant(cls):
        raise ShellError(f"{name} is not multi-tenant, so it has no tenants",
                         f"\\show {name} describes it")
    return name


def _scope(ctx: CommandContext, collection: str, patterns: list[str]) -> Scope:
    """Resolve the collection and match ``patterns``; a pattern matching nothing stops the
    command before any write."""
    name = _multi_tenant(ctx, collection)
    found = tenants.match_tenants(tenants.fetch_tenants(ctx.api, name), patterns)
    if found.empty_patterns:
        listed = ", ".join(repr(p) for p in found.empty_patterns)
        raise ShellError(f"no tenant of {name} matches {listed}; nothing was sent",
                         f"\\tenants {name} lists its tenants")
    return Scope(name, found.found)


def _bar(ctx: CommandContext, description: str, total: int) -> AbstractContextManager[Advance]:
    return bar(ctx.session.progress, description, total, "tenants")


def _counts(ctx: CommandContext, scope: Scope) -> dict[str, int]:
    active = [n for n, s in scope.chosen.items() if s == "ACTIVE"]
    with _bar(ctx, f"counting objects in {len(active)} tenants", len(active)) as advance:
        return tenants.exact_counts(ctx.api, scope.collection, active, advance)


def _preview(scope: Scope, counts: dict[str, int] | None, verb: str) -> tuple[Result, ...]:
    """The first tenants chosen with status and objects, and one line with the totals."""
    names = list(scope.chosen)
    rows = tuple((n, scope.chosen[n], "unknown" if counts is None or n not in counts
                  else counts[n]) for n in names[:SHOWN])
    shown = f"the first {SHOWN} of {len(names):,}; " if len(names) > SHOWN else ""
    table = Table(("tenant", "status", "objects"), rows,
                  title=f"Tenants of {scope.collection} to {verb}",
                  note=shown + (UNKNOWN_NOTE if counts is not None else
                                "objects are not counted for this change"))
    line = f"{len(names):,} tenant{'s' if len(names) != 1 else ''} of {scope.collection}"
    if counts is not None:
        unknown = len(names) - len(counts)
        line += f", {sum(counts.values()):,} objects in the active ones"
        if unknown:
            line += (f" and an unknown number in {unknown:,} inactive or offloaded "
                     f"{'one' if unknown == 1 else 'ones'}")
    return table, Message(line, Level.WARNING)


def _requests(method: str, collection: str, bodies: list[list[object]]) -> tuple[str, ...]:
    """The REST calls as ``METHOD PATH BODY``: the start of the first body, then how many
    requests and tenants."""
    if not bodies:
        return ()
    first = json.dumps(bodies[0][:3] + (["..."] if len(bodies[0]) > 3 else []),
                       separators=(",", ":"))
    path = f"/v1/schema/{collection}/tenants"
    size = sum(len(b) for b in bodies)
    more = f" (x{len(bodies)} batches of at most {tenants.BATCH}, {size:,} tenants)" \
        if len(bodies) > 1 else f" ({size:,} tenant{'s' if size != 1 else ''})"
    return (f"{method} {path} {first}{more}",)


def _protected(ctx: CommandContext, scope: Scope) -> tuple[str, ...]:
    names = [scope.collection, *scope.chosen]
    return tuple(n for n, _ in protected_names(names, ctx.session.protected))


def _offload_error(exc: ApiError) -> ShellError:
    if tenants.NO_OFFLOAD in exc.message:
        return ShellError("OFFLOADED needs Weaviate's offload-s3 module, which this server "
                          "does not have enabled", OFFLOAD_HINT)
    return exc


@command(
    "tenant create", "Create tenants in a multi-tenant collection.",
    args=(COLLECTION, Arg("names", Kind.TEXT, "new tenant names", many=True)),
    opts=(Opt("--status", Kind.CHOICE, "their status (default ACTIVE)",
              choices=("ACTIVE", "INACTIVE")), DRY_RUN),
    group="tenants",
    changes_schema=True,
    help="Adds tenants (POST /v1/schema/C/tenants, 100 names a request, with a progress\n"
         "bar). Names that exist already are left as they are and reported. A name may\n"
         "hold letters, digits, '_' and '-' (1 to 64 characters); Weaviate says which one\n"
         "is not. --dry-run shows the requests and sends none.\n\n"
         "  \\tenant create SupportTicket cust-1 cust-2\n"
         "  \\tenant create SupportTicket archive-2024 --status INACTIVE",
)
def tenant_create_cmd(ctx: CommandContext, *, collection: str, names: list[str],
                      status: str | None, dry_run: bool) -> list[Result]:
    """``\\tenant create``: the new tenants, created in batches."""
    name = _multi_tenant(ctx, collection)
    existing = {t.get("name") for t in tenants.fetch_tenants(ctx.api, name)}
    new = list(dict.fromkeys(n for n in names if n not in existing))
    kept = sorted(set(names) & existing)
    notes: list[Result] = [Message(f"already there, left as they are: {', '.join(kept)}")] \
        if kept else []
    if not new:
        return [*notes, Message(f"nothing to create in {name}")]
    bodies = tenants.status_batches(new, status)
    plan = Plan(action=f"create {len(new):,} tenants in {name}", targets=tuple(new),
                requests=_requests("POST", name, bodies))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return [*notes, *dry_run_results(plan)]
    with _bar(ctx, f"creating tenants in {name}", len(new)) as advance:
        tenants.create_tenants(ctx.api, name, bodies, advance)
    return [*notes, Message(f"created {len(new):,} tenant{'s' if len(new) != 1 else ''} in "
                            f"{name} ({status or 'ACTIVE'})")]


def _check_offload(ctx: CommandContext) -> None:
    # tenant offloading came with Weaviate 1.26
    versions.require(ctx.server_version, (1, 26), "offloading tenants")
    if tenants.offload_enabled(ctx.api) is False:
        raise ShellError("OFFLOADED needs Weaviate's offload-s3 module, which this server "
                         "does not have enabled (GET /v1/meta lists no offload-s3); nothing "
                         "was sent", OFFLOAD_HINT)


@command(
    "tenant set", "Change the status of tenants: ACTIVE, INACTIVE or OFFLOADED.",
    args=(COLLECTION, PATTERNS),
    opts=(Opt("--status", Kind.CHOICE, "the new status (required)",
              choices=("ACTIVE", "INACTIVE", "OFFLOADED")),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="tenants",
    changes_schema=True,
    help="Sets the status of every tenant matching a PATTERN (PUT /v1/schema/C/tenants,\n"
         "at most 100 a request: Weaviate's limit). Tenants already in that status are\n"
         "skipped. INACTIVE and OFFLOADED take tenants offline (reads and writes fail until\n"
         "they are ACTIVE again), so the preview lists them with their objects and asks\n"
         "for confirmation (--force in scripts). OFFLOADED moves the data to cloud storage\n"
         "and needs Weaviate >= 1.26 with the offload-s3 module.\n\n"
         "  \\tenant set SupportTicket initech --status ACTIVE\n"
         "  \\tenant set SupportTicket 'trial-*' --status INACTIVE --dry-run",
)
def tenant_set_cmd(ctx: CommandContext, *, collection: str, patterns: list[str],
                   status: str | None, force: bool, dry_run: bool,
                   allow_protected: bool) -> list[Result]:
    """``\\tenant set``: one plan for every matching tenant, then batches of 100."""
    if status is None:
        raise UsageError(r"\tenant set needs --status ACTIVE|INACTIVE|OFFLOADED",
                         f"\\tenant set {collection} {' '.join(patterns)} --status INACTIVE")
    if status == "OFFLOADED":
        _check_offload(ctx)
    matched = _scope(ctx, collection, patterns)
    same = [n for n, s in matched.chosen.items() if s == status]
    scope = Scope(matched.collection, {n: s for n, s in matched.chosen.items() if s != status})
    notes: list[Result] = [Message(f"{len(same):,} already {status}, skipped")] if same else []
    if not scope.chosen:
        return [*notes, Message(f"nothing to change in {scope.collection}")]
    offline = status in OFFLINE
    counts = _counts(ctx, scope) if offline else None
    names = list(scope.chosen)
    bodies = tenants.status_batches(names, status)
    preview = _preview(scope, counts, f"set {status}")
    if offline:
        preview += (Message(f"{status} tenants cannot be read or written until they are "
                            "ACTIVE again", Level.WARNING),)
    plan = Plan(action=f"set {len(names):,} tenants of {scope.collection} {status}",
                targets=tuple(names), preview=preview,
                requests=_requests("PUT", scope.collection, bodies),
                objects=sum(counts.values()) if counts else None,
                protected=_protected(ctx, scope))
    if ctx.dry_run_or_approve(plan, offline, force=force, dry_run=dry_run,
                              allow_protected=allow_protected):
        return [*notes, *dry_run_results(plan)]
    with _bar(ctx, f"setting tenants {status}", len(names)) as advance:
        try:
            after = tenants.update_tenants(ctx.api, scope.collection, bodies, advance)
        except ApiError as exc:
            raise _offload_error(exc) from None
    moving = sorted({s for s in after.values() if s != status})
    tail = f"; now reported as {', '.join(moving)} (in progress)" if moving else ""
    ctx.objects_affected = plan.objects
    return [*notes, Message(f"set {len(names):,} tenant{'s' if len(names) != 1 else ''} of "
                            f"{scope.collection} {status}{tail}")]


@command(
    "tenant rm", "Delete tenants with all their objects, after a preview.",
    args=(COLLECTION, PATTERNS),
    opts=(FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="tenants",
    destructive=True,
    changes_schema=True,
    help="Deletes every tenant matching a PATTERN, with its objects (DELETE\n"
         "/v1/schema/C/tenants, 100 names a request, with a progress bar). First it lists\n"
         "the tenants (the first 20 and the count) with their objects: exact for ACTIVE\n"
         "tenants, unknown for INACTIVE and OFFLOADED ones (not loaded, so not counted),\n"
         "then asks to type 'yes'. A pattern matching no tenant stops it before anything\n"
         "is sent. Protected names (\\protected: the collection or a tenant) need\n"
         "--allow-protected. Outside a terminal, --force is required.\n\n"
         "  \\tenant rm SupportTicket globex\n"
         "  \\tenant rm SupportTicket 'test-*' 'tmp-?' --dry-run",
)
def tenant_rm_cmd(ctx: CommandContext, *, collection: str, patterns: list[str], force: bool,
                  dry_run: bool, allow_protected: bool) -> list[Result]:
    """``\\tenant rm``: one plan and one confirmation for every matching tenant."""
    scope = _scope(ctx, collection, patterns)
    counts = _counts(ctx, scope)
    names = list(scope.chosen)
    plan = Plan(action=f"delete {len(names):,} tenant{'s' if len(names) != 1 else ''} of "
                       f"{scope.collection}",
                targets=tuple(names), preview=_preview(scope, counts, "delete"),
                requests=_requests("DELETE", scope.collection, tenants.batches(names)),
                objects=sum(counts.values()), protected=_protected(ctx, scope))
    if ctx.dry_run_or_approve(plan, True, force=force, dry_run=dry_run,
                              allow_protected=allow_protected):
        return dry_run_results(plan)
    with _bar(ctx, f"deleting tenants of {scope.collection}", len(names)) as advance:
        tenants.delete_tenants(ctx.api, scope.collection, names, advance)
    ctx.objects_affected = plan.objects
    if ctx.session.collection == scope.collection and ctx.session.tenant in scope.chosen:
        ctx.session.tenant = None
    return [Message(f"deleted {len(names):,} tenant{'s' if len(names) != 1 else ''} of "
                    f"{scope.collection} ({plan.objects:,} objects in the active ones)")]
