"""The issue's "Done when" for ``\\migrate``: the demo's 20,000 objects with 128-dim vectors
arrive identical (id, properties and vectors compared on both sides) through injected
faults at both ends, after ``kill -9`` at random points followed by reruns, and while a
writer inserts, updates and deletes on the source until the final reconciliation."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from migrate_support import dispatcher, state
from test_commands_backup_support import Recorder

from commands.results import Record
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
NAME = "DocumentChunk"  # 20,000 objects with 128-dim vectors in the demo seed


@pytest.fixture(scope="module")
def source():
    """The demo seed; these tests only read it (faults are switched off after use)."""
    with Sandbox(seed="demo") as server:
        yield server


@pytest.fixture(scope="module")
def original(source) -> dict[str, tuple]:
    return state(source.url, NAME)


@pytest.fixture
def target():
    with Sandbox() as server:
        yield server


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state")}


def migrate(source: Sandbox, target: Sandbox, tmp_path: Path, *extra: str) -> subprocess.Popen:
    command = rf"\migrate {NAME} --target {target.url} --batch-size 500 " + " ".join(extra)
    return subprocess.Popen([sys.executable, "-m", "shell", "--url", source.url, "-c", command],
                            cwd=ROOT, env=env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    return out + err


def count(url: str) -> int:
    body = httpx.post(f"{url}/v1/graphql", json={
        "query": f"{{ Aggregate {{ {NAME} {{ meta {{ count }} }} }} }}"}).json()
    groups = (body.get("data") or {}).get("Aggregate", {}).get(NAME) or [{}]
    return int((groups[0].get("meta") or {}).get("count") or 0)


def faults(url: str, rate: float, seed: int = 0) -> None:
    httpx.put(f"{url}/__sandbox/faults", json={"fail_rate": rate, "seed": seed,
                                               "kinds": ["503", "drop", "truncate"]}
              ).raise_for_status()


def test_through_faults_at_both_ends(source, original, target, tmp_path) -> None:
    faults(source.url, 0.03, seed=11)
    faults(target.url, 0.03, seed=12)
    try:
        out = finish(migrate(source, target, tmp_path, "--verify full"))
    finally:
        faults(source.url, 0)
        faults(target.url, 0)
    injected = [e for url in (source.url, target.url)
                for e in httpx.get(f"{url}/__sandbox/requests").json() if e["fault"]]
    assert {e["fault"] for e in injected} >= {"503", "drop"} and len(injected) >= 5
    assert state(target.url, NAME) == original
    assert "20,000 objects compared (full), all identical" in out


def test_killed_at_random_points_then_rerun(source, original, target, tmp_path) -> None:
    rng = random.Random(2026)
    for threshold in sorted(rng.sample(range(2_000, 18_000), 3)):
        proc = migrate(source, target, tmp_path)
        while proc.poll() is None and count(target.url) < threshold:
            time.sleep(0.02)
        assert proc.poll() is None, "the migration ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert threshold <= count(target.url) < 20_000
    checkpoints = list((tmp_path / "state" / "elysiactl" / "migrations").glob("*.json"))
    assert len(checkpoints) == 1
    out = finish(migrate(source, target, tmp_path))
    assert "resumed the interrupted migration" in out
    assert state(target.url, NAME) == original
    assert not list((tmp_path / "state" / "elysiactl" / "migrations").glob("*.json"))


class Writer(threading.Thread):
    """Inserts, updates (properties or vector) and deletes objects of the source at random
    until stopped; remembers what it did."""

    def __init__(self, url: str, ids: list[str]) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=30)
        self.ids, self.stop = list(ids), threading.Event()
        self.done = {"insert": 0, "update": 0, "delete": 0}
        self.rng = random.Random(7)
        self.vectors = np.random.default_rng(7)

    def vector(self) -> list[float]:
        return self.vectors.standard_normal(128, dtype=np.float32).tolist()

    def run(self) -> None:
        while not self.stop.is_set():
            kind = self.rng.choice(("insert", "update", "update", "delete"))
            if kind == "insert":
                oid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                self.http.post("/v1/objects", json={
                    "class": NAME, "id": oid, "vector": self.vector(),
                    "properties": {"text": "written during the migration", "chunkIndex": -1}}
                ).raise_for_status()
                self.ids.append(oid)
            elif kind == "update":
                oid = self.rng.choice(self.ids)
                self.http.put(f"/v1/objects/{NAME}/{oid}", json={
                    "class": NAME, "id": oid, "vector": self.vector(),
                    "properties": {"text": "updated during the migration", "chunkIndex": -2}}
                ).raise_for_status()
            else:
                oid = self.ids.pop(self.rng.randrange(len(self.ids)))
                self.http.delete(f"/v1/objects/{NAME}/{oid}").raise_for_status()
            self.done[kind] += 1
            time.sleep(0.002)


def test_a_writer_on_the_source_until_the_final_pass(target, tmp_path) -> None:
    with Sandbox(seed="demo") as source:
        writer = Writer(source.url, list(state(source.url, NAME)))

        def before(description: str) -> None:
            if description.startswith("final reconciliation"):
                writer.stop.set()  # the writes stop here, as a cut-over would
                writer.join()

        bars = Recorder(on_bar=before)
        shell = dispatcher(source.url, tmp_path, progress=bars)
        writer.start()
        time.sleep(0.3)
        outcome = shell.execute(rf"\migrate {NAME} --target {target.url} --verify full",
                                "test")
        writer.stop.set()
        assert outcome.exit_code == 0, outcome.error
        assert min(writer.done.values()) >= 5, writer.done
        assert [d.split(" ")[0] for d, _ in bars.bars] == ["copying", "catching", "final",
                                                           "verifying"]
        assert state(target.url, NAME) == state(source.url, NAME)
        record = next(r for r in outcome.results if isinstance(r, Record))
        # The catch-up copied changes again; the reconciliation deleted what the writer
        # deleted after its copy.
        assert record.fields["caught_up"] > 0 and record.fields["deleted"] > 0, record.fields
