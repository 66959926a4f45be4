"""The one-shot CLI's help and checks: ``elysiactl --help`` and ``elysiactl col --help`` list
the commands by group, ``elysiactl col COMMAND --help`` shows one, and a one-shot line that
does not parse is a one-line usage error before any connection is tried.

Still the cheap path (see shell.cli): the declarations (commands.meta) are loaded, but not
prompt_toolkit, httpx or rich.
"""

from __future__ import annotations

import argparse
import functools
import shlex
import shutil
import sys
import textwrap
from typing import NoReturn

from commands.dispatch import help_text
from commands.errors import ExitStatus, UsageError
from commands.meta import MODULES
from commands.parse import parse
from commands.registry import Registry
from shell.version import APP

HELP_WORDS = ("--help", "-h")
NAME_COLUMN = 24


@functools.cache
def registry() -> Registry:
    """Every meta-command's declaration, as the shell dispatches them."""
    return Registry.from_modules(MODULES)


def commands_section(width: int | None = None) -> str:
    """The commands by group: name and aliases, then the summary (wrapped to ``width``)."""
    width = width or shutil.get_terminal_size().columns - 2
    lines = [f"commands ({APP} col COMMAND [ARGS]; collection is the same as col):"]
    specs = registry().specs
    for group in dict.fromkeys(s.group for s in specs):
        lines.append(f"  {group}:")
        for spec in (s for s in specs if s.group == group):
            names = ", ".join((spec.name, *spec.aliases))
            lines += _entry(names, spec.summary, width)
    return "\n".join(lines)


def _entry(names: str, summary: str, width: int) -> list[str]:
    """One command as argparse draws an option: its names, the summary in a column."""
    indent = " " * (NAME_COLUMN + 4)
    head = f"    {names}"
    if len(head) < len(indent) - 1:
        first = head.ljust(len(indent))
        return textwrap.wrap(summary, max(width, 40), initial_indent=first,
                             subsequent_indent=indent)
    return [head, *textwrap.wrap(summary, max(width, 40), initial_indent=indent,
                                 subsequent_indent=indent)]


def full_help(parser: argparse.ArgumentParser) -> str:
    """``elysiactl --help``: usage and flags, then the commands, then the modes and exit codes."""
    parser.epilog = commands_section() + "\n\n" + (parser.epilog or "")
    return parser.format_help()


def group_help(word: str) -> str:
    """``elysiactl col --help`` (or ``col help``): the commands alone."""
    return (f"usage: {APP} {word} COMMAND [ARGS] [--format FORMAT]\n\n"
            f"{commands_section()}\n\n"
            f"{APP} {word} COMMAND --help shows one command's help; {APP} --help the flags.")


def one_shot_line(word: str, words: list[str]) -> str:
    """The meta-command line ``elysiactl WORD WORDS...`` stands for, checked against the
    declarations. Help (``--help``, ``help``, ``COMMAND --help``) is printed here, and a line
    that does not parse is one line on stderr: both exit, without a cluster."""
    if words[0] in HELP_WORDS:
        _exit(group_help(word))
    line = "\\" + words[0].lstrip("\\") + " " + shlex.join(words[1:])
    try:
        inv = parse(line, registry())
    except UsageError as exc:
        # The registry names commands as the REPL types them (\ls); here they are `col ls`.
        text = exc.message + (f" ({exc.hint})" if exc.hint else "")
        print(f"{APP}: error: {text.replace(chr(92), word + ' ')}", file=sys.stderr)
        raise SystemExit(int(ExitStatus.USAGE)) from None
    if inv.help:
        _exit(help_text(inv.spec))
    if inv.spec.name == "help" and not inv.arguments["topic"]:
        _exit(group_help(word))
    return line.rstrip()


def _exit(text: str) -> NoReturn:
    print(text)
    raise SystemExit(int(ExitStatus.SUCCESS))
