"""Split a line into words as ``shlex.split(line, posix=True)`` does, in linear time.

``shlex`` builds each word a character at a time (``token = token + char``), which is
quadratic: a pasted 400 kB value took 10 s to split, a megabyte over a minute. Same rules:
words split on blanks; ``'...'`` is literal; in ``"..."`` a backslash escapes only ``"`` and
``\\``; outside quotes a backslash escapes any character; adjacent pieces join into one word,
and ``''`` is an empty word. The errors are shlex's own ``ValueError`` messages.
"""

from __future__ import annotations

import re

_PIECE = re.compile(r"""
    (?P<blank>[ \t\r\n]+)
  | '(?P<single>[^']*)'
  | "(?P<double>(?:[^"\\]|\\.)*)"
  | \\(?P<escaped>.)
  | (?P<plain>[^ \t\r\n'"\\]+)
  | (?P<unclosed>['"])
  | (?P<trailing>\\)
""", re.VERBOSE | re.DOTALL)
_DOUBLE_ESCAPE = re.compile(r'\\(["\\])')


def split(line: str) -> list[str]:
    """The words of ``line``; ``ValueError`` for an unclosed quote or a trailing backslash."""
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] is an empty word begun by ''
    for piece in _PIECE.finditer(line):
        kind = piece.lastgroup
        if kind == "blank":
            if word is not None:
                words.append("".join(word))
            word = None
            continue
        if kind == "unclosed":
            rest = line[piece.end():]
            odd = (len(rest) - len(rest.rstrip("\\"))) % 2  # "...\ ends escaping nothing
            raise ValueError("No escaped character" if piece[kind] == '"' and odd
                             else "No closing quotation")
        if kind == "trailing":
            raise ValueError("No escaped character")
        text = piece[kind]
        if kind == "double":
            text = _DOUBLE_ESCAPE.sub(r"\1", text)
        word = [] if word is None else word
        word.append(text)
    if word is not None:
        words.append("".join(word))
    return words
