"""Helpers of the collection-change tests (``\\alter``, ``\\indexes``, ``\\reindex``,
``\\tasks``): one command line through the dispatcher, or ``elysiactl`` as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REGISTRY, make_session

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.results import Outcome

ROOT = Path(__file__).resolve().parents[1]


def execute(url: str, line: str, version: str | None = None) -> Outcome:
    """Run ``line`` through the dispatcher on a session whose server reports ``version``."""
    session = make_session(url)
    assert session.connection is not None
    session.connection.server_version = version
    return Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(line, "argv")


def process_env(tmp_path: Path, url: str) -> dict[str, str]:
    """An environment for ``elysiactl`` on ``url`` with private XDG directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    env.update({"WEAVIATE_URL": url, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT),
                "PROMPT_TOOLKIT_NO_CPR": "1"})
    return env


def elysiactl(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    """``elysiactl ARGS`` as a process, without a terminal."""
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT,
                          env=process_env(tmp_path, url), capture_output=True, text=True,
                          timeout=60)
