"""The one validator of backup manifests: format, version, checksum, every field's type and
the counts against the chunk list (the layout is in ``commands.ops.backup.format``).

``validate`` is used by every reader of a manifest (``Manifest.load``): ``\\backup verify``,
``\\restore``, the catalog (``\\backups``), incremental bases and resumed checkpoints alike,
so a manifest one of them accepts none of the others refuses. It raises ``BackupError``
(exit status 1, a data error) with one line naming the file and the field.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from commands.errors import ShellError
from commands.ops.backup.parquet import SUFFIX as PARQUET_SUFFIX
from commands.ops.backup.settings import CODECS, FILE_FORMATS

FORMAT = "elysiactl-backup"
VERSION = 2  # 2: objects chunks hold cursor pages
MANIFEST_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
KINDS = ("full", "incremental", "schema-only")
CHUNK_KINDS = ("objects", "deleted", "index")
COUNTED = {"objects": "objects", "deleted": "deleted", "index": "present"}
STEP_ACTIONS = ("read", "carry", "gone")
COLLECTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BACKUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupError(ShellError):
    """A backup that cannot be trusted: wrong format, missing or corrupted file."""


def manifest_sha256(data: dict[str, Any]) -> str:
    """The checksum of a manifest's JSON object without its ``sha256`` key."""
    return hashlib.sha256(orjson.dumps({k: v for k, v in data.items() if k != "sha256"},
                                       option=MANIFEST_OPTIONS)).hexdigest()


class _Fields:
    """Type checks of one JSON object's fields, each failure naming the file and field."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def fail(self, name: str, expected: str) -> BackupError:
        value = self.data.get(name)
        shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
        return BackupError(f"{self.path}: malformed backup manifest: field {self.prefix}{name} "
                           f"must be {expected}, found {shown}",
                           "the manifest was edited or written by another tool; restore from "
                           "another copy of the backup")

    def text(self, name: str, *, optional: bool = False, pattern: re.Pattern[str] | None = None,
             choices: tuple[str, ...] = (), shape: str = "a name of letters, digits, _ and -"
             ) -> None:
        value = self.data.get(name)
        if value is None and optional:
            return
        ok = isinstance(value, str) and bool(value) and (pattern is None or pattern.match(value)) \
            and (not choices or value in choices)
        if not ok:
            expected = f"one of {', '.join(choices)}" if choices else \
                shape if pattern is not None else "a text"
            raise self.fail(name, expected + " or null" * optional)

    def time(self, name: str, *, optional: bool = False) -> None:
        """An ISO 8601 time with its zone (``2026-11-24T01:53:00.000Z``)."""
        self.text(name, optional=optional)
        if self.data.get(name) is None:
            return
        try:
            ok = datetime.fromisoformat(self.data[name]).tzinfo is not None
        except ValueError:
            ok = False
        if not ok:
            raise self.fail(name, "an ISO 8601 time with its zone" + " or null" * optional)

    def count(self, name: str) -> int:
        value = self.data.get(name)
        if type(value) is not int or value < 0:
            raise self.fail(name, "a whole number, 0 or more")
        return value

    def mapping(self, name: str, *, optional: bool = False) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            raise self.fail(name, "an object" + " or null" * optional)
        return value

    def objects(self, name: str) -> list[dict[str, Any]]:
        value = self.data.get(name)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "a list of objects")
        return value

    def relative(self, name: str) -> None:
        """A path inside the manifest's directory."""
        self.text(name)
        relative = PurePosixPath(self.data[name])
        if relative.is_absolute() or ".." in relative.parts or "\\" in self.data[name]:
            raise self.fail(name, "a path inside the backup's directory")


def _chunk(path: Path, index: int, chunk: dict[str, Any], file_format: str) -> None:
    fields = _Fields(path, chunk, f"chunks[{index}].")
    _known(fields, chunk, ("file", "kind", "tenant", "objects", "lines", "bytes", "sha256",
                           "first", "last"))
    fields.relative("file")
    if chunk["file"].endswith(PARQUET_SUFFIX) != (file_format == "parquet"):
        raise fields.fail("file", f"a chunk of a {file_format} backup")
    fields.text("kind", choices=CHUNK_KINDS)
    fields.text("tenant", optional=True)
    objects, lines = fields.count("objects"), fields.count("lines")
    fields.count("bytes")
    fields.text("sha256", pattern=SHA256, shape="64 lowercase hex digits")
    fields.text("first", optional=True)
    fields.text("last", optional=True)
    if lines > objects or (chunk["kind"] != "objects" and lines != objects):
        raise fields.fail("lines", f"{'at most' if chunk['kind'] == 'objects' else 'equal to'} "
                                   f"its objects ({objects})")


def _known(fields: _Fields, data: dict[str, Any], names: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise BackupError(f"{fields.path}: malformed backup manifest: unknown field "
                          f"{fields.prefix}{unknown[0]}", "the manifest was written by another "
                          "tool or version; restore from another copy of the backup")


def _class(fields: _Fields, collection: str) -> None:
    cls = fields.mapping("class")
    assert cls is not None
    if cls.get("class") != collection:
        raise fields.fail("class", f"the class definition of {collection}")
    inner = _Fields(fields.path, cls, "class.")
    if "properties" in cls:
        for prop in inner.objects("properties"):
            _Fields(fields.path, prop, "class.properties[].").text("name")
    inner.mapping("multiTenancyConfig", optional=True)


def _cursor(fields: _Fields) -> None:
    cursor = fields.mapping("cursor", optional=True)
    if cursor is None:
        return
    inner = _Fields(fields.path, cursor, "cursor.")
    plan = inner.objects("plan")
    for step in plan:
        step_fields = _Fields(fields.path, step, "cursor.plan[].")
        step_fields.text("tenant", optional=True)
        step_fields.text("action", choices=STEP_ACTIONS)
    if inner.count("step") > len(plan):
        raise inner.fail("step", f"at most the {len(plan)} steps of the plan")
    inner.text("after", optional=True)


def validate(data: Any, path: Path) -> dict[str, Any]:
    """Check a parsed manifest (see the module docstring); ``data`` without its checksum."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path}: not an elysiactl backup (format is "
                          f"{data.get('format') if isinstance(data, dict) else None!r})")
    if data.get("version") != VERSION:
        raise BackupError(f"{path}: backup format version {data.get('version')!r} is not "
                          f"supported (this elysiactl reads version {VERSION})",
                          "use the elysiactl version that wrote it")
    data = dict(data)
    if data.pop("sha256", None) != manifest_sha256(data):
        raise BackupError(f"{path}: the manifest is corrupted or was edited (its sha256 "
                          "does not match its contents)", "restore from another copy of "
                          "the backup")
    fields = _Fields(path, data)
    _known(fields, data, ("format", "version", "id", "kind", "collection", "source", "started",
                          "completed", "class", "tenants", "objects", "deleted", "present",
                          "codec", "file_format", "base", "tenant", "skipped_tenants",
                          "verified", "cursor", "chunks"))
    fields.text("id", pattern=BACKUP_ID)
    fields.text("kind", choices=KINDS)
    fields.text("collection", pattern=COLLECTION, shape="a collection name")
    fields.mapping("source")
    fields.time("started")
    fields.time("completed", optional=True)
    fields.time("verified", optional=True)
    fields.text("tenant", optional=True)
    fields.text("codec", choices=CODECS)
    fields.text("file_format", optional=True, choices=FILE_FORMATS)
    _class(fields, data["collection"])
    for tenant in fields.objects("tenants"):
        _Fields(path, tenant, "tenants[].").text("name")
    for tenant in fields.objects("skipped_tenants"):
        _Fields(path, tenant, "skipped_tenants[].").text("name")
    base = fields.mapping("base", optional=True)
    if (base is None) == (data["kind"] == "incremental"):
        raise fields.fail("base", "set for an incremental backup and only for one")
    if base is not None:
        inner = _Fields(path, base, "base.")
        inner.text("id", pattern=BACKUP_ID)
        inner.relative("path")
    _cursor(fields)
    totals = dict.fromkeys(CHUNK_KINDS, 0)
    for index, chunk in enumerate(fields.objects("chunks")):
        _chunk(path, index, chunk, data.get("file_format") or "jsonl")
        totals[chunk["kind"]] += chunk["objects"]
    for kind, name in COUNTED.items():
        if fields.count(name) != totals[kind]:
            raise BackupError(f"{path}: counts do not match: field {name} is {data[name]}, "
                              f"its {kind} chunks hold {totals[kind]}",
                              "the manifest was edited; restore from another copy of the "
                              "backup")
    return data
