"""``\\undo``: bring back what the last destructive command deleted or overwrote, from the
safety backup it took (``commands.ops.safety_backup``).

The backups are restored as ``\\restore`` restores them (verified first, with the same
plan); undoing a restore over existing data first removes the objects that restore
inserted (``commands.ops.rollback``). ``\\undo`` always shows its plan and asks; a dry
run sends nothing.
"""

from __future__ import annotations

from pathlib import Path

from commands.context import CommandContext
from commands.errors import ShellError
from commands.lazy import lazy_module
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, DRY_RUN, FORCE
from commands.meta.restore import restore_plan
from commands.results import Document, Level, Message, Result, Table
from commands.safety import Decision, Plan, dry_run_results
from commands.spec import Opt, command

safety = lazy_module("commands.ops.safety_backup")
restore_ops = lazy_module("commands.ops.backup.restore")
chain_ops = lazy_module("commands.ops.backup.chain")
lifecycle = lazy_module("commands.ops.lifecycle")
backup_lock = lazy_module("commands.ops.backup.lock")

RECREATES = "alter"
"""The operation whose undo deletes the collection and creates it again from the backup."""
rollback_ops = lazy_module("commands.ops.rollback")
objects_ops = lazy_module("commands.ops.objects")


def _list(ctx: CommandContext, cluster: str) -> Table:
    rows = []
    for record in safety.records(ctx.session.state_dir, cluster):
        rows.append((record.operation, record.time, record.collections, record.objects,
                     record.bytes, record.directory, record.state))
    note = None if rows else r"nothing to undo: \rm, \clear and \restore over existing " \
                             "data take a safety backup first"
    return Table(("operation", "when", "collections", "objects", "size", "backup", "state"),
                 tuple(rows), title=f"What \\undo can bring back on {cluster}", note=note)


def _inserted(record: safety.UndoRecord) -> dict[str | None, list[str]]:
    """For a restore over existing data: the objects it inserted, per tenant."""
    if not record.restored:
        return {}
    chain = chain_ops.load_chain(Path(record.restored))
    tenants = [t for t, _ in chain_ops.final_tenants(chain, record.tenant)]
    return rollback_ops.inserted_ids(Path(record.restored), tenants,
                                     Path(record.backups[0]))[0]


@command(
    "undo", "Bring back what the last \\rm, \\clear, \\alter or restore deleted or overwrote.",
    opts=(Opt("--list", flag=True, help="show what can be undone, newest first"),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="backup", destructive=True, changes_schema=True,
    help="\\rm, \\clear, a \\restore onto a collection with objects and an \\alter that drops\n"
         "something take a safety backup first, into the state directory (owner-only; up\n"
         "to safety_backup_max_objects objects, see the config file). \\undo restores the\n"
         "newest one of this cluster that was not undone yet: a removed collection is\n"
         "created again with its objects, a cleared one gets its objects back, a restore\n"
         "over existing data is taken back (the objects it inserted are deleted, those it\n"
         "overwrote come back), and an altered collection is deleted and created again as\n"
         "it was, with its objects. The backup is verified first, and the plan is shown\n"
         "and confirmed, as for \\restore (--force skips the question; --dry-run sends\n"
         "nothing).\n"
         "\\undo --list shows each safety backup: operation, when, collections, objects,\n"
         "size, where, and whether it was undone; \\backups prune --safety removes old ones.\n\n"
         "  \\undo --list\n  \\undo --dry-run\n  \\undo",
)
def undo_cmd(ctx: CommandContext, *, list: bool, force: bool, dry_run: bool,
             allow_protected: bool) -> list[Result]:
    """``\\undo``: restore the newest safety backup (``--list``: a Table of them)."""
    cluster = ctx.api.url
    if list:
        return [_list(ctx, cluster)]
    record = safety.undoable(ctx.session.state_dir, cluster)
    if record is None:
        raise ShellError(f"nothing to undo on {cluster}", r"\undo --list shows the safety "
                                                          "backups and why none can be undone")
    read = [Path(b) for b in record.backups] + ([Path(record.restored)] if record.restored
                                                else [])
    with backup_lock.reading(read, "\\undo", dry_run or ctx.session.dry_run):
        return _undo(ctx, record, force=force, dry_run=dry_run, allow_protected=allow_protected)


def _undo(ctx: CommandContext, record: safety.UndoRecord, *, force: bool, dry_run: bool,
          allow_protected: bool) -> list[Result]:
    """Undo ``record``'s run, holding the locks of the directories it reads."""
    restores = _prepared(ctx, record)
    inserted = _inserted(record)
    what = f"\\{record.operation} of {', '.join(record.collections)} ({record.time})"
    plan = _plan(ctx, record, restores, inserted, what)
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    out: list[Result] = []
    ctx.objects_affected = 0
    try:
        out += _first(ctx, record, inserted)
        if record.operation == RECREATES:  # prepared again: the collection is gone now
            restores = _prepared(ctx, record)
        for restore in restores:
            report = restore.run()
            out.append(Message(f"restored {report.objects:,} objects into {report.collection}"))
            out += [Message(w, Level.WARNING) for w in report.warnings]
    except BaseException:
        ctx.session.notify("schema")
        raise
    finally:
        ctx.objects_affected = sum(r.written_now for r in restores)
    record.mark_undone()
    ctx.audit_fields["undid"] = record.directory
    out.append(Message(f"undid {what}"))
    return out


def _prepared(ctx: CommandContext, record: safety.UndoRecord) -> list[restore_ops.Restore]:
    """A verified, prepared restore of each of the record's backups."""
    restores = []
    for backup in record.backups:
        restore = restore_ops.Restore(ctx.api, restore_ops.RestoreOptions(Path(backup)),
                                      ctx.session.progress)
        restore.prepare()
        restores.append(restore)
    return restores


def _plan(ctx: CommandContext, record: safety.UndoRecord, restores: list[restore_ops.Restore],
          inserted: dict[str | None, list[str]], what: str) -> Plan:
    """One plan for the whole undo: what goes first, then each restore's own plan."""
    removed = sum(len(ids) for ids in inserted.values())
    preview: list[Result] = [Message(f"undo {what} from the safety backup {record.directory}")]
    requests: list[str] = []
    if removed:
        preview.append(Message(f"first the {removed:,} objects that restore inserted are "
                               "deleted", Level.WARNING))
        requests += objects_ops.delete_calls(removed)
    plans = [restore_plan(r, ctx.session.protected) for r in restores]
    for restore, plan in zip(restores, plans, strict=True):
        if record.operation == RECREATES:
            preview += [Message(f"{restore.name} is deleted (with its {restore.existing or 0:,} "
                                "objects now) and created again as it was before the \\alter, "
                                f"with the backup's {restore.total:,} objects", Level.WARNING),
                        Document(restore.class_definition(), title="class it creates again")]
            requests += [f"DELETE /v1/schema/{restore.name}", "POST /v1/schema",
                         *(r for r in plan.requests if r.startswith("POST /v1/batch"))]
            continue
        preview += [Message(plan.action), *plan.preview]
        requests += plan.requests
    return Plan(action=f"undo {what}", targets=tuple(record.collections),
                preview=tuple(preview), requests=tuple(requests),
                objects=sum(p.objects or 0 for p in plans),
                protected=tuple(n for p in plans for n in p.protected))


def _first(ctx: CommandContext, record: safety.UndoRecord,
           inserted: dict[str | None, list[str]]) -> list[Result]:
    """What goes before the restores: the objects a restore inserted, or the collection an
    ``\\alter`` changed."""
    if record.operation == RECREATES:
        for name in record.collections:
            lifecycle.delete_collection(ctx.api, name)
        return [Message(f"deleted {', '.join(record.collections)} to create it again")]
    deleted = sum(rollback_ops.delete_ids(ctx.api, record.collections[0], tenant, ids)
                  for tenant, ids in inserted.items())
    return [Message(f"deleted the {deleted:,} objects the restore had inserted")] \
        if inserted else []
