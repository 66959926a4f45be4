"""``\\backup --native`` and ``\\backups --native`` through the sandbox's filesystem backend:
create with status polling and progress, list, errors, and Ctrl-C cancelling a running
backup on the server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from conftest import make_session
from test_commands_backup_support import Recorder, record, run

from commands.context import Session
from commands.errors import ApiError, ShellError
from commands.ops.backup import native_backup
from commands.results import Table
from sandbox import Sandbox


@pytest.fixture
def me(sandbox: Sandbox, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> Session:
    """A session on an empty sandbox holding two small collections; fast polling."""
    monkeypatch.setattr(native_backup, "POLL_SECONDS", 0.02)
    for name in ("Notes", "Tasks"):
        client.post("/v1/schema", json={"class": name}).raise_for_status()
        client.post("/v1/batch/objects", json={"objects": [
            {"class": name, "properties": {"text": f"{name} {i}"}} for i in range(5)]}
                    ).raise_for_status()
    return make_session(sandbox.url)


def test_create_polls_to_success_with_progress(me: Session, sandbox: Sandbox,
                                               tmp_path: Path) -> None:
    progress = Recorder()
    me.progress = progress
    results = run(me, r"\backup --native filesystem --include Notes --id first")
    fields = record(results)
    assert fields["id"] == "first" and fields["status"] == "SUCCESS"
    assert fields["classes"] == ["Notes"] and fields["backend"] == "filesystem"
    assert "native backup first of Notes on filesystem: SUCCESS" in results[0].text
    assert progress.bars == [("native backup first on filesystem", 4)]
    assert progress.advanced == 4
    assert (tmp_path / "backups" / "first" / "backup_config.json").is_file()


def test_collections_come_from_include_else_the_argument_else_all(me: Session) -> None:
    assert record(run(me, r"\backup Tasks --native filesystem --id one"))["classes"] == [
        "Tasks"]
    assert record(run(me, r"\backup --native filesystem --id two"))["classes"] == [
        "Notes", "Tasks"]
    assert record(run(me, r"\backup --native filesystem --id three --include Tasks "
                          "--include Notes"))["classes"] == ["Tasks", "Notes"]


def test_generated_ids_are_lowercase(me: Session) -> None:
    backup_id = record(run(me, r"\backup --native filesystem"))["id"]
    assert backup_id.startswith("elysiactl-") and backup_id == backup_id.lower()
    assert native_backup.VALID_ID.match(backup_id)


def test_list(me: Session) -> None:
    run(me, r"\backup --native filesystem --include Notes --id a1")
    run(me, r"\backup --native backup-filesystem --id a2")
    table, = run(me, r"\backups --native filesystem")
    assert isinstance(table, Table)
    assert table.columns == ("id", "classes", "status", "started", "completed", "size")
    rows = {r["id"]: r for r in table.to_data()}
    assert rows["a1"]["classes"] == ["Notes"] and rows["a1"]["status"] == "SUCCESS"
    assert rows["a2"]["classes"] == ["Notes", "Tasks"]
    assert [r["id"] for r in table.to_data()] == ["a2", "a1"]  # newest first


def test_errors_from_the_server(me: Session) -> None:
    with pytest.raises(ApiError, match='no backup backend "s3"'):
        run(me, r"\backup --native s3 --id x")
    run(me, r"\backup --native filesystem --id dup")
    with pytest.raises(ApiError, match='backup "dup" already exists'):
        run(me, r"\backup --native filesystem --id dup")
    with pytest.raises(ApiError, match="Missing"):
        run(me, r"\backup --native filesystem --id y --include Missing")


def test_ctrl_c_cancels_the_running_backup(me: Session, sandbox: Sandbox, client: httpx.Client,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox.app.backups.step_seconds = 5  # still running when Ctrl-C comes

    def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(native_backup, "time", SimpleNamespace(sleep=ctrl_c))
    client.delete("/__sandbox/requests")
    with pytest.raises(KeyboardInterrupt):
        run(me, r"\backup --native filesystem --id slow")
    status = client.get("/v1/backups/filesystem/slow").json()
    assert status["status"] == "CANCELED"
    calls = [(e["method"], e["path"]) for e in client.get("/__sandbox/requests").json()]
    assert ("DELETE", "/v1/backups/filesystem/slow") in calls


def test_ctrl_c_from_the_progress_bar_cancels_too(me: Session, sandbox: Sandbox,
                                                  client: httpx.Client) -> None:
    sandbox.app.backups.step_seconds = 5

    @contextmanager
    def interrupting(description: str, total: int | None, unit: str = "") -> Iterator[Any]:
        if total:  # Ctrl-C as the bar is drawn, once the backup has started
            raise KeyboardInterrupt
        yield lambda n: None

    me.progress = interrupting
    with pytest.raises(KeyboardInterrupt):
        run(me, r"\backup --native filesystem --id slow2")
    assert client.get("/v1/backups/filesystem/slow2").json()["status"] == "CANCELED"


def test_a_canceled_backup_is_an_error(me: Session, sandbox: Sandbox, client: httpx.Client,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox.app.backups.step_seconds = 5

    def someone_else_cancels(seconds: float) -> None:
        client.delete("/v1/backups/filesystem/other")

    monkeypatch.setattr(native_backup, "time", SimpleNamespace(sleep=someone_else_cancels))
    with pytest.raises(ShellError, match="native backup other was canceled"):
        run(me, r"\backup --native filesystem --id other")


def test_native_cannot_list_a_directory(me: Session) -> None:
    with pytest.raises(ShellError, match="no DIR"):
        run(me, r"\backups ./backup --native filesystem")
