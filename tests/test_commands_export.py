"""``\\export`` (start, --wait, status, cancel) against the sandbox's export API, and the
refusals a user meets: export switched off, a server too old, bad ids, unknown names."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session, mutating_requests
from test_commands_backup_support import Recorder

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.ops import export as export_ops
from commands.results import Document, Record, Table
from sandbox import Sandbox

pq = pytest.importorskip("pyarrow.parquet", reason="the sandbox writes Parquet with pyarrow")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One exporting sandbox for the module: every test uses ids of its own, and none leaves
    an export running."""
    with Sandbox(seed="demo", export=True,
                 export_dir=tmp_path_factory.mktemp("exports")) as sandbox:
        yield sandbox


@pytest.fixture
def server(shared: Sandbox) -> Iterator[Sandbox]:
    yield shared
    shared.app.exports.step_seconds = type(shared.app.exports).step_seconds


@pytest.fixture
def web(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def dispatcher(url: str, version: str = "1.39.0") -> Dispatcher:
    session = make_session(url)
    session.connection.server_version = version
    return Dispatcher(REGISTRY, session, MemoryAuditLog())


def test_export_waits_and_writes_parquet_per_shard(server: Sandbox,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_ops, "POLL_SECONDS", 0.02)
    outcome = dispatcher(server.url).execute(
        r"\export article supportTicket --backend filesystem --id nightly --wait", "test")
    assert outcome.status == "ok", outcome.error
    summary, shards = outcome.results
    assert isinstance(summary, Record) and summary.fields["status"] == "SUCCESS"
    assert summary.fields["collections"] == ["Article", "SupportTicket"]
    assert summary.fields["objects"] == 250 + 22 + 52 + 44 == outcome.objects_affected
    rows = {(r["collection"], r["shard"]): r for r in shards.to_data()}
    assert rows[("SupportTicket", "umbrella")]["status"] == "SKIPPED"
    assert rows[("SupportTicket", "umbrella")]["detail"] == "tenant status is FROZEN"
    assert rows[("SupportTicket", "acme")]["objects"] == 22
    home = server.app.exports.root / "nightly"
    article = next(home.glob("Article_*_0000.parquet"))
    table = pq.read_table(article)
    assert table.num_rows == 250 and table.schema.metadata[b"collection"] == b"Article"
    assert table.column_names == ["id", "creation_time", "update_time", "vector",
                                  "named_vectors", "multi_vectors", "properties"]
    acme = pq.read_table(home / "SupportTicket_acme_0000.parquet")
    assert acme.schema.metadata[b"tenant"] == b"acme"
    assert (home / "export_metadata.json").is_file()
    assert (home / "node_node1_status.json").is_file()
    again = dispatcher(server.url).execute(r"\export status nightly --backend filesystem",
                                          "test")
    assert again.results[0].fields["status"] == "SUCCESS"


def test_wait_draws_shards_and_ctrl_c_cancels_on_the_server(
        server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_ops, "POLL_SECONDS", 0.02)
    bars = Recorder()
    run = dispatcher(server.url)
    run.session.progress = bars
    run.execute(r"\export SupportTicket --backend filesystem --id drawn --wait", "test")
    assert bars.bars == [("export drawn on filesystem", 4)] and bars.advanced == 4
    server.app.exports.step_seconds = 0.3
    run.session.progress = Recorder(stop_after=1, error=KeyboardInterrupt())
    stopped = run.execute(r"\export --backend filesystem --id stopped --wait", "test")
    assert stopped.status == "interrupted"
    final = run.execute(r"\export status stopped --backend filesystem", "test")
    assert final.results[0].fields["status"] == "CANCELED"


def test_export_returns_at_once_then_status_and_cancel(server: Sandbox,
                                                       web: httpx.Client) -> None:
    server.app.exports.step_seconds = 0.5  # slow enough to be caught running
    run = dispatcher(server.url)
    started = run.execute(r"\export --backend filesystem --id slow", "test")
    assert started.results[0].fields["status"] == "STARTED"
    assert "\\export status slow --backend filesystem" in started.results[1].text
    running = run.execute(r"\export status slow --backend filesystem", "test")
    assert running.results[0].fields["status"] in ("STARTED", "TRANSFERRING")
    busy = run.execute(r"\export Article --backend filesystem --id other", "test")
    assert busy.error.message.endswith('export "slow" already in progress')
    canceled = run.execute(r"\export cancel slow --backend filesystem", "test")
    assert canceled.status == "ok", canceled.error
    final = run.execute(r"\export status slow --backend filesystem --format json", "test")
    assert final.results[0].fields["status"] == "CANCELED"
    assert final.results[0].fields["error"] == "export was canceled"
    late = run.execute(r"\export cancel slow --backend filesystem", "test")
    assert late.error.message == "export has already finished"
    reused = run.execute(r"\export Article --backend filesystem --id slow", "test")
    assert "already exists" in reused.error.message


def test_dry_run_sends_nothing(server: Sandbox, web: httpx.Client) -> None:
    web.delete("/__sandbox/requests")
    outcome = dispatcher(server.url).execute(
        r"\export Article --backend filesystem --id preview --dry-run", "test")
    body = next(r for r in outcome.results if isinstance(r, Document)).data
    assert body == {"id": "preview", "file_format": "parquet", "include": ["Article"]}
    assert next(r for r in outcome.results if isinstance(r, Table)).rows == (
        ("POST", "/v1/export/filesystem"),)
    rest = dispatcher(server.url).execute(
        r"\export --backend filesystem --id rest --exclude documentChunk --dry-run", "test")
    assert rest.results[0].text.startswith("dry run: would export every collection but "
                                           "DocumentChunk to filesystem")
    assert next(r for r in rest.results if isinstance(r, Document)).data == {
        "id": "rest", "file_format": "parquet", "exclude": ["DocumentChunk"]}
    cancel = dispatcher(server.url).execute(
        r"\export cancel preview --backend filesystem --dry-run", "test")
    assert cancel.status == "ok"
    assert mutating_requests(web) == []


@pytest.mark.parametrize(("line", "message"), [
    (r"\export Article", "--backend is required"),
    (r"\export Nope --backend filesystem", "no collection named 'Nope'"),
    (r"\export Article --backend filesystem --id Bad.Id", "invalid export id 'Bad.Id'"),
    (r"\export Article --backend s3 --id x", "EXPORT_DEFAULT_BUCKET is required"),
    (r"\export Article --backend ftp --id x", "--backend"),
    (r"\export Article --exclude Product --backend filesystem", "--exclude goes with no"),
    (r"\export status missing --backend filesystem", "export not found"),
])
def test_refusals_are_one_clear_line(server: Sandbox, line: str, message: str) -> None:
    outcome = dispatcher(server.url).execute(line, "test")
    assert outcome.exit_code and message in outcome.error.message


def test_the_server_refuses_a_backend_it_lacks(web: httpx.Client) -> None:
    answer = web.post("/v1/export/ftp", json={"id": "x", "file_format": "parquet"})
    assert answer.status_code == 422
    assert answer.json()["error"][0]["message"] == (
        "export validation error: backend ftp not available: backup: ftp not found")


def test_disabled_and_too_old(demo: Sandbox) -> None:
    off = dispatcher(demo.url).execute(r"\export Article --backend filesystem", "test")
    assert off.error.message == "the server has EXPORT_ENABLED off: its export API is disabled"
    assert "EXPORT_ENABLED=true" in off.error.hint
    old = dispatcher(demo.url, "1.36.4").execute(r"\export Article --backend filesystem",
                                                 "test")
    assert old.error.message.startswith("server-side export needs Weaviate >= 1.37")


def test_export_as_a_process(server: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "WEAVIATE_URL": server.url, "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s")}
    done = subprocess.run([sys.executable, "-m", "shell", "col", "export", "Product",
                           "--backend", "filesystem", "--id", "proc", "--wait", "--format",
                           "json"], env=env, capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert '"status": "SUCCESS"' in done.stdout and '"objects": 120' in done.stdout
