"""Issue 14's session hardening as a user meets it: consent is the exact word, ``--help`` of a
destructive command is not audited as a run, the first connection is retried, and backups,
history and logs are created owner-only whatever the umask."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pexpect
from conftest import make_session
from craft_support import repl_in
from test_commands_backup_support import record, run

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.registry import Registry
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def elysiactl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``elysiactl ARGS`` with private XDG directories and the common umask 022."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")},
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.umask(0o022))


def test_a_leading_or_trailing_space_does_not_confirm_at_the_repl(tmp_path: Path,
                                                                   sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/objects", json={"class": "Keep"}).raise_for_status()
    dispatcher, _, err = repl_in(tmp_path, sandbox.url, "\\rm Keep\r yes\r\\rm Keep\ryes \r\\q\r")
    assert err.count("not confirmed: nothing was done") == 2
    assert [e["confirmation"] for e in dispatcher.audit.entries()][:2] == ["refused"] * 2
    assert httpx.get(f"{sandbox.url}/v1/schema/Keep").status_code == 200


def test_a_leading_space_does_not_confirm_in_a_terminal(tmp_path: Path, sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/objects", json={"class": "Keep"}).raise_for_status()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", sandbox.url, "col", "rm",
                                           "Keep"], env=env, cwd=str(ROOT), dimensions=(40, 160),
                          timeout=30, encoding="utf-8")
    child.expect("Type 'yes' to confirm:")
    child.sendline(" yes")
    child.expect("not confirmed: nothing was done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4
    assert httpx.get(f"{sandbox.url}/v1/schema/Keep").status_code == 200


def test_help_of_a_destructive_command_is_audited_as_help_not_as_a_run() -> None:
    dispatcher = Dispatcher(Registry.from_modules(MODULES), Session(), MemoryAuditLog())
    for line in ("\\rm --help", "\\rm Article --help", "\\help rm"):
        assert dispatcher.execute(line, "repl").exit_code == 0
    entries = list(dispatcher.audit.entries())
    assert [(e["command"], e["destructive"]) for e in entries] == [("help", False)] * 3
    assert [e["arguments"] for e in entries] == [{"topic": ["rm"]}] * 3


def test_help_in_every_mode_claims_no_run_and_the_log_files_are_owner_only(
        tmp_path: Path) -> None:
    state = tmp_path / "state" / "elysiactl"
    one_shot = elysiactl(tmp_path, "--url", "http://127.0.0.1:9", "col", "rm", "--help")
    assert one_shot.returncode == 0 and one_shot.stdout.startswith("usage: \\rm")
    assert not (state / "audit.jsonl").exists()  # answered before any session
    dash_c = elysiactl(tmp_path, "--url", "http://127.0.0.1:9", "-c", "\\rm Article --help")
    assert dash_c.returncode == 0, dash_c.stderr
    entries = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines()]
    assert [(e["command"], e["destructive"]) for e in entries] == [("help", False)]
    assert (mode(state), mode(state / "audit.jsonl"), mode(state / "elysiactl.log")) == (
        0o700, 0o600, 0o600)


def test_the_first_connection_is_retried_until_the_cluster_answers(tmp_path: Path) -> None:
    """A cluster still starting: its port closes the first two connections unanswered, then
    the sandbox serves on it. The README promises retries with backoff for this."""
    front = socket.create_server(("127.0.0.1", 0))
    front.settimeout(30)
    port = front.getsockname()[1]
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    shell = subprocess.Popen([sys.executable, "-m", "shell", "--url", f"http://127.0.0.1:{port}",
                              "-c", "\\conninfo", "--format", "json"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(2):
            front.accept()[0].close()
        front.close()
        with Sandbox(port=port):
            out, err = shell.communicate(timeout=60)
    finally:
        shell.kill()
    assert shell.returncode == 0, err
    assert json.loads(out)["cluster"] == f"http://127.0.0.1:{port}"


def test_history_and_backups_are_owner_only(tmp_path: Path, sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/objects", json={"class": "Keep"}).raise_for_status()
    with umask(0o022):
        repl_in(tmp_path, sandbox.url, "\\ls\r\\q\r")
        out = tmp_path / "mine" / "nightly"
        path = Path(record(run(make_session(sandbox.url), f"\\backup Keep --output {out}"))
                    ["path"])
    history = next((tmp_path / "state" / "elysiactl" / "history").iterdir())
    assert (mode(history.parent), mode(history)) == (0o700, 0o600)
    files = [p for p in (tmp_path / "mine").rglob("*") if p.is_file()]
    dirs = [tmp_path / "mine", *(p for p in (tmp_path / "mine").rglob("*") if p.is_dir())]
    assert path in files and len(files) >= 3 and {out, out.parent} <= set(dirs)
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert {p.name: mode(p) for p in dirs} == {p.name: 0o700 for p in dirs}
