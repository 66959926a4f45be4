"""Script mode: lines from a file, standard input or ``-c``, through the same dispatcher.

Blank lines and ``#`` comments are skipped. The first failing command stops the
run with ``FILE:LINE: message`` on stderr (``--on-error continue`` goes on); the
exit code is that of the first failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from commands.errors import QuitRequested
from commands.graphql_text import joined
from commands.inputs import read_text

if TYPE_CHECKING:
    from commands.results import Outcome
    from shell.render import Renderer


class Runner(Protocol):
    """What running lines needs of ``shell.runner.LineRunner``, which imports this module
    (through ``shell.scripting``)."""

    renderer: Callable[[], Renderer]
    source: str

    def run(self, line: str, source: str, prefix: str = "") -> Outcome:
        """Run one line and draw its outcome."""
        ...

RUNS_LINES = ("i", "e")
"""Commands that fail when a line they ran failed, which said why (FILE:LINE: error)."""


def run_lines(lines: Iterable[tuple[str, str]], runner: Runner, on_error: str = "stop",
              echo: bool = False) -> int:
    """Run ``(location, line)`` pairs; location is ``FILE:LINE`` or ``-c``. Returns the code."""
    first_failure = 0
    renderer = runner.renderer()
    for location, raw in joined(lines):  # a GraphQL query may span lines
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if echo:
            renderer.note(f"+ {line}")
        source = "argv" if location == "-c" else f"script:{location}"
        prefix = "" if location == "-c" else f"{location}: "
        try:
            outcome = runner.run(line, source, prefix)
        except QuitRequested:
            break
        if outcome.exit_code:
            first_failure = first_failure or outcome.exit_code
            if on_error == "stop" or outcome.status == "interrupted":
                if outcome.error is None and location != "-c" \
                        and outcome.command not in RUNS_LINES:
                    # no error line said why the script ends (\health degraded, say)
                    renderer.note(f"{prefix}\\{outcome.command} exited with status "
                                  f"{outcome.exit_code} ({outcome.status}): the script stops "
                                  "here (--on-error continue goes on)")
                break
    return first_failure


def numbered(name: str, text: Iterable[str]) -> Iterable[tuple[str, str]]:
    """``(NAME:N, line)`` for each line of a file or stream."""
    for number, line in enumerate(text, 1):
        yield f"{name}:{number}", line


def read_lines(path: str, what: str = "") -> list[str]:
    """The lines of a script file (``-f``, ``\\i``, ``\\e``), read whole before any runs; one
    usage error when it cannot be read or decoded (``commands.inputs``), ``what``
    (``\\i: ``) before its message."""
    return read_text(path, path, prefix=what).splitlines()
