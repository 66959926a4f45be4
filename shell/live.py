"""Live views for streaming commands (``\\stats --watch``, ``\\watch``): a rich Live dashboard
at a terminal, NDJSON lines (or YAML documents) elsewhere, or, for a view opened with
``append``, tables one after another.

The dashboard redraws in place and reads keys from the terminal in cbreak mode while
the command runs (prompt_toolkit is idle then): ``q`` quits, Ctrl-C too. The terminal's
settings are restored whatever happens. NDJSON is one compact JSON object per frame,
flushed per line, so ``| jq`` sees each sample as it comes; with ``--format yaml`` each frame
is one YAML document, opened by ``---`` and flushed.
"""

from __future__ import annotations

import io
import json
import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from commands.context import Live, LiveView
from commands.results import Message, Outcome, Result

if TYPE_CHECKING:
    from shell.render import Renderer

QUIT_KEYS = (b"q", b"Q", b"\x03")


class StreamView:
    """Frames as a stream on stdout: one JSON object per line (``json``), one YAML document
    per frame (``yaml``), or tables drawn as the renderer draws them (``table``); messages
    go to stderr."""

    height = None
    width = None

    def __init__(self, renderer: Renderer, fmt: str) -> None:
        self._renderer = renderer
        self.format = fmt
        self._reader_gone = False

    def show(self, results: list[Result]) -> None:
        if self.format == "table":
            try:
                self._renderer.render(Outcome(command="live", results=results), "table")
            except BrokenPipeError:
                self._gone(self._renderer.out.file)
            return
        data = [r.to_data() for r in results if not isinstance(r, Message)]
        for result in results:
            if isinstance(result, Message):
                self._renderer.message(result)
        payload: Any = data[0] if len(data) == 1 else data
        out: TextIO = self._renderer.out.file
        try:
            out.write(self._text(payload))
            out.flush()
        except BrokenPipeError:
            self._gone(out)

    def _gone(self, out: TextIO) -> None:
        """The reader went away (``| head -1``): that ends the watch, quietly, and the exit's
        own flush must not complain either."""
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        self._reader_gone = True

    def _text(self, payload: Any) -> str:
        if self.format == "yaml":
            return "---\n" + self._renderer.dump(payload, "yaml") + "\n"
        return json.dumps(payload, default=str, ensure_ascii=False, separators=(",", ":")) + "\n"

    def wait(self, seconds: float) -> bool:
        if self._reader_gone:
            return False
        time.sleep(seconds)  # Ctrl-C raises KeyboardInterrupt, which ends the command
        return True


class TerminalView:
    """A rich Live region redrawn in place; frames are drawn by the ordinary renderer."""

    format = "table"

    def __init__(self, renderer: Renderer, keys: TextIO | None) -> None:
        from rich.live import Live as RichLive

        self._renderer = renderer
        self._live = RichLive(console=renderer.out, auto_refresh=False, transient=False,
                              redirect_stdout=False, redirect_stderr=False)
        self._fd = keys.fileno() if keys is not None and keys.isatty() else None
        self._saved: list[Any] | None = None

    @property
    def height(self) -> int:
        return self._renderer.out.height

    @property
    def width(self) -> int:
        """Columns on the screen, so a frame can choose the columns that fit."""
        return self._renderer.out.width

    def __enter__(self) -> TerminalView:
        if self._fd is not None:
            import termios
            import tty

            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)  # keys arrive one by one, unechoed; Ctrl-C still signals
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._live.stop()
        finally:
            if self._saved is not None:
                import termios

                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def show(self, results: list[Result]) -> None:
        from rich.console import Console
        from rich.text import Text

        from shell.render import Renderer

        out = self._renderer.out
        canvas = Console(file=io.StringIO(), width=out.width, force_terminal=True,
                         color_system=out.color_system, highlight=False)
        Renderer(canvas, canvas).render(Outcome(command="live", results=results), "table")
        self._live.update(Text.from_ansi(canvas.file.getvalue().rstrip("\n")), refresh=True)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless ``q`` or Ctrl-C comes first (then False)."""
        end = time.monotonic() + seconds
        try:
            while (left := end - time.monotonic()) > 0:
                if self._fd is None:
                    time.sleep(left)
                    break
                ready, _, _ = select.select([self._fd], [], [], left)
                if ready and any(k in os.read(self._fd, 64) for k in QUIT_KEYS):
                    return False
        except KeyboardInterrupt:
            return False
        return True


def live_views(renderer: Callable[[], Renderer]) -> Live:
    """The ``Session.live`` factory: a dashboard for table output at a terminal, else a
    stream: YAML documents for ``--format yaml``, NDJSON otherwise, and with ``append``,
    table output as tables, one frame after another."""

    @contextmanager
    def live(fmt: str, append: bool = False) -> Iterator[LiveView]:
        shown = renderer()
        if fmt == "table" and shown.out.is_terminal:
            with TerminalView(shown, sys.stdin) as view:
                yield view
        else:
            kept = fmt if fmt == "yaml" or (append and fmt == "table") else "json"
            yield StreamView(shown, kept)

    return live
