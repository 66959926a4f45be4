"""Files and folders only their owner may read: the audit log, the input history, the error
log, backups and runbooks hold who did what where, and data.

The modes are set at creation, so no other user ever sees the file between its creation
and a later ``chmod``; a umask only removes permissions, so it cannot widen them.
These and the files a user names for output (``\\o FILE``) open through ``open_for_writing``:
a FIFO that no process reads is refused at once instead of blocking the shell forever.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from commands.errors import UsageError


def private_dir(path: Path) -> Path:
    """``path`` as a folder, each missing part created 0700 (``mkdir(parents=True)`` would
    create the parents with the default mode); an existing folder is left as it is."""
    missing, folder = [], path
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process: fine if a folder
            if not folder.is_dir():
                raise
    return path


def open_for_writing(path: str | os.PathLike[str], flags: int, mode: int = 0o600) -> int:
    """A descriptor of ``path`` opened with ``flags`` (and ``mode`` when created), without
    blocking: a FIFO that no process reads is a ``UsageError`` (opening it for writing
    would wait for a reader forever); one that has a reader is written as usual."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno != errno.ENXIO:
            raise
        raise UsageError(f"no process is reading the FIFO {os.fspath(path)}",
                         "start its reader first (e.g. cat FIFO in another terminal), "
                         "or write to a file") from None
    os.set_blocking(fd, True)  # a FIFO's reader may be slower than we write
    return fd


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND) -> int:
    """A descriptor of ``path`` opened with ``flags``, created 0600 when missing, and made
    0600 when an older version created it wider (``open_for_writing``: never blocks)."""
    fd = open_for_writing(path, flags | os.O_CREAT)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return fd


def touch_private(path: Path) -> Path:
    """Create ``path`` empty and 0600 when missing (for a file another library appends to)."""
    private_dir(path.parent)
    os.close(open_private(path))
    return path
