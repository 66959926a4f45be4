"""GraphQL typed at the prompt: which lines are queries, and when a query is complete.

A line starting with ``{`` or a GraphQL keyword (``Get``, ``Aggregate``, ``Explore``,
``query``, ``mutation``) is a query: it runs as ``\\graphql LINE``. An entry (bare or
``\\graphql ...``) whose brackets are not balanced yet continues on the next line, in the
REPL and in script mode alike. Brackets inside strings and ``#`` comments do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

ROOTS = ("Get", "Aggregate", "Explore")  # typed bare, inside the anonymous query's { }
KEYWORDS = (*ROOTS, "query", "mutation")
_BARE = re.compile(r"\s*(\{|(?:" + "|".join(KEYWORDS) + r")(?![\w$]))")
_COMMAND = re.compile(r"\s*\\graphql(?!\S)")
_TOKENS = re.compile(r'"""(?:\\"""|[^"]|"(?!""))*(?:"""|\Z)|"(?:\\.|[^"\\\n])*"?|#[^\n]*'
                     r"|[{}()\[\]]")
_OPENERS = "{(["


def is_query(line: str) -> bool:
    """Whether ``line`` is GraphQL typed bare (not a meta-command)."""
    return _BARE.match(line) is not None


def is_entry(text: str) -> bool:
    """Whether ``text`` is a GraphQL entry: bare, or given to ``\\graphql``."""
    return is_query(text) or _COMMAND.match(text) is not None


def depth(text: str) -> int:
    """Brackets opened and not closed yet (strings and comments skipped)."""
    level = 0
    for match in _TOKENS.finditer(text):
        token = match[0]
        if len(token) == 1:
            level += 1 if token in _OPENERS else -1
    return level


def unfinished(text: str) -> bool:
    """Whether ``text`` is a GraphQL entry still waiting for its closing brackets."""
    return is_entry(text) and depth(text) > 0


def command_line(line: str) -> str:
    """The meta-command a line stands for: ``\\graphql LINE`` for a bare query, else the
    line itself."""
    return "\\graphql " + line.strip() if is_query(line) else line


def joined(lines: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Script lines ``(location, text)`` with each multi-line GraphQL entry joined into one,
    at the location of its first line (an entry never closed ends with the input)."""
    pending: list[str] = []
    start = ""
    for location, text in lines:
        if pending:
            pending.append(text)
            entry = "\n".join(pending)
            if depth(entry) <= 0:
                pending = []
                yield start, entry
        elif unfinished(text):
            start, pending = location, [text]
        else:
            yield location, text
    if pending:
        yield start, "\n".join(pending)
