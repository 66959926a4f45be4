"""stdout and stderr as ``shell.render`` writes to them: a rich Console at a terminal, a
``PlainStream`` off one.

Off a terminal (a pipe, a file) nothing is styled, and what is usually written there (plain
lines, tables laid out by ``shell.grid``, JSON, YAML) needs nothing of rich. A
``PlainStream`` writes those itself and builds the rich Console it stands for only when a
result needs rich (a nested table, a JSON document drawn as a table): a piped
``elysiactl -c '\\ls'`` never imports rich, a third of its start-up. For that reason rich is
imported inside the functions that use it, here and in ``shell.render``.
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

from commands.errors import ShellError
from shell.grid import printable

if TYPE_CHECKING:
    from rich.console import Console

PIPE_WIDTH = 4096  # stdout off a terminal: tables keep their natural width (no folding)
# With either set, rich may take any file for a terminal (https://force-color.org/): then
# rich's Console decides, as it always did.
TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE")


class PlainStream:
    """stdout or stderr off a terminal: the part of rich's Console that ``shell.render`` uses
    there (``file``, ``width``, ``is_terminal``, ``quiet``), plain lines written directly, and
    ``rich``, the Console it stands for, built on first use."""

    is_terminal = False

    def __init__(self, *, stderr: bool = False, file: TextIO | None = None,
                 width: int | None = None) -> None:
        self.stderr = stderr
        self._file = file
        self._width = width
        self.quiet = False

    @property
    def file(self) -> TextIO:
        """The given file, else ``sys.stdout`` (``sys.stderr``) when written to, as in rich."""
        return self._file or (sys.stderr if self.stderr else sys.stdout)

    @property
    def width(self) -> int:
        """The given width, else rich's (``COLUMNS``, a terminal's on stdin, or 80)."""
        return self._width if self._width is not None else self.rich.width

    @cached_property
    def rich(self) -> Console:
        """The rich Console this stream stands for, for what only rich draws."""
        return shell_console(stderr=self.stderr, file=self._file, width=self._width)

    def line(self, text: str) -> None:
        """One line as rich prints it off a terminal (``shell.grid.printable``)."""
        self.write(printable(text) + "\n")

    def write(self, text: str) -> None:
        """``text`` to the file, flushed; nothing once quiet. A reader that went away makes
        the stream quiet, and the BrokenPipeError goes on to the entry point (as in
        ``shell.console.ShellConsole``)."""
        if self.quiet:
            return
        try:
            file = self.file
            file.write(text)
            file.flush()
        except BrokenPipeError:
            self.quiet = True
            raise
        except OSError as exc:  # a full disk, a device error: the output is lost, say so once
            self.quiet = True
            where = "standard error" if self.stderr else "standard output"
            raise ShellError(f"cannot write to {where}: {exc.strerror or exc}",
                             "free space, or redirect the output elsewhere") from None


def consoles() -> tuple[Console | PlainStream, Console | PlainStream]:
    """The stdout and stderr consoles: each a ``PlainStream`` off a terminal, else a rich
    Console; stdout off a terminal keeps tables at their natural width."""
    out: Console | PlainStream | None = PlainStream(width=PIPE_WIDTH) \
        if _plain(sys.stdout) else None
    err: Console | PlainStream | None = PlainStream(stderr=True) if _plain(sys.stderr) else None
    if out is None:
        out = shell_console()
        if not out.is_terminal:
            out = shell_console(width=PIPE_WIDTH)
    return out, err or shell_console(stderr=True)


def as_rich(console: Console | PlainStream) -> Console:
    """The rich Console to draw on: ``console`` itself, or the one a PlainStream stands for."""
    return console.rich if isinstance(console, PlainStream) else console


def shell_console(*, stderr: bool = False, file: TextIO | None = None,
                  width: int | None = None) -> Console:
    """A rich Console that leaves a broken pipe to the entry point (``shell.console``)."""
    from shell.console import ShellConsole

    return ShellConsole(stderr=stderr, file=file, width=width)


def _plain(file: TextIO) -> bool:
    """Whether rich would certainly see no terminal in ``file``."""
    if any(name in os.environ for name in TERMINAL_OVERRIDES):
        return False
    try:
        return not file.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed: rich says "not a terminal"
        return True
