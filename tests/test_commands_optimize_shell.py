"""The seed's ``elysiactl col optimize ProductionData --analyze`` as a real process against a
three-node sandbox, and ``--apply`` failing closed without a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[Sandbox]:
    """ProductionData: factor 1, one shard, on three nodes; one of its shards READONLY."""
    with Sandbox(nodes=3, backup_dir=tmp_path_factory.mktemp("b")) as server:
        httpx.post(f"{server.url}/v1/schema", json={
            "class": "ProductionData", "replicationConfig": {"factor": 1},
            "shardingConfig": {"desiredCount": 1}}).raise_for_status()
        objects = [{"class": "ProductionData", "properties": {"n": i}, "vector": [i, 1.0, 0.5]}
                   for i in range(100)]
        httpx.post(f"{server.url}/v1/batch/objects", json={"objects": objects}).raise_for_status()
        shard = httpx.get(f"{server.url}/v1/schema/ProductionData/shards").json()[0]["name"]
        httpx.put(f"{server.url}/v1/schema/ProductionData/shards/{shard}",
                  json={"status": "READONLY"}).raise_for_status()
        yield server


def elysiactl(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    env.update({"WEAVIATE_URL": url, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_seed_one_shot_analyses(tmp_path: Path, production: Sandbox) -> None:
    done = elysiactl(tmp_path, production.url, "col", "optimize", "ProductionData", "--analyze")
    assert done.returncode == 0, done.stderr
    for word in ("Optimize ProductionData", "shard-readonly (high, in-place)",
                 "replication-factor (medium, copy)", "shard-count", "replicationConfig.factor=3",
                 f"\\migrate ProductionData --target {production.url} --as ProductionData_v2",
                 "query mix"):
        assert word in done.stdout
    assert done.stdout.index("shard-readonly") < done.stdout.index("replication-factor")


def test_json_output_parses(tmp_path: Path, production: Sandbox) -> None:
    done = elysiactl(tmp_path, production.url, "col", "optimize", "ProductionData", "--format",
                      "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data[0]["collection"] == "ProductionData" and data[0]["nodes"] == 3
    assert [d["rule"] for d in data[1:3]] == ["shard-readonly", "replication-factor"]


def test_apply_fails_closed_without_a_terminal(tmp_path: Path, production: Sandbox) -> None:
    httpx.delete(f"{production.url}/__sandbox/requests")
    done = elysiactl(tmp_path, production.url, "col", "optimize", "ProductionData", "--apply",
                     "shard-readonly")
    assert done.returncode == 4
    assert "--force" in done.stderr
    log = httpx.get(f"{production.url}/__sandbox/requests").json()
    assert log and not [e for e in log if e["mutating"]]
    audit = [json.loads(line) for line in
             (tmp_path / "state" / "elysiactl" / "audit.jsonl").read_text().splitlines()]
    assert (audit[-1]["command"], audit[-1]["confirmation"]) == ("optimize", "refused")


def test_a_person_sees_the_diff_then_confirms(tmp_path: Path, production: Sandbox) -> None:
    httpx.post(f"{production.url}/v1/schema", json={
        "class": "Cached", "vectorIndexConfig": {"vectorCacheMaxObjects": 10}}).raise_for_status()
    objects = [{"class": "Cached", "vector": [i, 1.0]} for i in range(40)]
    httpx.post(f"{production.url}/v1/batch/objects", json={"objects": objects}).raise_for_status()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    env.update({"WEAVIATE_URL": production.url, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT),
                "PROMPT_TOOLKIT_NO_CPR": "1"})
    child = pexpect.spawn(sys.executable, ["-m", "shell", "col", "optimize", "Cached", "--apply",
                                           "vector-cache"], env=env, cwd=str(ROOT),
                          dimensions=(40, 160), timeout=30, encoding="utf-8")
    child.expect("PUT /v1/schema/Cached changes")
    child.expect(r"vectorIndexConfig\.vectorCacheMaxObjects\s+10\s+1000")
    child.expect("Type 'yes' to confirm:")
    child.sendline("yes")
    child.expect("What changed in Cached")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    config = httpx.get(f"{production.url}/v1/schema/Cached").json()["vectorIndexConfig"]
    assert config["vectorCacheMaxObjects"] == 1000
