"""Safety backups: the copy a destructive command takes before it deletes or overwrites,
and the record ``\\undo`` restores from.

Each destructive run gets its own directory under ``STATE/safety/`` (owner-only, 0700)
holding ordinary logical backups (``commands.ops.backup.run``, one per collection) and
``undo.json``, which says what the run did, when, on which cluster, and whether it was
undone. The record is written once the backups are complete and before the first
destructive request, so it survives a run killed halfway.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops import cluster, collections
from commands.ops.backup import catalog
from commands.ops.backup.format import write_atomic
from commands.ops.backup.run import BackupRequest, run_backup
from commands.ops.objects import aggregate_count
from commands.owner_only import private_dir
from commands.progress import Progress

AREA = "safety"
RECORD = "undo.json"
RECORD_FORMAT = "elysiactl-undo"
TEXT_FIELDS = ("operation", "cluster", "time")


@dataclass(frozen=True, slots=True)
class SafetyChoice:
    """Whether a destructive run will take a safety backup, and the sentence that says so."""

    directory: Path | None
    reason: str

    @property
    def taken(self) -> bool:
        return self.directory is not None


@dataclass
class UndoRecord:
    """What one destructive run did and where its safety backups are (``undo.json``)."""

    operation: str
    cluster: str
    collections: list[str]
    backups: list[str]
    objects: int
    bytes: int
    time: str = field(default_factory=catalog.now_iso)
    tenant: str | None = None
    restored: str | None = None
    """For a restore over existing data: the manifest it restored (what \\undo takes away)."""
    undone: str | None = None
    format: str = RECORD_FORMAT
    directory: str = ""

    def save(self) -> None:
        """Write it durably into its directory."""
        data = {k: v for k, v in asdict(self).items() if k != "directory"}
        write_atomic(Path(self.directory) / RECORD, orjson.dumps(data, option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, directory: Path) -> UndoRecord | None:
        """The record in ``directory``, or None when there is none readable (one whose
        fields are not of their types, hand-edited, is not readable either)."""
        try:
            data = orjson.loads((directory / RECORD).read_bytes())
            if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
                return None
            record = cls(**data, directory=str(directory))
        except (OSError, orjson.JSONDecodeError, TypeError):
            return None
        typed = all(isinstance(getattr(record, name), str) for name in TEXT_FIELDS) \
            and all(type(getattr(record, name)) is int for name in ("objects", "bytes")) \
            and all(isinstance(getattr(record, name), list) and all(
                isinstance(item, str) for item in getattr(record, name))
                for name in ("collections", "backups"))
        return record if typed else None

    def mark_undone(self) -> None:
        """Record that ``\\undo`` brought this back (it is not offered again)."""
        self.undone = catalog.now_iso()
        self.save()

    @property
    def missing(self) -> list[str]:
        """Backups of the record that are gone (pruned or removed by hand)."""
        return [b for b in self.backups if not Path(b).is_file()]

    @property
    def state(self) -> str:
        """Whether ``\\undo`` can still bring it back, for a listing."""
        if self.undone:
            return f"undone {self.undone}"
        return "backup missing: " + ", ".join(self.missing) if self.missing else "can be undone"


def area(state_dir: Path) -> Path:
    """``STATE/safety``, created owner-only."""
    path = private_dir(state_dir / AREA)
    os.chmod(path, 0o700)  # one an older version made wider too
    return path


def choose(state_dir: Path | None, objects: int | None, limit: int, skip: bool,
           what: str) -> SafetyChoice:
    """Decide before the preview whether a safety backup of ``what`` will be taken."""
    if skip:
        return SafetyChoice(None, f"--no-safety-backup: no safety backup of {what} will be "
                                  "taken; \\undo cannot bring it back")
    if state_dir is None:
        return SafetyChoice(None, f"no safety backup of {what} will be taken: the shell has no "
                                  "state directory; \\undo cannot bring it back")
    if limit == 0:
        return SafetyChoice(None, f"no safety backup of {what} will be taken: "
                                  "safety_backup_max_objects is 0 in the config file; \\undo "
                                  "cannot bring it back")
    if objects is not None and objects > limit:
        return SafetyChoice(None, f"no safety backup of {what} will be taken: {objects:,} "
                                  f"objects are more than safety_backup_max_objects ({limit:,}); "
                                  "\\undo cannot bring it back (\\backup it first, or raise "
                                  "the limit in the config file)")
    directory = state_dir / AREA
    return SafetyChoice(directory, f"a safety backup of {what} will be taken first, into "
                                   f"{directory}: \\undo brings it back")


def take(api: RestClient, choice: SafetyChoice, operation: str,
         scopes: Iterable[tuple[str, str | None]], progress: Progress | None = None,
         restored: str | None = None) -> tuple[UndoRecord, list[str]]:
    """Back up each ``(collection, tenant)`` into a new directory of the safety area and write
    its undo record; the record and the backups' warnings."""
    assert choice.directory is not None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    directory = area(choice.directory.parent) / f"{stamp}-{operation}-{secrets.token_hex(3)}"
    directory.mkdir(mode=0o700)
    backups, warnings, objects, size, names, tenant = [], [], 0, 0, [], None
    try:
        for name, tenant in scopes:
            outcome = run_backup(api, BackupRequest(collection=name, directory=directory,
                                                    tenant=tenant), progress)
            backups.append(str(outcome.path))
            warnings += outcome.warnings
            objects += outcome.manifest.objects
            size += sum(c.bytes for c in outcome.manifest.chunks)
            names.append(outcome.manifest.collection)
    except BaseException:  # the command stops before changing anything: no half backup kept
        shutil.rmtree(directory, ignore_errors=True)
        raise
    record = UndoRecord(operation=operation, cluster=api.url, collections=names,
                        backups=backups, objects=objects, bytes=size, tenant=tenant,
                        restored=restored, directory=str(directory))
    record.save()
    return record, warnings


def records(state_dir: Path | None, cluster: str | None) -> list[UndoRecord]:
    """The undo records of ``cluster`` (None: of every cluster), newest first."""
    if state_dir is None or not (state_dir / AREA).is_dir():
        return []
    found = (UndoRecord.load(d) for d in (state_dir / AREA).iterdir() if d.is_dir())
    return sorted((r for r in found if r is not None and cluster in (None, r.cluster)),
                  key=lambda r: r.time, reverse=True)


def undoable(state_dir: Path | None, cluster: str) -> UndoRecord | None:
    """The newest record that was not undone and still has all its backups."""
    return next((r for r in records(state_dir, cluster) if not r.undone and not r.missing),
                None)


def object_count(api: RestClient, cls: dict[str, Any]) -> int | None:
    """How many objects a collection holds: counted, or the nodes' approximate total when
    it is multi-tenant; None when it cannot be told."""
    name = cls["class"]
    try:
        if not collections.is_multi_tenant(cls):
            return aggregate_count(api, name)
        return cluster.collection_counts(cluster.fetch_nodes(api)).get(name)
    except ShellError:
        return None


def backups_of(names: Iterable[str], directories: Iterable[Path]) -> list[catalog.CatalogEntry]:
    """The complete backups in ``directories`` (and in those of their subdirectories that
    hold an undo record: the safety area's) holding one of ``names``, oldest first."""
    wanted = set(names)
    out: list[catalog.CatalogEntry] = []
    for directory in directories:
        try:
            found = [directory] + sorted(d for d in directory.iterdir() if d.is_dir()
                                         and (d / RECORD).is_file()) if directory.is_dir() else []
            for folder in found:
                out += [e for e in catalog.catalog(folder)
                        if e.complete and e.collection in wanted]
        except OSError:  # a directory that cannot be read only lists nothing
            continue
    unique = {e.path.resolve(): e for e in out}  # a directory named twice lists once
    return sorted(unique.values(), key=lambda e: e.created)


def summary(record: UndoRecord) -> dict[str, Any]:
    """The audit entry's ``safety_backup`` field."""
    return {"directory": record.directory, "backups": record.backups,
            "objects": record.objects}
