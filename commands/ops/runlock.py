"""An exclusive lock of a long write (a migration, a backup directory's writer): ``flock`` on
a file that says who holds it (pid, host, start, command).

The operating system releases the lock when its process dies, however it dies, so a lock
file left by ``kill -9`` or a crash holds nothing: the next process takes it over and
learns whose it was. A holder that finishes removes the file before it lets go; one that
locked a file removed meanwhile opens the new one again.
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from commands.errors import ShellError
from commands.owner_only import open_private, private_dir

MAX_LOCK_FILE = 4096


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock."""

    pid: int
    host: str
    started: str
    command: str

    def describe(self) -> str:
        return f"pid {self.pid}, started {self.started}, on {self.host}: {self.command}"


def describe(holder: Holder | None) -> str:
    """The holder for a message (a lock file not written yet: its process is starting)."""
    return holder.describe() if holder else "its process is starting"


class LockBusy(ShellError):
    """Another process holds the lock; ``holder`` says who (None: not written yet)."""

    def __init__(self, holder: Holder | None) -> None:
        super().__init__(f"held by {describe(holder)}")
        self.holder = holder


def _holder(fd: int) -> Holder | None:
    try:
        data = orjson.loads(os.pread(fd, MAX_LOCK_FILE, 0))
        return Holder(pid=int(data["pid"]), host=str(data["host"]),
                      started=str(data["started"]), command=str(data["command"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class RunLock:
    """The lock on ``path`` (its directory is created if missing)."""

    def __init__(self, path: Path) -> None:
        self.path, self.fd = path, None

    def acquire(self, command: str) -> Holder | None:
        """Take the lock, recording ``command``; ``LockBusy`` at once when another process
        holds it. Returns the holder of a stale lock file taken over (None: there was none)."""
        private_dir(self.path.parent)
        while self.fd is None:
            fd = open_private(self.path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise LockBusy(holder) from None
            try:  # the holder before us may have removed the file it locked: lock the new one
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
            else:
                os.close(fd)
        stale = _holder(self.fd)
        started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        me = Holder(pid=os.getpid(), host=socket.gethostname(), started=started,
                    command=command)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, orjson.dumps(asdict(me)), 0)
        return stale

    def release(self) -> None:
        """Remove the file and let go (nothing if it was never taken)."""
        if self.fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None
