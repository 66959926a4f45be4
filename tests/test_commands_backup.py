"""``\\backup`` against the demo sandbox over HTTP: full backups of every object (vectors,
named vectors, tenants), codecs, schema only, empty collections and the command line.
A backup reads the cluster only, so these tests share one demo sandbox."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import httpx
import orjson
import pytest
from conftest import make_session
from test_commands_backup_support import (
    REGISTRY,
    Recorder,
    lines,
    live,
    record,
    run,
    same_object,
)

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.errors import ShellError, UsageError
from commands.ops.backup import stream as backup_stream
from commands.ops.backup.format import CHUNK_KINDS, BackupError, Manifest
from commands.results import Level, Message, Text
from sandbox import Sandbox


def messages(results: list, level: Level | None = None) -> list[str]:
    return [r.text for r in results if isinstance(r, Message)
            and (level is None or r.level is level)]


def test_full_backup_of_20000_objects_holds_every_object_vector_and_property(
        session: Session, demo: Sandbox, tmp_path: Path) -> None:
    progress = Recorder()
    session.progress = progress
    results = run(session, rf"\backup DocumentChunk --output {tmp_path}")
    fields = record(results)
    path = Path(fields["path"])
    assert path == tmp_path / f"DocumentChunk.{fields['id']}.json"
    assert fields | {"id": None, "path": None, "bytes": None} == {
        "id": None, "collection": "DocumentChunk", "kind": "full", "objects": 20_000,
        "deleted": 0, "chunks": 8, "bytes": None, "path": None, "codec": "none",
        "file_format": "jsonl", "base": None}
    manifest = Manifest.load(path)
    assert manifest.completed and manifest.cursor is None and manifest.present == 20_000
    assert manifest.cls["class"] == "DocumentChunk" and manifest.source["cluster"] == demo.url
    assert [c.objects for c in manifest.chunks] == [5000] * 8
    assert [c.kind for c in manifest.chunks] == ["objects", "index"] * 4
    assert all(c.file.startswith(f"DocumentChunk.{manifest.id}.data/") for c in manifest.chunks)
    backed_up = lines(path)
    server = live(demo.url, "DocumentChunk")
    assert [line["id"] for line in backed_up] == sorted(server)  # UUID order, each once
    assert all(same_object(line, server[line["id"]]) for line in backed_up)
    assert all(len(line["vector"]) == 128 and line["properties"]["text"] for line in backed_up)
    assert [(i["id"], i["lastUpdateTimeUnix"]) for i in lines(path, "index")] == [
        (line["id"], line["lastUpdateTimeUnix"]) for line in backed_up]
    # NAME.json is a copy of the latest manifest; nothing is left over
    assert (tmp_path / "DocumentChunk.json").read_bytes() == path.read_bytes()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.rglob(".*.tmp"))
    assert progress.bars == [("backing up DocumentChunk", 20_000)]
    assert progress.advanced == 20_000
    assert any("20,000 objects of DocumentChunk" in m for m in messages(results))


def test_windows_end_at_page_boundaries_when_pages_do_not_divide_them(
        session: Session, demo: Sandbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_stream, "PAGE", 7)
    monkeypatch.setattr(backup_stream, "CHUNK", 30)
    path = Path(record(run(session, rf"\backup Article --output {tmp_path}"))["path"])
    objects = [c for c in Manifest.load(path).chunks if c.kind == "objects"]
    assert [(c.objects, c.lines) for c in objects] == [(35, 5)] * 7 + [(5, 1)]
    assert [line["id"] for line in lines(path)] == sorted(live(demo.url, "Article"))


def test_named_vectors_are_backed_up(session: Session, demo: Sandbox, tmp_path: Path) -> None:
    path = Path(record(run(session, rf"\backup Product --output {tmp_path}"))["path"])
    server = live(demo.url, "Product")
    backed_up = lines(path)
    assert len(backed_up) == len(server) == 120
    for line in backed_up:
        assert same_object(line, server[line["id"]])
        assert len(line["vectors"]["title_vector"]) == 64
        assert len(line["vectors"]["image_vector"]) == 16


def test_multi_tenant_backup_reads_active_tenants_and_records_the_others(
        session: Session, demo: Sandbox, tmp_path: Path) -> None:
    results = run(session, rf"\backup SupportTicket --output {tmp_path}")
    path = Path(record(results)["path"])
    manifest = Manifest.load(path)
    assert {t["name"]: t["activityStatus"] for t in manifest.tenants} == {
        "acme": "HOT", "globex": "HOT", "initech": "COLD", "umbrella": "FROZEN"}
    assert manifest.skipped_tenants == [{"name": "initech", "status": "INACTIVE"},
                                        {"name": "umbrella", "status": "OFFLOADED"}]
    backed_up = lines(path)
    for tenant in ("acme", "globex"):
        server = live(demo.url, "SupportTicket", tenant)
        mine = [line for line in backed_up if line["tenant"] == tenant]
        assert [line["id"] for line in mine] == sorted(server)
        assert all(same_object(line, server[line["id"]]) for line in mine)
    assert {line["tenant"] for line in backed_up} == {"acme", "globex"}
    assert [c.tenant for c in manifest.chunks] == ["acme", "acme", "globex", "globex"]
    warning, = messages(results, Level.WARNING)
    assert "initech (INACTIVE)" in warning and "umbrella (OFFLOADED)" in warning


def test_one_tenant(session: Session, demo: Sandbox, tmp_path: Path) -> None:
    results = run(session, rf"\backup SupportTicket --tenant globex --output {tmp_path}")
    manifest = Manifest.load(Path(record(results)["path"]))
    assert manifest.tenant == "globex" and manifest.skipped_tenants == []
    assert [t["name"] for t in manifest.tenants] == ["globex"]
    assert {line["tenant"] for line in lines(Path(record(results)["path"]))} == {"globex"}
    assert manifest.objects == len(live(demo.url, "SupportTicket", "globex"))
    assert not messages(results, Level.WARNING)


@pytest.mark.parametrize(("line", "error", "text"), [
    (r"\backup SupportTicket --tenant initech", ShellError, "INACTIVE"),
    (r"\backup SupportTicket --tenant nobody", ShellError, "no tenant 'nobody'"),
    (r"\backup Article --tenant acme", UsageError, "no multi-tenancy"),
    (r"\backup Nothing", ShellError, "no collection named 'Nothing'"),
])


def test_refusals(session: Session, tmp_path: Path, line: str, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        run(session, f"{line} --output {tmp_path}")
    assert not list(tmp_path.iterdir())


def test_schema_only(session: Session, tmp_path: Path) -> None:
    fields = record(run(session, rf"\backup SupportTicket --schema-only --output {tmp_path}"))
    assert fields["kind"] == "schema-only" and fields["chunks"] == 0
    manifest = Manifest.load(tmp_path / "SupportTicket.json")
    assert manifest.kind == "schema-only" and manifest.completed and not manifest.chunks
    assert manifest.cls["multiTenancyConfig"]["enabled"] is True
    assert len(manifest.tenants) == 4
    assert not list(tmp_path.glob("*.data"))


@pytest.mark.parametrize(("option", "codec", "magic"), [
    ("--compress", "zstd", b"\x28\xb5\x2f\xfd"), ("--compress=zstd", "zstd", b"\x28\xb5\x2f\xfd"),
    ("--compress=gzip", "gzip", b"\x1f\x8b"), ("--compress=none", "none", b"{"), ("", "none", b"{"),
])


def test_codecs(session: Session, tmp_path: Path, option: str, codec: str,
                magic: bytes) -> None:
    path = Path(record(run(session, rf"\backup Article --output {tmp_path} {option}"))["path"])
    manifest = Manifest.load(path)
    assert manifest.codec == codec
    suffix = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}[codec]
    for chunk in manifest.chunks:
        data = (tmp_path / chunk.file).read_bytes()
        assert chunk.file.endswith(suffix) and data.startswith(magic)
        assert hashlib.sha256(data).hexdigest() == chunk.sha256 and len(data) == chunk.bytes
    assert len(lines(path)) == 250


def test_codecs_hold_the_same_lines(session: Session, tmp_path: Path) -> None:
    found = {}
    for codec in ("none", "gzip", "zstd"):
        out = tmp_path / codec
        found[codec] = lines(Path(record(run(
            session, rf"\backup Product --output {out} --compress={codec}"))["path"]))
    assert found["none"] == found["gzip"] == found["zstd"]
    assert (sum(f.stat().st_size for f in (tmp_path / "zstd").rglob("*.zst"))
            < sum(f.stat().st_size for f in (tmp_path / "none").rglob("*.jsonl")) / 2)


def test_the_current_collection_is_the_default(session: Session, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no collection given"):
        run(session, rf"\backup --output {tmp_path}")
    session.collection = "Product"
    assert record(run(session, rf"\backup --output {tmp_path}"))["collection"] == "Product"


@pytest.mark.parametrize(("line", "text"), [
    (r"\backup verify", "missing PATH"),
    (r"\backup verify a.json b.json", "one PATH"),
    (r"\backup Article somewhere", "unexpected argument 'somewhere'"),
    (r"\backup Article --schema-only --incremental", "cannot be combined"),
    (r"\backup Article --base 20260101T000000Z", "--base is for --incremental"),
    (r"\backup Article --include Product", "--include is for --native"),
    (r"\backup --native filesystem --compress", "--native cannot be combined with --compress"),
    (r"\backup --native filesystem --id Bad_ID", "invalid backup id 'Bad_ID'"),
    (r"\backup Article --compress=lz4", "is not one of zstd, gzip, none"),
])


def test_usage_errors(session: Session, line: str, text: str) -> None:
    with pytest.raises(UsageError, match=text):
        run(session, line)


def test_incremental_needs_a_base(session: Session, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no complete backup of Article"):
        run(session, rf"\backup Article --incremental --output {tmp_path}")
    run(session, rf"\backup Article --schema-only --output {tmp_path}")
    with pytest.raises(BackupError, match="no complete backup of Article"):
        run(session, rf"\backup Article --incremental --output {tmp_path}")


def test_chunk_kinds_are_the_documented_ones(session: Session, tmp_path: Path) -> None:
    path = Path(record(run(session, rf"\backup SupportTicket --output {tmp_path}"))["path"])
    assert {c.kind for c in Manifest.load(path).chunks} <= set(CHUNK_KINDS)
    assert all(set(line) == {"id", "tenant", "lastUpdateTimeUnix"}
               for line in lines(path, "index"))
    manifest = Manifest.load(path)
    pages = [orjson.loads(line) for c in manifest.chunks if c.kind == "objects"
             for line in (path.parent / c.file).read_bytes().splitlines()]
    assert pages and all(isinstance(page["objects"], list) for page in pages)
    assert {obj["tenant"] for page in pages for obj in page["objects"]} == {"acme", "globex"}


@pytest.mark.parametrize("name", ["backup", "backups"])
def test_declarations_are_complete_and_answer_help(name: str) -> None:
    spec = REGISTRY.find(name)
    assert spec.summary.endswith(".") and spec.summary[0].isupper() and spec.help
    assert spec.group == "backup" and not spec.destructive
    params = inspect.signature(spec.handler).parameters
    keyword = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keyword == {a.name for a in spec.args} | {o.dest for o in spec.opts}
    assert all(a.help for a in spec.args) and all(o.help for o in spec.opts)
    outcome = Dispatcher(REGISTRY, Session(), MemoryAuditLog()).execute(
        f"\\{name} --help", "repl")
    [text] = outcome.results
    assert isinstance(text, Text) and text.text.startswith(f"usage: \\{name}")


def test_through_the_dispatcher(demo: Sandbox, tmp_path: Path) -> None:
    session = make_session(demo.url)
    dispatcher = Dispatcher(REGISTRY, session, MemoryAuditLog())
    outcome = dispatcher.execute(rf"\backup Product --output {tmp_path}", "repl")
    assert outcome.exit_code == 0 and outcome.objects_affected is None
    session.collection = "Article"
    outcome = dispatcher.execute(rf"\backup --output {tmp_path} --compress", "repl")
    assert outcome.exit_code == 0 and record(outcome.results)["collection"] == "Article"
    outcome = dispatcher.execute(rf"\backup verify {tmp_path / 'Article.json'}", "repl")
    assert outcome.exit_code == 0
    outcome = dispatcher.execute(rf"\backups {tmp_path} --format json", "repl")
    assert [r["collection"] for r in outcome.results[-1].to_data()] == ["Article", "Product"]
    session.collection = None
    outcome = dispatcher.execute(r"\backup verify", "repl")
    assert outcome.exit_code == 2 and "missing PATH" in str(outcome.error)


def test_empty_collections_and_aliases(sandbox: Sandbox, client: httpx.Client,
                                       tmp_path: Path) -> None:
    client.post("/v1/schema", json={"class": "Empty"}).raise_for_status()
    client.post("/v1/schema", json={"class": "NoTenants",
                                    "multiTenancyConfig": {"enabled": True}}).raise_for_status()
    client.post("/v1/aliases", json={"class": "Empty", "alias": "Nothing"}).raise_for_status()
    session = make_session(sandbox.url)
    for line in (r"\backup Empty", r"\backup NoTenants", r"\backup Nothing --compress"):
        fields = record(run(session, f"{line} --output {tmp_path}"))
        assert fields["objects"] == 0 and fields["chunks"] == 0
    assert fields["collection"] == "Empty"  # the alias's collection
    fields = record(run(session, rf"\backup Empty --incremental --output {tmp_path}"))
    assert fields["base"] is not None and fields["objects"] == 0
    run(session, rf"\backup verify {tmp_path / 'Empty.json'}")


def test_a_file_id_must_be_a_plain_word(session: Session, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="part of file names"):
        run(session, rf"\backup Product --id ../escape --output {tmp_path}")


@pytest.mark.parametrize("body", [
    b'{"objects":[{"id":"a","properties":{"t":"x\\ny"}}]}',
    b'{"objects":[{"id":"a","properties":{"t":"x\\ny"}}]}\n',  # Go's encoder ends with one
    b'{\n  "objects": [\n    {"id": "a", "properties": {"t": "x\\ny"}}\n  ]\n}\n'])
def test_a_page_is_kept_as_one_line_whatever_its_layout(body: bytes) -> None:
    line = backup_stream.page_line(body)
    assert b"\n" not in line and orjson.loads(line) == orjson.loads(body)
    if body.count(b"\n") <= 1:
        assert line == body.rstrip()  # as the server sent it
