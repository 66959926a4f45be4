"""The seed's Production and Migration workflows, end to end, with their literal commands.

``elysiactl`` runs as a real process (``WEAVIATE_URL`` names the sandbox, as a user's
environment would name the cluster) and the exit statuses are the documented ones:
``\\health`` exits 0 healthy, 1 degraded, 2 critical.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "WEAVIATE_URL": url, "PATH": f"{BIN}:{os.environ['PATH']}",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}


def sh(env: dict[str, str], cwd: Path, line: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=180)


def fill(url: str, name: str, count: int, dims: int = 8) -> None:
    """``count`` objects with properties and vectors in a new collection ``name``."""
    httpx.post(f"{url}/v1/schema", json={"class": name, "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "rank", "dataType": ["int"]}]}
    ).raise_for_status()
    for start in range(0, count, 1000):
        batch = [{"class": name, "properties": {"title": f"item {i}", "rank": i},
                  "vector": [(i * 7 + d) % 13 / 13 for d in range(dims)]}
                 for i in range(start, min(count, start + 1000))]
        httpx.post(f"{url}/v1/batch/objects", json={"objects": batch},
                   timeout=60).raise_for_status()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Sandbox]:
    """Three nodes, so that replication rules have something to say."""
    with Sandbox(nodes=3, backup_dir=tmp_path / "native") as server:
        yield server


def test_production_workflow(cluster: Sandbox, tmp_path: Path) -> None:
    url = cluster.url
    fill(url, "ProductionData", 1500)
    env = environment(tmp_path, url)
    # Monitor collections: off a terminal, --watch prints one JSON line per sample until
    # Ctrl-C, which ends it normally.
    watch = subprocess.Popen(["bash", "-c", "exec elysiactl col stats --watch"], env=env,
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        sample = json.loads(watch.stdout.readline())
    finally:
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=30)
    assert watch.returncode == 0
    assert {r["collection"]: r["objects"] for r in sample["rows"]} == {"ProductionData": 1500}
    # Regular backups.
    backup = sh(env, tmp_path, "elysiactl col backup ProductionData --compress")
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "backup" / "ProductionData.json").is_file()
    # Health checks: factor 1 on three nodes degrades (exit 1) ...
    health = sh(env, tmp_path, "elysiactl col health --detailed")
    assert health.returncode == 1, health.stderr
    assert "degraded" in health.stdout and "replication factor" in health.stdout
    # ... and a read-only shard is critical (exit 2).
    shard = httpx.get(f"{url}/v1/schema/ProductionData/shards").json()[0]["name"]
    httpx.put(f"{url}/v1/schema/ProductionData/shards/{shard}",
              json={"status": "READONLY"}).raise_for_status()
    critical = sh(env, tmp_path, "elysiactl col health --detailed")
    assert critical.returncode == 2, critical.stderr
    assert "critical" in critical.stdout and shard in critical.stdout
    # Performance optimization: the READONLY shard and the factor are named, nothing is sent.
    httpx.delete(f"{url}/__sandbox/requests")
    optimize = sh(env, tmp_path, "elysiactl col optimize ProductionData --analyze")
    assert optimize.returncode == 0, optimize.stderr
    assert "shard-readonly" in optimize.stdout and "replication-factor" in optimize.stdout
    assert not [e for e in httpx.get(f"{url}/__sandbox/requests").json() if e["mutating"]]


def objects_of(url: str, name: str) -> dict[str, tuple]:
    """Every object's properties and vector, by id."""
    found, after = {}, None
    while True:
        page = httpx.get(f"{url}/v1/objects", params={
            "class": name, "limit": 1000, "include": "vector",
            **({"after": after} if after else {})}).json()["objects"]
        if not page:
            return found
        for obj in page:
            found[obj["id"]] = (obj["properties"], obj.get("vector"))
        after = page[-1]["id"]


def test_migration_workflow(tmp_path: Path) -> None:
    with Sandbox() as source, Sandbox() as new_cluster:
        fill(source.url, "SourceCollection", 3000)
        env = environment(tmp_path, source.url)
        target = new_cluster.url
        steps = ["elysiactl col backup SourceCollection",
                 f"elysiactl col migrate SourceCollection --target {target}",
                 f"elysiactl col health SourceCollection --target {target}"]
        for step in steps:
            result = sh(env, tmp_path, step)
            assert result.returncode == 0, f"{step}: {result.stdout}\n{result.stderr}"
        assert "healthy" in result.stdout and "copy objects" in result.stdout
        assert objects_of(target, "SourceCollection") == objects_of(source.url,
                                                                    "SourceCollection")
        # The copy drifts: health sees it (critical), a rerun of the migration repairs it.
        first = next(iter(objects_of(target, "SourceCollection")))
        httpx.delete(f"{target}/v1/objects/SourceCollection/{first}").raise_for_status()
        drifted = sh(env, tmp_path, f"elysiactl col health SourceCollection --target {target} "
                                    "--verify full --format json")
        assert drifted.returncode == 2, drifted.stderr
        rows = {c["check"]: c for c in json.loads(drifted.stdout)["checks"]}
        assert rows["copy count"]["status"] == "crit"
        assert "source 3,000, target 2,999" in rows["copy count"]["evidence"]
        assert rows["copy count"]["hint"].startswith(r"rerun \migrate SourceCollection")
        # The target has objects now, so a rerun is confirmed (a script says --force).
        refused = sh(env, tmp_path, steps[1])
        assert refused.returncode == 4 and "--force" in refused.stderr
        again = sh(env, tmp_path, steps[1] + " --force")
        assert again.returncode == 0, again.stderr
        healed = sh(env, tmp_path, steps[2] + " --verify full")
        assert healed.returncode == 0, healed.stdout + healed.stderr
        assert objects_of(target, "SourceCollection") == objects_of(source.url,
                                                                    "SourceCollection")


def test_health_target_needs_a_collection_and_names_a_missing_copy(tmp_path: Path) -> None:
    with Sandbox() as source, Sandbox() as empty:
        fill(source.url, "Docs", 10)
        env = environment(tmp_path, source.url)
        alone = sh(env, tmp_path, f"elysiactl col health --target {empty.url}")
        assert alone.returncode == 2 and "name it" in alone.stderr
        missing = sh(env, tmp_path, f"elysiactl col health Docs --target {empty.url}")
        assert missing.returncode == 1
        assert f"{empty.url} has no collection Docs" in missing.stderr
        assert rf"\migrate Docs --target {empty.url}" in missing.stderr
        stray = sh(env, tmp_path, "elysiactl col health Docs --as Copy")
        assert stray.returncode == 2 and "--as and --target-api-key-env go with --target" \
            in stray.stderr


def test_a_copy_with_another_definition_is_degraded(tmp_path: Path) -> None:
    with Sandbox() as source, Sandbox() as other:
        fill(source.url, "Docs", 20)
        env = environment(tmp_path, source.url)
        copied = sh(env, tmp_path, f"elysiactl col migrate Docs --target {other.url} --as Docs2 "
                                   "--set 'invertedIndexConfig.bm25.b=0.5'")
        assert copied.returncode == 0, copied.stderr
        checked = sh(env, tmp_path, f"elysiactl col health Docs --target {other.url} --as Docs2 "
                                    "--format json")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        report = json.loads(checked.stdout)
        rows = {c["check"]: c for c in report["checks"]}
        assert (report["verdict"], report["collection"]) == ("degraded", "Docs2")
        assert rows["copy definition"]["status"] == "warn"
        assert "invertedIndexConfig.bm25.b: 0.75 -> 0.5" in rows["copy definition"]["evidence"]
        assert r"\show Docs --schema" in rows["copy definition"]["hint"]
        assert rows["copy count"]["status"] == rows["copy objects"]["status"] == "ok"
