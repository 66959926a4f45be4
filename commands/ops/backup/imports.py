"""The writing side of a restore: parallel batches, the checkpoint, the error report, and
the tenants (made ACTIVE for the import, then given their recorded status).

Objects go to ``POST /v1/batch/objects`` in batches, several in flight on a thread pool
with a bounded number of outstanding batches, so memory stays flat. Ids are kept, so a
batch is an upsert and retrying or replaying it never duplicates anything
(REST-BEHAVIOUR.md §8.1); the client retries it on 503s and dropped connections.

The checkpoint (``Checkpoint``) records, per tenant, the highest id such that every
object up to it has been acknowledged: batches complete in any order, but it only
advances over the contiguous prefix of completed batches. Per-object failures of that
prefix are appended to the error report (JSON lines ``{id, tenant, message}``) before the
checkpoint that covers them is written, and the checkpoint records the report's length,
so a resumed restore truncates the report to it and never reports a failure twice.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import msgspec
import orjson

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError
from commands.ops.backup import heap
from commands.ops.backup.format import write_atomic
from commands.ops.backup.transform import BatchObject
from commands.owner_only import open_private
from commands.progress import Advance, ignore

CHECKPOINT_FORMAT = "elysiactl-restore-checkpoint"
TENANTS_PER_CALL = 100  # Weaviate's limit for PUT .../tenants (REST-BEHAVIOUR.md §5)
SAVE_EVERY = 2.0  # seconds between checkpoint writes (and always when stopping)



def tenant_key(tenant: str | None) -> str:
    """The checkpoint's key for a tenant (``""`` for a collection without tenants)."""
    return tenant or ""


def slot_digest(identity: dict[str, Any]) -> str:
    """A short digest of what names one operation's checkpoint (its target cluster and
    collection...), for the checkpoint's file name."""
    return hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


@dataclass
class Checkpoint:
    """Where a restore stands; ``key`` identifies the restore (backup, target, options)."""

    key: dict[str, Any]
    created_class: bool = False
    pre_existing: int | None = None
    done: dict[str, str] = field(default_factory=dict)
    written: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    errors_bytes: int = 0
    format: str = CHECKPOINT_FORMAT
    # A class with references is written in two passes (commands/ops/references.py): the
    # phase, and what the first pass wrote and had refused (``done`` restarts between them).
    phase: str = "copy"
    copied: int = 0
    copy_failed: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    def save(self, path: Path) -> None:
        """Write it durably (temporary file, fsync, rename)."""
        try:
            write_atomic(path, orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))
        except OSError as exc:
            raise ShellError(f"cannot write the checkpoint {path}: {exc.strerror}",
                             f"{path.parent} must be writable") from None

    @classmethod
    def load(cls, path: Path, key: dict[str, Any]) -> Checkpoint | None:
        """The checkpoint at ``path`` when it belongs to the operation ``key`` (and is of
        this class's ``format``), else None."""
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        if not isinstance(data, dict) or data.get("format") != cls.format or \
                data.get("key") != key:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


@dataclass(frozen=True, slots=True)
class Batch:
    """Objects of one tenant, in id order, as the request body that posts them (encoded
    when the batch is cut, so that a batch in flight holds bytes, not objects)."""

    seq: int
    tenant: str | None
    ids: list[str]
    body: bytes

    @classmethod
    def of(cls, seq: int, tenant: str | None, objects: list[BatchObject]) -> Batch:
        return cls(seq, tenant, [o.id for o in objects],
                   msgspec.json.encode({"objects": objects}))

    @property
    def last(self) -> str:
        """The highest id."""
        return self.ids[-1]

    def receipt(self, failures: list[dict[str, Any]]) -> Receipt:
        """What the checkpoint needs of this batch once acknowledged (not its body)."""
        return Receipt(self.tenant, self.last, len(self.ids), failures)


class Receipt(NamedTuple):
    """An acknowledged batch waiting for the batches before it: while a slow batch holds
    the checkpoint back, dozens of later ones may finish, and keeping their bodies grew a
    migration by tens of MB."""

    tenant: str | None
    last: str
    count: int
    failures: list[dict[str, Any]]


def make_batches(streams: Iterable[tuple[str | None, Iterator[BatchObject]]],
                 size: int) -> Iterator[Batch]:
    """Cut each tenant's stream of batch objects into batches of ``size``."""
    seq = 0
    for tenant, stream in streams:
        objects: list[BatchObject] = []
        for obj in stream:
            objects.append(obj)
            if len(objects) == size:
                yield Batch.of(seq, tenant, objects)
                seq, objects = seq + 1, []
        if objects:
            yield Batch.of(seq, tenant, objects)
            seq += 1


def failures_of(batch: Batch, results: Any) -> list[dict[str, Any]]:
    """``{id, tenant, message}`` for every object Weaviate reported as failed."""
    if not isinstance(results, list) or len(results) != len(batch.ids):
        raise ShellError("POST /v1/batch/objects answered with "
                         f"{len(results) if isinstance(results, list) else 'no'} results for "
                         f"{len(batch.ids)} objects")
    out = []
    for oid, item in zip(batch.ids, results, strict=True):
        result = (item or {}).get("result") or {}
        errors = (result.get("errors") or {}).get("error") or []
        if result.get("status") == "FAILED" or errors:
            message = "; ".join(str(e.get("message", e)) for e in errors) or "failed"
            out.append({"id": oid, "tenant": batch.tenant, "message": message})
    return out


class Importer:
    """Posts batches with ``parallel`` in flight and keeps the checkpoint and report."""

    def __init__(self, api: RestClient, checkpoint: Checkpoint, checkpoint_path: Path,
                 errors_path: Path, parallel: int, advance: Advance = ignore) -> None:
        self.api = api
        self.checkpoint = checkpoint
        self.checkpoint_path = checkpoint_path
        self.errors_path = errors_path
        self.parallel = parallel
        self.advance = advance
        self.written_now = 0  # objects acknowledged by this run
        self.save_every = SAVE_EVERY
        self._finished: dict[int, Receipt] = {}
        self._next = 0
        self._errors: IO[bytes] | None = None
        self._saved = time.monotonic()

    def start_report(self, resume: bool) -> None:
        """A fresh report, or (resuming) the report cut to what the checkpoint covers."""
        if not resume:
            self.errors_path.unlink(missing_ok=True)
        elif self.errors_path.exists():
            os.truncate(self.errors_path, min(self.checkpoint.errors_bytes,
                                              self.errors_path.stat().st_size))

    def _post(self, batch: Batch) -> list[dict[str, Any]]:
        response = self.api.request("POST", "/v1/batch/objects", content=batch.body,
                                    idempotent=True)
        body = response.content
        if b'"FAILED"' not in body and body.count(b'"status":"SUCCESS"') == len(batch.ids):
            return []  # every object written: no need to parse the echoed objects
        return failures_of(batch, orjson.loads(body))

    def run(self, batches: Iterable[Batch]) -> None:
        """Post every batch; on any failure or interruption, the checkpoint is saved with
        every batch acknowledged so far, and the error is raised."""
        heap.prepare_for_bulk()  # before the pool's threads and the readers feeding it
        pending: dict[Future[list[dict[str, Any]]], Batch] = {}
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="restore")
        try:
            for batch in batches:
                while len(pending) >= 2 * self.parallel:
                    self._collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
                pending[pool.submit(self._post, batch)] = batch
            while pending:
                self._collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
            self.save()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            for future, batch in pending.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    self._finished[batch.seq] = batch.receipt(future.result())
            self._commit()
            self.save()
            raise
        finally:
            pool.shutdown(wait=True)
            self._close_report()

    def _collect(self, pending: dict[Future[list[dict[str, Any]]], Batch],
                 done: set[Future[list[dict[str, Any]]]]) -> None:
        for future in done:
            batch = pending.pop(future)
            try:
                failures = future.result()
            except BaseException:
                pending[future] = batch  # not acknowledged; nothing of it is committed
                raise
            self._finished[batch.seq] = batch.receipt(failures)
            self.advance(len(batch.ids))
        self._commit()
        if time.monotonic() - self._saved >= self.save_every:
            self.save()
        else:
            heap.tidy()  # the freed page and batch buffers back to the system (heap.py)

    def _commit(self) -> None:
        """Advance the checkpoint over the contiguous prefix of acknowledged batches."""
        cp = self.checkpoint
        while self._next in self._finished:
            done = self._finished.pop(self._next)
            failures = done.failures
            self._next += 1
            key = tenant_key(done.tenant)
            cp.done[key] = done.last
            ok = done.count - len(failures)
            cp.written += ok
            self.written_now += ok
            if failures:
                if self._errors is None:
                    # kept open; owner-only: the failed objects' data
                    self._errors = os.fdopen(open_private(self.errors_path), "ab")
                self._errors.write(b"".join(orjson.dumps(f) + b"\n" for f in failures))
                cp.failed[key] = cp.failed.get(key, 0) + len(failures)

    def save(self) -> None:
        """Make the report durable, then write the checkpoint that covers it."""
        if self._errors is not None:
            self._errors.flush()
            os.fsync(self._errors.fileno())
            self.checkpoint.errors_bytes = self._errors.tell()
        self.checkpoint.save(self.checkpoint_path)
        heap.trim()
        self._saved = time.monotonic()

    def _close_report(self) -> None:
        if self._errors is not None:
            self._errors.close()
            self._errors = None


def distinct_failures(path: Path) -> list[dict[str, Any]]:
    """Keep one line per object in the error report (its last refusal: a later pass tries a
    refused object again); the entries it keeps."""
    last: dict[tuple[Any, Any], bytes] = {}
    with open(path, "rb") as report:
        for line in report:
            entry = orjson.loads(line)
            last[(entry.get("tenant"), entry.get("id"))] = line
    write_atomic(path, b"".join(last.values()))
    return [orjson.loads(line) for line in last.values()]


def _chunked(items: list[Any], size: int = TENANTS_PER_CALL) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def activate_tenants(api: RestClient, name: str, tenants: list[str]) -> None:
    """Every tenant in ``tenants`` exists and is ACTIVE (objects can only go to those)."""
    path = f"/v1/schema/{name}/tenants"
    current = {str(t.get("name")): str(t.get("activityStatus") or "HOT").upper()
               for t in api.get_json(path) or []}
    missing = [{"name": t, "activityStatus": "ACTIVE"} for t in tenants if t not in current]
    for part in _chunked(missing):
        api.request("POST", path, json=part, idempotent=True)
    inactive = [{"name": t, "activityStatus": "ACTIVE"} for t in tenants
                if current.get(t, "HOT") not in ("HOT", "ACTIVE")]
    for part in _chunked(inactive):
        api.request("PUT", path, json=part)


def set_statuses(api: RestClient, name: str, tenants: list[tuple[str | None, str]]) -> list[str]:
    """Give tenants their recorded status; a status the server refuses is a warning."""
    path = f"/v1/schema/{name}/tenants"
    wanted = [{"name": t, "activityStatus": s} for t, s in tenants
              if t is not None and s != "ACTIVE"]
    warnings = []
    for part in _chunked(wanted):
        try:
            api.request("PUT", path, json=part)
        except ApiError:  # one refused status fails the call: then one tenant at a time
            for tenant in part:
                try:
                    api.request("PUT", path, json=[tenant])
                except ApiError as exc:
                    warnings.append(f"tenant {tenant['name']} stays ACTIVE: its recorded "
                                    f"status {tenant['activityStatus']} was refused: "
                                    f"{exc.message}")
    return warnings
