"""The pager: results taller than the terminal go through ``$PAGER`` (default ``less -SRFX``).

Only at the interactive prompt with stdout on a terminal (the REPL turns it on; scripts,
``-c`` and ``\\o`` never page). ``\\pset pager`` chooses psql's modes: ``on`` pages what does
not fit on the screen, ``always`` every result, ``off`` none. An empty ``$PAGER`` means no
pager, as in psql.

A result is drawn into memory first, in the terminal's colours and width, then written to
the terminal or the pager. What it says on stderr meanwhile keeps its place: the lines
before its first stdout line come before the pager, the rest (``(250 rows)``) after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from shell.render import Renderer

DEFAULT = "less -SRFX"


class _Chunks:
    """A file that keeps what is written, tagged with the stream it was meant for."""

    def __init__(self, chunks: list[tuple[bool, str]], stdout: bool) -> None:
        self._chunks = chunks
        self._stdout = stdout

    def write(self, text: str) -> int:
        self._chunks.append((self._stdout, text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def _like(console: Console, file: _Chunks) -> Console:
    from rich.console import Console  # the runner is imported before the prompt; rich is not

    return Console(file=file, force_terminal=console.is_terminal, width=console.width,
                   height=console.height, color_system=console.color_system)


def paged(renderer: Renderer, mode: str, draw: Callable[[Renderer], None]) -> None:
    """``draw(renderer)``, through the pager when ``mode`` and the output's height say so."""
    out, err = renderer.out, renderer.err
    command = os.environ.get("PAGER", DEFAULT)
    if mode == "off" or not out.is_terminal or not command.strip():
        draw(renderer)
        return
    chunks: list[tuple[bool, str]] = []
    draw(type(renderer)(_like(out, _Chunks(chunks, True)), _like(err, _Chunks(chunks, False))))
    text = "".join(t for is_out, t in chunks if is_out)
    if not text or (mode == "on" and text.count("\n") < out.height):
        for is_out, part in chunks:
            (out if is_out else err).file.write(part)
        out.file.flush()
        return
    first = next(i for i, (is_out, _) in enumerate(chunks) if is_out)
    err.file.write("".join(t for _, t in chunks[:first]))
    err.file.flush()
    if not _page(command, text):
        out.file.write(text)
        err.file.write(f"(the pager {command!r} could not run; \\pset pager off stops "
                       "trying)\n")
    err.file.write("".join(t for is_out, t in chunks[first:] if not is_out))
    err.file.flush()


def _page(command: str, text: str) -> bool:
    """Run the pager on ``text`` until the user leaves it; False when it could not start."""
    import subprocess  # not on the start-up path
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, text=True,
                                   encoding="utf-8", errors="replace")
    except OSError:
        return False
    assert process.stdin is not None
    for step in (lambda: process.stdin.write(text), process.stdin.close):
        try:
            step()
        except (BrokenPipeError, KeyboardInterrupt):
            pass  # the user left the pager before reading it all
    while True:
        try:
            status = process.wait()
            break
        except KeyboardInterrupt:
            continue  # Ctrl-C belongs to the pager (less stops a search with it)
    return status != 127  # the shell's "command not found"
