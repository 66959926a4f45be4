"""The backup directory's lock shared by readers: restores of one directory run side by
side, a prune waits for none of them (it is refused, naming them), and a reader killed
with ``kill -9`` blocks nobody. Real processes, one frozen with SIGSTOP while it reads."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
from conftest import make_session
from test_backup_reliability import elysiactl, env
from test_commands_backup_prune import prune
from test_commands_backup_support import run
from test_commands_restore import make_article

from commands.errors import ExitStatus
from commands.ops.backup.lock import LOCK_NAME
from commands.results import Message
from sandbox import Sandbox


def _wait_for_reader(directory: Path, proc: subprocess.Popen) -> None:
    """Until ``proc`` holds the directory's lock as a reader (its own file is there)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if list(directory.glob(f"{LOCK_NAME}.r-{proc.pid}-*")):
            return
        time.sleep(0.005)
    raise AssertionError(f"pid {proc.pid} never read {directory}")


def test_restores_share_the_directory_a_prune_waits_for_them_and_a_dead_one_blocks_nobody(
        sandbox: Sandbox, client: httpx.Client, tmp_path: Path) -> None:
    make_article(client, n=20)
    directory, session = tmp_path / "b", make_session(sandbox.url)
    run(session, rf"\backup Article --output {directory} --id old")
    run(session, rf"\backup Article --output {directory} --id new")
    manifest = directory / "Article.json"
    environ = env(tmp_path, sandbox.url)
    restore = rf"\restore {manifest} --as ArticleA"
    httpx.put(f"{sandbox.url}/__sandbox/faults", json={"latency_ms": 100}).raise_for_status()
    try:
        first = elysiactl(environ, restore)
        _wait_for_reader(directory, first)
        first.send_signal(signal.SIGSTOP)
        second = elysiactl(environ, rf"\restore {manifest} --as ArticleB")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert "restored 20 objects into ArticleB (count checked)" in out + err

        refused = prune(directory, "--keep 1 --force")
        assert refused.exit_code == ExitStatus.ERROR
        assert f"is in use by pid {first.pid}, started 20" in refused.error.message
        assert refused.error.message.endswith(f"on {socket.gethostname()}: \\restore {manifest}")
        assert (directory / "Article.old.json").is_file()

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    finally:
        httpx.put(f"{sandbox.url}/__sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    done = prune(directory, "--keep 1 --force")
    assert done.exit_code == 0, done.error
    texts = [r.text for r in done.results if isinstance(r, Message)]
    assert any(f"left by pid {first.pid}, " in t for t in texts), texts
    assert "removed 1 backup" in texts[1]
    assert not (directory / "Article.old.json").exists()
    assert sorted(p.name for p in directory.glob(".*")) == []
