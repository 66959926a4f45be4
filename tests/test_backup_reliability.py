"""Backup and restore when things go wrong: injected faults, and SIGKILL at random points
followed by a rerun. Every run must end with every object identical."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from commands.ops.backup.format import Manifest, read_chunk
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
COLLECTION = "DocumentChunk"  # the demo's 20,000 objects with 128-dim vectors


@pytest.fixture(scope="module")
def demo_sandbox(tmp_path_factory: pytest.TempPathFactory):
    """One demo cluster for the module: every test leaves it as it found it (a restore ends
    with the collection identical to the original, which the test asserts)."""
    with Sandbox(seed="demo", backup_dir=tmp_path_factory.mktemp("native")) as server:
        yield server


@pytest.fixture(scope="module")
def original(demo_sandbox: Sandbox) -> dict[str, dict]:
    return collection_state(demo_sandbox.url)


@pytest.fixture(scope="module")
def clean(demo_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted backup of the collection, read by the backup tests and restored by
    the restore test."""
    directory = tmp_path_factory.mktemp("clean")
    finish(elysiactl(env(tmp_path_factory.mktemp("home"), demo_sandbox.url),
                     rf"\backup {COLLECTION} --output {directory}"))
    return directory


@pytest.fixture(scope="module")
def clean_lines(clean: Path) -> dict[tuple[str | None, str], dict]:
    return backed_up(clean)


def env(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "WEAVIATE_URL": url, "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state")}


def elysiactl(environ: dict[str, str], *commands: str) -> subprocess.Popen:
    args = [a for c in commands for a in ("-c", c)]
    return subprocess.Popen([sys.executable, "-m", "shell", *args], cwd=ROOT, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def backed_up(directory: Path) -> dict[tuple[str | None, str], dict]:
    """Every object line of the backup at ``directory``, keyed by (tenant, id)."""
    manifest = Manifest.load(directory / f"{COLLECTION}.json")
    lines = {}
    for chunk in manifest.chunks:
        if chunk.kind == "objects":
            for line in read_chunk(directory, chunk, manifest.codec):
                lines[(line.get("tenant"), line["id"])] = line
    return lines


def collection_state(url: str) -> dict[str, dict]:
    """Every object of the collection as the server returns it (with vectors)."""
    state, after = {}, ""
    with httpx.Client(base_url=url, timeout=60) as http:
        while True:
            page = http.get("/v1/objects", params={"class": COLLECTION, "limit": 1000,
                                                   "after": after, "include": "vector"}).json()
            if not page["objects"]:
                return state
            for obj in page["objects"]:
                state[obj["id"]] = {k: obj.get(k) for k in ("properties", "vector", "vectors")}
            after = page["objects"][-1]["id"]


def kill_at_random(environ: dict[str, str], command: str, seed: int) -> None:
    """Start ``command`` and SIGKILL it after a random moment of its run."""
    proc = elysiactl(environ, command)
    time.sleep(random.Random(seed).uniform(0.4, 1.6))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backup_killed_and_resumed_equals_an_uninterrupted_one(
        demo_sandbox: Sandbox, clean_lines: dict, tmp_path: Path, seed: int) -> None:
    environ = env(tmp_path, demo_sandbox.url)
    kill_at_random(environ, rf"\backup {COLLECTION} --output {tmp_path / 'killed'}", seed)
    finish(elysiactl(environ, rf"\backup {COLLECTION} --output {tmp_path / 'killed'}"))
    assert backed_up(tmp_path / "killed") == clean_lines
    assert not list((tmp_path / "killed").glob("*.partial"))


# One random kill point here (0.4-1.6 s, through the CLI); test_commands_restore_roundtrip
# kills the same restore at another (0.3-1.0 s, checked to be mid-run).
def test_restore_killed_and_resumed_gives_the_same_collection(
        demo_sandbox: Sandbox, original: dict, clean: Path, tmp_path: Path) -> None:
    environ = env(tmp_path, demo_sandbox.url)
    finish(elysiactl(environ, rf"\rm {COLLECTION} --force --no-safety-backup"))
    restore = rf"\restore {clean / COLLECTION}.json --batch-size 500"
    kill_at_random(environ, restore, seed=4)
    finish(elysiactl(environ, restore + " --force"))
    assert collection_state(demo_sandbox.url) == original


def test_backup_and_restore_through_injected_faults(demo_sandbox: Sandbox, original: dict,
                                                    tmp_path: Path) -> None:
    environ = env(tmp_path, demo_sandbox.url)
    faults = {"fail_rate": 0.04, "seed": 9, "kinds": ["503", "drop", "truncate"]}
    httpx.put(f"{demo_sandbox.url}/__sandbox/faults", json=faults).raise_for_status()
    finish(elysiactl(environ, rf"\backup {COLLECTION} --output {tmp_path / 'b'} --compress"))
    finish(elysiactl(environ, rf"\rm {COLLECTION} --force --no-safety-backup"))
    finish(elysiactl(environ, rf"\restore {tmp_path / 'b' / COLLECTION}.json"))
    httpx.put(f"{demo_sandbox.url}/__sandbox/faults", json={"fail_rate": 0}).raise_for_status()
    log = httpx.get(f"{demo_sandbox.url}/__sandbox/requests").json()
    assert sum(1 for e in log if e["fault"]) >= 5  # the faults really happened
    assert collection_state(demo_sandbox.url) == original


@pytest.fixture
def own_sandbox():
    """A demo cluster of the test's own, for a test that leaves a collection removed."""
    with Sandbox(seed="demo") as server:
        yield server


def test_a_corrupted_chunk_is_refused_before_anything_is_written(
        own_sandbox: Sandbox, tmp_path: Path) -> None:
    environ = env(tmp_path, own_sandbox.url)
    finish(elysiactl(environ, rf"\backup Article --output {tmp_path / 'b'}"))
    finish(elysiactl(environ, r"\rm Article --force"))
    manifest = Manifest.load(tmp_path / "b" / "Article.json")
    victim = tmp_path / "b" / manifest.chunks[0].file
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    httpx.delete(f"{own_sandbox.url}/__sandbox/requests")
    proc = elysiactl(environ, rf"\restore {tmp_path / 'b' / 'Article.json'}")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert str(victim) in err and "checksum" in err
    log = httpx.get(f"{own_sandbox.url}/__sandbox/requests").json()
    assert not [e for e in log if e["mutating"]]
