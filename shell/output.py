"""``\\o``: results to a file or a shell command instead of standard output.

The renderer's stdout console is swapped for a plain one (no colour, natural widths, as
off a terminal) writing to the file or the command's stdin; messages and errors keep going
to stderr. ``\\o`` alone, the next ``\\o`` or the process's exit closes it (a pipe's command
is waited for, so its output comes before the next prompt).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from commands.errors import ShellError, UsageError

if TYPE_CHECKING:
    import subprocess

    from rich.console import Console

    from shell.render import Renderer


class _PipeWriter:
    """A command's stdin that a command which stopped reading (``head -1``) does not break."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._gone = True
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone = True

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        try:
            self._stream.close()
        except BrokenPipeError:
            pass


class _FileWriter:
    """The ``\\o`` file: a write that fails (a full disk) is one error naming the file."""

    def __init__(self, stream: IO[str], target: str) -> None:
        self._stream = stream
        self._target = target
        self._failed_once = False

    def _failed(self, exc: OSError) -> ShellError:
        self._failed_once = True
        return ShellError(f"\\o: cannot write {self._target}: {exc.strerror or exc}",
                          "free space, or send the output elsewhere: \\o FILE")

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        try:
            self._stream.close()
        except OSError as exc:
            if not self._failed_once:  # else said already, when the write failed
                raise self._failed(exc) from None


class OutputRedirect:
    """Where results go: standard output, a file or a command (``\\o``)."""

    def __init__(self, renderer: Callable[[], Renderer]) -> None:
        self._renderer = renderer
        self._stdout: Console | None = None  # the console to go back to
        self._sink: _FileWriter | _PipeWriter | None = None
        self._process: subprocess.Popen[str] | None = None

    def redirect(self, target: str | None) -> None:
        """Results to ``target`` (a file, emptied first, or ``|command``); None: to stdout.
        A file that cannot be opened leaves the output where it was."""
        if not target:
            self.close()
            return
        process = None
        if target.startswith("|"):
            import subprocess  # not on the start-up path

            command = target[1:].strip()
            if not command:
                raise UsageError(r"\o |: no command after the |", r"e.g. \o |wc -l")
            process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, text=True,
                                       encoding="utf-8", errors="replace")
            assert process.stdin is not None
            sink: _FileWriter | _PipeWriter = _PipeWriter(process.stdin)
        else:
            from commands.owner_only import open_for_writing  # not on the start-up path

            try:
                fd = open_for_writing(os.path.expanduser(target),
                                      os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                sink = _FileWriter(os.fdopen(fd, "w", encoding="utf-8"), target)
            except OSError as exc:
                raise ShellError(f"\\o: cannot open {target}: {exc.strerror}",
                                 "check that the directory exists and is writable") from None
        from rich.console import Console  # loaded with the first output, not at start-up

        self.close()
        renderer = self._renderer()
        self._stdout, self._sink, self._process = renderer.out, sink, process
        renderer.out = Console(file=sink, width=4096, force_terminal=False)
        atexit.register(self.close)  # a script that ends redirected still gets it all

    def close(self) -> None:
        """Back to standard output; the file is closed, the command waited for."""
        if self._stdout is None:
            return
        atexit.unregister(self.close)
        self._renderer().out, self._stdout = self._stdout, None
        sink, process, self._sink, self._process = self._sink, self._process, None, None
        if sink is not None:
            try:
                sink.close()
            except ShellError as exc:  # the last of the output did not fit: say so
                self._renderer().error(exc)
        if process is not None:
            process.wait()
