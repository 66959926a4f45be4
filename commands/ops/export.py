"""Weaviate's server-side export (1.37+, openapi ``/v1/export/{backend}``): start, poll,
cancel. The server writes one Parquet file per shard to its backup module's storage
(``filesystem``, ``s3``, ``gcs``, ``azure``); it answers 422 "export API is disabled" unless
``EXPORT_ENABLED=true`` (usecases/export/scheduler.go, ``ErrExportDisabled``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError, UsageError
from commands.ops.backup.native_backup import check_id, new_id
from commands.ops.versions import require
from commands.progress import Progress, bar

FLOOR = (1, 37)
FINISHED = ("SUCCESS", "FAILED", "CANCELED")
SHARD_DONE = ("SUCCESS", "FAILED", "SKIPPED")
MAX_ID = 128
POLL_SECONDS = 0.5
DISABLED_HINT = ("set EXPORT_ENABLED=true on every node (or export_enabled in the runtime "
                 "config); \\backup --native BACKEND works without it")


def export_id(given: str | None) -> str:
    """``given`` if Weaviate accepts it as an export id, else a new one."""
    if given is None:
        return new_id().replace("elysiactl-", "elysiactl-export-")
    if len(given) > MAX_ID:
        raise UsageError(f"export id too long: {len(given)} characters, Weaviate allows "
                         f"{MAX_ID}")
    return check_id(given, "export")  # scheduler.go's regExpID: the backup ids' rule


def path(backend: str, ident: str | None = None) -> str:
    return f"/v1/export/{backend}" + (f"/{ident}" if ident else "")


def start_body(ident: str, classes: list[str], file_format: str,
               exclude: list[str] | None = None) -> dict[str, Any]:
    """The ``ExportCreateRequest``: no ``include`` exports every collection (but ``exclude``)."""
    body: dict[str, Any] = {"id": ident, "file_format": file_format}
    if classes:
        body["include"] = classes
    if exclude:
        body["exclude"] = exclude
    return body


def _call(api: RestClient, method: str, where: str, server_version: str | None,
          **kwargs: Any) -> Any:
    """One export request; the server's refusals as sentences that say what to do."""
    require(server_version, FLOOR, "server-side export")
    try:
        response = api.request(method, where, **kwargs)
    except ApiError as exc:
        if exc.status == 422 and "EXPORT_ENABLED" in exc.message:
            raise ShellError("the server has EXPORT_ENABLED off: its export API is disabled",
                             DISABLED_HINT) from None
        if exc.status == 404 and "was not found" in exc.message:
            raise ShellError("server-side export needs Weaviate >= 1.37; this server has no "
                             f"{where.rsplit('/', 1)[0]} API", "upgrade the cluster") from None
        raise
    return response.json() if response.content else None


def start(api: RestClient, server_version: str | None, backend: str,
          body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/export/{backend}``: the ``ExportCreateResponse``."""
    return _call(api, "POST", path(backend), server_version, json=body)


def status(api: RestClient, server_version: str | None, backend: str,
           ident: str) -> dict[str, Any]:
    """``GET /v1/export/{backend}/{id}``: the ``ExportStatusResponse``."""
    return _call(api, "GET", path(backend, ident), server_version)


def cancel(api: RestClient, server_version: str | None, backend: str, ident: str) -> None:
    """``DELETE /v1/export/{backend}/{id}`` (204; 409 once it has finished)."""
    _call(api, "DELETE", path(backend, ident), server_version)


def shards(answer: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(collection, shard, progress)`` of a status answer, in a stable order."""
    for name, by_shard in sorted((answer.get("shardStatus") or {}).items()):
        for shard, progress in sorted(by_shard.items()):
            yield name, shard, progress or {}


def wait(api: RestClient, server_version: str | None, backend: str, ident: str,
         progress: Progress | None = None,
         sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Poll until the export is over, advancing a bar by the shards finished; Ctrl-C cancels
    it on the server, then is raised again. The final status answer."""
    current = status(api, server_version, backend, ident)
    total = sum(1 for _ in shards(current)) or None
    shown = 0
    try:
        with bar(progress, f"export {ident} on {backend}", total, "shards") as advance:
            while True:
                done = sum(1 for *_, p in shards(current) if p.get("status") in SHARD_DONE)
                if done > shown:
                    advance(done - shown)
                shown = max(shown, done)
                if current.get("status") in FINISHED:
                    return current
                sleep(POLL_SECONDS)
                current = status(api, server_version, backend, ident)
    except KeyboardInterrupt:
        try:
            cancel(api, server_version, backend, ident)
        except ShellError:
            pass  # it finished meanwhile, or the cluster is gone: nothing left to stop
        raise
