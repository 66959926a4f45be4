"""``\\connect URL --api-key-env VAR``: the key from the environment, never from the line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from inprocess_support import elysiactl_here
from test_craft_record import Typed

from commands.ops.connection import open_connection
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}


def shell(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``elysiactl ARGS`` with the environment ``env``, in-process."""
    return elysiactl_here(args, env)


def test_connect_takes_the_key_from_the_named_variable(env, tmp_path: Path) -> None:
    with Sandbox() as first, Sandbox(api_keys={"k1": "alice"}, backup_dir=tmp_path) as second:
        env = {**env, "SECOND_KEY": "k1"}
        runbook = tmp_path / "runbook.txt"
        done = shell(env, "--url", first.url, "-c", f"\\record {runbook}",
                     "-c", f"\\connect {second.url} --api-key-env SECOND_KEY",
                     "-c", r"\conninfo --format json")
        assert done.returncode == 0, done.stderr
        assert f"connected to {second.url}" in done.stderr and "as alice" in done.stderr
        info = json.loads(done.stdout)
        assert info["identity"] == "alice" and info["cluster"] == second.url
        # the line holds the variable's name only: a runbook replays it as it is
        assert f"\\connect {second.url} --api-key-env SECOND_KEY\n" in runbook.read_text()

        unset = shell(env, "--url", first.url, "-c",
                      f"\\connect {second.url} --api-key-env NOT_SET_ANYWHERE")
        assert unset.returncode == 2
        assert "error: --api-key-env NOT_SET_ANYWHERE: that variable is not set" in unset.stderr
        assert "hint: export NOT_SET_ANYWHERE=... first, or use a profile with api_key_env" \
            in unset.stderr

        refused = shell(env, "--url", first.url, "-c", f"\\connect {second.url}")
        assert refused.returncode == 1 and "anonymous access not enabled" in refused.stderr

        literal = shell(env, "--url", first.url, "-c", f"\\connect {second.url} --api-key k1")
        assert literal.returncode == 2
        assert r"\connect: unknown option --api-key" in literal.stderr
        assert "did you mean --api-key-env?" in literal.stderr
        audit = (tmp_path / "state" / "elysiactl" / "audit.jsonl").read_text()
        assert "k1" not in audit and "SECOND_KEY" in audit


def test_connect_with_a_key_in_the_repl(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SECOND_KEY", "k1")
    with Sandbox() as first, Sandbox(api_keys={"k1": "alice"}, backup_dir=tmp_path) as second:
        typed = Typed(first.url)
        typed.dispatcher.session.connector = \
            lambda target, api_key=None: open_connection(target, api_key=api_key)
        err = typed.type(f"\\connect {second.url} --api-key-env SECOND_KEY\r"
                         f"\\connect {first.url} --api-key-env NOT_SET_ANYWHERE\r\x04")
        assert f"connected to {second.url} (Weaviate" in err and "as alice" in err
        assert "error: --api-key-env NOT_SET_ANYWHERE: that variable is not set" in err
        assert typed.dispatcher.session.connection.url == second.url  # the failure kept it
