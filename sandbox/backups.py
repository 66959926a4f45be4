"""Weaviate's native backup API on the ``filesystem`` backend (REST-BEHAVIOUR.md §11).

Create snapshots the chosen classes under the database lock; a worker thread writes
``<root>/<id>/backup_config.json`` (Weaviate's descriptor shape) and one
``node1/<Class>.json`` per class (config, shards, tenants, aliases, every object;
vectors as the exact float64 values of their float32 components). Restore reads
them back in a worker. As in Weaviate's coordinator, a running operation is
answered from memory and a finished one from its descriptor on disk, so a new
sandbox on the same root sees old backups, and unfinished ones turn CANCELED at
start as after a node restart. Messages follow usecases/backup/*.go.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.backup_files import ZERO, api_time, class_names, iso, restore_class, snapshot
from sandbox.backup_requests import VALID_ID, check_id, expand, go_list, selection
from sandbox.http import Response, empty, fail, json_response

if TYPE_CHECKING:
    from sandbox.core import Core

BACKENDS = ("filesystem", "backup-filesystem")
FILES = {"create": "backup_config.json", "restore": "restore_config.json"}
GIB = 1024 ** 3
CANCELED_BY = {"create": "operation cancelled by user", "restore": "restore canceled by user"}


@dataclass
class Operation:
    """A running backup or restore: the coordinator's in-memory slot."""

    id: str
    home: Path
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "STARTED"
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class FilesystemBackend:
    """The ``backup-filesystem`` module and its two coordinators (create and restore)."""

    step_seconds = 0.1

    def __init__(self, root: Path | None) -> None:
        self._owned = root is None
        self.root = Path(tempfile.mkdtemp(prefix="sandbox-backups-")) if root is None \
            else Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.running: dict[str, Operation | None] = {"create": None, "restore": None}
        self.last_start = {"create": ZERO, "restore": ZERO}
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()
        for meta, home in self._descriptors():
            if meta["status"] in ("STARTED", "TRANSFERRING", "TRANSFERRED"):
                meta.update(status="CANCELED", error="backup canceled due to node restart")
                self.write(home, "create", meta)

    def close(self) -> None:
        """Stop the workers (an interrupted operation stays unfinished on disk) and clean up."""
        self._closing.set()
        with self.lock:
            for op in self.running.values():
                if op is not None:
                    op.cancel.set()
        for thread in self._threads:
            thread.join(timeout=2)
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def home(self, backup_id: str, override: str = "") -> Path:
        """Where a backup lives: ``<root>/<id>``, or ``<config.Path>/<id>``."""
        return Path(override or self.root) / backup_id

    def read(self, home: Path, kind: str, strict: bool = True) -> dict[str, Any] | None:
        """A descriptor, or None when absent (or unreadable, unless ``strict``)."""
        path = home / FILES[kind]
        if ".." in home.parts or not VALID_ID.match(home.name) or not path.is_file():
            return None
        try:
            return orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            if strict:
                raise fail(500, f'marshal meta file "{path.name}": {exc}') from None
            return None

    def write(self, home: Path, kind: str, meta: dict[str, Any]) -> None:
        """Replace a descriptor atomically."""
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f".{FILES[kind]}.tmp"
        tmp.write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        os.replace(tmp, home / FILES[kind])

    def _descriptors(self) -> list[tuple[dict[str, Any], Path]]:
        found = ((self.read(d, "create", strict=False), d) for d in self.root.iterdir())
        return [(m, d) for m, d in found if m]

    @staticmethod
    def missing(path: Path) -> str:
        """The filesystem module's not-found error for a descriptor."""
        return f"get object path could not find {path}: stat {path}: no such file or directory"

    def go_state(self, kind: str) -> str:
        """The coordinator's slot as Go's ``%v`` prints it (part of not-found messages)."""
        op, start = self.running[kind], self.last_start[kind]
        frac = f"{start.microsecond:06d}".rstrip("0")
        when = start.isoformat(sep=" ", timespec="seconds")[:19] + (f".{frac}" if frac else "")
        fields = [op.id, op.status, "", str(op.home), "", ""] if op else [""] * 6
        return "{" + " ".join([f"{when} +0000 UTC", *fields]) + "}"

    def _start(self, kind: str, op: Operation, meta: dict[str, Any], transfer: Callable[[], Any],
               finish: Callable[[Any], str]) -> None:
        self.running[kind], self.last_start[kind] = op, op.started
        self.write(op.home, kind, meta)
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=self._work, args=(kind, op, meta, transfer, finish),
                                  daemon=True, name=f"sandbox-{kind}:{op.id}")
        self._threads.append(thread)
        thread.start()

    def _work(self, kind: str, op: Operation, meta: dict[str, Any], transfer: Callable[[], Any],
              finish: Callable[[Any], str]) -> None:
        """STARTED, pause, TRANSFERRING and file work, pause, then the outcome under the lock
        (so a cancel either lands first or finds the operation finished)."""
        error, loaded = None, None
        if not op.cancel.wait(self.step_seconds):
            op.status = "TRANSFERRING"
            try:
                loaded = transfer()
            except (OSError, ValueError) as exc:
                error = str(exc)
            else:
                op.cancel.wait(self.step_seconds)
        with self.lock:
            self.running[kind] = None
            if op.cancel.is_set() and self._closing.is_set():
                return op.done.set()  # as after a crash: the descriptor stays unfinished
            if op.cancel.is_set():
                status, error = "CANCELED", CANCELED_BY[kind]
            else:
                try:
                    error = error if error is not None else finish(loaded)
                except Exception as exc:  # a sandbox bug must still end the operation
                    error = f"sandbox internal error: {type(exc).__name__}: {exc}"
                status = "FAILED" if error else "SUCCESS"
            meta.update(status=status, error=error, completedAt=iso(datetime.now(UTC)))
            for node in meta["nodes"].values():
                node.update(status=status, error=error)
            self.write(op.home, kind, meta)
            op.done.set()

    def create(self, app: Core, backend: str, body: dict[str, Any]) -> Response:
        """Validate as the scheduler does, snapshot the classes and start the worker."""
        config, backup_id = body.get("config") or {}, body.get("id") or ""
        include, exclude = selection(app, body, backup_id)
        home = self.home(backup_id, config.get("Path") or "")
        db = app.db
        with self.lock, db.lock:
            every = list(db.collections)
            if not every:
                raise fail(422, "no available classes to backup, there's nothing to do here")
            skip = expand(exclude, every)
            classes = [c for c in expand(include, every) or every if c not in skip]
            if not classes:
                raise fail(422, f"empty class list: please choose from : {go_list(every)}")
            unknown = [f"class {c} doesn't exist" for c in classes if c not in every]
            if unknown:
                raise fail(422, "\n".join(unknown))
            # With the flags on they are accepted; the sandbox backs up no users or roles.
            if body.get("includeUsers") and not app.db_users.enabled:
                raise fail(422, "'includeUsers' was set but dynamic DB users are not enabled")
            if body.get("includeRoles") and not app.rbac.enabled:
                raise fail(422, "'includeRoles' was set but RBAC is not enabled")
            old = self.read(home, "create")
            if old is not None and old["status"] != "CANCELED":
                raise fail(422, f'backup "{backup_id}" already exists at "{home}"')
            if self.running["create"] is not None:
                raise fail(422, f"backup {self.running['create'].id} already in progress")
            data = {name: snapshot(db, name) for name in classes}
            if old is not None:
                shutil.rmtree(home, ignore_errors=True)
            op, node = Operation(backup_id, home), db.nodes[0]
            meta = {"startedAt": iso(op.started), "completedAt": iso(ZERO), "id": backup_id,
                    "nodes": {node: {"classes": classes, "status": "STARTED", "error": "",
                                     "preCompressionSizeBytes": 0}},
                    "node_mapping": {}, "status": "STARTED", "version": "2.1",
                    "serverVersion": app.version, "leader": node, "error": "",
                    "preCompressionSizeBytes": 0}

            def transfer() -> int:
                (home / node).mkdir(parents=True, exist_ok=True)
                return sum((home / node / f"{c}.json").write_bytes(b) for c, b in data.items())

            def finish(size: int) -> str:
                meta["preCompressionSizeBytes"] = meta["nodes"][node]["preCompressionSizeBytes"] \
                    = size
                return ""
            self._start("create", op, meta, transfer, finish)
        bucket = {"bucket": config["Bucket"]} if config.get("Bucket") else {}
        return json_response({"backend": backend, **bucket, "classes": classes, "id": backup_id,
                              "path": str(home), "status": "STARTED"})

    def restore(self, app: Core, backend: str, backup_id: str, body: dict[str, Any]) -> Response:
        """Validate as the scheduler does and start the worker; class clashes fail it later."""
        include, exclude = selection(app, body, None)
        home = self.home(backup_id, (body.get("config") or {}).get("Path") or "")
        with self.lock:
            meta = self.read(home, "create")
            if meta is None:
                raise fail(404, f'backup id "{backup_id}" does not exist: '
                                f"{self.missing(home / FILES['create'])}: metadata not found")
            if meta["id"] != backup_id:
                raise fail(422, f'wrong backup file: expected "{backup_id}" got "{meta["id"]}"')
            if meta["status"] != "SUCCESS":
                raise fail(422, f"invalid backup in scheduler {home} status: {meta['status']}")
            available = class_names(meta)
            wanted, skip = expand(include, available), expand(exclude, available)
            absent = next((c for c in wanted if c not in available), None)
            if absent:
                raise fail(422, f"class {absent} doesn't exist in the backup, but does have "
                                f"{go_list(available)}: ")
            classes = [c for c in available if (c in wanted if wanted else c not in skip)]
            if not classes:
                raise fail(422, f"nothing left to restore: please choose from : "
                                f"{go_list(available)}")
            if self.running["restore"] is not None:
                raise fail(422, f"restoration {self.running['restore'].id} already in progress")
            op, folder = Operation(backup_id, home), home / meta["leader"]
            nodes = {n: {**d, "classes": [c for c in d["classes"] if c in classes]}
                     for n, d in meta["nodes"].items()}
            meta = {**meta, "nodes": nodes, "status": "STARTED", "error": "",
                    "startedAt": iso(op.started), "completedAt": iso(ZERO),
                    "node_mapping": body.get("node_mapping") or {}}

            def transfer() -> list[dict[str, Any]]:
                return [orjson.loads((folder / f"{c}.json").read_bytes()) for c in classes]

            def finish(payloads: list[dict[str, Any]]) -> str:
                db, errors = app.db, []  # the database of the moment the restore lands in
                for name, payload in zip(classes, payloads, strict=True):
                    with db.lock:
                        problem = restore_class(db, payload, bool(body.get("overwriteAlias")))
                    errors += [f'"{name}": {problem}'] if problem else []
                return f"could not restore classes: {go_list(errors)}" if errors else ""
            self._start("restore", op, meta, transfer, finish)
        return json_response({"backend": backend, "classes": classes, "id": backup_id,
                              "path": str(home), "status": "STARTED"})

    def status(self, kind: str, backend: str, backup_id: str, override: str) -> Response:
        """A running operation from memory, a finished one from its descriptor."""
        with self.lock:
            op, home = self.running[kind], self.home(backup_id, override)
            if op is not None and op.id == backup_id:
                meta: dict[str, Any] | None = {
                    "status": op.status, "error": "", "startedAt": iso(op.started),
                    "completedAt": iso(ZERO), "preCompressionSizeBytes": 0}
                home = op.home
            else:
                meta = self.read(home, kind)
            if meta is None:
                raise fail(404, f'coordinator cannot get status: metadata not found: '
                                f'"{op.home if op else ""}": {self.missing(home / FILES[kind])}'
                                f" store: {self.go_state(kind)}")
        out = {"backend": backend, "completedAt": api_time(meta["completedAt"]),
               "error": meta["error"], "id": backup_id, "path": str(home),
               "size": meta["preCompressionSizeBytes"] / GIB,
               "startedAt": api_time(meta["startedAt"]), "status": meta["status"]}
        keep = {"backend", "error", "id", "path", "status"} if kind == "restore" else out
        return json_response({k: v for k, v in out.items() if k in keep and v not in ("", 0)})

    def cancel(self, kind: str, backup_id: str, override: str) -> Response:
        """Cancel a running backup or restore: 204, or 422 once it has succeeded."""
        check_id(backup_id)
        with self.lock:
            op, home = self.running[kind], self.home(backup_id, override)
            op = op if op is not None and op.id == backup_id else None
            meta = self.read(home, kind, strict=False)
            status = op.status if op else meta["status"] if meta else None
            if status == "SUCCESS":
                word = "backup" if kind == "create" else "restore"
                raise fail(422, f'{word} "{backup_id}" already succeeded')
            if op is not None:
                op.cancel.set()
            elif kind == "restore" and meta is not None and status != "CANCELED":
                meta.update(status="CANCELED", error=CANCELED_BY[kind],
                            completedAt=iso(datetime.now(UTC)))
                self.write(home, kind, meta)
        if op is not None:
            op.done.wait(timeout=2)
        return empty(204)

    def list(self, backend: str, order: str) -> Response:
        """Every backup under the root, ordered by start time."""
        metas = sorted((m for m, _ in self._descriptors()), key=lambda m: m["startedAt"],
                       reverse=order == "desc")  # one fixed-width UTC format: sorts as text
        return json_response([{k: v for k, v in {
            "classes": class_names(m), "completedAt": api_time(m["completedAt"]), "id": m["id"],
            "size": m["preCompressionSizeBytes"] / GIB, "startedAt": api_time(m["startedAt"]),
            "status": m["status"]}.items() if v != 0} for m in metas])
