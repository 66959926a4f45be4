"""What the issue-13 session-craft tests share: the in-process REPL with a private state
directory (its history file), and the shell in a pseudo-terminal with a chosen environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pexpect
from test_shell_repl import ROOT, repl

from commands.dispatch import Dispatcher


def repl_in(tmp_path: Path, url: str, keys: str) -> tuple[Dispatcher, str, str]:
    """``test_shell_repl.repl`` with the input history under ``tmp_path``."""
    with mock.patch.dict(os.environ, {"XDG_STATE_HOME": str(tmp_path / "state")}):
        return repl(url, keys)


def spawn(tmp_path: Path, *args: str, **env: str) -> pexpect.spawn:
    """``elysiactl ARGS`` in a 40x160 pseudo-terminal, at its first prompt."""
    environment = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
                   "XDG_CONFIG_HOME": str(tmp_path / "config"), "PROMPT_TOOLKIT_NO_CPR": "1",
                   "PYTHONPATH": str(ROOT), "TERM": "xterm", **env}
    child = pexpect.spawn(sys.executable, ["-m", "shell", *args], cwd=str(tmp_path),
                          env=environment, dimensions=(40, 160), timeout=20, encoding="utf-8")
    child.expect(r"127\.0\.0\.1:\d+> ")
    return child
