"""``\\backups prune``: what goes (--keep, --older-than), the chains that always stay, and
the safety gate. Prune works on files only, so the backups here are written with the
format's own helpers (no cluster) and the shell has no connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REGISTRY

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.errors import ExitStatus
from commands.ops.backup import catalog
from commands.ops.backup.format import Manifest, write_atomic, write_encoded
from commands.results import Message, Outcome, Table

NOW = datetime.now(UTC)
CLASS = {"class": "Article", "properties": [{"name": "title", "dataType": ["text"]}]}


def make(directory: Path, backup_id: str, days_ago: float, base: str | None = None,
         collection: str = "Article", complete: bool = True) -> Path:
    """A backup holding one object, taken ``days_ago``: full, or incremental on ``base``."""
    started = (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    oid = "00000000-0000-0000-0000-000000000001"
    chunk = write_encoded(directory, f"{catalog.data_dir(collection, backup_id)}/000001.jsonl",
                          "index", None, b'{"id":"%s"}\n' % oid.encode(), 1, 1, oid, oid,
                          "none")
    manifest = Manifest(id=backup_id, kind="incremental" if base else "full",
                        collection=collection, source={}, started=started,
                        cls={**CLASS, "class": collection}, present=1, chunks=[chunk],
                        base={"id": base, "path": f"{collection}.{base}.json"} if base else None)
    if not complete:
        manifest.cursor = {"plan": [], "step": 0, "after": None}
        path = catalog.partial_path(directory, collection, backup_id)
        write_atomic(path, manifest.to_json())
        return path
    manifest.completed = started
    return catalog.publish(directory, manifest)


def prune(directory: Path, options: str) -> Outcome:
    """``\\backups prune DIRECTORY OPTIONS`` through the dispatcher, without a connection."""
    return Dispatcher(REGISTRY, Session(), MemoryAuditLog()).execute(
        rf"\backups prune {directory} {options}", "repl")


def left(directory: Path) -> list[str]:
    """The ids of the backups (complete or not) still in ``directory``."""
    return [m.id for _, m in catalog.scan(directory)]


def test_keep_n_newest_per_collection(tmp_path: Path) -> None:
    for n, days in enumerate((9, 7, 5, 3), 1):
        make(tmp_path, f"a{n}", days)
    make(tmp_path, "p1", 8, collection="Product")
    results = prune(tmp_path, "--keep 2 --force").results
    assert isinstance(results[0], Message) and "removed 2 backups" in results[0].text
    assert left(tmp_path) == ["a3", "a4", "p1"]
    assert not (tmp_path / "Article.a1.data").exists()
    assert not (tmp_path / "Article.a2.json").exists()
    assert Manifest.load(tmp_path / "Article.json").id == "a4"


def test_the_chain_of_a_kept_backup_always_stays(tmp_path: Path) -> None:
    make(tmp_path, "old", 40)
    make(tmp_path, "full", 30)
    make(tmp_path, "inc1", 20, base="full")
    make(tmp_path, "inc2", 1, base="inc1")
    results = prune(tmp_path, "--keep 1 --dry-run").results
    assert results[0].text.startswith(f"dry run: would remove 1 backup (46 B) from {tmp_path}")
    gone, table = (r for r in results if isinstance(r, Table) and r.title != "requests it "
                   "would send")
    assert [r[0] for r in gone.rows] == ["old"]
    assert [r[0] for r in table.rows] == ["full", "inc1", "inc2"]
    assert table.rows[0][-1] == "the base of inc1"
    assert left(tmp_path) == ["old", "full", "inc1", "inc2"]  # a dry run removes nothing
    prune(tmp_path, "--older-than 10d --force")
    assert left(tmp_path) == ["full", "inc1", "inc2"]


def test_an_unfinished_backup_and_its_base_stay(tmp_path: Path) -> None:
    make(tmp_path, "full", 30)
    make(tmp_path, "newer", 20)
    make(tmp_path, "running", 29, base="full", complete=False)
    prune(tmp_path, "--keep 1 --force")
    assert left(tmp_path) == ["full", "running", "newer"]


def test_older_than_alone_and_with_keep(tmp_path: Path) -> None:
    for n, days in enumerate((50, 40, 2), 1):
        make(tmp_path, f"a{n}", days)
    prune(tmp_path, "--older-than 45d --keep 1 --force")
    assert left(tmp_path) == ["a2", "a3"]
    results = prune(tmp_path, "--older-than 4w --keep 5 --force").results
    assert results[0].text == f"nothing to prune in {tmp_path}"


def test_the_safety_gate_and_bad_input(tmp_path: Path) -> None:
    make(tmp_path, "a1", 9)
    make(tmp_path, "a2", 1)
    refused = prune(tmp_path, "--keep 1")
    assert refused.exit_code == ExitStatus.REFUSED and "without confirmation" in str(refused.error)
    assert left(tmp_path) == ["a1", "a2"]
    for options, message in (("", "give --keep N"), ("--keep 0", "--keep must be 1 or more"),
                             ("--older-than 3x", "not an age")):
        outcome = prune(tmp_path, options)
        assert outcome.exit_code == ExitStatus.USAGE and message in str(outcome.error)


def test_a_read_only_profile_may_prune_its_local_backups(tmp_path: Path) -> None:
    """Read-only protects the cluster; a prune removes local files only."""
    make(tmp_path, "20260101T000000Z", 30)
    make(tmp_path, "20260102T000000Z", 29)
    api = RestClient("http://127.0.0.1:9", retries=0, read_only="audit")
    session = Session(connection=Connection(api=api, url=api.url, profile="audit"))
    outcome = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(
        rf"\backups prune {tmp_path} --keep 1 --force", "repl")
    assert outcome.status == "ok", outcome.error
    assert left(tmp_path) == ["20260102T000000Z"]


def test_a_dry_run_shows_what_would_go_and_no_requests(tmp_path: Path) -> None:
    make(tmp_path, "20260101T000000Z", 30)
    make(tmp_path, "20260102T000000Z", 29)
    outcome = prune(tmp_path, "--keep 1 --dry-run")
    titles = [r.title for r in outcome.results if isinstance(r, Table)]
    assert titles == ["To remove", f"Kept in {tmp_path}"]  # a prune sends no request
    assert left(tmp_path) == ["20260101T000000Z", "20260102T000000Z"]
