"""Input history (up-arrow recall) per profile that never stores secrets."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable

from prompt_toolkit.history import FileHistory, ThreadedHistory

from commands.errors import ShellError
from commands.graphql_text import command_line
from commands.parse import parse
from commands.registry import Registry
from commands.url_credentials import hide
from commands.variables import SECRET_WORDS

logger = logging.getLogger(__name__)


def history_problem(path: str) -> str | None:
    """Why the history file at ``path`` cannot be used (None: it can, or does not exist yet):
    not a regular file (a directory, a FIFO that would block the prompt), or not readable
    and writable. Its bytes need no check: lines that are not UTF-8 are read with U+FFFD."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if not os.access(path, os.R_OK | os.W_OK):
        return "not readable and writable"
    return None


class _SafeFileHistory(FileHistory):
    """A ``FileHistory`` whose read or write failing (disk full, file replaced) is logged and
    costs the history, never the prompt."""

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError as exc:
            logger.warning("cannot read the history file %s: %s", self.filename, exc)
            return []

    def store_string(self, string: str) -> None:
        try:
            super().store_string(string)
        except OSError as exc:
            logger.warning("cannot write the history file %s: %s", self.filename, exc)


class RedactingFileHistory(ThreadedHistory):
    """A file history that drops lines carrying a secret: a ``secret`` option with a value,
    anything that looks like a key, or a URL holding credentials. Lines that do not parse are
    kept in memory only.

    The file is read in a thread: a long history (10,000 lines take about 20 ms to parse)
    would otherwise hold the prompt's event loop just after the first paint.
    """

    def __init__(self, filename: str, registry: Registry) -> None:
        super().__init__(_SafeFileHistory(filename))
        self._registry = registry

    def store_string(self, string: str) -> None:
        if self.holds_secret(string):
            return
        super().store_string(string)

    def holds_secret(self, line: str) -> bool:
        """True when the line must not reach the history file."""
        if SECRET_WORDS.search(line) or hide(line) != line:
            return True
        text = command_line(line).strip()  # a bare GraphQL query is \graphql QUERY
        try:
            inv = parse(text if text.startswith("\\") else "\\" + text, self._registry)
        except ShellError:
            return True
        return any(inv.arguments.get(o.dest) for o in inv.spec.opts if o.secret)
