"""Shards: ``\\shards`` lists a collection's shards, or sets their status (READY, READONLY).
The sharding state (``\\sharding``) is in ``commands.meta.replication``."""

from __future__ import annotations

from commands.context import CommandContext
from commands.lazy import lazy_module
from commands.meta.inspect import APPROXIMATE, COLLECTION
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, FORCE
from commands.ops.schema import get_class
from commands.results import Level, Message, Result, Table
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Kind, Opt, command

cluster = lazy_module("commands.ops.cluster")
collections = lazy_module("commands.ops.collections")
shard_status = lazy_module("commands.ops.shard_status")

DRY_RUN = Opt("--dry-run", flag=True, help="show the plan and the REST calls, send nothing")
STATUSES = ("READY", "READONLY")


def _list(ctx: CommandContext, name: str) -> Table:
    rows = tuple((s.name, s.status, ", ".join(s.nodes), s.objects)
                 for s in cluster.list_shards(ctx.api, name))
    return Table(("shard", "status", "nodes", "objects"), rows, title=f"Shards of {name}",
                 note=APPROXIMATE)


def _status_preview(found: shard_status.StatusPlan) -> list[Result]:
    rows = tuple((c.shard, c.node, c.now, c.after) for c in found.changes)
    out: list[Result] = [Table(("shard", "node", "now", "after"), rows,
                               title=f"Status of {found.collection}'s shards")]
    for fact, cause, fix in found.causes:
        out.append(Message(f"{fact}: {cause}; {fix}", Level.WARNING))
    if found.status == "READONLY":
        out.append(Message(f"writes to {len(found.shards)} shard(s) of {found.collection} will "
                           "fail until they are READY again; reads keep working",
                           Level.WARNING))
    return out


def gate(ctx: CommandContext, action: str, collection: str, preview: list[Result],
         requests: list[str], *, destructive: bool, force: bool, dry_run: bool,
         allow_protected: bool = True) -> list[Result] | None:
    """Pass a write on ``collection`` through the safety gate: the dry-run results when it
    must stop there, None when it may go on (``Refused`` when it may not)."""
    hits = protected_names([collection], ctx.session.protected)
    plan = Plan(action=action, targets=(collection,), preview=tuple(preview),
                requests=tuple(requests), protected=tuple(n for n, _ in hits))
    if ctx.dry_run_or_approve(plan, destructive, force=force, dry_run=dry_run,
                              allow_protected=allow_protected):
        return dry_run_results(plan)
    return None


def _set(ctx: CommandContext, name: str, status: str, wanted: list[str], multi_tenant: bool,
         *, force: bool, dry_run: bool, allow_protected: bool) -> list[Result]:
    found = shard_status.plan(ctx.api, name, status, wanted, multi_tenant)
    skipped = [Message(f"{len(found.inactive)} inactive tenant(s) left alone (not loaded): "
                       + ", ".join(found.inactive[:5]) + (" ..." if len(found.inactive) > 5
                                                          else ""))] if found.inactive else []
    if not found.shards:
        return [*skipped, Message(f"{name} has no loaded shards to set")]
    # READONLY stops writes: the gate asks; READY gives them back, so only --dry-run stops it
    stopped = gate(ctx, f"set {len(found.shards)} shard(s) of {name} to {status}", name,
                   _status_preview(found),
                   [f"PUT /v1/schema/{name}/shards/{s}" for s in found.shards],
                   destructive=status == "READONLY", force=force, dry_run=dry_run,
                   allow_protected=allow_protected)
    if stopped is not None:
        return stopped
    after = shard_status.apply(ctx.api, found)
    out: list[Result] = [Message(f"{s}: {after.get(s)}") for s in found.shards
                         if after.get(s) != status]
    out.append(Message(f"set {len(found.shards)} shard(s) of {name} to {status}"))
    if status == "READY" and found.causes:
        out.append(Message("if the disk is still above the threshold, the resource scanner "
                           "makes these shards READONLY again", Level.WARNING))
    return [_list(ctx, name), *skipped, *out]


@command(
    "shards", "List a collection's shards, or set their status (READY, READONLY).",
    args=(COLLECTION,),
    opts=(Opt("--set", Kind.CHOICE, "set the status of the shards (all, or those named)",
              choices=STATUSES),
          Opt("--shard", Kind.SHARD, "only this shard (repeatable)", many=True),
          Opt("--tenant", Kind.TENANT, "only this tenant's shard (repeatable)", many=True),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="inspect",
    help="One row per physical shard (for a multi-tenant collection: per tenant): its status\n"
         "(READY, READONLY, INDEXING, ...), the nodes holding a replica and the approximate\n"
         "object count (the largest over the replicas; empty when the shard is not loaded).\n\n"
         "--set READY|READONLY changes the status of every shard, or of those named with\n"
         "--shard/--tenant, on all their replicas (PUT /v1/schema/C/shards/S). The preview\n"
         "shows each replica's status now and after; for READONLY replicas it says what\n"
         "probably made them so (disk pressure on a node makes all its shards READONLY).\n"
         "READONLY stops writes, so it asks for confirmation (--force in scripts).\n\n"
         "  \\shards Article\n  \\shards Article --set READY\n"
         "  \\shards Article --set READONLY --shard abc123 --dry-run\n"
         "  \\shards SupportTicket --set READY --tenant acme",
)
def shards_cmd(ctx: CommandContext, *, collection: str, set: str | None, shard: list[str],
               tenant: list[str], force: bool, dry_run: bool,
               allow_protected: bool) -> Result | list[Result]:
    """``\\shards``: a Table of shards, or the status change."""
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    if set is None:
        if shard or tenant or force or dry_run:
            opts = "--shard/--tenant" if shard or tenant else "--force/--dry-run"
            return [Message(f"{opts} only matter with --set READY|READONLY", Level.WARNING),
                    _list(ctx, name)]
        return _list(ctx, name)
    return _set(ctx, name, set, [*shard, *tenant], collections.is_multi_tenant(cls), force=force,
                dry_run=dry_run, allow_protected=allow_protected)
