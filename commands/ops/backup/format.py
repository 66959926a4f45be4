"""The logical backup format: a self-describing manifest plus checksummed data chunks.

A backup of collection NAME in directory DIR is ``DIR/NAME.<id>.json`` (its manifest)
plus ``DIR/NAME.<id>.data/NNNNNN.jsonl[.zst|.gz]`` (its chunks); ``DIR/NAME.json`` is a
copy of the manifest of the latest completed backup of NAME (the entry point, as in
``restore ./backup/NAME.json``). Ids are UTC times, ``20261124T015300Z``, with ``-2``,
``-3``... when one is taken twice in a second (``id_key`` sorts them), or a word given
with ``--id``; backups are ordered by ``started``, then id. The manifest::

    {"format": "elysiactl-backup", "version": 2, "id": "20261124T015300Z",
     "kind": "full" | "incremental" | "schema-only", "collection": "Article",
     "source": {"cluster": "http://...", "server_version": "1.39.0"},
     "started": ISO, "completed": ISO | null, "class": {class JSON}, "tenants": [Tenant],
     "objects": N, "deleted": N, "present": N, "codec": "zstd" | "gzip" | "none",
     "file_format": "jsonl" | "parquet",
     "base": null | {"id": ..., "path": "Article.20261101T...json"},
     "tenant": null | "t1", "skipped_tenants": [{"name": "t3", "status": "INACTIVE"}],
     "verified": null | ISO, "cursor": null | {...},
     "chunks": [{"file": "Article.20261124T015300Z.data/000001.jsonl.zst",
                 "kind": "objects" | "deleted" | "index",
                 "tenant": null | "t1", "objects": 5000, "lines": 5, "bytes": 812345,
                 "sha256": "...", "first": id, "last": id}],
     "sha256": "..."}

Paths in a manifest (``chunks[].file``, ``base.path``) are relative to its directory. The
last ``sha256`` is the manifest's own: of its JSON object without that key, keys sorted and
indented by two spaces, as orjson writes it; with the chunks' checksums it lets a restore
refuse any corrupted or edited file before writing anything.
``tenants`` are Weaviate's Tenant objects as the cluster listed them; ``tenant`` is set
when the backup covers one tenant only (``--tenant``); ``skipped_tenants`` are the
tenants in scope that could not be read (not ACTIVE): no data of theirs was read.

Chunk kinds; every chunk of a ``file_format: jsonl`` backup is JSON lines in UUID order
within its tenant, compressed by ``codec``, and the chunks of a tenant are contiguous
(tenants in name order). A chunk's ``objects`` counts objects, ``lines`` its lines:

- ``objects``: one cursor page per line, ``{"objects": [object, ...]}``, the objects as
  Weaviate's ``GET /v1/objects?include=vector`` returns them (``id``, ``properties``,
  ``vector``, ``vectors``, ``tenant``, ``creationTimeUnix``, ``lastUpdateTimeUnix``...;
  other keys of the page are ignored). A page whose objects are all kept is stored as the
  server sent it (only surrounding whitespace removed, and re-encoded if it spanned several
  lines), so a full backup costs no re-encoding. A full backup holds every object, an
  incremental one the objects created or changed since its base.
- ``deleted`` (incremental only): ``{"id", "tenant"}`` of objects its base held that are
  gone. The ids of an incremental's ``objects`` and ``deleted`` chunks never overlap.
- ``index``: ``{"id", "tenant", "lastUpdateTimeUnix"}`` of every object present when the
  backup was taken (for tenants not read by an incremental, the base's entries carried
  over). Incrementals merge-join their base's index with the live cursor to find changes
  and deletions. ``present`` is its line count: the object count a restore of the chain
  ending at this backup must find.

A ``file_format: parquet`` backup has the same chunks as Parquet files,
``NNNNNN.<kind>.parquet``, one row per entry (``commands.ops.backup.parquet`` describes
the columns). The links of a chain may differ in format: each chunk is read by its
file's suffix.

Restoring a chain (``base`` links back to a full backup): restore the full backup's
``objects``, then for each incremental, oldest first, upsert its ``objects`` and delete
its ``deleted`` ids. ``kind: schema-only`` has no chunks (class and tenants only).

Every file is written to a temporary name, flushed to disk and renamed, so a crash
leaves either the old file or the new one, never half of one. While a backup runs,
``NAME.<id>.json.partial`` is its checkpoint: the manifest with the chunks written so
far, ``completed`` null and ``cursor`` (where to go on); a rerun resumes from it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from commands.errors import ShellError
from commands.ops.backup import parquet
from commands.ops.backup.settings import FILE_FORMATS
from commands.owner_only import open_private, private_dir

FORMAT = "elysiactl-backup"
VERSION = 2  # 2: objects chunks hold cursor pages
MANIFEST_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
SUFFIX = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}
KINDS = ("full", "incremental", "schema-only")
CHUNK_KINDS = ("objects", "deleted", "index")


class BackupError(ShellError):
    """A backup that cannot be trusted: wrong format, missing or corrupted file."""


@dataclass
class Chunk:
    """One data file of a backup."""

    file: str
    kind: str
    tenant: str | None
    objects: int
    lines: int
    bytes: int
    sha256: str
    first: str | None = None
    last: str | None = None


@dataclass
class Manifest:
    """The entry point of a backup (see the module docstring)."""

    id: str
    kind: str
    collection: str
    source: dict[str, Any]
    started: str
    cls: dict[str, Any]
    tenants: list[dict[str, Any]] = field(default_factory=list)
    codec: str = "none"
    objects: int = 0
    deleted: int = 0
    completed: str | None = None
    base: dict[str, Any] | None = None
    chunks: list[Chunk] = field(default_factory=list)
    format: str = FORMAT
    version: int = VERSION
    present: int = 0
    tenant: str | None = None
    skipped_tenants: list[dict[str, Any]] = field(default_factory=list)
    verified: str | None = None
    cursor: dict[str, Any] | None = None
    file_format: str = "jsonl"

    def to_json(self) -> bytes:
        """The manifest file's bytes (``cls`` is written as ``class``), with its checksum."""
        data = asdict(self)
        data["class"] = data.pop("cls")
        data["sha256"] = manifest_sha256(data)
        return orjson.dumps(data, option=MANIFEST_OPTIONS)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read and check a manifest; a wrong format or version is refused with the file."""
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise BackupError(f"no backup at {path}", r"\backups DIR lists the backups") from None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise BackupError(f"{path}: not a readable backup manifest ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(f"{path}: not an elysiactl backup (format is "
                              f"{data.get('format') if isinstance(data, dict) else None!r})")
        if data.get("version") != VERSION:
            raise BackupError(f"{path}: backup format version {data.get('version')} is not "
                              f"supported (this elysiactl reads version {VERSION})",
                              "use the elysiactl version that wrote it")
        if data.pop("sha256", None) != manifest_sha256(data):
            raise BackupError(f"{path}: the manifest is corrupted or was edited (its sha256 "
                              "does not match its contents)", "restore from another copy of "
                              "the backup")
        try:
            data["cls"] = data.pop("class")
            data["chunks"] = [Chunk(**c) for c in data.get("chunks") or []]
            manifest = cls(**data)
        except (KeyError, TypeError) as exc:
            raise BackupError(f"{path}: malformed backup manifest ({exc})") from None
        if manifest.file_format not in FILE_FORMATS:
            raise BackupError(f"{path}: unknown file format {manifest.file_format!r} (this "
                              f"elysiactl reads {', '.join(FILE_FORMATS)})")
        for chunk in manifest.chunks:  # a chunk file is always inside the manifest's directory
            relative = PurePosixPath(chunk.file)
            if relative.is_absolute() or ".." in relative.parts or chunk.kind not in CHUNK_KINDS \
                    or is_parquet(chunk) != (manifest.file_format == "parquet"):
                raise BackupError(f"{path}: names an invalid chunk {chunk.file!r} "
                                  f"(kind {chunk.kind!r}, {manifest.file_format} backup)")
        return manifest


def manifest_sha256(data: dict[str, Any]) -> str:
    """The checksum of a manifest's JSON object without its ``sha256`` key."""
    return hashlib.sha256(orjson.dumps({k: v for k, v in data.items() if k != "sha256"},
                                       option=MANIFEST_OPTIONS)).hexdigest()


def write_atomic(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` durably (temporary file, fsync, rename, fsync of the directory) and
    owner-only: a backup holds the collection's data."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    with os.fdopen(open_private(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def compress(raw: bytes | bytearray, codec: str) -> bytes | bytearray:
    """``raw`` JSON lines compressed with ``codec`` (deterministic: same input, same bytes)."""
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(raw)
    if codec == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0)
    return raw


def decompress(data: bytes, codec: str) -> bytes:
    """A chunk's JSON-lines bytes; an unknown codec is a ValueError."""
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompress(data)
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "none":
        return data
    raise ValueError(f"unknown codec {codec!r}")


def chunk_suffix(file_format: str, codec: str, kind: str) -> str:
    """The file name ending of a backup's chunk of ``kind`` (Parquet chunks name their kind,
    so that a glob picks the objects: ``NAME.*.data/*.objects.parquet``)."""
    return f".{kind}{parquet.SUFFIX}" if file_format == "parquet" else SUFFIX[codec]


def is_parquet(chunk: Chunk) -> bool:
    """Whether a chunk is a Parquet file (else JSON lines)."""
    return chunk.file.endswith(parquet.SUFFIX)


def write_encoded(directory: Path, relative: str, kind: str, tenant: str | None,
                  raw: bytes | bytearray, objects: int, lines: int, first: str | None,
                  last: str | None, codec: str, cls: dict[str, Any] | None = None) -> Chunk:
    """Durably write a chunk from lines already encoded (each ending in a newline); its
    manifest entry. A ``relative`` path ending in ``.parquet`` is written as Parquet, one
    row per entry, typed by the class ``cls``."""
    if relative.endswith(parquet.SUFFIX):
        data, lines = parquet.encode(kind, split_lines(raw), codec, cls or {}), objects
    else:
        data = compress(raw, codec)
    write_atomic(directory / relative, data)
    return Chunk(file=relative, kind=kind, tenant=tenant, objects=objects, bytes=len(data),
                 sha256=hashlib.sha256(data).hexdigest(), first=first, last=last,
                 lines=lines)


def id_key(backup_id: str) -> tuple[str, int]:
    """Sort key of backup ids: by time, then by the ``-N`` suffix of a repeated second."""
    stem, dash, suffix = backup_id.rpartition("-")
    if dash and suffix.isdigit():
        return stem, int(suffix)
    return backup_id, 1


def read_verified(directory: Path, chunk: Chunk) -> bytes:
    """A chunk file's bytes after checking its size and SHA-256 (``BackupError`` if bad)."""
    path = directory / chunk.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"{path}: missing or unreadable ({exc.strerror})") from None
    if len(data) != chunk.bytes or hashlib.sha256(data).hexdigest() != chunk.sha256:
        raise BackupError(f"{path}: checksum mismatch: the file is corrupted or was changed",
                          "restore from another backup; \\backup verify PATH checks them all")
    return data


def read_lines(directory: Path, chunk: Chunk, codec: str) -> Iterator[memoryview]:
    """The non-empty lines of a chunk file, as views of its decompressed bytes (no copies),
    after checking its size and SHA-256; ``BackupError`` naming the file if it is bad or
    cannot be decompressed."""
    data = read_verified(directory, chunk)
    try:
        raw = decompress(data, codec)
    except Exception as exc:  # zstd and gzip errors alike, and an unknown codec
        raise BackupError(f"{directory / chunk.file}: cannot be decoded ({exc})") from None
    yield from split_lines(raw)


def split_lines(raw: bytes | bytearray) -> Iterator[memoryview]:
    """The non-empty lines of JSON-lines bytes, as views of them (no copies)."""
    view, start, end = memoryview(raw), 0, len(raw)
    while start < end:
        stop = raw.find(b"\n", start)
        stop = end if stop < 0 else stop
        if stop > start:
            yield view[start:stop]
        start = stop + 1


@contextmanager
def _decoding(path: Path) -> Iterator[None]:
    """Turn pyarrow's errors for a broken Parquet file (and wrong metadata) into a
    ``BackupError`` naming it; a missing pyarrow stays the usage error it is."""
    try:
        yield
    except ShellError:
        raise
    except Exception as exc:
        raise BackupError(f"{path}: cannot be decoded ({exc})") from None


def count_lines(directory: Path, chunk: Chunk, codec: str) -> int:
    """A chunk's lines (rows of a Parquet chunk, from its footer), after checking its size
    and checksum; they are counted, not parsed."""
    if not is_parquet(chunk):
        return sum(1 for _ in read_lines(directory, chunk, codec))
    data = read_verified(directory, chunk)
    with _decoding(directory / chunk.file):
        return parquet.row_count(data, chunk.kind)


def read_chunk(directory: Path, chunk: Chunk, codec: str) -> Iterator[dict[str, Any]]:
    """The objects (or index or deletion entries) of a chunk, after checking its size and
    checksum; ``BackupError`` if the file or its counts are wrong."""
    path = directory / chunk.file
    if is_parquet(chunk):
        count, data = 0, read_verified(directory, chunk)
        with _decoding(path):
            for entry in parquet.decode(data, chunk.kind):
                count += 1
                yield entry
        if count != chunk.objects or count != chunk.lines:
            raise BackupError(f"{path}: holds {count} rows, the manifest says "
                              f"{chunk.objects} entries in {chunk.lines} rows")
        return
    lines = count = 0
    try:
        for text in read_lines(directory, chunk, codec):
            lines += 1
            line = orjson.loads(text)
            if chunk.kind != "objects":
                entries = [line]
            else:
                entries = line.get("objects") if isinstance(line, dict) else None
            if not isinstance(entries, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
                what = "a page of objects" if chunk.kind == "objects" else "an entry"
                raise BackupError(f"{path}: line {lines} is not {what} with ids")
            count += len(entries)
            yield from entries
            del line, entries  # before the next line is parsed: one page held, not two
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"{path}: line {lines} is not JSON ({exc})") from None
    if lines != chunk.lines or count != chunk.objects:
        raise BackupError(f"{path}: holds {count} entries in {lines} lines, the manifest "
                          f"says {chunk.objects} in {chunk.lines}")
