"""The shell's side of ``\\i`` and ``\\e``: lines from a file run through the same runner,
with script mode's rules (``shell.script.run_lines``: the first failure stops them, its
error prefixed with ``FILE:LINE:``); and of ``\\o`` (``shell.output``).

A relative path given to ``\\i`` is read from the directory of the file holding the ``\\i``
line (psql's ``\\ir``), or from the current directory when typed at the prompt or ``-c``.
"""

from __future__ import annotations

import os
import shlex

from commands.errors import ShellError, UsageError
from shell.output import OutputRedirect
from shell.script import Runner, numbered, read_lines, run_lines

MAX_DEPTH = 16
SCRATCH = r"\e"  # how lines from the editor's scratch file are located: \e:2: error...


class Scripting:
    """``Session.shell_hooks`` for one runner."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._output = OutputRedirect(runner.renderer)
        self._files: list[str] = []  # the \i chain being run, outermost first

    def redirect(self, target: str | None) -> None:
        self._output.redirect(target)

    def include(self, path: str) -> int:
        name = os.path.normpath(os.path.join(self._directory(), os.path.expanduser(path)))
        if len(self._files) >= MAX_DEPTH:
            chain = " -> ".join([*self._files, name])
            raise UsageError(f"\\i {path}: files nested more than {MAX_DEPTH} deep ({chain})",
                             "does a file include itself?")
        lines = read_lines(name, "\\i: ")
        self._files.append(name)
        try:
            return run_lines(numbered(name, lines), self._runner)
        finally:
            self._files.pop()

    def _directory(self) -> str:
        """Where a relative path is read from: the directory of the file being run."""
        source = self._runner.source
        if not source.startswith("script:"):
            return ""
        current = source.removeprefix("script:").rpartition(":")[0]
        return os.path.dirname(current) if os.path.isfile(current) else ""

    def edit(self, path: str | None, text: str) -> int | None:
        import subprocess  # neither is on the start-up path
        import tempfile

        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        if path is None:
            fd, scratch = tempfile.mkstemp(prefix="elysiactl-", suffix=".txt")
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text + "\n" if text else "")
        try:
            name = path or scratch
            status = subprocess.run(f"{editor} {shlex.quote(name)}", shell=True,
                                    check=False).returncode
            if status:
                raise ShellError(f"\\e: the editor ({editor}) exited with status {status}: "
                                 "nothing was run", "set VISUAL or EDITOR to the editor to use")
            # the editor may quit without saving a new file
            lines = read_lines(name, "\\e: ") if os.path.exists(name) else []
        finally:
            if path is None:
                os.unlink(scratch)
        if not any(line.strip() and not line.strip().startswith("#") for line in lines):
            return None
        return run_lines(numbered(path or SCRATCH, lines), self._runner, echo=True)
