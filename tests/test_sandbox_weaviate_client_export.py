"""The official client's export API (``client.export``, REST ``/v1/export``) against the
sandbox: create with and without waiting, status with per-shard progress, cancel, and the
refusal when the server has the export API switched off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("weaviate", reason="weaviate-client is a test-only dependency")
pytest.importorskip("pyarrow", reason="the sandbox writes Parquet with pyarrow")

import test_sandbox_weaviate_client as client_tests  # noqa: E402
from weaviate.exceptions import UnexpectedStatusCodeError  # noqa: E402
from weaviate.export.export import (  # noqa: E402
    ExportFileFormat,
    ExportStatus,
    ExportStorage,
    ShardExportStatus,
)

from sandbox import Sandbox  # noqa: E402

Connect = client_tests.Connect
connect, dead_grpc_port = client_tests.connect, client_tests.dead_grpc_port  # the fixtures


@pytest.fixture
def exporting(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="demo", export=True, export_dir=tmp_path) as server:
        yield server


def test_create_wait_status_and_files(exporting: Sandbox, connect: Connect,
                                      tmp_path: Path) -> None:
    wv = connect(exporting)
    done = wv.export.create(export_id="client-one", backend=ExportStorage.FILESYSTEM,
                            file_format=ExportFileFormat.PARQUET,
                            include_collections=["Article", "SupportTicket"],
                            wait_for_completion=True)
    assert done.status is ExportStatus.SUCCESS and done.collections == ["Article",
                                                                        "SupportTicket"]
    assert done.took_in_ms is not None and done.completed_at is not None
    article = next(iter(done.shard_status["Article"].values()))
    assert article.status is ShardExportStatus.SUCCESS and article.objects_exported == 250
    assert done.shard_status["SupportTicket"]["umbrella"].skip_reason == (
        "tenant status is FROZEN")
    status = wv.export.get_status(export_id="client-one", backend=ExportStorage.FILESYSTEM)
    assert status.status is ExportStatus.SUCCESS and status.path == str(tmp_path /
                                                                        "client-one")
    assert len(list((tmp_path / "client-one").glob("*.parquet"))) == 4
    assert wv.export.cancel(export_id="client-one", backend=ExportStorage.FILESYSTEM) is False


def test_create_then_cancel(exporting: Sandbox, connect: Connect) -> None:
    exporting.app.exports.step_seconds = 0.5
    wv = connect(exporting)
    started = wv.export.create(export_id="client-two", backend=ExportStorage.FILESYSTEM,
                               file_format=ExportFileFormat.PARQUET,
                               exclude_collections=["DocumentChunk"])
    assert started.status is ExportStatus.STARTED and "DocumentChunk" not in started.collections
    assert wv.export.cancel(export_id="client-two", backend=ExportStorage.FILESYSTEM) is True
    final = wv.export.get_status(export_id="client-two", backend=ExportStorage.FILESYSTEM)
    assert final.status is ExportStatus.CANCELED and final.error == "export was canceled"


def test_disabled_export_is_a_422(demo: Sandbox, connect: Connect) -> None:
    wv = connect(demo)
    with pytest.raises(UnexpectedStatusCodeError) as caught:
        wv.export.create(export_id="off", backend=ExportStorage.FILESYSTEM,
                         file_format=ExportFileFormat.PARQUET)
    assert caught.value.status_code == 422
    assert "EXPORT_ENABLED=true" in str(caught.value)
