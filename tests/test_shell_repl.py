"""The REPL driven as a user drives it: in-process through prompt_toolkit's pipe input, and
through a real pseudo-terminal (pexpect), both against the sandbox over HTTP."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry
from sandbox import Sandbox
from shell.app import run_repl
from shell.config import Settings
from shell.live import live_views
from shell.render import Renderer
from shell.runner import LineRunner

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with Sandbox(seed="demo", backup_dir=tmp_path / "backups") as server:
        yield server


def repl(url: str, keys: str) -> tuple[Dispatcher, str, str]:
    """Type ``keys`` into an in-process REPL; returns the dispatcher, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    renderer = Renderer(Console(file=out, width=120), Console(file=err, width=120))
    dispatcher = Dispatcher(Registry.from_modules(MODULES),
                            Session(live=live_views(lambda: renderer)), MemoryAuditLog())
    dispatcher.session.connection = open_connection(url)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        assert run_repl(LineRunner(dispatcher, lambda: renderer), Settings(), input=pipe,
                        output=DummyOutput()) == 0
    return dispatcher, out.getvalue(), err.getvalue()


def test_repl_runs_commands_and_keeps_context(demo: Sandbox) -> None:
    dispatcher, out, err = repl(demo.url, "\\use Article\r\\count\r\\format json\r"
                                          "\\conninfo\r\\q\r")
    assert dispatcher.session.collection == "Article"
    assert "current collection: Article" in err
    assert "250" in out
    info = json.loads(out[out.index("{"):])
    assert info["collection"] == "Article" and info["format"] == "json"
    entries = list(dispatcher.audit.entries())
    assert [e["command"] for e in entries] == ["use", "count", "format", "conninfo", "q"]
    assert {e["source"] for e in entries} == {"repl"}


def test_repl_survives_errors_and_ctrl_d_leaves(demo: Sandbox) -> None:
    dispatcher, out, err = repl(demo.url, "\\show Artcle\r\\nodez\r\x04")
    assert "error: no collection named 'Artcle'" in err
    assert "hint: did you mean Article?" in err
    assert r"error: unknown command \nodez" in err
    assert [e["status"] for e in dispatcher.audit.entries()] == ["error", "usage-error"]


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[pexpect.spawn]:
    """The shell at its prompt in a pseudo-terminal, on what ``elysiactl --sandbox`` serves (a
    demo with metrics and the export API) served by this process through a profile: a demo
    is copied here in 0.25 s of CPU, where each ``--sandbox`` built it in 1.7 s
    (test_shell_modes and test_commands_stats_metrics start ``--sandbox`` itself)."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PROMPT_TOOLKIT_NO_CPR": "1",
           "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    with Sandbox(seed="demo", metrics=True, export=True) as server:
        profile = {"url": server.url, "metrics_url": list(server.metrics_urls.values())}
        (tmp_path / "config" / "elysiactl").mkdir(parents=True)
        (tmp_path / "config" / "elysiactl" / "config.yaml").write_text(
            json.dumps({"profiles": {"sandbox": profile}}))  # JSON is YAML
        child = pexpect.spawn(sys.executable, ["-m", "shell", "--profile", "sandbox"],
                              cwd=str(ROOT), env=env, dimensions=(40, 160), timeout=20,
                              encoding="utf-8")
        try:
            child.expect(r"127\.0\.0\.1:\d+> ")
            yield child
        finally:
            child.terminate(force=True)


def test_pty_completion_and_prompt(terminal: pexpect.spawn) -> None:
    terminal.send("\\sh")
    terminal.expect("Describe a collection")  # the menu, with each command's summary
    terminal.send("\t")  # selects the first entry: \show
    terminal.send(" Ar")
    terminal.expect("10 properties")  # the menu now offers Article
    terminal.send("\t")
    terminal.send("\r")  # accepts the selected completion
    terminal.send("\r")  # runs the line
    terminal.expect("News articles with every common data type")
    terminal.sendline("\\use Article")
    terminal.expect(r"127\.0\.0\.1:\d+/Article> ")
    terminal.sendline("\\q")
    terminal.expect(pexpect.EOF)


def test_pty_ctrl_c_cancels_the_line(terminal: pexpect.spawn) -> None:
    terminal.send("\\show Nothing")
    terminal.sendcontrol("c")
    terminal.sendline("\\conninfo")
    terminal.expect("server_version")
    assert "Nothing" not in terminal.before.split("\\conninfo")[-1]
    terminal.expect(r"127\.0\.0\.1:\d+> ")  # back at the prompt, where Ctrl-D means leave
    terminal.sendcontrol("d")
    terminal.expect(pexpect.EOF)


def test_pty_starts_disconnected_when_nothing_answers(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", "http://127.0.0.1:9"],
                          cwd=str(ROOT), env=env, dimensions=(40, 160), timeout=20,
                          encoding="utf-8")
    try:
        child.expect("cannot reach http://127.0.0.1:9")
        child.expect(r"\(disconnected\)> ")
        child.sendline("\\ls")
        child.expect("not connected to a Weaviate cluster")
        child.expect(r"\(disconnected\)> ")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
