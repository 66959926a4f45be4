"""One migration: ``prepare`` (reads only: both clusters, the target class, a checkpoint to
resume), then ``run``, in phases recorded in the checkpoint so that a rerun picks up the
phase it stopped in (OPERATIONS.md §3.1, §3.6):

1. ``copy``: the class is created on the target (unless it exists), tenants are created
   ACTIVE there (INACTIVE source tenants are activated for the copy), and every object is
   copied, resuming after the checkpoint's ids. A class with reference properties is
   copied without them first, and
2. ``references``: the objects that hold references are copied again, whole, once every
   object they may point to exists (§3.1.5);
3. ``catchup``: the target's tenants the source does not have are deleted, then the
   reconciliation (merge-join of both id lists: deletions, missing objects and what was
   written on the source since the copy began);
4. ``final``: the reconciliation again for what was written since the catch-up began,
   unless the catch-up found nothing to copy or delete (then both sides were already
   equal); then the verification, and the tenants get their states back.

A checkpoint records the options it was made with: a rerun with others is refused while
it is pending, and a lock keeps a second run of the same migration out while one runs.
A failure or Ctrl-C sets the source tenants the migration activated back to INACTIVE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.api.client import RestClient
from commands.errors import ExitStatus, ShellError, UsageError
from commands.ops import objects, schema
from commands.ops.backup.imports import activate_tenants, distinct_failures, set_statuses
from commands.ops.backup.transform import Transform
from commands.ops.class_paths import MISSING
from commands.ops.collections import is_multi_tenant
from commands.ops.migrate import plan as planning
from commands.ops.migrate.catchup import Reconcile, server_now_ms
from commands.ops.migrate.checkpoint import (
    MigrateCheckpoint,
    command_line,
    migration_key,
    other_options,
    paths,
)
from commands.ops.migrate.copy import Copier, HasReferences
from commands.ops.migrate.tenants import delete_tenants, extra_tenants, set_back
from commands.ops.migrate.verify import VerifyReport, definition_diff, verify_copy
from commands.ops.references import reference_properties, refused_for_missing_targets
from commands.ops.runlock import LockBusy, RunLock, describe
from commands.ops.tenants import documented_status, fetch_tenants
from commands.progress import Advance, Progress, bar
from commands.urls import cluster_id

COUNTED_PARTITIONS = 50  # above this many tenants the progress total is not counted first


@dataclass(frozen=True)
class MigrateOptions:
    """What ``\\migrate`` was asked to do."""

    collection: str
    state_dir: Path
    target_as: str | None = None
    tenant: str | None = None
    batch_size: int = 200
    parallel: int = 4
    verify: str = "sample"
    assignments: tuple[tuple[str, Any], ...] = ()


class Interrupted(ShellError):
    """Ctrl-C, with what it left behind that the user must know."""

    exit_status = ExitStatus.INTERRUPTED


@dataclass
class MigrateReport:
    """The outcome of ``Migration.run``: objects copied, copied again by the second pass of
    references, by the catch-up and by the reconciliation, deleted by it, and so on."""

    copied: int
    references: int
    caught_up: int
    reconciled: int
    deleted: int
    tenants_deleted: list[str]
    failed: int
    error_report: str | None
    duration_s: float
    objects_per_s: float
    verify: VerifyReport
    created_diff: list[tuple[str, Any, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_targets: int = 0  # failed objects whose references point at missing objects


class Migration:
    """``prepare`` (reads only), then ``run`` (writes); in between, the command decides
    whether the safety gate applies (``destructive``)."""

    def __init__(self, source: RestClient, target: RestClient, options: MigrateOptions,
                 progress: Progress | None = None) -> None:
        self.source, self.target, self.options, self.progress = source, target, options, progress
        self.written_now = 0
        self.lock: RunLock | None = None

    def close(self) -> None:
        """Let go of the migration's lock (taken by ``prepare``)."""
        if self.lock is not None:
            self.lock.release()

    # -- reading ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Read both clusters; refuse what cannot work before anything is written."""
        opts, source, target = self.options, self.source, self.target
        self.cls = schema.get_class(source, opts.collection)
        self.name = self.cls["class"]
        self.transform = Transform.build(self.cls, opts.target_as, [], [])
        self.target_name = self.transform.name
        if cluster_id(source.url) == cluster_id(target.url) and self.target_name == self.name:
            raise UsageError(f"the target is the source cluster and the name is the same: "
                             f"{self.name} would be copied onto itself",
                             f"add --as NEWNAME, e.g. --as {self.name}_v2")
        self.multi_tenant = is_multi_tenant(self.cls)
        if opts.tenant is not None and not self.multi_tenant:
            raise UsageError(f"{self.name} has no multi-tenancy: --tenant cannot be used")
        self.check = planning.preflight(source, target, self.cls)
        planning.check_referenced_classes(target, self.cls)
        self.definition = planning.target_definition(self.cls, self.target_name,
                                                     list(opts.assignments))
        planning.check_replication(self.definition, self.check)
        self.refs = reference_properties(self.cls)
        key = migration_key(source.url, self.name, target.url, self.target_name, opts.tenant,
                            opts.assignments)
        self.checkpoint_path, self.errors_path, lock_path = paths(opts.state_dir, key)
        self.lock = RunLock(lock_path)
        try:
            self.lock.acquire(command_line(key))
        except LockBusy as exc:
            raise ShellError(f"another \\migrate of {self.name} to {key['target']} is running "
                             f"({describe(exc.holder)})",
                             "wait for it to end (or stop it); if it is interrupted, the same "
                             "command resumes it") from None
        found = MigrateCheckpoint.pending(self.checkpoint_path)
        if found is not None and found.key != key:
            raise other_options(found, self.checkpoint_path)
        raw_tenants = fetch_tenants(source, self.name) if self.multi_tenant else []
        self.tenants = planning.plan_tenants(raw_tenants, opts.tenant)
        if opts.tenant is not None and not self.tenants.copied:
            found_status = dict(self.tenants.skipped).get(opts.tenant)
            raise ShellError(f"tenant {opts.tenant} of {self.name} is {found_status}: its "
                             "objects cannot be read" if found_status else
                             f"no tenant {opts.tenant!r} in {self.name}",
                             f"\\tenants {self.name} lists them")
        if found is not None:  # the tenants as they were when the migration began
            self.tenants = planning.TenantPlan([(n, s) for n, s in found.tenants],
                                               self.tenants.skipped)
        current = schema.find_class(target, self.target_name)
        if current is None and found is not None and (found.done or found.phase != "copy"):
            found = None  # its class is gone from the target: what it records is gone too
        self.create, self.resume = current is None, found is not None
        self.extra_tenants: list[str] = []
        if self.multi_tenant and opts.tenant is None and current is not None:
            self.extra_tenants = extra_tenants(target, self.target_name,
                                               {str(t.get("name")) for t in raw_tenants})
        existing: int | None = 0
        if current is not None:
            if opts.assignments and not (found and found.created_class):
                raise UsageError(f"--set changes the class a migration creates, but "
                                 f"{self.target_name} already exists on the target",
                                 "choose a new name with --as, or leave out --set")
            problems = planning.incompatibilities(self.cls, current)
            if problems:
                raise ShellError(f"{self.target_name} exists on the target with a definition "
                                 "that cannot take the objects: " + "; ".join(problems),
                                 "migrate under another name with --as NAME")
            existing = self._count_target()
        self.checkpoint = found if found is not None else MigrateCheckpoint(
            key, created_class=self.create, pre_existing=existing,
            tenants=[[n, s] for n, s in self.tenants.copied])

    def _count_target(self) -> int | None:
        """Objects already in the target's partitions (None: some cannot be counted)."""
        if not self.multi_tenant:
            return objects.aggregate_count(self.target, self.target_name)
        theirs = {t.get("name"): documented_status(t.get("activityStatus"))
                  for t in fetch_tenants(self.target, self.target_name)}
        total: int | None = 0
        for name, _ in self.tenants.copied:
            if name not in theirs:
                continue
            if theirs[name] != "ACTIVE" or total is None:
                total = None
                continue
            total += objects.aggregate_count(self.target, self.target_name, name)
        return total

    @property
    def partitions(self) -> list[str | None]:
        """The tenants copied, or ``[None]`` for a collection without tenants."""
        return [n for n, _ in self.tenants.copied] if self.multi_tenant else [None]

    @property
    def destructive(self) -> bool:
        """Whether objects on the target may be overwritten or deleted: it had objects (or
        an unknown number) when this migration began."""
        return not self.create and (self.checkpoint.pre_existing != 0 or
                                    bool(self.extra_tenants))

    def requests(self) -> list[tuple[str, str]]:
        """``(cluster, request)`` for what ``run`` would send, for a dry run's plan."""
        out = []
        if self.tenants.to_activate:
            out.append(("source", f"PUT /v1/schema/{self.name}/tenants "
                                  f"({len(self.tenants.to_activate)} INACTIVE set ACTIVE for "
                                  "the copy, then back)"))
        if self.create:
            out.append(("target", "POST /v1/schema"))
        if self.multi_tenant:
            out.append(("target", f"POST /v1/schema/{self.target_name}/tenants "
                                  f"({len(self.partitions)} tenants, ACTIVE)"))
        passes = "twice for objects with references, " if self.refs else ""
        if self.extra_tenants:
            out.append(("target", f"DELETE /v1/schema/{self.target_name}/tenants "
                                  f"({', '.join(self.extra_tenants)}: the source has no such "
                                  "tenant)"))
        out += [("target", f"POST /v1/batch/objects ({self.options.batch_size} objects each, "
                           f"{self.options.parallel} in flight; {passes}again for changes "
                           "during the copy)"),
                ("target", "DELETE /v1/batch/objects (what the source no longer has)")]
        if self.multi_tenant:
            out.append(("target", f"PUT /v1/schema/{self.target_name}/tenants (the source's "
                                  "states)"))
        return out

    # -- writing ---------------------------------------------------------------------------

    def run(self) -> MigrateReport:
        """Every phase from the checkpoint's on (module docstring); the checkpoint stays
        when anything fails, so the same command resumes."""
        started, cp = time.monotonic(), self.checkpoint
        if not cp.copy_started_ms:
            cp.copy_started_ms = server_now_ms(self.source)
        cp.save(self.checkpoint_path)
        if self.create:
            try:
                schema.create_class(self.target, self.definition)
            except BaseException:
                if not self.resume:
                    self.checkpoint_path.unlink(missing_ok=True)
                raise
        created_diff = self._created_diff() if self.create else []
        copier = Copier(self.source, self.target, self.name, self.transform, cp,
                        self.checkpoint_path, self.errors_path, self.options.batch_size,
                        self.options.parallel)
        copier.start_report(self.resume)
        before = cp.written
        try:
            if self.multi_tenant:
                self._activate()
            self._phases(copier)
            report = self._verify()
        except BaseException as exc:
            raise self._failed(exc) from None
        finally:
            self.written_now = cp.written - before
        warnings = list(self.check.warnings) + self._restore_tenants()
        failures = distinct_failures(self.errors_path) if cp.failures else []
        failed = len(failures)
        self.checkpoint_path.unlink(missing_ok=True)
        if not failed:
            self.errors_path.unlink(missing_ok=True)
        seconds = time.monotonic() - started
        return MigrateReport(
            copied=cp.copied, references=cp.references, caught_up=cp.caught_up,
            reconciled=cp.reconciled, deleted=cp.deleted, tenants_deleted=cp.tenants_deleted,
            failed=failed,
            error_report=str(self.errors_path) if failed else None,
            duration_s=round(seconds, 3),
            objects_per_s=round(self.written_now / seconds, 1) if seconds else 0.0,
            verify=report, created_diff=created_diff, warnings=warnings,
            missing_targets=refused_for_missing_targets([str(f.get("message"))
                                                         for f in failures]))

    def _failed(self, exc: BaseException) -> BaseException:
        """``exc`` once the source tenants this run activated are set back (when they cannot
        be, the error says so and how), with the hint that the same command resumes."""
        left = set_back(self.source, self.name, self.checkpoint.activated)
        if isinstance(exc, KeyboardInterrupt):
            return exc if left is None else Interrupted(f"interrupted; {left}")
        if not isinstance(exc, ShellError):
            return exc
        cp = self.checkpoint
        resume = (f"the same \\migrate resumes from its checkpoint {self.checkpoint_path} "
                  f"(phase {cp.phase}, {cp.written:,} objects written so far)")
        exc.hint = f"{exc.hint}; {resume}" if exc.hint else resume
        if left is not None:
            exc.message = f"{exc.message}; {left}"
            exc.args = (exc.message,)
        return exc

    def _created_diff(self) -> list[tuple[str, Any, Any]]:
        """How the class the target stored differs from the one sent (OPERATIONS.md §3.1.2:
        an older server drops what it does not know); a field the target added is a
        default it filled in, not a change."""
        created = schema.find_class(self.target, self.target_name) or {}
        return [d for d in definition_diff(self.definition, created) if d[1] is not MISSING]

    def _activate(self) -> None:
        """Source tenants INACTIVE at the start are made ACTIVE (recorded first, so that a
        rerun after a kill still sets them back); target tenants are created ACTIVE."""
        cp, wanted = self.checkpoint, self.tenants.to_activate
        if wanted:
            cp.activated = sorted(set(cp.activated) | set(wanted))
            cp.save(self.checkpoint_path)
            activate_tenants(self.source, self.name, wanted)
        activate_tenants(self.target, self.target_name, [str(p) for p in self.partitions])

    def _total(self) -> int | None:
        if len(self.partitions) > COUNTED_PARTITIONS:
            return None
        return sum(objects.aggregate_count(self.source, self.name, p) for p in self.partitions)

    def _phases(self, copier: Copier) -> None:
        cp, name, parts = self.checkpoint, self.name, self.partitions
        if cp.phase == "copy":
            total = self._total()
            remaining = None if total is None else max(0, total - cp.written - cp.failures)
            with bar(self.progress, f"copying {name}", remaining) as advance:
                copier.full(parts, frozenset(self.refs), advance)
            self._next("references" if self.refs else "catchup", copied=cp.written)
        if cp.phase == "references":
            with bar(self.progress, f"copying the references of {name}", None) as advance:
                cp.references += copier.picked(parts, lambda _: HasReferences(self.refs),
                                               advance)
            self._next("catchup")
        if cp.phase == "catchup":
            delete_tenants(self.target, self.target_name, self.extra_tenants)
            cp.tenants_deleted = sorted(set(cp.tenants_deleted) | set(self.extra_tenants))
            cp.catchup_started_ms = server_now_ms(self.source)
            cp.save(self.checkpoint_path)
            with bar(self.progress, f"catching up with changes to {name}", None) as advance:
                copied, deleted = self._reconcile(copier, cp.copy_started_ms, advance)
            cp.caught_up += copied
            cp.deleted += deleted
            # a catch-up that found nothing to copy or delete left both sides equal: it was
            # the final reconciliation, and a second pass would only read them again
            self._next("final" if copied or deleted else "finish")
        if cp.phase == "final":
            with bar(self.progress, f"final reconciliation of {name}", None) as advance:
                copied, deleted = self._reconcile(copier, cp.catchup_started_ms, advance)
            cp.reconciled += copied
            cp.deleted += deleted
            self._next("finish")

    def _reconcile(self, copier: Copier, since: int, advance: Advance) -> tuple[int, int]:
        """One merge-join of every partition with the target (``Reconcile``): objects copied
        (missing on the target, or written at or after ``since``) and deleted."""
        merges: list[Reconcile] = []

        def merge(tenant: str | None) -> Reconcile:
            merges.append(Reconcile(self.target, self.target_name, tenant, since))
            return merges[-1]

        copied = copier.picked(self.partitions, merge, advance)
        return copied, sum(m.deleted for m in merges)

    def _next(self, phase: str, copied: int | None = None) -> None:
        cp = self.checkpoint
        cp.phase, cp.done = phase, {}
        if copied is not None:
            cp.copied = copied
        cp.save(self.checkpoint_path)

    def _verify(self) -> VerifyReport:
        with bar(self.progress, f"verifying {self.target_name} ({self.options.verify})", None):
            return verify_copy(self.source, self.target, self.name, self.target_name,
                               self.options.verify, self.options.tenant,
                               self.options.assignments, self.check.target_nodes)

    def _restore_tenants(self) -> list[str]:
        """Target tenants get the source's states; source tenants activated go back."""
        if not self.multi_tenant:
            return []
        warnings = set_statuses(self.target, self.target_name, self.tenants.copied)
        activated = self.checkpoint.activated
        warnings += set_statuses(self.source, self.name, [(t, "INACTIVE") for t in activated])
        if self.tenants.skipped:
            names = ", ".join(f"{n} ({s})" for n, s in self.tenants.skipped)
            warnings.append(f"tenants that cannot be read were not copied: {names}")
        return warnings


