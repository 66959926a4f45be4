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
from commands.results import Level, Message, Result, Table
from commands.safety import Decision, Plan, dry_run_results
from commands.spec import Opt, command

safety = lazy_module("commands.ops.safety_backup")
restore_ops = lazy_module("commands.ops.backup.restore")
chain_ops = lazy_module("commands.ops.backup.chain")
rollback_ops = lazy_module("commands.ops.rollback")


def _list(ctx: CommandContext, cluster: str) -> Table:
    rows = []
    for record in safety.records(ctx.session.state_dir, cluster):
        state = f"undone {record.undone}" if record.undone else (
            "backup missing: " + ", ".join(record.missing) if record.missing else "can be undone")
        rows.append((record.operation, record.time, record.collections, record.objects,
                     record.bytes, record.directory, state))
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
    "undo", "Bring back what the last \\rm, \\clear or restore deleted or overwrote.",
    opts=(Opt("--list", flag=True, help="show what can be undone, newest first"),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="backup", destructive=True, changes_schema=True,
    help="\\rm, \\clear and a \\restore onto a collection with objects take a safety backup\n"
         "first, into the state directory (owner-only; up to safety_backup_max_objects\n"
         "objects, see the config file). \\undo restores the newest one of this cluster\n"
         "that was not undone yet: a removed collection is created again with its\n"
         "objects, a cleared one gets its objects back, and a restore over existing data\n"
         "is taken back (the objects it inserted are deleted, those it overwrote come\n"
         "back). The backup is verified first, and the plan is shown and confirmed, as\n"
         "for \\restore (--force skips the question; --dry-run sends nothing).\n"
         "\\undo --list shows each safety backup: operation, when, collections, objects,\n"
         "size, where, and whether it was undone.\n\n"
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
    restores = []
    for backup in record.backups:
        restore = restore_ops.Restore(ctx.api, restore_ops.RestoreOptions(Path(backup)),
                                      ctx.session.progress)
        restore.prepare()
        restores.append(restore)
    inserted = _inserted(record)
    removed = sum(len(ids) for ids in inserted.values())
    plans = [restore_plan(r, ctx.session.protected) for r in restores]
    what = f"\\{record.operation} of {', '.join(record.collections)} ({record.time})"
    preview: list[Result] = [Message(f"undo {what} from the safety backup {record.directory}")]
    requests: list[str] = []
    if removed:
        preview.append(Message(f"first the {removed:,} objects that restore inserted are "
                               "deleted", Level.WARNING))
        requests.append(f"DELETE /v1/batch/objects (x{-(-removed // rollback_ops.IDS_PER_CALL)},"
                        f" up to {rollback_ops.IDS_PER_CALL} ids each)")
    for plan in plans:
        preview += [Message(plan.action), *plan.preview]
        requests += plan.requests
    plan = Plan(action=f"undo {what}", targets=tuple(record.collections),
                preview=tuple(preview), requests=tuple(requests),
                objects=sum(p.objects or 0 for p in plans),
                protected=tuple(n for p in plans for n in p.protected))
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    out: list[Result] = []
    ctx.objects_affected = 0
    for tenant, ids in inserted.items():
        rollback_ops.delete_ids(ctx.api, restores[0].name, tenant, ids)
    if removed:
        out.append(Message(f"deleted the {removed:,} objects the restore had inserted"))
    try:
        for restore in restores:
            report = restore.run()
            out.append(Message(f"restored {report.objects:,} objects into {report.collection}"))
    except BaseException:
        ctx.session.notify("schema")
        raise
    finally:
        ctx.objects_affected = sum(r.written_now for r in restores)
    record.mark_undone()
    ctx.audit_fields["undid"] = record.directory
    out.append(Message(f"undid {what}"))
    return out
