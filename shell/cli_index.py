"""Generates shell/cli_commands.py, the index of commands that ``elysiactl --help`` lists
(shell.cli_listing), from the declarations: ``python -m shell.cli_index`` (``make docs``)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from commands.meta import MODULES
from commands.registry import Registry

INDEX = Path(__file__).with_name("cli_commands.py")


def index_source(groups: Iterable[tuple[str, Iterable[tuple[str, str]]]]) -> str:
    """The text of shell/cli_commands.py for ``groups``: (group, ((names, summary), ...))."""
    out = ['"""The one-shot commands by group, for ``elysiactl --help`` (shell.cli_listing).',
           "",
           "Generated from the declarations by `make docs`; do not edit.", '"""', "",
           "COMMANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ("]
    for group, commands in groups:
        out.append(f"    ({group!r}, (")
        out += [f"        ({names!r},\n         {summary!r})," for names, summary in commands]
        out.append("    )),")
    out += [")", ""]
    return "\n".join(out)


def declared_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The index as the declarations (commands.meta) give it, in their order."""
    specs = Registry.from_modules(MODULES).specs
    return [(group, [(", ".join((s.name, *s.aliases)), s.summary) for s in specs
                     if s.group == group])
            for group in dict.fromkeys(s.group for s in specs)]


def main(argv: list[str]) -> int:
    """Write the index (to the given path, by default shell/cli_commands.py)."""
    path = Path(argv[0]) if argv else INDEX
    path.write_text(index_source(declared_groups()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
