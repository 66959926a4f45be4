"""One writer per backup directory: ``DIR/.elysiactl.lock``.

The lock is the kernel's (``flock``) on that file, so it goes with its process however the
process ends: a lock file left by a process that died (``kill -9``, a crash) holds no lock
and the next writer takes it over, saying whose it was. The file records the holder (pid,
host, start time, command) for the message that refuses a second writer. A writer that
finishes removes the file before it lets go of the lock; one that locked a file removed
meanwhile opens the new one again.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from commands.ops.backup.manifest import BackupError

LOCK_NAME = ".elysiactl.lock"
MAX_LOCK_FILE = 4096


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a backup directory's lock."""

    pid: int
    host: str
    started: str
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, since {self.started} ({self.command})"


def _holder(fd: int) -> Holder | None:
    """The holder recorded in an open lock file (None: empty or not ours)."""
    try:
        data = orjson.loads(os.pread(fd, MAX_LOCK_FILE, 0))
        return Holder(pid=int(data["pid"]), host=str(data["host"]),
                      started=str(data["started"]), command=str(data["command"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _open_locked(path: Path) -> int:
    """A descriptor of ``path`` locked by this process; ``BackupError`` naming the holder
    when another process has it."""
    directory = path.parent
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise BackupError(f"cannot lock the backup directory {directory}: {exc.strerror}",
                              "check that it exists and is writable") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            who = holder.describe() if holder else "another process"
            raise BackupError(f"the backup directory {directory} is in use by {who}",
                              "wait until it finishes, or use another directory") from None
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            return fd
        os.close(fd)  # its holder removed it between our open and our lock


@contextmanager
def held(directory: Path, command: str, now: str) -> Iterator[Holder | None]:
    """Hold ``directory``'s lock while the block runs (the directory is created if
    missing); yields the holder of a stale lock file taken over (its process died), or
    None."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    fd = _open_locked(path)
    try:
        stale = _holder(fd)
        me = Holder(pid=os.getpid(), host=socket.gethostname(), started=now, command=command)
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(asdict(me)), 0)
        yield stale
    finally:
        path.unlink(missing_ok=True)  # before the lock goes: see the module docstring
        os.close(fd)


def stale_warning(stale: Holder | None) -> list[str]:
    """The note for a lock taken over from a process that died, if one was."""
    if stale is None:
        return []
    return [f"took over the lock of the backup directory left by {stale.describe()}, which "
            "is no longer running"]
