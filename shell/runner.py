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
from commands.errors import ShellError
from commands.results import Outcome
from commands.variables import interpolate, redact
from shell.pager import paged
from shell.scripting import Scripting

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
    paging: bool = False
    """Whether results may go through the pager (``shell.pager``): the REPL turns it on."""
    source: str = ""
    """The ``source`` of the line being run (``\\i`` reads relative paths from its file)."""

    def __post_init__(self) -> None:
        self.dispatcher.session.shell_hooks = Scripting(self)  # \o, \i, \e

    def run(self, line: str, source: str, prefix: str = "") -> Outcome:
        """Run one line (``source`` as the audit names it) and draw its outcome; ``prefix``
        (``FILE:LINE: ``) goes before its error. ``QuitRequested`` passes through."""
        session = self.dispatcher.session
        self.source, timed = source, session.timing
        outcome = self.dispatcher.execute(
            interpolate(graphql_text.command_line(line), session.variables), source)
        try:
            paged(self.renderer(), session.pager if self.paging else "off",
                  lambda renderer: renderer.render(
                      outcome, outcome.format or self.format or session.format,
                      session.expanded, prefix))
        except ShellError as exc:  # the output could not be written (a full disk)
            if session.shell_hooks is not None:
                session.shell_hooks.redirect(None)  # an \o file that failed is given up
            self.renderer().error(exc, prefix)
            outcome.error, outcome.status, outcome.exit_code = exc, "error", exc.exit_status
        if timed and session.timing:  # not for the \timing line that turned it on or off
            self.renderer().elapsed(outcome.duration_s)
        if session.recorder is not None:  # as typed (:NAME kept), secret values hidden
            shown = redact(line, session.variables)
            try:
                session.recorder.note(shown, outcome, hidden=shown != line)
            except ShellError as exc:  # the runbook's disk is full: it stops, the shell not
                session.recorder = None
                self.renderer().error(exc, prefix)
        return outcome
