"""The backups in a directory: file names, the catalog, base and checkpoint lookup, verify.

Layout (see ``backup_format``): ``NAME.<id>.json`` manifests, ``NAME.<id>.data/`` chunks,
``NAME.<id>.json.partial`` checkpoints and ``NAME.json``, a copy of the latest
completed manifest of NAME. The catalog reads manifests only (never chunks), so it
is quick however big the backups are; ``verify`` reads every chunk of a chain.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from commands.ops.backup import lock
from commands.ops.backup.format import (
    CHUNK_KINDS,
    BackupError,
    Manifest,
    id_key,
    read_chunk,
    write_atomic,
)

PARTIAL = ".partial"


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def manifest_path(directory: Path, collection: str, backup_id: str) -> Path:
    """``DIR/NAME.<id>.json``."""
    return directory / f"{collection}.{backup_id}.json"


def partial_path(directory: Path, collection: str, backup_id: str) -> Path:
    """``DIR/NAME.<id>.json.partial``: the checkpoint of a running (or interrupted) backup."""
    return directory / f"{collection}.{backup_id}.json{PARTIAL}"


def data_dir(collection: str, backup_id: str) -> str:
    """The chunk folder's name, relative to the manifest's directory."""
    return f"{collection}.{backup_id}.data"


def new_id(directory: Path, collection: str, when: datetime | None = None) -> str:
    """A free id for a new backup: the UTC time, with ``-2``, ``-3``... if it is taken."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = stamp, 1
    while id_taken(directory, collection, candidate):
        n += 1
        candidate = f"{stamp}-{n}"
    return candidate


def id_taken(directory: Path, collection: str, backup_id: str) -> bool:
    """True when a manifest, checkpoint or chunk folder of that id exists."""
    return any(p.exists() for p in (manifest_path(directory, collection, backup_id),
                                    partial_path(directory, collection, backup_id),
                                    directory / data_dir(collection, backup_id)))


def age(manifest: Manifest) -> tuple[str, tuple[str, int]]:
    """Sort key of backups, oldest first: start time, then id (ids given with --id are
    words, so the time decides)."""
    return manifest.started, id_key(manifest.id)


def _load_quietly(path: Path, warnings: list[str]) -> Manifest | None:
    """A manifest, or None for files that are not ours (a note for broken ones of ours)."""
    try:
        return Manifest.load(path)
    except BackupError as exc:
        if "not an elysiactl backup" not in exc.message:
            warnings.append(exc.message)
    return None


def scan(directory: Path, warnings: list[str] | None = None
         ) -> list[tuple[Path, Manifest]]:
    """Every manifest and checkpoint in ``directory``, without ``NAME.json`` copies (a copy
    counts only when the manifest it copies is gone), sorted by collection and id."""
    notes = warnings if warnings is not None else []
    found: dict[tuple[str, str, bool], tuple[Path, Manifest]] = {}
    copies: list[tuple[Path, Manifest]] = []
    if not directory.is_dir():
        return []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        partial = path.name.endswith(f".json{PARTIAL}")
        if not (partial or path.suffix == ".json"):
            continue
        manifest = _load_quietly(path, notes)
        if manifest is None:
            continue
        canonical = partial_path(directory, manifest.collection, manifest.id) if partial \
            else manifest_path(directory, manifest.collection, manifest.id)
        if path.name == canonical.name:
            found[(manifest.collection, manifest.id, partial)] = (path, manifest)
        elif not partial:
            copies.append((path, manifest))
    for path, manifest in copies:
        found.setdefault((manifest.collection, manifest.id, False), (path, manifest))
    return sorted(found.values(), key=lambda pm: (pm[1].collection.lower(), age(pm[1]),
                                                  pm[0].name.endswith(PARTIAL)))


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One row of ``\\backups``."""

    id: str
    collection: str
    kind: str
    file_format: str
    objects: int
    size: int
    created: str
    base: str | None
    verified: str | None
    path: Path
    complete: bool


def catalog(directory: Path, warnings: list[str] | None = None) -> list[CatalogEntry]:
    """The backups of ``directory``; unfinished ones have ``complete`` False."""
    return [CatalogEntry(id=m.id, collection=m.collection, kind=m.kind,
                         file_format=m.file_format, objects=m.objects,
                         size=sum(c.bytes for c in m.chunks), created=m.started,
                         base=(m.base or {}).get("id"), verified=m.verified, path=path,
                         complete=m.completed is not None and not path.name.endswith(PARTIAL))
            for path, m in scan(directory, warnings)]


def find_base(directory: Path, collection: str, base_id: str | None) -> tuple[Path, Manifest]:
    """The base of an incremental backup: ``base_id``, else the latest complete full or
    incremental backup of ``collection`` in ``directory``."""
    if base_id is not None:
        path = manifest_path(directory, collection, base_id)
        manifest = Manifest.load(path)
        if manifest.completed is None or manifest.kind not in ("full", "incremental"):
            raise BackupError(f"{path}: a {manifest.kind} backup"
                              f"{'' if manifest.completed else ' that never completed'} "
                              "cannot be the base of an incremental backup",
                              rf"\backups {directory} lists the backups")
        return path, manifest
    bases = [(p, m) for p, m in scan(directory) if m.collection == collection
             and m.completed is not None and m.kind in ("full", "incremental")
             and not p.name.endswith(PARTIAL)]
    if not bases:
        raise BackupError(f"no complete backup of {collection} in {directory} to be the base "
                          "of an incremental backup",
                          rf"run a full backup first: \backup {collection} --output {directory}")
    return max(bases, key=lambda pm: age(pm[1]))


def find_partial(directory: Path, collection: str, *, kind: str, codec: str,
                 tenant: str | None, base_id: str | None = None,
                 backup_id: str | None = None,
                 file_format: str = "jsonl") -> tuple[Path, Manifest] | None:
    """The latest checkpoint of ``collection`` taken with the same kind, codec, file format
    and tenant (and the same base and id, when those are given), or None."""
    pattern = glob.escape(str(directory / collection)) + f".*.json{PARTIAL}"
    candidates = []
    for name in glob.glob(pattern):
        path = Path(name)
        manifest = _load_quietly(path, [])
        if manifest is None or manifest.collection != collection or manifest.cursor is None:
            continue
        if (manifest.kind, manifest.codec, manifest.file_format, manifest.tenant) != (
                kind, codec, file_format, tenant):
            continue
        if base_id is not None and (manifest.base or {}).get("id") != base_id:
            continue
        if backup_id is not None and manifest.id != backup_id:
            continue
        candidates.append((path, manifest))
    return max(candidates, key=lambda pm: age(pm[1])) if candidates else None


def publish(directory: Path, manifest: Manifest) -> Path:
    """Write a completed manifest as ``NAME.<id>.json`` and as ``NAME.json``; its path."""
    data = manifest.to_json()
    path = manifest_path(directory, manifest.collection, manifest.id)
    write_atomic(path, data)
    write_atomic(directory / f"{manifest.collection}.json", data)
    return path


@dataclass
class VerifyReport:
    """What ``verify`` checked: rows of (check, file, result), and the chain's manifests."""

    path: Path
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    chain: list[Path] = field(default_factory=list)
    verified: str | None = None


def _verify_one(path: Path, report: VerifyReport) -> Manifest:
    """Check one manifest and all its chunks; ``BackupError`` naming the bad file."""
    manifest = Manifest.load(path)
    if manifest.completed is None or manifest.cursor is not None:
        raise BackupError(f"{path}: the backup never completed",
                          "run the same \\backup command again to finish it")
    directory, totals = path.parent, dict.fromkeys(CHUNK_KINDS, 0)
    for chunk in manifest.chunks:
        file = directory / chunk.file
        entries = sum(1 for _ in read_chunk(directory, chunk, manifest.codec))  # or BackupError
        totals[chunk.kind] += entries
        report.rows.append((f"{chunk.kind} chunk", str(file),
                            f"ok: {entries} entries in {chunk.lines} lines, {chunk.bytes} "
                            "bytes, sha256 matches"))
    expected = {"objects": manifest.objects, "deleted": manifest.deleted,
                "index": manifest.present}
    wrong = [f"{k}: chunks hold {totals[k]}, the manifest says {expected[k]}"
             for k in CHUNK_KINDS if totals[k] != expected[k]]
    if wrong:
        raise BackupError(f"{path}: counts do not match ({'; '.join(wrong)})")
    report.rows.append(("counts", str(path), f"ok: {manifest.objects} objects, "
                        f"{manifest.deleted} deleted, {manifest.present} indexed"))
    return manifest


def _record_verified(path: Path, manifest: Manifest, when: str | None) -> None:
    """Store ``verified`` in the manifest and in its twin (``NAME.json`` or ``NAME.<id>.json``)
    when that is the same backup."""
    manifest.verified = when
    data = manifest.to_json()
    twins = {path, manifest_path(path.parent, manifest.collection, manifest.id),
             path.parent / f"{manifest.collection}.json"}
    for twin in twins:
        if twin == path or (twin.exists() and _same_backup(twin, manifest)):
            write_atomic(twin, data)


def _same_backup(path: Path, manifest: Manifest) -> bool:
    other = _load_quietly(path, [])
    return other is not None and other.id == manifest.id \
        and other.collection == manifest.collection


def verify(path: Path, record: bool = True) -> VerifyReport:
    """Check a backup and the chain behind it: every chunk's size, checksum and line count,
    each manifest's counts, and each base link (present, same collection, complete).
    With ``record`` (not in a dry run), holding the directory's lock as a reader (no prune
    or backup runs meanwhile; manifests are replaced whole), stores ``verified``
    (the time, or null for a chain that failed) in every manifest checked; a failure
    raises ``BackupError`` naming the bad file."""
    if not record:
        return _verify_chain(path, record)
    with lock.held(path.parent, rf"\backup verify {path}", shared=True):
        return _verify_chain(path, record)


def _verify_chain(path: Path, record: bool) -> VerifyReport:
    report, current, seen = VerifyReport(path), path, set()
    loaded: list[tuple[Path, Manifest]] = []
    try:
        while current is not None:
            if current.resolve() in seen:
                raise BackupError(f"{current}: the chain of base backups loops")
            seen.add(current.resolve())
            report.chain.append(current)
            manifest = _verify_one(current, report)
            loaded.append((current, manifest))
            if manifest.base is None:
                current = None
                continue
            base = current.parent / manifest.base["path"]
            if not base.is_file():
                raise BackupError(f"{base}: the base backup {manifest.base['id']} of "
                                  f"{current} is missing")
            other = Manifest.load(base)
            if other.id != manifest.base["id"] or other.collection != manifest.collection:
                raise BackupError(f"{base}: expected base {manifest.base['id']} of "
                                  f"{manifest.collection}, found {other.id} of "
                                  f"{other.collection}")
            report.rows.append(("base link", str(current), f"ok: {other.id} ({base.name})"))
            current = base
    except BackupError:
        for link in report.chain if record else ():  # down to the failing one: no mark
            manifest = _load_quietly(link, [])
            if manifest is not None:
                _record_verified(link, manifest, None)
        raise
    report.verified = now_iso()
    for link, manifest in loaded if record else ():
        _record_verified(link, manifest, report.verified)
    return report
