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
refuse any corrupted or edited file before writing anything. Every reader checks a
manifest whole (every field's type, the counts against the chunk list) with
``commands.ops.backup.manifest.validate``.
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
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from commands.errors import ShellError
from commands.ops.backup import parquet
from commands.ops.backup.manifest import (
    CHUNK_KINDS,
    FORMAT,
    KINDS,
    MANIFEST_OPTIONS,
    VERSION,
    BackupError,
    manifest_sha256,
    validate,
)
from commands.owner_only import open_private, private_dir

__all__ = ["CHUNK_KINDS", "FORMAT", "KINDS", "VERSION", "BackupError", "Chunk", "Manifest",
           "SUFFIX", "manifest_sha256"]
MAX_MANIFEST = 256 << 20  # a manifest of a billion objects is about 60 MB
GIVE_MANIFEST = r"give a backup's manifest, DIR/NAME.json (\backups DIR lists them)"
SUFFIX = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}


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
        """Read a manifest and check it whole (``manifest.validate``); ``BackupError``
        naming the file otherwise."""
        try:
            content = read_regular(path, MAX_MANIFEST, GIVE_MANIFEST)
            if len(content) > MAX_MANIFEST:
                raise BackupError(f"{path}: larger than {MAX_MANIFEST >> 20} MB: not a backup "
                                  "manifest")
            raw = orjson.loads(content)
        except FileNotFoundError:
            raise BackupError(f"no backup at {path}", r"\backups DIR lists the backups") from None
        except IsADirectoryError:
            raise BackupError(f"{path} is a directory", GIVE_MANIFEST) from None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise BackupError(f"{path}: not a readable backup manifest ({exc})") from None
        data = validate(raw, path)
        data["cls"] = data.pop("class")
        data["chunks"] = [Chunk(**c) for c in data["chunks"]]
        return cls(**data)


def read_regular(path: Path, limit: int, hint: str | None = None) -> bytes:
    """At most ``limit + 1`` bytes of a regular file (``BackupError`` for anything else: a
    FIFO or device named in a backup must not hang the shell); ``OSError`` as raised."""
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise BackupError(f"{path}: not a regular file", hint)
        return file.read(limit + 1)


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
        data = read_regular(path, chunk.bytes)
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
