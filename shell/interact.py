"""Asking the user: typed confirmations before destructive commands, and progress bars.

Both exist only on a terminal. Scripts get no confirmer (so the safety gate fails
closed) and no progress bars (so their output stays clean).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from commands.progress import Progress
from commands.safety import Plan

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from shell.render import Renderer


class PromptConfirmer:
    """Shows what is at stake and asks the user to type a word (``yes``, or a name)."""

    interactive = True

    def __init__(self, renderer: Callable[[], Renderer], input: Input | None = None,  # noqa: A002
                 output: Output | None = None) -> None:
        self._renderer = renderer
        self._input = input
        self._output = output

    def confirm(self, plan: Plan, word: str) -> bool:
        """True only when exactly ``word`` was typed (`` yes`` is not ``yes``: consent is not
        guessed); Ctrl-C or Ctrl-D mean no."""
        from prompt_toolkit import PromptSession  # only when asking: -c at a terminal is common

        self._renderer().warn_plan(plan)
        try:
            answer = PromptSession(input=self._input, output=self._output).prompt(
                f"Type '{word}' to confirm: ")
        except (KeyboardInterrupt, EOFError):
            return False
        return answer == word


def progress_bars(renderer: Callable[[], Renderer]) -> Progress:
    """A ``Session.progress`` factory drawing rich progress bars on stderr."""

    @contextmanager
    def progress(description: str, total: int | None,
                 unit: str = "objects") -> Iterator[Callable[[int], None]]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        # UNIT/s from the task's own rate field: rich's speed column would say bytes/s
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
        with Progress(*columns, console=renderer().err, transient=True) as bar:
            task = bar.add_task(description, total=total, rate="")

            def advance(n: int) -> None:
                bar.advance(task, n)
                speed = bar.tasks[task].speed
                bar.update(task, rate=f"{speed:,.0f} {unit}/s" if speed and unit else "")

            yield advance

    return progress
