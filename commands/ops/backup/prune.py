"""``\\backups prune``: which complete backups of a directory go, and removing them.

Per collection, a complete backup goes when every rule given says so: ``keep`` (it is
not among the ``keep`` newest) and ``older_than`` (it started longer ago than that).
Whatever goes, every backup a kept one builds on stays (its ``base`` links back to the full
backup), and so does the base of an unfinished backup; checkpoints of unfinished backups
are never removed. A removed backup loses its manifest (and the ``NAME.json`` copy when
that is the one copied), then its chunk folder.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from commands.errors import UsageError
from commands.ops.backup import catalog, lock
from commands.ops.backup.format import BackupError, Manifest

AGE = re.compile(r"^(\d+)([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
Item = TypeVar("Item")


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m``, ``45s`` as a duration; ``UsageError`` otherwise."""
    found = AGE.match(text.strip())
    if not found:
        raise UsageError(f"--older-than {text!r}: not an age",
                         "a number and a unit: 45s, 90m, 12h, 30d or 2w")
    return timedelta(**{UNITS[found[2]]: int(found[1])})


@dataclass(frozen=True)
class Doomed:
    """A backup that goes, and the files it takes with it."""

    manifest: Manifest
    files: tuple[Path, ...]
    size: int


@dataclass(frozen=True)
class PrunePlan:
    """What a prune removes and what it keeps (kept: ``(manifest, why)``)."""

    directory: Path
    doomed: tuple[Doomed, ...]
    kept: tuple[tuple[Manifest, str], ...]


def kept_by_rules(newest_first: list[Item], keep: int | None, older_than: timedelta | None,
                  now: datetime, started: Callable[[Item], str],
                  of: str = "") -> Iterator[tuple[Item, str]]:
    """The items of one group (newest first) that the rules keep, with why: one of the
    ``keep`` newest (``of``: the group, for the reason), or taken after ``now - older_than``
    (``started``: its ISO time; one that cannot be read keeps it, saying so). An item goes
    when every rule given says so."""
    for rank, item in enumerate(newest_first):
        if keep is not None and rank < keep:
            yield item, f"one of the {keep} newest{of}"
        elif older_than is not None and (young := _young(started(item), now - older_than)):
            yield item, young


def _young(started: str, since: datetime) -> str | None:
    """Why ``--older-than`` keeps what was taken at ``started``; None: it is older."""
    try:
        if datetime.fromisoformat(started) <= since:
            return None
    except (TypeError, ValueError):
        return f"its time cannot be read: {started!r}"
    return "newer than --older-than"


def plan_prune(directory: Path, keep: int | None, older_than: timedelta | None,
               now: datetime) -> PrunePlan:
    """Choose what goes (see the module docstring); removes nothing."""
    if not directory.is_dir():
        raise BackupError(f"no backup directory {directory}", r"\backups DIR lists backups")
    found = catalog.scan(directory)
    complete = [(p, m) for p, m in found if m.completed is not None
                and not p.name.endswith(catalog.PARTIAL)]
    by_id = {(m.collection, m.id): m for _, m in complete}
    why: dict[tuple[str, str], str] = {}
    collections = sorted({m.collection for _, m in complete})
    for collection in collections:
        mine = sorted((m for _, m in complete if m.collection == collection),
                      key=catalog.age, reverse=True)
        for manifest, reason in kept_by_rules(mine, keep, older_than, now,
                                              lambda m: m.started):
            why[(collection, manifest.id)] = reason
    roots = [m for m in by_id.values() if (m.collection, m.id) in why]
    roots += [m for p, m in found if p.name.endswith(catalog.PARTIAL)]
    for manifest in roots:  # every base of a kept backup or a checkpoint stays
        link = manifest
        while link.base is not None:
            key = (link.collection, link.base["id"])
            if key not in by_id:
                break
            why.setdefault(key, f"the base of {link.id}")
            link = by_id[key]
    doomed = [_doomed(directory, path, m) for path, m in complete
              if (m.collection, m.id) not in why]
    kept = [(m, why[(m.collection, m.id)]) for _, m in complete if (m.collection, m.id) in why]
    return PrunePlan(directory, tuple(doomed), tuple(kept))


def _doomed(directory: Path, path: Path, manifest: Manifest) -> Doomed:
    files = [directory / f"{manifest.collection}.json"]
    if not _is_copy_of(files[0], manifest):
        files = []
    files += [p for p in (catalog.manifest_path(directory, manifest.collection, manifest.id),
                          path) if p.exists() and p not in files]
    chunks = directory / catalog.data_dir(manifest.collection, manifest.id)
    if chunks.is_dir():
        files.append(chunks)
    return Doomed(manifest, tuple(files), sum(c.bytes for c in manifest.chunks))


def _is_copy_of(path: Path, manifest: Manifest) -> bool:
    try:
        other = Manifest.load(path)
    except BackupError:
        return False
    return (other.collection, other.id) == (manifest.collection, manifest.id)


def prune(plan: PrunePlan, keep: int | None, older_than: timedelta | None,
          now: datetime) -> list[str]:
    """Remove what ``plan`` chose, holding the directory's lock; refused when the directory
    changed since the plan (another backup came or went). The warnings (a lock taken over
    from a process that died)."""
    command = r"\backups prune " + str(plan.directory)
    with lock.held(plan.directory, command) as stale:
        again = plan_prune(plan.directory, keep, older_than, now)
        if [d.files for d in again.doomed] != [d.files for d in plan.doomed]:
            raise BackupError(f"the backups in {plan.directory} changed since the preview: "
                              "nothing was removed", "run the prune again")
        for doomed in plan.doomed:
            for file in doomed.files:
                if file.is_dir():
                    shutil.rmtree(file)
                else:
                    file.unlink(missing_ok=True)
    return lock.stale_warning(stale)
