"""One writer or many readers per backup directory: ``DIR/.elysiactl.lock``, a
``commands.ops.runlock``.

``\\backup`` holds it as a writer from choosing its id (or the checkpoint it resumes) to
publishing, so two backups never share an id; ``\\backups prune`` holds it as a writer too.
``\\restore``, ``\\restore --rollback``, ``\\undo`` and ``\\backup verify`` (which only
replaces manifests whole with their ``verified`` time) hold it as readers, side by side, so
that no prune removes or backup rewrites what they read. A process refused names those
that hold it; a lock left by a process that died is taken over, with a warning naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from commands.ops.backup.manifest import BackupError
from commands.ops.runlock import Holder, LockBusy, RunLock

LOCK_NAME = ".elysiactl.lock"


@contextmanager
def held(directory: Path, command: str, shared: bool = False) -> Iterator[Holder | None]:
    """Hold ``directory``'s lock while the block runs, as its writer or (``shared``) as one
    of its readers; yields the holder of a stale lock file taken over, or None. A writer
    creates a missing directory; a reader of one leaves the error to what it reads."""
    if shared and not directory.is_dir():
        yield None
        return
    lock = RunLock(directory / LOCK_NAME, shared)
    try:
        stale = lock.acquire(command)
    except LockBusy as exc:
        raise BackupError(f"the backup directory {directory} is in use by {exc.describe()}",
                          "wait until it finishes, or use another directory") from None
    except OSError as exc:
        raise BackupError(f"cannot lock the backup directory {directory}: {exc.strerror}",
                          "check that it is a writable directory") from None
    try:
        yield stale
    finally:
        lock.release()


@contextmanager
def reading(backups: Iterable[Path], command: str, dry_run: bool) -> Iterator[None]:
    """Hold the lock of the directory of each of ``backups`` (manifests) as a reader while
    the block runs; a dry run takes none (it writes nothing, not even a lock file)."""
    with ExitStack() as stack:
        if not dry_run:
            for directory in sorted({path.expanduser().absolute().parent for path in backups}):
                stack.enter_context(held(directory, command, shared=True))
        yield


def stale_warning(stale: Holder | None) -> list[str]:
    """The note for a lock taken over from a process that died, if one was."""
    if stale is None:
        return []
    return [f"took over the lock of the backup directory left by {stale.describe()}, which "
            "is no longer running"]
