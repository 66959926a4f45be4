"""Logical backups: a collection streamed through the ``after`` cursor into checksummed chunks.

The work (streamed with flat memory by ``commands.ops.backup.stream``) is a plan of
steps, one per tenant in name order (a single step for a class without
multi-tenancy): ``read`` (cursor through the live tenant, merge-joined with the base's
index for an incremental backup), ``carry`` (copy the base's index of a tenant this
backup does not read) and ``gone`` (a tenant of the base that no longer exists: every
object of it is deleted).

Every ``CHUNK`` live objects a window ends: its ``objects``, ``deleted`` and ``index``
chunks are written durably, then the checkpoint (``NAME.<id>.json.partial``) with the
step and the last id. Window boundaries depend only on the data, so a rerun that
resumes from a checkpoint writes the same chunks, with the same numbers, as an
uninterrupted run; a chunk written after the last checkpoint is simply written again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError
from commands.ops import collections, schema
from commands.ops.backup import catalog, lock, parquet
from commands.ops.backup.format import BackupError, Manifest, write_atomic
from commands.ops.backup.stream import CHUNK, PAGE, Streamer
from commands.ops.objects import aggregate_count
from commands.ops.tenants import documented_status, fetch_tenants
from commands.progress import Progress, bar

__all__ = ["CHUNK", "PAGE", "BackupOutcome", "BackupRequest", "run_backup"]
COUNTED_TENANTS = 50  # above this many tenants the progress total is not counted first


@dataclass(frozen=True, slots=True)
class BackupRequest:
    """What to back up, where and how (the options of ``\\backup``)."""

    collection: str
    directory: Path
    kind: str = "full"
    codec: str = "none"
    tenant: str | None = None
    base: str | None = None
    backup_id: str | None = None
    file_format: str = "jsonl"

    @property
    def command(self) -> str:
        """The ``\\backup`` command line this request stands for (the lock records it)."""
        words = [rf"\backup {self.collection} --output {self.directory}"]
        words += ["--schema-only"] * (self.kind == "schema-only")
        words += ["--incremental"] * (self.kind == "incremental")
        words += [f"--compress={self.codec}"] * (self.codec != "none")
        words += [f"--file-format {self.file_format}"] * (self.file_format != "jsonl")
        words += [f"--{name} {value}" for name, value in
                  (("tenant", self.tenant), ("base", self.base), ("id", self.backup_id)) if value]
        return " ".join(words)


@dataclass
class BackupOutcome:
    """A completed backup: its manifest and path, whether it resumed, and warnings."""

    manifest: Manifest
    path: Path
    resumed: int | None = None
    warnings: list[str] = field(default_factory=list)


def _plan(cls: dict[str, Any], tenants: list[dict[str, Any]], only: str | None,
          base: Manifest | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The steps of a backup and the tenants in scope it cannot read (not ACTIVE)."""
    if not collections.is_multi_tenant(cls):
        return [{"tenant": None, "action": "read"}], []
    status = {t.get("name"): documented_status(t.get("activityStatus")) for t in tenants}
    indexed = {c.tenant for c in base.chunks if c.kind == "index"} if base else set()
    steps, skipped = [], []
    for name in sorted(set(status) | indexed - {None}):
        in_scope = only is None or name == only
        if in_scope and status.get(name) == "ACTIVE":
            steps.append({"tenant": name, "action": "read"})
            continue
        if in_scope and name in status:
            skipped.append({"name": name, "status": status[name]})
        if name in indexed:
            gone = in_scope and name not in status
            steps.append({"tenant": name, "action": "gone" if gone else "carry"})
    return steps, skipped


def _recorded(tenants: list[dict[str, Any]], only: str | None, steps: list[dict[str, Any]],
              base: Manifest | None) -> list[dict[str, Any]]:
    """The tenants a backup stands for, by name: all of them, or ``only`` plus those whose
    objects an incremental carries over from its base (as the cluster lists them now, or
    as the base recorded them if they are gone)."""
    if only is not None:
        known = {t.get("name"): t for t in (base.tenants if base else [])}
        known |= {t.get("name"): t for t in tenants}
        wanted = {only} | {s["tenant"] for s in steps if s["action"] == "carry"}
        tenants = [known[n] for n in wanted if n in known]
    return sorted(tenants, key=lambda t: t.get("name", ""))


def _check_tenant(cls: dict[str, Any], tenants: list[dict[str, Any]], tenant: str) -> None:
    name = cls["class"]
    if not collections.is_multi_tenant(cls):
        raise UsageError(f"{name} has no multi-tenancy: --tenant cannot be used",
                         f"\\backup {name} backs up the whole collection")
    found = {t.get("name"): documented_status(t.get("activityStatus")) for t in tenants}
    if tenant not in found:
        raise ShellError(f"no tenant {tenant!r} in {name}", f"\\tenants {name} lists them")
    if found[tenant] != "ACTIVE":
        raise ShellError(f"tenant {tenant} of {name} is {found[tenant]}: its objects cannot "
                         "be read", "activate it first, or back up the schema only")


def _total(api: RestClient, manifest: Manifest) -> int | None:
    """Objects the read steps will go through (None when too many tenants to count)."""
    steps = [s for s in (manifest.cursor or {}).get("plan", []) if s["action"] == "read"]
    if len(steps) > COUNTED_TENANTS:
        return None
    try:
        return sum(aggregate_count(api, manifest.collection, s["tenant"]) for s in steps)
    except ShellError:
        return None


def _skipped_warning(manifest: Manifest) -> list[str]:
    if not manifest.skipped_tenants:
        return []
    names = ", ".join(f"{t['name']} ({t['status']})" for t in manifest.skipped_tenants)
    kept = "their objects are carried over from the base unchanged" \
        if manifest.kind == "incremental" else "they are recorded without objects"
    return [f"tenants not ACTIVE cannot be read and were not backed up: {names}; {kept}"]


def _start(api: RestClient, request: BackupRequest, cls: dict[str, Any],
           tenants: list[dict[str, Any]]) -> tuple[Manifest, tuple[Path, Manifest] | None]:
    """A new backup's manifest (cursor at the start) and its base."""
    directory, name = request.directory, cls["class"]
    base = catalog.find_base(directory, name, request.base) \
        if request.kind == "incremental" else None
    backup_id = request.backup_id or catalog.new_id(directory, name)
    if request.backup_id and catalog.id_taken(directory, name, backup_id):
        raise ShellError(f"a backup {backup_id} of {name} already exists in {directory}",
                         "choose another --id, or leave it out")
    steps, skipped = _plan(cls, tenants, request.tenant, base[1] if base else None) \
        if request.kind != "schema-only" else ([], [])
    meta = api.get_json("/v1/meta") or {}
    manifest = Manifest(id=backup_id, kind=request.kind, collection=name,
                        source={"cluster": api.url, "server_version": meta.get("version")},
                        started=catalog.now_iso(), cls=cls,
                        tenants=_recorded(tenants, request.tenant, steps,
                                          base[1] if base else None),
                        codec=request.codec, file_format=request.file_format,
                        tenant=request.tenant, skipped_tenants=skipped,
                        base={"id": base[1].id, "path": base[0].name} if base else None)
    if request.kind != "schema-only":
        manifest.cursor = {"plan": steps, "step": 0, "after": None}
    return manifest, base


def run_backup(api: RestClient, request: BackupRequest,
               progress: Progress | None = None) -> BackupOutcome:
    """Back up ``request.collection``, resuming a matching checkpoint if there is one."""
    if request.file_format == "parquet":
        parquet.pyarrow()  # without it, the usage error before anything is read or written
    cls = schema.get_class(api, request.collection)
    name, directory = cls["class"], request.directory
    tenants = fetch_tenants(api, name) if collections.is_multi_tenant(cls) else []
    if request.tenant is not None:
        _check_tenant(cls, tenants, request.tenant)
    with lock.held(directory, request.command) as stale:
        outcome = _run_locked(api, request, cls, tenants, progress)
    outcome.warnings[:0] = lock.stale_warning(stale)
    return outcome


def _run_locked(api: RestClient, request: BackupRequest, cls: dict[str, Any],
                tenants: list[dict[str, Any]], progress: Progress | None) -> BackupOutcome:
    """The backup itself, holding its directory's lock (so the id it takes stays its own)."""
    name, directory = cls["class"], request.directory
    found = None if request.kind == "schema-only" else catalog.find_partial(
        directory, name, kind=request.kind, codec=request.codec, tenant=request.tenant,
        file_format=request.file_format, base_id=request.base, backup_id=request.backup_id)
    resumed: int | None = None
    if found is not None:
        manifest = found[1]
        base_path = directory / manifest.base["path"] if manifest.base else None
        base = (base_path, Manifest.load(base_path)) if base_path else None
        for chunk in manifest.chunks:
            file = directory / chunk.file
            if not file.is_file() or file.stat().st_size != chunk.bytes:
                raise BackupError(f"{file}: a chunk of the interrupted backup {manifest.id} is "
                                  "missing or changed: it cannot be resumed",
                                  f"remove {found[0]} to start a new backup")
        resumed = manifest.present
    else:
        manifest, base = _start(api, request, cls, tenants)
    if manifest.cursor is None:  # schema only: nothing to stream
        manifest.completed = catalog.now_iso()
        return BackupOutcome(manifest, catalog.publish(directory, manifest))
    partial = catalog.partial_path(directory, name, manifest.id)
    write_atomic(partial, manifest.to_json())
    total = _total(api, manifest) if progress is not None else None
    read = {s["tenant"] for s in manifest.cursor["plan"] if s["action"] == "read"}
    done = sum(c.objects for c in manifest.chunks if c.kind == "index" and c.tenant in read)
    try:
        with bar(progress, f"backing up {name}", total) as advance:
            if done:
                advance(done)
            Streamer(api, directory, manifest, base, advance).run()
    except ShellError as exc:
        resume = f"the same command resumes the backup from its checkpoint {partial}"
        exc.hint = f"{exc.hint}; {resume}" if exc.hint else resume
        raise
    manifest.cursor, manifest.completed = None, catalog.now_iso()
    path = catalog.publish(directory, manifest)
    partial.unlink(missing_ok=True)
    _sweep(directory, manifest)
    return BackupOutcome(manifest, path, resumed, _skipped_warning(manifest))


def _sweep(directory: Path, manifest: Manifest) -> None:
    """Remove files of the chunk folder the manifest does not name (from an interrupted
    run whose rerun wrote fewer chunks, or temporary files)."""
    folder = directory / catalog.data_dir(manifest.collection, manifest.id)
    if not folder.is_dir():
        return
    keep = {Path(c.file).name for c in manifest.chunks}
    for file in folder.iterdir():
        if file.name not in keep and file.is_file():
            file.unlink(missing_ok=True)
