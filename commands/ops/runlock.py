"""The lock of a long write (a migration, a backup directory's writer) or read (a restore
from a backup directory): ``flock`` on a file, and files that say who holds it (pid, host,
start, command).

A writer holds the file exclusively and writes who it is into it. Readers hold it shared,
side by side, and each says who it is in a file of its own beside it, ``LOCK.r-PID-TOKEN``,
which it holds exclusively (so a writer refused tells a live reader from a dead one's file;
the file is written as ``LOCK.new-PID-TOKEN`` and then renamed, so it is never found empty).
The operating system releases a lock when its process dies, however it dies, so a file left
by ``kill -9`` or a crash holds nothing: the next writer takes it over, learns whose it was
and removes the dead readers' files. The last holder to finish removes the lock file
before it lets go; one that locked a file removed meanwhile opens the new one again.
"""

from __future__ import annotations

import fcntl
import glob
import os
import secrets
import socket
from collections.abc import Iterator
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
    """Other processes hold the lock; ``holders`` says who (empty: not written yet)."""

    def __init__(self, holders: list[Holder]) -> None:
        self.holders = holders
        self.holder = holders[0] if holders else None
        super().__init__(f"held by {self.describe()}")

    def describe(self) -> str:
        """Who holds it, for a message: each reader, or the writer."""
        return "; ".join(h.describe() for h in self.holders) or describe(None)


def _holder(fd: int) -> Holder | None:
    try:
        data = orjson.loads(os.pread(fd, MAX_LOCK_FILE, 0))
        return Holder(pid=int(data["pid"]), host=str(data["host"]),
                      started=str(data["started"]), command=str(data["command"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _me(command: str) -> bytes:
    started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return orjson.dumps(asdict(Holder(pid=os.getpid(), host=socket.gethostname(),
                                      started=started, command=command)))


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class RunLock:
    """The lock on ``path`` (its directory is created if missing), exclusive or ``shared``."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path, self.shared, self.fd = path, shared, None
        self.reader: tuple[Path, int] | None = None

    def acquire(self, command: str) -> Holder | None:
        """Take the lock, recording ``command``; ``LockBusy`` at once when a writer holds it
        (or, for a writer, anyone). Returns the holder of a stale file a writer took over
        (None: there was none)."""
        private_dir(self.path.parent)
        if self.shared:
            self.reader = self._announce(command)
        try:
            self.fd = self._lock_file()
        except BaseException:
            self._retire()
            raise
        if self.shared:
            return None
        stale = _holder(self.fd)
        for path, fd, alive in self._readers():  # alive: one about to be refused, as we hold it
            if not alive:  # its reader died
                stale = stale or _holder(fd)
                path.unlink(missing_ok=True)
            os.close(fd)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, _me(command), 0)
        return stale

    def _announce(self, command: str) -> tuple[Path, int]:
        """A reader's own file, held and written before it is named for writers to find."""
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        draft = self.path.with_name(f"{self.path.name}.new-{token}")
        fd = open_private(draft, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.pwrite(fd, _me(command), 0)
        path = self.path.with_name(f"{self.path.name}.r-{token}")
        os.rename(draft, path)
        return path, fd

    def _lock_file(self) -> int:
        operation = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        while True:
            fd = open_private(self.path, os.O_RDWR)
            if not _try_flock(fd, operation):
                holders = [] if self.shared else self._live_readers()
                holders = holders or [h for h in [_holder(fd)] if h]
                os.close(fd)
                raise LockBusy(holders)
            try:  # the holder before us may have removed the file it locked: lock the new one
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)

    def _readers(self) -> Iterator[tuple[Path, int, bool]]:
        """Each reader's file (a draft too), opened: its path, descriptor and whether its
        reader is alive (holds it). The caller closes the descriptor; a dead one's file is
        held exclusively by the caller meanwhile."""
        for path in self.path.parent.glob(glob.escape(self.path.name) + ".*"):
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:  # its reader finished meanwhile
                continue
            yield path, fd, not _try_flock(fd, fcntl.LOCK_EX)

    def _live_readers(self) -> list[Holder]:
        """Who the readers holding the lock are (the files of dead ones are left alone)."""
        holders = []
        for _, fd, alive in self._readers():
            holder = _holder(fd) if alive else None
            os.close(fd)
            holders += [holder] if holder else []
        return holders

    def _retire(self) -> None:
        if self.reader is not None:
            path, fd = self.reader
            path.unlink(missing_ok=True)
            os.close(fd)
            self.reader = None

    def release(self) -> None:
        """Let go; the last holder removes the file (nothing if it was never taken)."""
        if self.fd is not None:
            # a reader holding it shared is the last one when it can hold it exclusively
            if not self.shared or _try_flock(self.fd, fcntl.LOCK_EX):
                self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None
        self._retire()
