"""One input line in every mode: dispatch it, then draw its outcome.

The REPL, script mode and commands that run other lines go through ``LineRunner.run``, so
whatever surrounds a command (its rendering today; variables, timing, output redirection
or recording as they come) happens alike in every mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from commands import graphql_text
from commands.dispatch import Dispatcher
from commands.results import Outcome

if TYPE_CHECKING:
    from shell.render import Renderer


@dataclass
class LineRunner:
    """Runs lines through ``dispatcher`` and draws each outcome with ``renderer()``."""

    dispatcher: Dispatcher
    renderer: Callable[[], Renderer]
    """Called on the first output, so rich is not loaded before the REPL's prompt."""
    format: str | None = None
    """The process's ``--format``, above the session's own; a command's wins over both."""

    def run(self, line: str, source: str, prefix: str = "") -> Outcome:
        """Run one line (``source`` as the audit names it) and draw its outcome; ``prefix``
        (``FILE:LINE: ``) goes before its error. ``QuitRequested`` passes through."""
        outcome = self.dispatcher.execute(graphql_text.command_line(line), source)
        session = self.dispatcher.session
        self.renderer().render(outcome, outcome.format or self.format or session.format,
                               session.expanded, prefix)
        return outcome
