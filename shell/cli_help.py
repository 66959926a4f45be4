"""A one-shot line checked against the declarations before any connection is tried:
``elysiactl col COMMAND --help`` shows that command's help, and a line that does not parse is
one line on stderr with its hint (exit 2). Loads the declarations (commands.meta), but not
prompt_toolkit, httpx or rich.
"""

from __future__ import annotations

import functools
import re
import shlex
import sys

from commands.dispatch import help_text
from commands.errors import ExitStatus, UsageError
from commands.meta import MODULES
from commands.parse import parse
from commands.registry import Registry
from shell.version import APP


@functools.cache
def registry() -> Registry:
    """Every meta-command's declaration, as the shell dispatches them."""
    return Registry.from_modules(MODULES)


COMMAND_NAME = re.compile(r"\\([a-z?][\w-]*)(?![\w-])")


def as_typed(text: str, word: str, typed: str) -> str:
    """``text`` with each ``\\NAME`` of a command (or the ``typed`` one, which may not
    exist) spelt as the one-shot line types it (``col NAME``); any other backslash, as in a
    quoted ``'a\\x01'``, stays."""
    names = {*registry().names(), typed}
    return COMMAND_NAME.sub(lambda m: f"{word} {m[1]}" if m[1] in names else m[0], text)


def one_shot_line(word: str, words: list[str]) -> str:
    """The meta-command line ``elysiactl WORD WORDS...`` stands for. ``COMMAND --help`` is
    printed here, and a line that does not parse is one line on stderr: both exit."""
    line = "\\" + words[0].lstrip("\\") + " " + shlex.join(words[1:])
    try:
        inv = parse(line, registry())
    except UsageError as exc:
        # The registry names commands as the REPL types them (\ls); here they are `col ls`.
        text = exc.message + (f" ({exc.hint})" if exc.hint else "")
        print(f"{APP}: error: {as_typed(text, word, words[0].lstrip(chr(92)))}", file=sys.stderr)
        raise SystemExit(int(ExitStatus.USAGE)) from None
    if inv.help:
        print(help_text(inv.spec))
        raise SystemExit(int(ExitStatus.SUCCESS))
    return line.rstrip()
