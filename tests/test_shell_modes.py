"""Script, -c and one-shot modes as a user runs them: subprocesses against the sandbox."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with private XDG directories and no Weaviate variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    return {**clean, "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def audit(env: dict[str, str]) -> list[dict]:
    path = Path(env["XDG_STATE_HOME"]) / "elysiactl" / "audit.jsonl"
    assert path.stat().st_mode & 0o777 == 0o600
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dash_c_prints_parseable_json(env, sandbox: Sandbox) -> None:
    result = run(env, "--url", sandbox.url, "-c", r"\conninfo", "--format", "json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["cluster"] == sandbox.url and info["server_version"] == "1.39.0"
    assert "\x1b[" not in result.stdout
    [entry] = audit(env)
    assert entry["source"] == "argv" and entry["command"] == "conninfo"
    assert entry["cluster"] == sandbox.url and "@" in entry["identity"]


def test_one_shot_col_form(env, sandbox: Sandbox) -> None:
    result = run(env, "--url", sandbox.url, "col", "conninfo", "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert f"cluster: {sandbox.url}" in result.stdout
    unknown = run(env, "--url", sandbox.url, "frobnicate")
    assert unknown.returncode == 2 and "unknown word 'frobnicate'" in unknown.stderr


def test_script_stops_at_the_first_failure(env, sandbox: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "ops.txt"
    script.write_text("# a comment\n\n\\conninfo\n\\nodez\n\\conninfo\n")
    result = run(env, "--url", sandbox.url, "-f", str(script), "--echo")
    assert result.returncode == 2
    assert f"{script}:4: error: unknown command \\nodez" in result.stderr
    assert "did you mean" in result.stderr or "\\? lists" in result.stderr
    assert result.stderr.count("+ \\conninfo") == 1
    sources = [e["source"] for e in audit(env)]
    assert sources == [f"script:{script}:3", f"script:{script}:4"]
    going_on = run(env, "--url", sandbox.url, "-f", str(script), "--on-error", "continue")
    assert going_on.returncode == 2 and going_on.stdout.count("cluster") == 2


def test_a_script_says_why_it_stops_after_a_degraded_health(env, tmp_path: Path) -> None:
    script = tmp_path / "checks.txt"
    script.write_text("\\health\n\\conninfo\n")
    with Sandbox(nodes=3) as three:
        httpx.post(f"{three.url}/v1/schema", json={"class": "Single"}).raise_for_status()
        stopped = run(env, "--url", three.url, "-f", str(script))
        going_on = run(env, "--url", three.url, "-f", str(script), "--on-error", "continue")
    assert stopped.returncode == 1 and "degraded" in stopped.stdout
    assert (f"{script}:1: \\health exited with status 1 (degraded): the script stops here "
            "(--on-error continue goes on)") in stopped.stderr
    assert going_on.returncode == 1 and "stops here" not in going_on.stderr
    assert [e["command"] for e in audit(env)] == ["health", "health", "conninfo"]


def test_piped_stdin_is_a_script(env, sandbox: Sandbox) -> None:
    result = run(env, "--url", sandbox.url, "--format", "json",
                 stdin="\\conninfo\n\\use Nope\n\\conninfo\n")
    assert result.returncode == 1
    assert "stdin:2: error: no collection named 'Nope'" in result.stderr
    assert json.loads(result.stdout)["cluster"] == sandbox.url


def test_connection_failure_exit_code(env) -> None:
    result = run(env, "--url", "http://127.0.0.1:9", "-c", r"\conninfo")
    assert result.returncode == 3
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_needs_no_cluster(env) -> None:
    for args in (["col", "migrate", "--help"], ["-c", "\\help stats", "-c", "\\ls --help"]):
        result = run(env, "--url", "http://127.0.0.1:9", *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: \\") and "cannot reach" not in result.stderr
    group = run(env, "--url", "http://127.0.0.1:9", "col", "tenant", "--help")
    assert group.returncode == 0, group.stderr  # a group lists its subcommands
    assert "\\tenant create" in group.stdout and "\\tenant rm" in group.stdout
    # anything else still needs the cluster
    mixed = run(env, "--url", "http://127.0.0.1:9", "-c", "\\help stats", "-c", "\\ls")
    assert mixed.returncode == 3 and "cannot reach" in mixed.stderr


def test_environment_and_profiles(env, sandbox: Sandbox) -> None:
    config = Path(env["XDG_CONFIG_HOME"]) / "elysiactl"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text(
        f"profiles:\n  box:\n    url: {sandbox.url}\n    format: json\n    tier: production\n")
    by_profile = run(env, "--profile", "box", "-c", r"\conninfo")
    assert by_profile.returncode == 0, by_profile.stderr
    assert json.loads(by_profile.stdout)["tier"] == "production"
    by_env = run({**env, "WEAVIATE_URL": sandbox.url}, "-c", r"\conninfo", "--format", "json")
    assert json.loads(by_env.stdout)["cluster"] == sandbox.url
    missing = run(env, "--profile", "nope", "-c", r"\conninfo")
    assert missing.returncode == 2 and "no profile named 'nope'" in missing.stderr
    (config / "config.yaml").write_text("profiles: [oops\n")
    broken = run(env, "-c", r"\conninfo")
    assert broken.returncode == 2 and "invalid YAML in" in broken.stderr


def test_api_key_identity(env, tmp_path: Path) -> None:
    with Sandbox(api_keys={"k1": "alice"}, backup_dir=tmp_path) as server:
        ok = run({**env, "WEAVIATE_API_KEY": "k1"}, "--url", server.url, "-c", r"\conninfo",
                 "--format", "json")
        assert json.loads(ok.stdout)["identity"] == "alice"
        refused = run(env, "--url", server.url, "-c", r"\conninfo")
        assert refused.returncode == 3 and "anonymous access not enabled" in refused.stderr


def test_sandbox_flag_and_subcommand(env) -> None:
    result = run(env, "--sandbox", "-c", r"\use Article", "-c", r"\conninfo", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "not a real Weaviate" in result.stderr
    assert json.loads(result.stdout)["collection"] == "Article"
    proc = subprocess.Popen([sys.executable, "-m", "shell", "sandbox", "--port", "0"], cwd=ROOT,
                            env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert re.search(r"listening on http://127\.0\.0\.1:\d+", proc.stderr.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_closed_pipe_is_not_an_error(env, tmp_path: Path) -> None:
    shell = subprocess.Popen([sys.executable, "-m", "shell", "--sandbox", "-c", r"\help",
                              "-c", r"\ls --verbose", "--format", "yaml"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shell.stdout.readline()
    shell.stdout.close()  # like `| head -1`
    assert shell.wait(timeout=60) == 0
    assert "Traceback" not in shell.stderr.read()


def test_the_seeds_listing_form_feeds_jq(env, sandbox: Sandbox) -> None:
    for name in ("test_a", "test_b", "Keep"):
        httpx.post(f"{sandbox.url}/v1/schema", json={"class": name}).raise_for_status()
    result = run(env, "--url", sandbox.url, "col", "ls", "--filter", "test_*", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)] == ["Test_a", "Test_b"]
    if shutil.which("jq"):
        names = subprocess.run(["jq", "-r", ".[].name"], input=result.stdout, text=True,
                               capture_output=True, check=True).stdout.split()
        assert names == ["Test_a", "Test_b"]


def test_keyring_profiles(monkeypatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    from shell.config import Profile

    class Memory(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return {("weaviate-prod", "prod"): "from-keyring"}.get((service, username))

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    monkeypatch.setattr(keyring, "get_keyring", lambda: Memory())
    monkeypatch.setattr(keyring, "get_password",
                        lambda service, user: Memory().get_password(service, user))
    profile = Profile("prod", api_key_env="PROD_KEY", api_key_keyring="weaviate-prod")
    assert profile.api_key({"PROD_KEY": "from-env"}) == "from-env"
    assert profile.api_key({}) == "from-keyring"
