"""``\\backups prune --safety``: which safety backups (``commands.ops.safety_backup``) go, and
removing them.

A safety backup is one destructive run's directory under ``STATE/safety/``. Per cluster, it
goes when every rule given says so: ``keep`` (it is not among the ``keep`` newest) and
``older_than`` (it was taken longer ago than that), as ``\\backups prune`` chooses backups.
The one ``\\undo`` restores next on a cluster stays unless ``include_undoable``; a directory
without a readable undo record (a safety backup being taken) is never touched.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from commands.ops import safety_backup as safety
from commands.ops.backup import lock
from commands.ops.backup.format import BackupError
from commands.ops.backup.prune import kept_by_rules


@dataclass(frozen=True)
class SafetyPrunePlan:
    """What a prune of the safety area removes and what it keeps (kept: ``(record, why)``)."""

    area: Path
    doomed: tuple[safety.UndoRecord, ...]
    kept: tuple[tuple[safety.UndoRecord, str], ...]


def plan_prune(state_dir: Path | None, keep: int | None, older_than: timedelta | None,
               now: datetime, include_undoable: bool) -> SafetyPrunePlan:
    """Choose what goes (see the module docstring); removes nothing."""
    if state_dir is None:
        raise BackupError("the shell has no state directory, so it keeps no safety backups")
    found = safety.records(state_dir, None)  # newest first
    why: dict[str, str] = {}
    for cluster in dict.fromkeys(r.cluster for r in found):
        mine = [r for r in found if r.cluster == cluster]
        for record, reason in kept_by_rules(mine, keep, older_than, now, lambda r: r.time,
                                            f" of {cluster}"):
            why[record.directory] = reason
        following = safety.undoable(state_dir, cluster)
        if following is not None and not include_undoable:
            why.setdefault(following.directory, f"\\undo restores it next on {cluster} "
                                                "(--include-undoable removes it)")
    return SafetyPrunePlan(state_dir / safety.AREA,
                           tuple(r for r in found if r.directory not in why),
                           tuple((r, why[r.directory]) for r in found if r.directory in why))


def prune(plan: SafetyPrunePlan, keep: int | None, older_than: timedelta | None, now: datetime,
          include_undoable: bool) -> list[str]:
    """Remove what ``plan`` chose, holding the lock of each directory (so no ``\\undo`` is
    reading it); refused, removing nothing, when the choice changed since the plan (a run
    came, or was undone) or one is in use. The warnings (a lock taken over from a process
    that died)."""
    command = r"\backups prune --safety"
    with ExitStack() as stack:
        stale = [stack.enter_context(lock.held(Path(r.directory), command))
                 for r in plan.doomed]
        again = plan_prune(plan.area.parent, keep, older_than, now, include_undoable)
        if [r.directory for r in again.doomed] != [r.directory for r in plan.doomed]:
            raise BackupError(f"the safety backups in {plan.area} changed since the preview: "
                              "nothing was removed", "run the prune again")
        for record in plan.doomed:
            shutil.rmtree(record.directory)
    return [w for holder in stale for w in lock.stale_warning(holder)]
