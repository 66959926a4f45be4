"""``elysiactl --help`` and ``elysiactl col --help``: the one-shot commands by group.

The cheap path (see shell.cli): the listing comes from shell.cli_commands, an index that
``make docs`` generates from the declarations (shell.cli_index; a test fails when it differs
from them), so listing the commands loads neither the declarations nor prompt_toolkit, httpx
or rich.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap

from shell.cli_commands import COMMANDS
from shell.version import APP

LISTING_WORDS = (["--help"], ["-h"], ["help"], ["?"])
"""What after ``elysiactl col`` asks for the list of commands."""
NAME_COLUMN = 28


def commands_section(width: int | None = None) -> str:
    """The commands by group: names (with aliases), then the summary, wrapped to ``width``."""
    width = max(width or shutil.get_terminal_size().columns - 2, 40)
    lines = [f"commands ({APP} col COMMAND [ARGS]; collection is the same as col):"]
    for group, commands in COMMANDS:
        lines.append(f"  {group}:")
        for names, summary in commands:
            head = f"    {names}"
            indent = " " * NAME_COLUMN
            if len(head) < NAME_COLUMN - 1:  # the summary beside the names, as argparse does
                lines += textwrap.wrap(summary, width, initial_indent=head.ljust(NAME_COLUMN),
                                       subsequent_indent=indent)
            else:
                lines += [head, *textwrap.wrap(summary, width, initial_indent=indent,
                                               subsequent_indent=indent)]
    return "\n".join(lines)


def full_help(parser: argparse.ArgumentParser) -> str:
    """``elysiactl --help``: usage and flags, then the commands, then the modes and exit codes."""
    parser.epilog = commands_section() + "\n\n" + (parser.epilog or "")
    return parser.format_help()


def group_help(word: str) -> str:
    """``elysiactl col --help`` (or ``col help``): the commands alone."""
    return (f"usage: {APP} {word} COMMAND [ARGS] [--format FORMAT]\n\n"
            f"{commands_section()}\n\n"
            f"{APP} {word} COMMAND --help shows one command's help; {APP} --help the flags.")
