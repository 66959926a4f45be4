"""``\\record``: a session written as a runbook, previewed with ``-f --dry-run`` and replayed
with ``-f`` on a fresh sandbox to the same end state; in the REPL and in script mode."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from inprocess_support import elysiactl_here
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.errors import UsageError
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.recording import Recorder, outcome_comment
from commands.registry import Registry
from commands.results import Level, Message, Outcome
from commands.spec import Opt, command
from sandbox import Sandbox
from shell.app import run_repl
from shell.config import Settings
from shell.render import Renderer
from shell.runner import LineRunner

ROOT = Path(__file__).resolve().parents[1]

SESSION = r"""\record {runbook}
\create Notes --property title:text --property views:int
\alter Notes --add-property summary:text --description 'Notes of the day'
\create Tickets --from-template multi-tenant
\tenant create Tickets acme globex initech
\show Nope
\backup Article --output {backups}
\restore {backups}/Article.json --as ArticleCopy
\tenant set Tickets globex --status INACTIVE --force
\tenant rm Tickets initech --force
\count ArticleCopy
\help
\ls --help
\history
\backup --native filesystem --include Notes
\record
\record stop
\create AfterTheRecording
"""


def shell(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``elysiactl ARGS`` with the environment ``env``, in-process (script mode as a
    process: test_shell_modes)."""
    return elysiactl_here(args, env)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}


def end_state(url: str) -> dict[str, Any]:
    """Every class definition, the tenants with their status, and the object counts."""
    state: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=10) as http:
        for cls in http.get("/v1/schema").json()["classes"]:
            name = cls["class"]
            if cls.get("multiTenancyConfig", {}).get("enabled"):
                tenants = http.get(f"/v1/schema/{name}/tenants").json()
                count: Any = sorted((t["name"], t["activityStatus"]) for t in tenants)
            else:
                answer = http.post("/v1/graphql", json={
                    "query": f"{{Aggregate{{{name}{{meta{{count}}}}}}}}"}).json()
                count = answer["data"]["Aggregate"][name][0]["meta"]["count"]
            state[name] = (cls, count)
    return state


def test_a_recorded_runbook_previews_and_replays_to_the_same_end_state(
        env, tmp_path: Path) -> None:
    runbook, session = tmp_path / "runbook.txt", tmp_path / "session.txt"
    session.write_text(SESSION.format(runbook=runbook, backups=tmp_path / "files"))
    with Sandbox(seed="demo", backup_dir=tmp_path / "native1") as first:
        done = shell(env, "--url", first.url, "-f", str(session), "--on-error", "continue")
        assert done.returncode == 1, done.stderr  # \show Nope failed; the rest went on
        recorded = end_state(first.url)
    assert stat.S_IMODE(runbook.stat().st_mode) == 0o600
    text = runbook.read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# elysiactl runbook, recorded 20")
    assert lines[1].startswith("# cluster: http://127.0.0.1:") and ", as " in lines[1]
    replayed = [line for line in lines if not line.startswith("#")]
    assert replayed == [line for line in session.read_text().splitlines()[1:15]
                        if line not in (r"\show Nope", r"\help", r"\ls --help", r"\history")]
    assert "# not replayed (failed): \\show Nope\n#   -> error: no collection named 'Nope'" \
        in text
    assert "#   -> ok, 250 objects affected: restored 250 objects into ArticleCopy" in text
    assert "#   -> ok: created 3 tenants in Tickets (ACTIVE)" in text
    assert "#   -> ok: Count of ArticleCopy: collection=ArticleCopy, count=250" in text
    assert not any(line.startswith(r"\record") for line in replayed)
    assert "AfterTheRecording" not in text
    assert lines[-1].startswith("# recording stopped 20")
    assert "AfterTheRecording" in recorded  # the line after \record stop ran, unrecorded
    del recorded["AfterTheRecording"]

    with Sandbox(seed="demo", backup_dir=tmp_path / "native2") as fresh:
        before = end_state(fresh.url)
        httpx.delete(f"{fresh.url}/__sandbox/requests")
        # --dry-run goes on after a line that needs what an earlier one only previewed
        preview = shell(env, "--url", fresh.url, "-f", str(runbook), "--dry-run")
        assert preview.returncode == 1
        assert re.search(r"runbook\.txt:\d+: error: no collection named 'Notes'", preview.stderr)
        assert "dry run: would create collection Notes; nothing was sent" in preview.stderr
        assert "dry run: would start native backup" in preview.stderr
        log = httpx.get(f"{fresh.url}/__sandbox/requests").json()
        assert log and [e for e in log if e["mutating"]] == []
        assert end_state(fresh.url) == before

        replay = shell(env, "--url", fresh.url, "-f", str(runbook))
        assert replay.returncode == 0, replay.stderr
        assert end_state(fresh.url) == recorded
    (_, acme), (_, globex) = recorded["Tickets"][1]  # created, then one set inactive
    assert "Notes" in recorded and [t for t, _ in recorded["Tickets"][1]] == ["acme", "globex"]
    assert acme != globex


class Typed:
    """An in-process REPL: lines typed through prompt_toolkit's pipe input."""

    def __init__(self, url: str) -> None:
        self.err = io.StringIO()
        self.renderer = Renderer(Console(file=io.StringIO(), width=120),
                                 Console(file=self.err, width=120))
        self.dispatcher = Dispatcher(Registry.from_modules(MODULES), Session(),
                                     MemoryAuditLog())
        self.dispatcher.session.connection = open_connection(url)

    def type(self, keys: str) -> str:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text(keys)
            run_repl(LineRunner(self.dispatcher, lambda: self.renderer), Settings(),
                     input=pipe, output=DummyOutput())
        return self.err.getvalue()


def test_record_in_the_repl_flushes_each_line_and_keeps_the_context(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    runbook = tmp_path / "repl.txt"
    with Sandbox(seed="demo") as server:
        typed = Typed(server.url)
        err = typed.type(f"\\record\r\\use Article\r\\record {runbook}\r\\count\r"
                         "\\count --tenant nope\r\\record\r\x04")
        assert r"not recording (\record FILE starts)" in err
        assert f"recording to {runbook} since" in err and "1 line to replay, 1 as comments" \
            in err
        # still recording after Ctrl-D: what ran is on disk already
        text = runbook.read_text()
        assert text.splitlines()[3:] == [
            r"\use Article", r"\count",
            "#   -> ok: Count of Article: collection=Article, count=250",
            r"# not replayed (failed): \count --tenant nope",
            "#   -> error: Article is not multi-tenant, so it takes no tenant"]
        err = typed.type(f"\\record {runbook}\r\\record stop\r\\record stop\r"
                         f"\\record {runbook}\r\\record {runbook} --append\r\\x\r\\record stop\r"
                         "\x04")
        assert f"already recording to {runbook}" in err
        assert f"recorded 1 line to replay in {runbook}" in err
        assert "error: not recording" in err
        assert f"error: \\record {runbook}: the file exists" in err
        assert "hint: name a new file, or add --append to add to it" in err
        text = runbook.read_text()
        assert text.count("# elysiactl runbook, recorded") == 2
        assert text.splitlines()[-3:-1] == ["\\x", "#   -> ok: expanded display is on"]


@command("login", "A test command with a secret option.",
         opts=(Opt("--password", secret=True), Opt("--user")), needs_connection=False)
def _login(ctx, *, password: str | None, user: str | None) -> Message:
    return Message(f"logged in as {user}")


@command("lines", "A test command that runs two lines through the runner, as \\i does.",
         needs_connection=False)
def _lines(ctx) -> None:
    for line in (r"\x", r"\login --user inner"):
        RUNNERS[0].run(line, "test")


RUNNERS: list[LineRunner] = []


def test_secrets_are_never_recorded_and_included_lines_are(tmp_path: Path) -> None:
    registry = Registry.from_modules([*MODULES, sys.modules[__name__]])
    dispatcher = Dispatcher(registry, Session(), MemoryAuditLog())
    runner = LineRunner(dispatcher, lambda: Renderer(Console(file=io.StringIO()),
                                                     Console(file=io.StringIO())))
    RUNNERS[:] = [runner]
    runbook = tmp_path / "secret.txt"
    for line in (f"\\record {runbook}", r"\login --user ann --password hunter2",
                 r"\login --password=hunter2", r"\login --user bob --pasword hunter2",
                 r"\lines", r"\record stop"):
        runner.run(line, "test")
    text = runbook.read_text()
    assert "hunter2" not in text
    assert r"# not replayed (holds a secret: give it by hand): \login --user ann --password ***" \
        in text
    assert r"\login --password=***" in text
    assert "# not replayed (failed): \\login ...\n#   -> usage-error: \\login: unknown option " \
        "--pasword" in text
    assert "\\x\n#   -> ok: expanded display is on\n\\login --user inner\n" \
           "#   -> ok: logged in as inner\n# (ran the lines above) \\lines\n" in text


def test_a_key_shown_once_is_not_in_the_outcome_comment() -> None:
    outcome = Outcome("user create", results=[
        Message("created database user bob; its API key: s3cr3t", Level.WARNING, secret=True)])
    assert outcome_comment(outcome) == "ok: (a secret was shown once; not recorded)"


def test_a_file_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="No such file or directory"):
        Recorder(tmp_path / "missing" / "runbook.txt", Registry.from_modules(MODULES))


def test_a_secret_variable_keeps_its_line_out_of_the_replay(tmp_path: Path) -> None:
    """The runner hides a secret-named variable's value; a line that merely holds ``***``
    (a pattern) is still replayed."""
    dispatcher = Dispatcher(Registry.from_modules(MODULES), Session(), MemoryAuditLog())
    runner = LineRunner(dispatcher, lambda: Renderer(Console(file=io.StringIO()),
                                                     Console(file=io.StringIO())))
    runbook = tmp_path / "variables.txt"
    for line in (f"\\record {runbook}", r"\set api_token hunter2", r"\set pattern ***",
                 r"\record stop"):
        runner.run(line, "test")
    text = runbook.read_text()
    assert "hunter2" not in text
    assert "# not replayed (holds a secret: give it by hand): \\set api_token ***\n" in text
    assert "\n\\set pattern ***\n" in text
