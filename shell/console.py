"""The rich Console the shell draws with at a terminal (and off one, for what only rich
draws: ``shell.streams``)."""

from __future__ import annotations

from rich.console import Console


class ShellConsole(Console):
    """A Console that leaves a reader that went away to the entry point."""

    def on_broken_pipe(self) -> None:
        """Rich would exit with 1; a reader that went away (``| head``) is not an error, so
        the entry point decides (it exits quietly with 0)."""
        self.quiet = True
        raise BrokenPipeError
