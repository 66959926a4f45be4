"""``\\backup verify`` and ``\\backups``: checks of every chunk, count and base link (and
the damage they find, named by file), the catalog of a directory, and backup ids.
A backup reads the cluster only, so these tests share one demo sandbox.
The fuzz tests change manifests and chunks at random, re-signed so that they pass the
checksums: ``\backup verify``, ``\backups`` and ``\restore`` must refuse them with one clear
``ShellError`` line (or accept them whole), never reach the catch-all ("internal error")."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import orjson
import pytest
from conftest import make_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_backup_reliability import elysiactl, env
from test_commands_backup_support import Recorder, record, run
from test_commands_restore_support import run as restore_run

from commands.context import Session
from commands.errors import ShellError
from commands.ops.backup.format import (
    MANIFEST_OPTIONS,
    BackupError,
    Manifest,
    compress,
    decompress,
    manifest_sha256,
)
from commands.ops.backup.lock import LOCK_NAME
from commands.results import Table
from sandbox import Sandbox


def test_verify_checks_every_chunk_and_records_the_time(session: Session,
                                                        tmp_path: Path) -> None:
    run(session, rf"\backup Article --output {tmp_path} --compress")
    results = run(session, rf"\backup verify {tmp_path / 'Article.json'}")
    table = next(r for r in results if isinstance(r, Table))
    manifest = Manifest.load(tmp_path / "Article.json")
    assert [row[0] for row in table.rows] == ["objects chunk", "index chunk", "counts"]
    assert all(row[2].startswith("ok") for row in table.rows)
    assert manifest.verified is not None
    assert Manifest.load(tmp_path / f"Article.{manifest.id}.json").verified == manifest.verified


def test_verify_names_a_corrupted_chunk_and_clears_the_mark(session: Session,
                                                           tmp_path: Path) -> None:
    path = Path(record(run(session, rf"\backup Article --output {tmp_path}"))["path"])
    run(session, rf"\backup verify {path}")
    manifest = Manifest.load(path)
    victim = tmp_path / manifest.chunks[0].file
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x20
    victim.write_bytes(bytes(data))
    with pytest.raises(BackupError) as caught:
        run(session, rf"\backup verify {path}")
    assert str(victim) in caught.value.message and "checksum" in caught.value.message
    assert Manifest.load(path).verified is None
    assert Manifest.load(tmp_path / "Article.json").verified is None


@pytest.mark.parametrize("damage", ["missing chunk", "count", "truncated"])
def test_verify_finds_other_damage(session: Session, tmp_path: Path, damage: str) -> None:
    path = Path(record(run(session, rf"\backup Product --output {tmp_path}"))["path"])
    manifest = Manifest.load(path)
    chunk = tmp_path / manifest.chunks[0].file
    if damage == "missing chunk":
        chunk.unlink()
        expected = str(chunk)
    elif damage == "count":
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "objects": 121}))
        expected = str(path)
    else:
        chunk.write_bytes(chunk.read_bytes()[:-10])
        expected = str(chunk)
    with pytest.raises(BackupError, match=expected):
        run(session, rf"\backup verify {path}")


def test_verify_refuses_what_is_not_a_backup(session: Session, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(BackupError, match="not an elysiactl backup"):
        run(session, rf"\backup verify {tmp_path / 'x.json'}")
    with pytest.raises(BackupError, match="no backup at"):
        run(session, rf"\backup verify {tmp_path / 'none.json'}")


def test_a_fifo_for_a_manifest_or_a_chunk_is_refused_without_hanging(session: Session,
                                                                    tmp_path: Path) -> None:
    path = Path(record(run(session, rf"\backup Product --output {tmp_path}"))["path"])
    chunk = tmp_path / Manifest.load(path).chunks[0].file
    chunk.unlink()
    os.mkfifo(chunk)
    os.mkfifo(tmp_path / "fifo.json")
    for target, named in ((path, chunk), (tmp_path / "fifo.json", tmp_path / "fifo.json")):
        with pytest.raises(BackupError, match=f"{named}: not a regular file"):
            run(session, rf"\backup verify {target}")


def test_catalog_lists_manifests_once_and_unfinished_ones(session: Session, demo: Sandbox,
                                                          tmp_path: Path) -> None:
    full = record(run(session, rf"\backup Article --output {tmp_path} --compress"))
    inc = record(run(session, rf"\backup Article --output {tmp_path} --incremental"))
    schema = record(run(session, rf"\backup Product --output {tmp_path} --schema-only"))
    run(session, rf"\backup verify {tmp_path / 'Article.json'}")
    interrupted = make_session(demo.url)
    interrupted.progress = Recorder(stop_after=1, error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run(interrupted, rf"\backup SupportTicket --output {tmp_path}")
    (tmp_path / "notes.json").write_text("[1, 2]")
    table, = run(session, rf"\backups {tmp_path}")
    assert table.columns == ("id", "collection", "kind", "format", "objects", "size", "created",
                             "base", "verified")
    rows = {(r["collection"], r["id"]): r for r in table.to_data()}
    assert len(rows) == 4
    assert rows[("Article", full["id"])] | {"created": None, "verified": None} == {
        "id": full["id"], "collection": "Article", "kind": "full", "format": "jsonl",
        "objects": 250,
        "size": full["bytes"], "created": None, "base": None, "verified": None}
    assert rows[("Article", full["id"])]["verified"] is not None
    assert rows[("Article", inc["id"])]["kind"] == "incremental"
    assert rows[("Article", inc["id"])]["base"] == full["id"]
    assert rows[("Article", inc["id"])]["objects"] == 0
    assert rows[("Product", schema["id"])]["kind"] == "schema-only"
    unfinished, = [r for r in rows.values() if r["collection"] == "SupportTicket"]
    assert unfinished["kind"] == "full (incomplete)"


def test_catalog_of_an_empty_or_missing_directory(session: Session, tmp_path: Path) -> None:
    table, = run(session, rf"\backups {tmp_path / 'nothing'}")
    assert table.rows == () and "no backups" in (table.note or "")


def test_a_given_id_is_used_once(session: Session, tmp_path: Path) -> None:
    fields = record(run(session, rf"\backup Product --id before-upgrade --output {tmp_path}"))
    assert fields["id"] == "before-upgrade"
    assert (tmp_path / "Product.before-upgrade.json").is_file()
    with pytest.raises(ShellError, match="already exists"):
        run(session, rf"\backup Product --id before-upgrade --output {tmp_path}")


def test_ids_of_one_second_get_a_suffix_and_sort(session: Session, tmp_path: Path) -> None:
    ids = [record(run(session, rf"\backup Product --output {tmp_path} --schema-only"))["id"]
           for _ in range(3)]
    assert len(set(ids)) == 3
    table, = run(session, rf"\backups {tmp_path}")
    assert [r["id"] for r in table.to_data()] == ids


def test_the_latest_backup_is_the_latest_in_time_whatever_its_id(session: Session,
                                                                 tmp_path: Path) -> None:
    run(session, rf"\backup Product --output {tmp_path}")
    run(session, rf"\backup Product --id after --output {tmp_path}")
    assert record(run(session, rf"\backup Product --incremental --output {tmp_path}")
                  )["base"] == "after"
    table, = run(session, rf"\backups {tmp_path}")
    assert [r["id"] for r in table.to_data()][1:] == ["after", Manifest.load(
        tmp_path / "Product.json").id]


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2, 2**64 - 1)
                    | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


@pytest.fixture(scope="module")
def backups(demo, tmp_path_factory) -> Path:
    """A directory with a zstd full backup of Product and an incremental on it."""
    directory = tmp_path_factory.mktemp("fuzz")
    session = make_session(demo.url)
    restore_run(session, rf"\backup Product --output {directory} --compress --id full")
    restore_run(session, rf"\backup Product --output {directory} --compress --incremental --id inc")
    return directory


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into a JSON value (the value itself is ``()``)."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _resign(path: Path, data: dict[str, Any]) -> None:
    data["sha256"] = manifest_sha256(data)
    path.write_bytes(orjson.dumps(data, option=MANIFEST_OPTIONS))


def _refused_clearly(session: Session, directory: Path, name: str) -> None:
    """Every reader of the backup either accepts it or raises one clear ShellError line
    (without fsync, which durability tests cover: thousands of them would take minutes)."""
    with mock.patch("os.fsync"):
        for line in (rf"\backup verify {directory / name}", rf"\backups {directory}",
                 rf"\restore {directory / name} --as FuzzCopy --dry-run"):
            try:
                restore_run(session, line)
            except ShellError as exc:
                assert "\n" not in exc.message and "internal error" not in exc.message, \
                    exc.message


@FUZZ
@given(data=st.data(), which=st.sampled_from(["Product.full.json", "Product.inc.json"]))
def test_a_changed_manifest_is_refused_clearly(session: Session, backups: Path, data,
                                               which: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "b"
        shutil.copytree(backups, directory)
        path = directory / which
        manifest = orjson.loads(path.read_bytes())
        where = data.draw(st.sampled_from([p for p in _paths(manifest) if p]))
        parent = manifest
        for key in where[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = data.draw(JSON)
        _resign(path, manifest)
        _refused_clearly(session, directory, which)


@FUZZ
@given(data=st.data(), raw=st.booleans())
def test_a_changed_chunk_is_refused_clearly(session: Session, backups: Path, data,
                                            raw: bool) -> None:
    """A chunk's bytes (compressed, or its JSON lines recompressed) cut, flipped or
    extended, with the manifest re-signed to match: the parser must refuse it clearly."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "b"
        shutil.copytree(backups, directory)
        path = directory / "Product.full.json"
        manifest = orjson.loads(path.read_bytes())
        chunk = data.draw(st.sampled_from(manifest["chunks"]))
        file = directory / chunk["file"]
        content = file.read_bytes() if raw else decompress(file.read_bytes(), "zstd")
        at = data.draw(st.integers(0, len(content)))
        change = data.draw(st.sampled_from(["cut", "flip", "insert"]))
        if change == "cut":
            content = content[:at]
        elif change == "flip" and at < len(content):
            content = content[:at] + bytes([content[at] ^ data.draw(st.integers(1, 255))]) \
                + content[at + 1:]
        else:
            content = content[:at] + data.draw(st.binary(min_size=1, max_size=8)) + content[at:]
        stored = content if raw else compress(content, "zstd")
        file.write_bytes(stored)
        chunk["bytes"], chunk["sha256"] = len(stored), hashlib.sha256(stored).hexdigest()
        _resign(path, manifest)
        _refused_clearly(session, directory, "Product.full.json")


def _wait_for_holder(lock: Path, proc: subprocess.Popen) -> None:
    """Until ``proc`` holds the lock (its pid is in the lock file)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads(lock.read_text()).get("pid") == proc.pid:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    raise AssertionError(f"pid {proc.pid} never held {lock}")


def test_a_second_writer_is_refused_naming_the_first_and_a_dead_ones_lock_is_taken_over(
        demo: Sandbox, tmp_path: Path) -> None:
    """Two real processes back up one collection into one directory: the second is refused
    while the first holds the lock (stopped with SIGSTOP there); once the first is killed,
    a third takes its lock over and completes the backup."""
    environ, directory = env(tmp_path, demo.url), tmp_path / "b"
    command = rf"\backup Article --output {directory}"
    httpx.put(f"{demo.url}/__sandbox/faults", json={"latency_ms": 100}).raise_for_status()
    try:
        first = elysiactl(environ, command)
        _wait_for_holder(directory / LOCK_NAME, first)
        first.send_signal(signal.SIGSTOP)
        second = elysiactl(environ, command)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 1, err
        assert f"is in use by pid {first.pid}, started 20" in err
        assert f"on {socket.gethostname()}: {command}" in err
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        third = elysiactl(environ, command)
        out, err = third.communicate(timeout=120)
        assert third.returncode == 0, err
        assert f"took over the lock of the backup directory left by pid {first.pid}, " in err
    finally:
        httpx.put(f"{demo.url}/__sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    assert not (directory / LOCK_NAME).exists()
    run(make_session(demo.url), rf"\backup verify {directory / 'Article.json'}")
    table, = run(make_session(demo.url), rf"\backups {directory}")
    assert [(r["kind"], r["objects"]) for r in table.to_data()] == [("full", 250)]


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and directory under ``root``: mode and content."""
    return {str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in sorted(root.rglob("*"))}


def test_a_whole_script_dry_run_writes_nothing_anywhere(demo: Sandbox, tmp_path: Path) -> None:
    """``elysiactl -f ops.txt --dry-run``: backups, verify, prune, restore, \\o and \\record
    leave the directory byte-identical and send no mutating request."""
    tree = tmp_path / "tree"
    session = make_session(demo.url)
    run(session, rf"\backup Article --output {tree / 'b'}")
    run(session, rf"\backup Article --output {tree / 'b'}")
    script = tree / "ops.txt"
    script.write_text("\n".join([
        r"\o out.txt", r"\record runbook.txt", r"\backup Article --output ./b",
        r"\backup Article --output ./b --incremental --compress",
        r"\backup Product --output ./new", r"\backup verify ./b/Article.json",
        r"\backups ./b", r"\backups prune ./b --keep 1",
        r"\restore ./b/Article.json --as ArticleCopy", r"\o |tee piped.txt", r"\o",
        r"\record stop"]) + "\n")
    before = _tree(tree)
    httpx.delete(f"{demo.url}/__sandbox/requests").raise_for_status()
    proc = subprocess.run([sys.executable, "-m", "shell", "-f", str(script), "--dry-run"],
                          cwd=tree, env=env(tmp_path, demo.url), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "dry run: would back up Article (incremental)" in proc.stdout + proc.stderr
    assert "dry run: would remove 1 backup" in proc.stdout + proc.stderr
    assert _tree(tree) == before
    log = httpx.get(f"{demo.url}/__sandbox/requests").json()
    assert log and not [e for e in log if e["mutating"]]
