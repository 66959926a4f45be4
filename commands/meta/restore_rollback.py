"""What ``\\restore`` adds for undoing: the safety backup and the rollback record taken
before a restore writes (``GuardedRestore``), and ``\\restore --rollback PATH``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from commands.context import CommandContext
from commands.errors import ExitStatus, ShellError
from commands.lazy import lazy_module
from commands.meta import safety_backup
from commands.results import Level, Message, Record, Result
from commands.safety import Decision, Plan, dry_run_results, protected_names
from commands.urls import cluster_id

rollback_ops = lazy_module("commands.ops.rollback")
backup_lock = lazy_module("commands.ops.backup.lock")


class RestoreInterrupted(ShellError):
    """Ctrl-C stopped a restore: what was written is checkpointed, and can be rolled back."""

    exit_status = ExitStatus.INTERRUPTED


def _hint(path: str, target: str | None, resume: str | None) -> str:
    choose = f" --as {target}" if target else ""  # restores under other names may be pending
    rollback = f"\\restore --rollback {path}{choose} removes what it wrote"
    return f"{resume}; or {rollback}" if resume else rollback


class GuardedRestore:
    """A prepared restore, run by ``CommandContext.run_job`` once the gate let it through:
    first the safety backup of the objects it may overwrite and the rollback record, then
    the restore; its failure message says how to roll it back."""

    def __init__(self, ctx: CommandContext, restore: Any, choice: Any, path: str) -> None:
        self.ctx, self.restore, self.choice, self.path = ctx, restore, choice, path
        self.destructive, self.create = restore.destructive, restore.create
        self.notes: list[Result] = []

    @property
    def written_now(self) -> int:
        return self.restore.written_now

    def run(self) -> Any:
        restore = self.restore
        record_path = restore.files.record
        if not (restore.resume and record_path.exists()):  # a resumed run keeps the first's
            self.notes = safety_backup.take(self.ctx, self.choice, "restore",
                                            [(restore.name, restore.options.tenant)],
                                            restored=str(Path(self.path).resolve()))
            safety = self.ctx.audit_fields.get("safety_backup", {}).get("backups", [None])[0]
            self._record(safety).save(record_path)
        try:
            report = restore.run()
        except BaseException as exc:
            if not restore.files.checkpoint.exists():  # nothing was written (class refused)
                record_path.unlink(missing_ok=True)
                raise
            if isinstance(exc, ShellError):
                exc.hint = _hint(self.path, restore.options.target, exc.hint)
            if not isinstance(exc, KeyboardInterrupt):
                raise
            done = restore.checkpoint.written
            raise RestoreInterrupted(f"restore into {restore.name} interrupted ({done:,} "
                                     "objects restored so far are checkpointed)",
                                     _hint(self.path, restore.options.target,
                                           "run the same \\restore again to resume")
                                     ) from None
        record_path.unlink(missing_ok=True)
        return report

    def _record(self, safety: str | None) -> Any:
        restore = self.restore
        names = [t for t, _ in restore.tenants]
        current = restore.target_tenants
        created = [] if restore.create else [t for t in names if t is not None
                                             and t not in current]
        statuses = {t: current[t] for t in names if t in current and current[t] != "ACTIVE"}
        return rollback_ops.RollbackRecord(
            backup=str(restore.chain[-1].path.resolve()), target=restore.name, tenants=names,
            created_class=restore.checkpoint.created_class,
            pre_existing=restore.checkpoint.pre_existing, safety_backup=safety,
            created_tenants=created, statuses=statuses, cluster=restore.cluster)


def rollback(ctx: CommandContext, path: str, target: str | None, *, force: bool,
             dry_run: bool, allow_protected: bool) -> list[Result]:
    """``\\restore --rollback PATH``: remove what an unfinished restore of PATH into the
    cluster of this connection (into ``target``, when several) wrote."""
    files, record = rollback_ops.find_record(Path(path), cluster_id(ctx.api.url), target)
    backups = [Path(path), *([Path(record.safety_backup)] if record.safety_backup else [])]
    with backup_lock.reading(backups, rf"\restore --rollback {path}",
                             dry_run or ctx.session.dry_run):
        return _rollback(ctx, path, files, record, force=force, dry_run=dry_run,
                         allow_protected=allow_protected)


def _rollback(ctx: CommandContext, path: str, files: Any, record: Any, *, force: bool,
              dry_run: bool, allow_protected: bool) -> list[Result]:
    undo = rollback_ops.plan(ctx.api, record)
    target = record.target
    if record.created_class:
        action = f"remove collection {target} (created by the restore of {path})"
    else:
        action = f"remove {undo.objects:,} objects from {target} (inserted by the restore of " \
                 f"{path})"
    overwritten = None
    if undo.kept:
        overwritten = Message(f"{undo.kept:,} objects of {target} existed before the restore and "
                              "may have been overwritten: they are left as they are; \\undo "
                              f"brings them back from the safety backup {record.safety_backup}",
                              Level.WARNING)
    plan = Plan(action=action, targets=(target,), objects=undo.objects, preview=(
        Record({"restore of": path, "into": target, "collection created": record.created_class,
                "objects inserted": undo.objects, "tenants created": record.created_tenants,
                "tenants set back": record.statuses or None}, title=f"Roll back {target}"),
        *([overwritten] if overwritten else [])),
        requests=tuple(rollback_ops.requests(undo)),
        protected=tuple(n for n, _ in protected_names([target], ctx.session.protected)))
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    deleted = rollback_ops.run(ctx.api, undo)
    ctx.objects_affected = deleted
    files.checkpoint.unlink(missing_ok=True)
    files.record.unlink(missing_ok=True)
    done = f"removed collection {target}" if record.created_class else \
        f"deleted the {deleted:,} objects it inserted into {target}"
    return [Message(f"rolled back the restore of {path}: {done}"),
            *([overwritten] if overwritten else [])]
