"""Restoring a logical backup (``commands.ops.backup.format``) into a cluster.

``Restore.prepare`` only reads: it loads the chain of manifests, applies the options to
the class (``Transform``), verifies every chunk of the chain (nothing is written to the
cluster when one is corrupted), looks at the target collection and finds a checkpoint of
the same restore into the same cluster to resume (``restore_files``); ``destructive``
tells whether the target had objects (then the command asks first). ``run`` writes:

1. the class (``POST /v1/schema``, unless ``--skip-schema`` or a resumed restore created
   it), and for a multi-tenant class its tenants, created or set ``ACTIVE``;
2. the final state of the chain's objects, in parallel batches (``imports``),
   resuming after the checkpoint's ids; a class with reference properties in two passes
   (``commands/ops/references.py``, OPERATIONS.md §3.1.5): every object without its
   references, then the objects that hold references again, whole;
3. when the collection was new or empty, a count check (GraphQL ``Aggregate`` per
   tenant) against the final state minus the objects that failed;
4. each tenant's recorded status (``PUT .../tenants``); then the checkpoint is removed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError
from commands.ops import objects
from commands.ops.backup.chain import (
    Link,
    chain_lines,
    final_objects,
    final_tenants,
    inconsistent,
    load_chain,
    tenant_status,
    verify_chain,
)
from commands.ops.backup.format import BackupError
from commands.ops.backup.imports import (
    Checkpoint,
    Importer,
    activate_tenants,
    distinct_failures,
    make_batches,
    set_statuses,
    tenant_key,
)
from commands.ops.backup.restore_files import restore_files
from commands.ops.backup.settings import BATCH_SIZE, PARALLEL
from commands.ops.backup.transform import BatchObject, Transform
from commands.ops.collections import creatable
from commands.ops.references import holds_references, reference_properties
from commands.ops.schema import create_class, find_class
from commands.progress import Advance, Progress, bar
from commands.urls import cluster_id


@dataclass(frozen=True)
class RestoreOptions:
    """What ``\\restore`` was asked to do."""

    path: Path
    target: str | None = None
    tenant: str | None = None
    renames: tuple[str, ...] = ()
    drops: tuple[str, ...] = ()
    skip_schema: bool = False
    batch_size: int = BATCH_SIZE
    parallel: int = PARALLEL


@dataclass
class RestoreReport:
    """The outcome of ``Restore.run``."""

    collection: str
    objects: int
    failed: int
    error_report: str | None
    tenants: list[str] | None
    duration_s: float
    count_checked: bool
    warnings: list[str] = field(default_factory=list)


class Restore:
    """One restore: ``prepare`` (reads only), then ``run`` (writes); in between, the command
    builds the safety plan from what ``prepare`` found."""

    def __init__(self, api: RestClient, options: RestoreOptions,
                 progress: Progress | None = None) -> None:
        self.api = api
        self.options = options
        self.progress = progress
        self.written_now = 0
        self.notes: list[str] = []  # for the user, before anything is written

    # -- reading ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Load and verify the chain, inspect the target, find a checkpoint to resume."""
        options = self.options
        self.chain: list[Link] = load_chain(options.path.expanduser())
        newest = self.chain[-1].manifest
        self.transform = Transform.build(newest.cls, options.target, list(options.renames),
                                         list(options.drops))
        self.name = self.transform.name
        self.refs = [p for p in reference_properties(newest.cls) if p not in self.transform.drops]
        self.multi_tenant = bool((newest.cls.get("multiTenancyConfig") or {}).get("enabled"))
        self.tenants = final_tenants(self.chain, options.tenant)
        restored = {str(t) for t, _ in self.tenants}
        skipped = [f"{t.get('name')} ({t.get('status')})" for t in newest.skipped_tenants
                   if str(t.get("name")) in restored]
        self.warnings = [f"tenants not read by backup {newest.id} (not ACTIVE then) get only "
                         f"the objects of earlier links, if any: {', '.join(skipped)}"] \
            if skipped else []
        with bar(self.progress, f"verifying backup {newest.id}", chain_lines(self.chain)) as tick:
            self.counts = verify_chain(self.chain, [t for t, _ in self.tenants], tick)
        self.cluster = cluster_id(self.api.url)
        self.files = restore_files(self.chain[-1].directory, newest.collection, newest.id,
                                   self.cluster, self.name)
        key = {"backup": newest.id, "cluster": self.cluster, "target": self.name,
               "tenant": options.tenant, "renames": dict(sorted(self.transform.renames.items())),
               "drops": sorted(self.transform.drops)}
        found = Checkpoint.load(self.files.checkpoint, key)
        current = self._target_class()
        self.target_tenants: dict[str, str] = {}
        self.existing: int | None = 0
        self.create = current is None
        self.resume = found is not None and current is not None
        if current is None:
            if options.skip_schema:
                raise ShellError(f"collection {self.name} does not exist, and --skip-schema "
                                 "restores into an existing collection",
                                 f"create it first (\\create {self.name} --schema-file FILE), "
                                 "or leave out --skip-schema to create it from the backup")
            self.checkpoint = Checkpoint(key, created_class=True, pre_existing=0)
            return
        if not self.resume and not options.skip_schema:
            self.notes.append(f"{self.name} exists: the objects are restored into it as it is "
                              "defined now (the backup's class is not applied)")
        mt = bool((current.get("multiTenancyConfig") or {}).get("enabled"))
        if mt != self.multi_tenant:
            words = ("not multi-tenant", "multi-tenant")
            raise ShellError(f"the backup's collection is {words[self.multi_tenant]}, but "
                             f"{self.name} is {words[mt]}", "restore with --as NEWNAME")
        if mt:
            self.target_tenants = {str(t.get("name")): tenant_status(t) for t in
                                   self.api.get_json(f"/v1/schema/{self.name}/tenants") or []}
        self.existing = self._count_existing()
        self.checkpoint = found if found is not None else Checkpoint(
            key, created_class=False, pre_existing=self.existing)

    def _target_class(self) -> dict[str, Any] | None:
        try:
            return find_class(self.api, self.name)
        except ShellError as exc:
            exc.hint = "restore into the collection itself, or choose another --as"
            raise

    def _count_existing(self) -> int | None:
        """Objects already in the target's restored partitions (None: not all countable)."""
        if not self.multi_tenant:
            return objects.aggregate_count(self.api, self.name)
        total: int | None = 0
        for tenant, _ in self.tenants:
            status = self.target_tenants.get(str(tenant))
            if status is None:
                continue
            count = objects.aggregate_count(self.api, self.name, tenant) \
                if status == "ACTIVE" else None
            total = None if total is None or count is None else total + count
        return total

    @property
    def total(self) -> int:
        """Objects in the final state of the restored partitions."""
        return sum(self.counts.values())

    @property
    def destructive(self) -> bool:
        """Whether objects may be overwritten: the target had objects (or an unknown number)
        when this restore started."""
        return not self.create and self.checkpoint.pre_existing != 0

    def class_definition(self) -> dict[str, Any]:
        """The class JSON ``POST /v1/schema`` gets."""
        return creatable(self.transform.apply_class(self.chain[-1].manifest.cls))

    # -- writing ---------------------------------------------------------------------------

    def run(self) -> RestoreReport:
        """Write the restore (see the module docstring); the checkpoint is kept on failure."""
        started = time.monotonic()
        cp = self.checkpoint
        cp.save(self.files.checkpoint)  # from here on a rerun resumes, into the class it made
        if self.create:
            try:
                self._create_class()
            except BaseException:
                self.files.checkpoint.unlink(missing_ok=True)
                raise
        if self.multi_tenant:
            activate_tenants(self.api, self.name, [str(t) for t, _ in self.tenants])
        remaining = max(0, self.total - cp.written - cp.failures)
        resuming_references = cp.phase == "references"
        try:
            if cp.phase == "copy":
                with bar(self.progress, f"restoring {self.name}", remaining) as advance:
                    self._import(self._streams(), advance, start=True)
                if self.refs:
                    cp.phase, cp.done, cp.copied = "references", {}, cp.written
                    cp.copy_failed = dict(cp.failed)
                    cp.save(self.files.checkpoint)
            if cp.phase == "references":
                with bar(self.progress, f"restoring the references of {self.name}",
                         None) as advance:
                    self._import(self._streams(references=True), advance,
                                 start=resuming_references)
        except BackupError:
            raise
        except ShellError as exc:
            exc.message = (f"restore into {self.name} stopped: {exc.message} "
                           f"({cp.written:,} objects restored so far are checkpointed)")
            exc.args, exc.hint = (exc.message,), "run the same \\restore again to resume"
            raise
        mismatches = self._count_check() if cp.pre_existing == 0 else []
        warnings = self.warnings + set_statuses(self.api, self.name, self.tenants)
        failed = len(distinct_failures(self.files.errors)) if cp.failures else 0
        self.files.checkpoint.unlink(missing_ok=True)
        if not failed:
            self.files.errors.unlink(missing_ok=True)
        if mismatches:
            raise ShellError(f"count check failed for {self.name}: " + "; ".join(mismatches),
                             "the cluster holds a different number of objects than the "
                             "backup's final state; run \\restore again with --skip-schema")
        return RestoreReport(
            collection=self.name, objects=self.restored, failed=failed,
            error_report=str(self.files.errors) if failed else None,
            tenants=[str(t) for t, _ in self.tenants] if self.multi_tenant else None,
            duration_s=round(time.monotonic() - started, 3),
            count_checked=cp.pre_existing == 0, warnings=warnings)

    def _create_class(self) -> None:
        try:
            create_class(self.api, self.class_definition())
        except ApiError as exc:
            if "not enough storage replicas" in exc.message:
                exc.hint = (f"create {self.name} with a lower replication factor first "
                            "(\\create NAME --schema-file FILE --replication N), then "
                            "\\restore with --skip-schema")
            raise

    @property
    def restored(self) -> int:
        """Objects written (the second pass of references writes some of them again)."""
        cp = self.checkpoint
        return cp.copied if cp.phase == "references" else cp.written

    def _import(self, streams: Iterable[tuple[str | None, Iterator[dict[str, Any]]]],
                advance: Advance, start: bool) -> None:
        """One pass: ``streams`` in batches; ``start``: the error report starts (fresh, or
        cut to the checkpoint when resuming)."""
        cp = self.checkpoint
        importer = Importer(self.api, cp, self.files.checkpoint, self.files.errors,
                            self.options.parallel, advance)
        if start:
            importer.start_report(self.resume)
        try:
            importer.run(make_batches(streams, self.options.batch_size))
        finally:
            self.written_now += importer.written_now

    def _streams(self, references: bool = False
                 ) -> Iterator[tuple[str | None, Iterator[BatchObject]]]:
        """Each tenant's batch objects after the checkpoint's id: in the first pass without
        their references, in the second (``references``) those that hold some, whole."""
        done = self.checkpoint.done
        transform = self.transform
        if self.refs and not references:
            transform = replace(transform, drops=transform.drops | frozenset(self.refs))
        for tenant, _ in self.tenants:
            after = done.get(tenant_key(tenant))
            lines = self._lines(tenant, after)
            if references:
                lines = (line for line in lines
                         if holds_references(line.get("properties"), self.refs))
            yield tenant, (transform.apply_object(line, tenant) for line in lines)

    def _lines(self, tenant: str | None, after: str | None) -> Iterator[dict[str, Any]]:
        """The backup's objects of one tenant after ``after``; a whole replay must find as
        many objects as the backup's index lists."""
        count = 0
        for line in final_objects(self.chain, tenant, after, check=True):
            count += 1
            yield line
        if after is None and count != self.counts[tenant]:
            raise inconsistent(self.chain[-1], tenant, count, self.counts[tenant])

    def _count_check(self) -> list[str]:
        """``tenant t: N objects, expected M`` for every partition that does not match."""
        out = []
        for tenant, _ in self.tenants:
            cp = self.checkpoint  # objects refused by the second pass exist without references
            failed = cp.copy_failed if cp.phase == "references" else cp.failed
            expected = self.counts[tenant] - failed.get(tenant_key(tenant), 0)
            actual = objects.aggregate_count(self.api, self.name, tenant)
            if actual != expected:
                where = f"tenant {tenant}: " if tenant is not None else ""
                out.append(f"{where}{actual:,} objects, expected {expected:,}")
        return out
