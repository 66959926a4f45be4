"""Input history (up-arrow recall) per profile that never stores secrets."""

from __future__ import annotations

from prompt_toolkit.history import FileHistory, ThreadedHistory

from commands.errors import ShellError
from commands.graphql_text import command_line
from commands.parse import parse
from commands.registry import Registry
from commands.url_credentials import hide
from commands.variables import SECRET_WORDS


class RedactingFileHistory(ThreadedHistory):
    """A file history that drops lines carrying a secret: a ``secret`` option with a value,
    anything that looks like a key, or a URL holding credentials. Lines that do not parse are
    kept in memory only.

    The file is read in a thread: a long history (10,000 lines take about 20 ms to parse)
    would otherwise hold the prompt's event loop just after the first paint.
    """

    def __init__(self, filename: str, registry: Registry) -> None:
        super().__init__(FileHistory(filename))
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
