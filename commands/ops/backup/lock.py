"""One writer per backup directory: ``DIR/.elysiactl.lock``, a ``commands.ops.runlock``.

``\\backup`` holds it from choosing its id (or the checkpoint it resumes) to publishing, so
two backups never share an id; the time ``\\backup verify`` records and ``\\backups prune``
hold it too. A second writer is refused naming the first; a lock file left by a process
that died is taken over, with a warning naming that process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commands.ops.backup.manifest import BackupError
from commands.ops.runlock import Holder, LockBusy, RunLock, describe

LOCK_NAME = ".elysiactl.lock"


@contextmanager
def held(directory: Path, command: str) -> Iterator[Holder | None]:
    """Hold ``directory``'s lock while the block runs (the directory is created if
    missing); yields the holder of a stale lock file taken over, or None."""
    lock = RunLock(directory / LOCK_NAME)
    try:
        stale = lock.acquire(command)
    except LockBusy as exc:
        raise BackupError(f"the backup directory {directory} is in use by "
                          f"{describe(exc.holder)}",
                          "wait until it finishes, or use another directory") from None
    except OSError as exc:
        raise BackupError(f"cannot lock the backup directory {directory}: {exc.strerror}",
                          "check that it is a writable directory") from None
    try:
        yield stale
    finally:
        lock.release()


def stale_warning(stale: Holder | None) -> list[str]:
    """The note for a lock taken over from a process that died, if one was."""
    if stale is None:
        return []
    return [f"took over the lock of the backup directory left by {stale.describe()}, which "
            "is no longer running"]
