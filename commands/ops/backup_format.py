"""The logical backup format: a self-describing manifest plus checksummed data chunks.

``DIR/NAME.json`` is the entry point::

    {"format": "elysiactl-backup", "version": 1, "id": "20261124T015300Z-article-7f3a",
     "kind": "full" | "incremental" | "schema-only", "collection": "Article",
     "source": {"cluster": "http://...", "server_version": "1.39.0"},
     "started": ISO, "completed": ISO | null, "class": {class JSON}, "tenants": [Tenant],
     "objects": N, "deleted": N, "codec": "zstd" | "gzip" | "none",
     "base": null | {"id": ..., "path": "Article.20261101T...json"},
     "chunks": [{"file": "Article.data/000001.jsonl.zst", "kind": "objects" | "deleted",
                 "tenant": null | "t1", "objects": 5000, "bytes": 812345,
                 "sha256": "...", "first": id, "last": id}]}

A chunk is JSON lines, one object each (``id, tenant, properties, vector, vectors,
creationTimeUnix, lastUpdateTimeUnix``; a ``deleted`` chunk holds ``{"id", "tenant"}``),
in UUID order within a tenant, compressed by ``codec``. Every file is written to a
temporary name, flushed to disk and renamed, so a crash leaves either the old file or
the new one, never half of one. While a backup runs, its manifest is written as
``NAME.json.partial``: the checkpoint a rerun resumes from.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from commands.errors import ShellError

FORMAT = "elysiactl-backup"
VERSION = 1
CODECS = ("zstd", "gzip", "none")
SUFFIX = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}


class BackupError(ShellError):
    """A backup that cannot be trusted: wrong format, missing or corrupted file."""


@dataclass
class Chunk:
    """One data file of a backup."""

    file: str
    kind: str
    tenant: str | None
    objects: int
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

    def to_json(self) -> bytes:
        """The manifest file's bytes (``cls`` is written as ``class``)."""
        data = asdict(self)
        data["class"] = data.pop("cls")
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

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
        data["cls"] = data.pop("class")
        data["chunks"] = [Chunk(**c) for c in data.get("chunks") or []]
        return cls(**data)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` durably: temporary file, fsync, rename, fsync of the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def encode(lines: Iterable[dict[str, Any]], codec: str) -> bytes:
    """JSON lines, compressed with ``codec``."""
    raw = b"".join(orjson.dumps(line, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
                   for line in lines)
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(raw)
    if codec == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0)
    return raw


def decode(data: bytes, codec: str) -> Iterator[dict[str, Any]]:
    """The JSON lines of a chunk's bytes."""
    if codec == "zstd":
        import zstandard

        data = zstandard.ZstdDecompressor().decompress(data)
    elif codec == "gzip":
        data = gzip.decompress(data)
    for line in data.splitlines():
        if line:
            yield orjson.loads(line)


def write_chunk(directory: Path, relative: str, kind: str, tenant: str | None,
                lines: list[dict[str, Any]], codec: str) -> Chunk:
    """Encode and durably write one chunk; returns its manifest entry."""
    data = encode(lines, codec)
    write_atomic(directory / relative, data)
    return Chunk(file=relative, kind=kind, tenant=tenant, objects=len(lines), bytes=len(data),
                 sha256=hashlib.sha256(data).hexdigest(),
                 first=lines[0].get("id") if lines else None,
                 last=lines[-1].get("id") if lines else None)


def read_chunk(directory: Path, chunk: Chunk, codec: str) -> Iterator[dict[str, Any]]:
    """The lines of a chunk, after checking its size and checksum (``BackupError`` if bad)."""
    path = directory / chunk.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"{path}: missing or unreadable ({exc.strerror})") from None
    if len(data) != chunk.bytes or hashlib.sha256(data).hexdigest() != chunk.sha256:
        raise BackupError(f"{path}: checksum mismatch: the file is corrupted or was changed",
                          "restore from another backup; \\backup verify PATH checks them all")
    count = 0
    for line in decode(data, codec):
        count += 1
        yield line
    if count != chunk.objects:
        raise BackupError(f"{path}: holds {count} lines, the manifest says {chunk.objects}")
