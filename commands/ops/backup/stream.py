"""The streaming half of a logical backup: cursor pages read ahead, chunk buffers, and
the steps of a backup plan (``read``, ``carry``, ``gone``; see ``commands.ops.backup.run``).

Memory stays flat: pages of ``PAGE`` objects are read a few requests ahead by a reader
thread (``commands.ops.cursor``); at most one window of about ``CHUNK`` objects per chunk
kind is held, as encoded bytes. A page whose objects are all kept goes into its chunk as
the bytes the server sent: re-encoding 128-dim vectors cost more than reading them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from commands.api.client import RestClient
from commands.ops.backup import catalog
from commands.ops.backup.format import (
    CHUNK_KINDS,
    Manifest,
    chunk_suffix,
    read_chunk,
    write_atomic,
    write_encoded,
)
from commands.ops.cursor import PAGE, pages, prefetch

CHUNK = 5000
MAX_PENDING = 2
LINE_OPTIONS = orjson.OPT_APPEND_NEWLINE
Advance = Callable[[int], None]


def page_line(body: bytes) -> bytes:
    """A page's response body as one chunk line (its newline left to ``Buffer.add``): as
    sent, unless it spans several lines."""
    body = body.strip()
    if b"\n" in body or b"\r" in body:
        body = orjson.dumps(orjson.loads(body))
    return body


class Buffer:
    """The encoded lines of one chunk kind in the current window, packed in one bytearray
    (orjson's results keep their spare capacity, so holding each line apart would take
    several times the memory)."""

    __slots__ = ("data", "count", "lines", "first", "last")

    def __init__(self) -> None:
        self.data, self.count, self.lines = bytearray(), 0, 0
        self.first: str | None = None
        self.last: str | None = None

    def add(self, line: bytes, first: str, last: str, objects: int = 1) -> int:
        """Append one encoded line holding ``objects`` entries, ids ``first`` to ``last``
        (a newline is added when it has none); how many entries are held now."""
        self.data += line
        if not line.endswith(b"\n"):
            self.data += b"\n"
        if not self.count:
            self.first = first
        self.last, self.count, self.lines = last, self.count + objects, self.lines + 1
        return self.count


class ChunkWriter:
    """Buffers per chunk kind, chunk numbers and checkpoints of a running backup.

    Compressing, hashing and writing happen on a writer thread, in submission order, so
    a checkpoint is written only after the chunks before it; the thread alone updates
    the manifest (chunks, counts, cursor) until ``close``. ``MAX_PENDING`` bounds the
    chunks waiting for it.
    """

    def __init__(self, directory: Path, manifest: Manifest) -> None:
        self.directory, self.manifest = directory, manifest
        self.partial = catalog.partial_path(directory, manifest.collection, manifest.id)
        self.buffers = {k: Buffer() for k in CHUNK_KINDS}
        self.number = len(manifest.chunks)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="backup-writer")
        self.pending: deque[Future[None]] = deque()

    def add(self, kind: str, line: dict[str, Any]) -> int:
        """Buffer one entry of ``kind`` (not ``objects``); how many are buffered now."""
        oid = line["id"]
        return self.buffers[kind].add(orjson.dumps(line, option=LINE_OPTIONS), oid, oid)

    def _submit(self, job: Callable[..., None], *args: Any) -> None:
        while self.pending and (len(self.pending) >= MAX_PENDING or self.pending[0].done()):
            self.pending.popleft().result()  # a failed write surfaces here
        self.pending.append(self.pool.submit(job, *args))

    def flush(self, kind: str, tenant: str | None) -> None:
        """Queue the buffered lines of ``kind`` as the next chunk (nothing when empty)."""
        buffer, m = self.buffers[kind], self.manifest
        if not buffer.count:
            return
        self.number += 1
        suffix = chunk_suffix(m.file_format, m.codec, kind)
        relative = f"{catalog.data_dir(m.collection, m.id)}/{self.number:06d}{suffix}"
        self._submit(self._write_chunk, relative, kind, tenant, buffer)
        self.buffers[kind] = Buffer()

    def _write_chunk(self, relative: str, kind: str, tenant: str | None,
                     buffer: Buffer) -> None:
        m = self.manifest
        chunk = write_encoded(self.directory, relative, kind, tenant, buffer.data,
                              buffer.count, buffer.lines, buffer.first, buffer.last, m.codec,
                              m.cls)
        m.chunks.append(chunk)
        if kind == "objects":
            m.objects += chunk.objects
        elif kind == "deleted":
            m.deleted += chunk.objects
        else:
            m.present += chunk.objects

    def checkpoint(self, tenant: str | None, step: int, after: str | None) -> None:
        """End a window: write every buffer, then the checkpoint pointing after it."""
        for kind in CHUNK_KINDS:
            self.flush(kind, tenant)
        self._submit(self._write_checkpoint, step, after)

    def _write_checkpoint(self, step: int, after: str | None) -> None:
        assert self.manifest.cursor is not None
        self.manifest.cursor.update(step=step, after=after)
        write_atomic(self.partial, self.manifest.to_json())

    def close(self, failed: bool = False) -> None:
        """Wait for every queued write; their first error is raised unless ``failed``
        (the backup is already failing with another error)."""
        try:
            while self.pending:
                future = self.pending.popleft()
                if failed:
                    future.exception()
                else:
                    future.result()
        finally:
            self.pool.shutdown(wait=True)


class Streamer:
    """One execution of a backup plan, from wherever its checkpoint says."""

    def __init__(self, api: RestClient, directory: Path, manifest: Manifest,
                 base: tuple[Path, Manifest] | None, advance: Advance) -> None:
        self.api, self.manifest, self.base, self.advance = api, manifest, base, advance
        self.writer = ChunkWriter(directory, manifest)

    def run(self) -> None:
        """Every step from the checkpoint's on; the manifest is complete when it returns."""
        cursor = self.manifest.cursor
        assert cursor is not None
        plan, start, after = cursor["plan"], cursor["step"], cursor.get("after")
        try:
            for step in range(start, len(plan)):
                tenant, action = plan[step]["tenant"], plan[step]["action"]
                getattr(self, f"_{action}")(step, tenant, after if step == start else None)
                self.writer.checkpoint(tenant, step + 1, None)
        except BaseException:
            self.writer.close(failed=True)
            raise
        self.writer.close()

    def _base_index(self, tenant: str | None, after: str | None) -> Iterator[dict[str, Any]]:
        """The base's index lines of ``tenant`` with ids after ``after``, in order."""
        if self.base is None:
            return
        path, base = self.base
        for chunk in base.chunks:
            if chunk.kind != "index" or chunk.tenant != tenant or (
                    after is not None and chunk.last is not None and chunk.last <= after):
                continue
            for line in read_chunk(path.parent, chunk, base.codec):
                if after is None or line["id"] > after:
                    yield line

    def _read(self, step: int, tenant: str | None, after: str | None) -> None:
        """Cursor through one tenant; with a base, merge-join its index (both in id order):
        base ids passed over are deleted, ids with another update time changed. A window
        ends at a page's end, so every page is kept whole or not at all."""
        writer, old = self.writer, self._base_index(tenant, after)
        head = next(old, None)
        dumps, option, buffers = orjson.dumps, LINE_OPTIONS, writer.buffers
        for page, body in prefetch(pages(self.api, self.manifest.collection, tenant, after,
                                          size=PAGE)):
            kept = []
            for obj in page:
                oid, updated = obj["id"], obj.get("lastUpdateTimeUnix")
                changed = True
                if head is not None:
                    while head is not None and head["id"] < oid:
                        if writer.add("deleted", {"id": head["id"], "tenant": tenant}) >= CHUNK:
                            writer.flush("deleted", tenant)
                        head = next(old, None)
                    if head is not None and head["id"] == oid:
                        changed = head.get("lastUpdateTimeUnix") != updated
                        head = next(old, None)
                if changed:
                    kept.append(obj)
                buffers["index"].add(dumps({"id": oid, "tenant": tenant,
                                            "lastUpdateTimeUnix": updated}, option=option),
                                     oid, oid)
            if kept:
                line = page_line(body) if len(kept) == len(page) else \
                    dumps({"objects": kept}, option=option)
                buffers["objects"].add(line, kept[0]["id"], kept[-1]["id"], len(kept))
            if buffers["index"].count >= CHUNK:
                writer.checkpoint(tenant, step, page[-1]["id"])
            self.advance(len(page))
        while head is not None:
            if writer.add("deleted", {"id": head["id"], "tenant": tenant}) >= CHUNK:
                writer.flush("deleted", tenant)
            head = next(old, None)

    def _carry(self, step: int, tenant: str | None, after: str | None) -> None:
        for line in self._base_index(tenant, after):
            if self.writer.add("index", line) >= CHUNK:
                self.writer.checkpoint(tenant, step, line["id"])

    def _gone(self, step: int, tenant: str | None, after: str | None) -> None:
        for line in self._base_index(tenant, after):
            if self.writer.add("deleted", {"id": line["id"], "tenant": tenant}) >= CHUNK:
                self.writer.checkpoint(tenant, step, line["id"])
