"""Interrupted ``\\backup`` runs resume from their checkpoint, and the result is the same
as an uninterrupted run: the same chunks (kind, tenant, count, SHA-256) in the same order.

Interruptions happen between pages: a progress callback raises (as Ctrl-C would), or
turns the sandbox's fault injection on so the next page request is dropped."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import make_session
from test_commands_backup_support import Recorder, lines, record, run

from commands.context import Session
from commands.errors import ConnectionFailed
from commands.ops.backup import stream as backup_stream
from commands.ops.backup.format import BackupError, Manifest
from commands.results import Table
from sandbox import Sandbox


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="demo", backup_dir=tmp_path / "native") as server:
        yield server


def chunks(path: Path) -> list[tuple[str, str, str | None, int, str]]:
    """What must be equal between two runs: each chunk's number, kind, tenant, count, sha."""
    return [(Path(c.file).name, c.kind, c.tenant, c.objects, c.sha256)
            for c in Manifest.load(path).chunks]


def interrupted(url: str, line: str, stop_after: int, error: BaseException) -> Session:
    session = make_session(url)
    session.progress = Recorder(stop_after=stop_after, error=error)
    with pytest.raises(type(error)):
        run(session, line)
    return session


def test_ctrl_c_then_rerun_equals_an_uninterrupted_backup(demo: Sandbox, session: Session,
                                                         tmp_path: Path) -> None:
    clean = Path(record(run(session, rf"\backup DocumentChunk --output {tmp_path / 'clean'} "
                                     "--compress"))["path"])
    line = rf"\backup DocumentChunk --output {tmp_path / 'cut'} --compress"
    interrupted(demo.url, line, 7000, KeyboardInterrupt())
    partial, = (tmp_path / "cut").glob("DocumentChunk.*.json.partial")
    saved = Manifest.load(partial)
    assert saved.completed is None and saved.present == 5000
    assert [c.kind for c in saved.chunks] == ["objects", "index"]
    assert saved.cursor == {"plan": [{"tenant": None, "action": "read"}], "step": 0,
                            "after": saved.chunks[0].last}
    assert not (tmp_path / "cut" / "DocumentChunk.json").exists()
    progress = Recorder()
    session.progress = progress
    results = run(session, line)
    fields = record(results)
    assert fields["id"] == saved.id  # the same backup, finished
    assert "resumed the interrupted backup" in results[0].text and "5,000" in results[0].text
    assert progress.bars == [("backing up DocumentChunk", 20_000)]
    assert progress.advanced == 20_000
    resumed = Path(fields["path"])
    assert chunks(resumed) == chunks(clean)
    assert lines(resumed) == lines(clean)
    assert not list((tmp_path / "cut").glob("*.partial"))


def test_dropped_connection_then_rerun(fresh: Sandbox, tmp_path: Path) -> None:
    session = make_session(fresh.url)
    clean = Path(record(run(session, rf"\backup DocumentChunk --output {tmp_path / 'a'}")
                        )["path"])

    def fail_from_now_on() -> None:
        httpx.put(f"{fresh.url}/__sandbox/faults",
                  json={"fail_rate": 1, "kinds": ["drop"]}).raise_for_status()

    cut = make_session(fresh.url)
    cut.progress = Recorder(stop_after=12_000, on_stop=fail_from_now_on)
    with pytest.raises(ConnectionFailed) as caught:
        run(cut, rf"\backup DocumentChunk --output {tmp_path / 'b'}")
    assert "the same command resumes the backup from its checkpoint" in caught.value.hint
    httpx.put(f"{fresh.url}/__sandbox/faults", json={"fail_rate": 0}).raise_for_status()
    partial, = (tmp_path / "b").glob("*.partial")
    assert 10_000 <= Manifest.load(partial).present < 20_000  # pages were read ahead
    resumed = Path(record(run(session, rf"\backup DocumentChunk --output {tmp_path / 'b'}")
                          )["path"])
    assert chunks(resumed) == chunks(clean)
    log = httpx.get(f"{fresh.url}/__sandbox/requests").json()
    assert any(e["fault"] == "drop" for e in log)


def test_chunks_written_after_the_checkpoint_are_written_again(
        demo: Sandbox, session: Session, tmp_path: Path) -> None:
    clean = Path(record(run(session, rf"\backup DocumentChunk --output {tmp_path / 'a'}")
                        )["path"])
    line = rf"\backup DocumentChunk --output {tmp_path / 'b'}"
    interrupted(demo.url, line, 9000, KeyboardInterrupt())
    saved = Manifest.load(next((tmp_path / "b").glob("*.partial")))
    folder = tmp_path / "b" / Path(saved.chunks[0].file).parent
    (folder / "000003.jsonl").write_bytes(b"half a chunk from before the crash")
    (folder / "000099.jsonl").write_bytes(b"a chunk no rerun writes")
    (folder / ".000004.jsonl.tmp").write_bytes(b"a temporary file")
    resumed = Path(record(run(session, line))["path"])
    assert chunks(resumed) == chunks(clean)
    assert sorted(f.name for f in folder.iterdir()) == [f"{n:06d}.jsonl" for n in range(1, 9)]


@pytest.mark.parametrize("stop_after", [1, 14, 21, 42, 56])
def test_incremental_multi_tenant_resume_at_many_points(
        fresh: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        stop_after: int) -> None:
    monkeypatch.setattr(backup_stream, "PAGE", 7)
    monkeypatch.setattr(backup_stream, "CHUNK", 10)
    session = make_session(fresh.url)
    run(session, rf"\backup SupportTicket --output {tmp_path / 'a'} --compress=gzip")
    with httpx.Client(base_url=fresh.url) as web:
        for tenant in ("acme", "globex"):
            page = web.get("/v1/objects", params={"class": "SupportTicket", "tenant": tenant,
                                                  "limit": 30}).json()["objects"]
            for obj in page[::4]:
                web.delete(f"/v1/objects/SupportTicket/{obj['id']}",
                           params={"tenant": tenant}).raise_for_status()
            for obj in page[2::4]:
                web.patch(f"/v1/objects/SupportTicket/{obj['id']}", params={"tenant": tenant},
                          json={"class": "SupportTicket", "tenant": tenant,
                                "properties": {"open": True}}).raise_for_status()
            web.post("/v1/objects", json={"class": "SupportTicket", "tenant": tenant,
                                          "id": str(uuid.uuid4()),
                                          "properties": {"subject": "new"}}).raise_for_status()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    line = r"\backup SupportTicket --incremental --compress=gzip --id inc --output {}"
    clean = Path(record(run(session, line.format(tmp_path / "a")))["path"])
    interrupted(fresh.url, line.format(tmp_path / "b"), stop_after, KeyboardInterrupt())
    resumed = Path(record(run(session, line.format(tmp_path / "b")))["path"])
    assert chunks(resumed) == chunks(clean)
    assert Manifest.load(resumed).deleted == Manifest.load(clean).deleted > 0
    assert max(c.objects for c in Manifest.load(resumed).chunks) <= 14  # whole pages of 7


def test_another_option_starts_a_new_backup_and_the_old_one_still_resumes(
        demo: Sandbox, session: Session, tmp_path: Path) -> None:
    line = rf"\backup DocumentChunk --output {tmp_path}"
    interrupted(demo.url, line, 6000, KeyboardInterrupt())
    first = Manifest.load(next(tmp_path.glob("*.partial")))
    other = record(run(session, line + " --compress"))
    assert other["id"] != first.id and other["codec"] == "zstd"
    table = next(r for r in run(session, rf"\backups {tmp_path}") if isinstance(r, Table))
    assert {(r["id"], r["kind"]) for r in table.to_data()} == {
        (first.id, "full (incomplete)"), (other["id"], "full")}
    assert record(run(session, line))["id"] == first.id
    assert Manifest.load(tmp_path / "DocumentChunk.json").id == first.id


def test_a_checkpointed_chunk_that_is_gone_is_refused(demo: Sandbox, session: Session,
                                                      tmp_path: Path) -> None:
    line = rf"\backup DocumentChunk --output {tmp_path}"
    interrupted(demo.url, line, 6000, KeyboardInterrupt())
    partial = next(tmp_path.glob("*.partial"))
    victim = tmp_path / Manifest.load(partial).chunks[0].file
    victim.unlink()
    with pytest.raises(BackupError, match=str(victim)) as caught:
        run(session, line)
    assert str(partial) in (caught.value.hint or "")


def test_interrupted_before_the_first_chunk(demo: Sandbox, session: Session,
                                            tmp_path: Path) -> None:
    line = rf"\backup Product --output {tmp_path}"
    interrupted(demo.url, line, 1, RuntimeError("boom"))
    saved = Manifest.load(next(tmp_path.glob("*.partial")))
    assert saved.chunks == [] and saved.cursor["step"] == 0
    assert record(run(session, line))["id"] == saved.id
    assert len(lines(tmp_path / "Product.json")) == 120
