"""Weaviate's server-side export (``/v1/export/{backend}``, 1.37+) on the filesystem backend.

As ``usecases/export/scheduler.go`` and ``adapters/handlers/rest/handlers_export.go`` do:
the API answers 422 unless ``EXPORT_ENABLED`` (off by default; ``Sandbox(export=True)`` or
``python -m sandbox --export``); ids follow the backup rule (at most 128 characters);
``include``/``exclude`` name classes exactly and unknown ones are ignored; one export runs
at a time (409), and an id is never reused (409, even after a failure or a cancel). The
snapshot is taken when the export starts; a worker writes one Parquet file per shard
(``sandbox.export_files``) under ``<root>/<id>/`` beside ``export_metadata.json`` and
``node_<node>_status.json``. Frozen tenants are SKIPPED. Async replication is on for every
collection with factor > 1 here (the sandbox has no ASYNC_REPLICATION_DISABLED), so the
scheduler's async-replication refusal never applies. Status is assembled from memory
while it runs and read from the metadata once it is over; cancel answers 204, or 409 once
it has finished. Errors carry the scheduler's ``export validation error:`` prefix.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.backup_files import ZERO, api_time, iso
from sandbox.backup_requests import VALID_ID
from sandbox.backups import BACKENDS
from sandbox.export_files import row, write_parquet
from sandbox.http import (
    Response,
    empty,
    fail,
    json_response,
)
from sandbox.store import OFFLOADED

if TYPE_CHECKING:
    from sandbox.core import Core

DISABLED = "export API is disabled; enable it via EXPORT_ENABLED=true or the runtime config"
INVALID = "export validation error"
METADATA = "export_metadata.json"
MAX_ID = 128
BUCKETED = ("s3", "gcs", "azure")  # need EXPORT_DEFAULT_BUCKET (scheduler.requiresBucket)


@dataclass
class Run:
    """One running export: its snapshot and live per-shard progress."""

    id: str
    backend: str
    home: Path
    classes: list[str]
    assignments: dict[str, dict[str, list[str]]]  # node -> class -> shards
    rows: dict[tuple[str, str], list[dict[str, Any]] | str]  # rows, or a skip reason
    tenants: set[tuple[str, str]]  # (class, shard) pairs that are tenants
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    progress: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)


class Exports:
    """The export scheduler and its filesystem backend (``EXPORT_DEFAULT_PATH``: ``root``)."""

    step_seconds = 0.05

    def __init__(self, root: Path | None, enabled: bool = False) -> None:
        self.enabled = enabled
        self._owned = root is None
        self.root = Path(tempfile.mkdtemp(prefix="sandbox-exports-")) if root is None \
            else Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.active: Run | None = None
        self._thread: threading.Thread | None = None

    def close(self) -> None:
        """Stop a running export and remove a temporary root."""
        with self.lock:
            if self.active is not None:
                self.active.cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def _check(self, backend: str, export_id: str) -> Path:
        """What Export, Status and Cancel check first; the export's home."""
        if not self.enabled:
            raise fail(422, DISABLED)
        if len(export_id) > MAX_ID:
            raise fail(422, f"{INVALID}: export id too long: {len(export_id)} characters, "
                            f"max {MAX_ID}")
        if not VALID_ID.match(export_id):
            raise fail(422, f"{INVALID}: invalid export id: '{export_id}' allowed characters "
                            "are lowercase, 0-9, _, -")
        if backend in BUCKETED:
            raise fail(422, f'{INVALID}: EXPORT_DEFAULT_BUCKET is required for backend '
                            f'"{backend}"')
        if backend not in BACKENDS:
            raise fail(422, f"{INVALID}: backend {backend} not available: backup: {backend} "
                            "not found")
        return self.root / export_id

    def _metadata(self, home: Path) -> dict[str, Any] | None:
        path = home / METADATA
        return orjson.loads(path.read_bytes()) if path.is_file() else None

    def _write(self, home: Path, name: str, data: dict[str, Any]) -> None:
        home.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))

    def create(self, app: Core, backend: str, body: dict[str, Any]) -> Response:
        """Validate, snapshot the chosen classes and start the worker."""
        export_id = body.get("id") or ""
        if not export_id:
            raise fail(422, "export ID is required")
        home = self._check(backend, export_id)
        include, exclude = body.get("include") or [], body.get("exclude") or []
        if include and exclude:
            raise fail(422, f"{INVALID}: resolve classes: cannot specify both 'include' and "
                            "'exclude'")
        db = app.db
        with self.lock, db.lock:
            every = list(db.collections)
            classes = [c for c in include if c in every] if include else \
                [c for c in every if c not in exclude]
            if not classes:
                raise fail(422, f"{INVALID}: no exportable classes")
            if self._metadata(home) is not None:
                raise fail(409, f'export already exists: export "{export_id}" already exists '
                                f'at "{home}"')
            if self.active is not None and not self.active.cancel.is_set():  # abort frees it
                raise fail(409, f"prepare node {db.nodes[0]}: export already active: export "
                                f'"{self.active.id}" already in progress')
            run = self._snapshot(db, export_id, backend, home, classes)
            self.active = run
            self._write(home, METADATA, self._meta(run, "STARTED"))
        self._thread = threading.Thread(target=self._work, args=(run,), daemon=True,
                                        name=f"sandbox-export:{export_id}")
        self._thread.start()
        return json_response({"backend": backend, "classes": classes, "id": export_id,
                              "path": str(home), "startedAt": iso(run.started, api=True),
                              "status": "STARTED"})

    @staticmethod
    def _snapshot(db: Any, export_id: str, backend: str, home: Path,
                  classes: list[str]) -> Run:
        """The point-in-time copy (under the database lock): rows per shard, one replica per
        shard (its first node)."""
        assignments: dict[str, dict[str, list[str]]] = {}
        rows: dict[tuple[str, str], list[dict[str, Any]] | str] = {}
        tenants: set[tuple[str, str]] = set()
        for name in classes:
            col = db.collections[name]
            for shard in col.shard_names():
                node = (col.placement.get(shard) or col.nodes)[0]
                assignments.setdefault(node, {}).setdefault(name, []).append(shard)
                rows[(name, shard)] = []
            if col.multi_tenant:
                tenants |= {(name, t) for t in col.tenants}
                for tenant, status in col.tenants.items():
                    rows[(name, tenant)] = f"tenant status is {status}" \
                        if status == OFFLOADED else [row(o) for o in col.partition(
                            tenant).values()]
            else:
                for obj in col.partition(None).values():
                    rows[(name, col.shard_of(obj.id, None))].append(row(obj))
        return Run(export_id, backend, home, classes, assignments, rows, tenants)

    @staticmethod
    def _meta(run: Run, status: str, error: str = "",
              completed: datetime = ZERO) -> dict[str, Any]:
        meta = {"id": run.id, "backend": run.backend, "startedAt": iso(run.started),
                "completedAt": iso(completed), "status": status, "classes": run.classes,
                "nodeAssignments": run.assignments}
        if error:
            meta["error"] = error
        if run.progress and status in ("SUCCESS", "FAILED"):
            meta["shardStatus"] = run.progress
        return meta

    def _work(self, run: Run) -> None:
        """Write shard after shard, pausing between them so progress can be watched."""
        failures: dict[str, str] = {}
        for node, by_class in run.assignments.items():
            for name, shards in by_class.items():
                for shard in shards:
                    if run.cancel.wait(self.step_seconds):
                        return self._release(run)
                    failures.setdefault(node, "")
                    problem = self._export_shard(run, name, shard)
                    if problem:
                        failures[node] += ("; " if failures[node] else "") + problem
            self._write(run.home, f"node_{node}_status.json", {
                "nodeName": node, "status": "FAILED" if failures.get(node) else "SUCCESS",
                "shardProgress": {c: run.progress.get(c, {}) for c in by_class},
                "error": failures.get(node, ""), "completedAt": iso(datetime.now(UTC))})
        failed = next(((n, e) for n, e in failures.items() if e), None)
        with self.lock:
            if not run.cancel.is_set():
                error = f"node {failed[0]} failed: {failed[1]}" if failed else ""
                self._write(run.home, METADATA, self._meta(
                    run, "FAILED" if failed else "SUCCESS", error, datetime.now(UTC)))
            self.active = None if self.active is run else self.active

    def _release(self, run: Run) -> None:
        with self.lock:
            self.active = None if self.active is run else self.active

    def _export_shard(self, run: Run, name: str, shard: str) -> str:
        """One shard's file and progress; the node's error text when it failed."""
        slot = run.progress.setdefault(name, {}).setdefault(shard, {})
        rows = run.rows[(name, shard)]
        if isinstance(rows, str):
            slot.update(status="SKIPPED", skipReason=rows)
            return ""
        slot.update(status="TRANSFERRING")
        tenant = shard if (name, shard) in run.tenants else None
        try:
            write_parquet(run.home / f"{name}_{shard}_0000.parquet", rows, name, tenant)
        except OSError as exc:
            slot.update(status="FAILED", error=str(exc))
            return f"failed to export class {name} shard {shard}: {exc}"
        slot.update(status="SUCCESS", objectsExported=len(rows))
        return ""

    def _running(self, export_id: str) -> Run | None:
        """The export still running under this id (a canceled one is over at once)."""
        run = self.active
        return run if run is not None and run.id == export_id and not run.cancel.is_set() \
            else None

    def status(self, backend: str, export_id: str) -> Response:
        """A running export assembled from memory, a finished one from its metadata."""
        home = self._check(backend, export_id)
        with self.lock:
            run = self._running(export_id)
            meta = self._meta(run, "TRANSFERRING") if run else self._metadata(home)
            shards = run.progress if run else (meta or {}).get("shardStatus")
        if meta is None:
            raise fail(404, "export not found")
        out: dict[str, Any] = {"backend": meta["backend"], "classes": meta["classes"],
                               "completedAt": api_time(meta["completedAt"]), "id": export_id,
                               "path": str(home), "startedAt": api_time(meta["startedAt"]),
                               "status": meta["status"]}
        if run is not None:  # every assigned shard shows, waiting ones as TRANSFERRING
            shards = {c: {s: dict(shards.get(c, {}).get(s) or {"status": "TRANSFERRING"})
                          for s in ss} for by in run.assignments.values() for c, ss in by.items()}
        if shards:
            out["shardStatus"] = shards
        if meta.get("error"):
            out["error"] = meta["error"]
        if meta["completedAt"] != iso(ZERO):
            done = datetime.fromisoformat(meta["completedAt"].replace("Z", "+00:00"))
            begun = datetime.fromisoformat(meta["startedAt"].replace("Z", "+00:00"))
            out["tookInMs"] = int((done - begun).total_seconds() * 1000)
        return json_response(out)

    def cancel_export(self, backend: str, export_id: str) -> Response:
        """Cancel a running export: CANCELED metadata and 204; 409 once it has finished."""
        home = self._check(backend, export_id)
        with self.lock:
            meta = self._metadata(home)
            if meta is None:
                raise fail(404, "export not found")
            run = self._running(export_id)
            if run is None or meta["status"] in ("SUCCESS", "FAILED", "CANCELED"):
                raise fail(409, "export has already finished")
            run.cancel.set()
            self._write(home, METADATA, self._meta(run, "CANCELED", "export was canceled",
                                                   datetime.now(UTC)))
        return empty(204)
