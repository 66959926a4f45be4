"""The seed document's workflows, end to end, with their literal commands.

``elysiactl`` runs as a real process against the sandbox (``WEAVIATE_URL``), from bash
where the seed uses a shell loop, and in a pseudo-terminal where a person answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pexpect
import pytest

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def env(tmp_path: Path, sandbox: Sandbox) -> dict[str, str]:
    return {**os.environ, "WEAVIATE_URL": sandbox.url, "PATH": f"{BIN}:{os.environ['PATH']}",
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "PYTHONPATH": str(ROOT), "PROMPT_TOOLKIT_NO_CPR": "1"}


def sh(env: dict[str, str], script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def classes(url: str) -> list[str]:
    return sorted(c["class"] for c in httpx.get(f"{url}/v1/schema").json()["classes"])


def test_development_workflow(env: dict[str, str], sandbox: Sandbox) -> None:
    created = sh(env, "elysiactl col create DevCollection --from-template standard")
    assert created.returncode == 0, created.stderr
    assert "DevCollection" in classes(sandbox.url)
    # Work with data...
    objects = [{"class": "DevCollection", "properties": {}} for _ in range(30)]
    httpx.post(f"{sandbox.url}/v1/batch/objects", json={"objects": objects}).raise_for_status()
    schema_before = httpx.get(f"{sandbox.url}/v1/schema/DevCollection").content
    # Clear for fresh start: a person at a terminal confirms.
    clear = pexpect.spawn("elysiactl", ["col", "clear", "DevCollection"], env=env,
                          cwd=str(ROOT), dimensions=(40, 160), timeout=60, encoding="utf-8")
    clear.expect("30")  # what is at stake is shown first
    clear.expect("Type 'yes' to confirm:")
    clear.sendline("yes")
    clear.expect(pexpect.EOF)
    clear.close()
    assert clear.exitstatus == 0
    count = httpx.post(f"{sandbox.url}/v1/graphql", json={
        "query": "{ Aggregate { DevCollection { meta { count } } } }"}).json()
    assert count["data"]["Aggregate"]["DevCollection"][0]["meta"]["count"] == 0
    assert httpx.get(f"{sandbox.url}/v1/schema/DevCollection").content == schema_before
    # Remove when done.
    removed = sh(env, "elysiactl col rm DevCollection --force")
    assert removed.returncode == 0, removed.stderr
    assert "DevCollection" not in classes(sandbox.url)
    entries = [json.loads(line) for line in
               (Path(env["XDG_STATE_HOME"]) / "elysiactl" / "audit.jsonl").read_text().splitlines()]
    assert [(e["command"], e["confirmation"]) for e in entries] == [
        ("create", "not-needed"), ("clear", "confirmed"), ("rm", "forced")]
    assert entries[1]["objects_affected"] == 30


def test_clear_without_a_terminal_is_refused(env: dict[str, str], sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/objects", json={"class": "Keep"}).raise_for_status()
    refused = sh(env, "elysiactl col clear Keep")
    assert refused.returncode == 4
    assert "--force" in refused.stderr
    mutating = [e for e in httpx.get(f"{sandbox.url}/__sandbox/requests").json()
                if e["mutating"]]
    assert [e["path"] for e in mutating] == ["/v1/objects"]  # only the setup's own write


@pytest.mark.skipif(shutil.which("jq") is None,
                    reason="LOUD SKIP: the seed's cleanup loop needs the jq command")
def test_development_cleanup_workflow(env: dict[str, str], sandbox: Sandbox) -> None:
    for name in ("test_alpha", "test_beta", "test_gamma", "Production", "ELYSIACTL_Audit"):
        httpx.post(f"{sandbox.url}/v1/schema", json={"class": name}).raise_for_status()
    listed = sh(env, 'elysiactl col ls --filter "test_*"')
    assert listed.returncode == 0 and "Test_alpha" in listed.stdout
    loop = sh(env, """
for col in $(elysiactl col ls --filter "test_*" --format json | jq -r '.[].name'); do
  elysiactl col rm $col --force
done
""")
    assert loop.returncode == 0, loop.stderr
    assert classes(sandbox.url) == ["ELYSIACTL_Audit", "Production"]


def test_dry_run_of_a_whole_script(env: dict[str, str], sandbox: Sandbox,
                                   tmp_path: Path) -> None:
    httpx.post(f"{sandbox.url}/v1/schema", json={"class": "Doomed"}).raise_for_status()
    httpx.post(f"{sandbox.url}/v1/objects", json={"class": "Doomed"}).raise_for_status()
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    script = tmp_path / "ops.txt"
    script.write_text("\\clear Doomed --force\n\\rm Doomed --force\n"
                      "\\create Fresh --from-template standard\n")
    result = sh(env, f"elysiactl --dry-run -f {script}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("dry run: would") == 3
    assert not [e for e in httpx.get(f"{sandbox.url}/__sandbox/requests").json()
                if e["mutating"]]
    assert classes(sandbox.url) == ["Doomed"]


def test_schema_update_workflow(env: dict[str, str], sandbox: Sandbox, tmp_path: Path) -> None:
    url = sandbox.url
    httpx.post(f"{url}/v1/schema", json={"class": "UserProfile", "properties": [
        {"name": "name", "dataType": ["text"]}, {"name": "age", "dataType": ["int"]}],
        "vectorConfig": {"face": {}, "bio": {}}}).raise_for_status()
    objects = [{"class": "UserProfile", "properties": {"name": f"user {i}", "age": 20 + i},
                "vectors": {"face": [i / 7, 1 / 3, 0.1], "bio": [float(i), 2.5]}}
               for i in range(40)]
    httpx.post(f"{url}/v1/batch/objects", json={"objects": objects}).raise_for_status()
    before = {o["id"]: o for o in httpx.get(f"{url}/v1/objects", params={
        "class": "UserProfile", "limit": 100, "include": "vector"}).json()["objects"]}
    new_schema = httpx.get(f"{url}/v1/schema/UserProfile").json()
    new_schema["properties"].append({"name": "email", "dataType": ["text"]})
    (tmp_path / "new-schema.json").write_text(json.dumps(new_schema))
    steps = ["elysiactl col backup UserProfile --output ./backup",
             "elysiactl col rm UserProfile --force",
             "elysiactl col create UserProfile --schema-file ./new-schema.json",
             "elysiactl col restore ./backup/UserProfile.json --skip-schema"]
    for step in steps:
        result = subprocess.run(["bash", "-c", step], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{step}: {result.stderr}"
    schema = httpx.get(f"{url}/v1/schema/UserProfile").json()
    assert "email" in [p["name"] for p in schema["properties"]]
    after = {o["id"]: o for o in httpx.get(f"{url}/v1/objects", params={
        "class": "UserProfile", "limit": 100, "include": "vector"}).json()["objects"]}
    assert after.keys() == before.keys()
    for oid, obj in before.items():
        assert after[oid]["properties"] == obj["properties"]
        assert after[oid]["vectors"] == obj["vectors"]
