"""``\\restore``: a logical backup (or, with ``--native``, a Weaviate backup) back into a
cluster.

A logical restore is verified whole before anything is sent. Restoring into a new or
empty collection needs no confirmation; restoring onto a collection that already has
objects is destructive (objects with the same ids are replaced), so it is described as a
``Plan`` and passes the safety gate. ``--dry-run`` shows the plan of any restore and
sends nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from commands.context import CommandContext
from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.meta import restore_rollback, safety_backup
from commands.ops.backup.settings import BATCH_SIZE, PARALLEL
from commands.results import Document, Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results, protected_names
from commands.spec import Arg, KeywordOpt, Kind, Opt, command

restore_ops = lazy_module("commands.ops.backup.restore")
native_ops = lazy_module("commands.ops.backup.native_restore")
backup_lock = lazy_module("commands.ops.backup.lock")

MAX_BATCH, MAX_PARALLEL = 10_000, 64


def restore_plan(restore: restore_ops.Restore, patterns: tuple[str, ...]) -> Plan:
    """What the restore would send, for the safety gate and ``--dry-run``."""
    name, total, cp, options = restore.name, restore.total, restore.checkpoint, restore.options
    if restore.destructive:
        had = "an unknown number of" if restore.existing is None else f"{restore.existing:,}"
        action = f"restore {total:,} objects onto {name} (which has {had} objects)"
    else:
        action = f"restore {total:,} objects into {'new collection ' * restore.create}{name}"
    batches = sum(-(-n // options.batch_size) for n in restore.counts.values())
    names = [str(t) for t, _ in restore.tenants if t is not None]
    missing = [t for t in names if t not in restore.target_tenants]
    inactive = [t for t in names if restore.target_tenants.get(t, "ACTIVE") != "ACTIVE"]
    final = [t for t, status in restore.tenants if t is not None and status != "ACTIVE"]
    path = f"/v1/schema/{name}/tenants"
    requests = ["POST /v1/schema"] if restore.create else []
    requests += [f"POST {path} ({len(missing)} tenants, ACTIVE)"] * bool(missing)
    requests += [f"PUT {path} ({len(inactive)} tenants set ACTIVE)"] * bool(inactive)
    requests.append(f"POST /v1/batch/objects (x{batches}, up to {options.batch_size} objects "
                    f"each, {options.parallel} in flight"
                    + ("; without references, then again for the objects that hold them "
                       f"({', '.join(restore.refs)})" if restore.refs else "") + ")")
    if cp.pre_existing == 0:
        requests.append(f"POST /v1/graphql (count check, x{max(1, len(names))})")
    requests += [f"PUT {path} ({len(final)} tenants to their recorded status)"] * bool(final)
    preview: list[Result] = [*(Message(n, Level.WARNING) for n in restore.notes),
                             _chain_table(restore), Record({
        "backup": str(restore.chain[-1].path), "into": name,
        "creates_collection": restore.create, "tenants": names or None, "objects": total,
        "resumes_after": cp.written + cp.failures if restore.resume else None},
        title=f"Restore into {name}")]
    if restore.create:
        preview.append(Document(restore.class_definition(), title="class it would create"))
    return Plan(action=action, targets=(name,), preview=tuple(preview),
                requests=tuple(requests), objects=total,
                protected=tuple(n for n, _ in protected_names([name], patterns)))


def _chain_table(restore: restore_ops.Restore) -> Table:
    rows = tuple((link.manifest.id, link.manifest.kind, link.manifest.objects,
                  link.manifest.deleted, link.manifest.completed, link.path.name)
                 for link in restore.chain)
    return Table(("id", "kind", "objects", "deleted", "completed", "file"), rows,
                 title=f"Backup chain of {restore.chain[-1].manifest.collection}")


def _native(ctx: CommandContext, backend: str, backup_id: str, include: list[str],
            dry_run: bool, logical: dict[str, Any]) -> list[Result]:
    given = [f"--{k.rstrip('_').replace('_', '-')}" for k, v in logical.items() if v]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be used with --native",
                         "a native restore brings collections back as they were backed up")
    if dry_run or ctx.session.dry_run:
        ctx.decision = Decision.DRY_RUN
        plan = Plan(action=f"restore native backup {backup_id} ({backend})",
                    targets=tuple(include) or (backup_id,),
                    preview=(Document(native_ops.start_body(include), title="restore request"),),
                    requests=(f"POST {native_ops.restore_path(backend, backup_id)}",
                              f"GET {native_ops.restore_path(backend, backup_id)} "
                              "(until it finishes)"))
        return dry_run_results(plan)
    status = native_ops.native_restore(ctx.api, backend, backup_id, include,
                                       ctx.session.progress)
    classes = list(status.get("classes") or [])
    return [Message(f"restored native backup {backup_id} from {backend}: "
                    + (", ".join(classes) or "every collection it holds")),
            Record({"backup": backup_id, "backend": backend, "classes": classes,
                    "status": status.get("status"), "path": status.get("path")},
                   title=f"Native restore {backup_id}")]


@command(
    "restore", "Restore a backup into the cluster, verified first, resumable.",
    args=(Arg("path", Kind.FILE, "the backup's manifest, DIR/NAME.json (with --native: "
                                 "the backup id)"),),
    opts=(Opt("--skip-schema", flag=True,
              help="restore into an existing collection instead of creating it"),
          KeywordOpt("--as", Kind.TEXT, "restore under this collection name"),
          Opt("--tenant", Kind.TENANT, "restore only this tenant"),
          Opt("--rename-property", Kind.TEXT, "rename a property, OLD=NEW (repeatable)",
              many=True),
          Opt("--drop-property", Kind.TEXT, "leave a property out (repeatable)", many=True),
          Opt("--batch-size", Kind.INT, f"objects per batch request (default {BATCH_SIZE})",
              default=BATCH_SIZE),
          Opt("--parallel", Kind.INT, f"batch requests in flight (default {PARALLEL})",
              default=PARALLEL),
          Opt("--force", flag=True,
              help="restore onto a collection with objects without asking"),
          Opt("--dry-run", flag=True, help="verify the backup, show the plan, send nothing"),
          Opt("--allow-protected", flag=True,
              help="allow restoring onto a protected collection"),
          Opt("--native", Kind.TEXT, "restore Weaviate's own backup PATH (an id) from this "
                                     "backend, e.g. filesystem, s3"),
          Opt("--include", Kind.COLLECTION, "with --native: restore only this collection "
                                            "(repeatable)", many=True),
          Opt("--rollback", flag=True, help="remove what an unfinished restore of PATH wrote"),
          safety_backup.NO_SAFETY_BACKUP),
    group="backup", destructive=True, changes_schema=True,
    help="Restores a backup made by \\backup: PATH is its manifest (DIR/NAME.json; an\n"
         "incremental backup brings its chain of base backups back to the full one).\n"
         "Every chunk of the chain is verified (size, SHA-256, line count) before anything\n"
         "is sent: a corrupted or foreign backup is refused, naming the file.\n"
         "The collection is created from the backup's class unless it exists (then its\n"
         "definition stays; --skip-schema: it must exist, e.g. created with a new schema),\n"
         "tenants are created, objects are imported in\n"
         "batches with their ids (several in flight), tenants get their recorded status,\n"
         "and the object count is checked. A class with references is restored in two\n"
         "passes (objects without them, then the objects that hold them), so references\n"
         "to objects later in the backup hold. Objects the server refuses are listed in\n"
         "DIR/NAME.ID.DIGEST.restore-errors.jsonl and the exit status is 1. An\n"
         "interrupted restore resumes where it stopped when run again into the same\n"
         "cluster (checkpoint DIR/NAME.ID.DIGEST.restore.json, DIGEST naming the target\n"
         "cluster and collection); ids are kept, so nothing is duplicated. --as,\n"
         "--rename-property and --drop-property change the collection and property\n"
         "names (self-references follow --as); --tenant restores one tenant.\n"
         "Restoring onto a collection that already has objects replaces those with the\n"
         "same ids: it is shown and confirmed first (--force skips the question; a\n"
         "protected name also needs --allow-protected). --dry-run sends nothing.\n"
         "Before such a restore writes, the collection is backed up into the state\n"
         "directory (up to safety_backup_max_objects; not with --no-safety-backup):\n"
         "\\undo brings the objects it overwrote back. A restore that failed or was\n"
         "abandoned is taken back with \\restore --rollback PATH: it removes exactly what\n"
         "the restore wrote (the collection it created, or the objects it inserted and\n"
         "the tenants it created) and nothing else, on the cluster it is connected to\n"
         "(--as NAME chooses among restores into several collections).\n"
         "--native BACKEND restores Weaviate's own backup PATH (an id) and waits for it;\n"
         "Ctrl-C cancels it.\n\n"
         "  \\restore ./backup/UserProfile.json --skip-schema\n"
         "  \\restore ./backup/Article.json --as ArticleCopy --drop-property draft\n"
         "  \\restore backups/SupportTicket.json --tenant acme --dry-run\n"
         "  \\restore nightly-2026-01-05 --native filesystem",
)
def restore_cmd(ctx: CommandContext, *, path: str, skip_schema: bool, as_: str | None,
                tenant: str | None, rename_property: list[str], drop_property: list[str],
                batch_size: int, parallel: int, force: bool, dry_run: bool,
                allow_protected: bool, native: str | None, include: list[str], rollback: bool,
                no_safety_backup: bool) -> list[Result]:
    """``\\restore``: Messages and a Record of what was restored (a dry run: the plan)."""
    if rollback:
        given = {"--skip-schema": skip_schema, "--tenant": tenant,
                 "--rename-property": rename_property, "--drop-property": drop_property,
                 "--native": native, "--include": include}
        if any(given.values()):
            raise UsageError(f"{', '.join(k for k, v in given.items() if v)} cannot be used "
                             "with --rollback", "the rollback record beside the backup says "
                             "what the restore did: give only PATH (and --as NAME to choose "
                             "among restores into several collections)")
        return restore_rollback.rollback(ctx, path, as_, force=force, dry_run=dry_run,
                                         allow_protected=allow_protected)
    if native:
        logical = {"skip_schema": skip_schema, "as_": as_, "tenant": tenant,
                   "rename_property": rename_property, "drop_property": drop_property}
        return _native(ctx, native, path, list(include), dry_run, logical)
    if include:
        raise UsageError("--include only applies with --native",
                         "a logical backup holds one collection")
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageError(f"--batch-size must be between 1 and {MAX_BATCH}, got {batch_size}")
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}, got {parallel}")
    options = restore_ops.RestoreOptions(Path(path), target=as_, tenant=tenant,
                             renames=tuple(rename_property), drops=tuple(drop_property),
                             skip_schema=skip_schema, batch_size=batch_size,
                             parallel=parallel)
    restore = restore_ops.Restore(ctx.api, options, ctx.session.progress)
    # no prune or backup changes the directory from the verification to the last object
    with backup_lock.reading([options.path], rf"\restore {path}",
                             dry_run or ctx.session.dry_run):
        restore.prepare()
        plan = restore_plan(restore, ctx.session.protected)
        choice = safety_backup.choose(ctx, restore.existing, no_safety_backup or not (
            restore.destructive and not restore.resume), restore.name)
        if restore.destructive and not restore.resume:
            plan = replace(plan, preview=(*plan.preview, *safety_backup.preview(
                ctx, choice, [restore.name])))
        job = restore_rollback.GuardedRestore(ctx, restore, choice, path)
        report = ctx.run_job(job, plan, force=force, dry_run=dry_run,
                             allow_protected=allow_protected)
    if report is None:
        return dry_run_results(plan)
    out: list[Result] = [*job.notes, *(Message(note) for note in restore.notes)]
    if restore.resume:
        out.append(Message(f"resumed the interrupted restore of {report.collection}"))
    out.append(Message(f"restored {report.objects:,} objects into {report.collection}"
                       + (" (count checked)" if report.count_checked else "")))
    if report.failed:  # a restore that lost objects is not a success
        ctx.exit_code = 1
        out.append(Message(f"{report.failed:,} of the backup's objects were refused by the "
                           f"server; each is listed (id, tenant, message) in "
                           f"{report.error_report}", Level.WARNING))
    out += [Message(w, Level.WARNING) for w in report.warnings]
    out.append(Record({"collection": report.collection, "objects": report.objects,
                       "failed": report.failed, "error_report": report.error_report,
                       "tenants": report.tenants, "duration_s": report.duration_s},
                      title=f"Restored {report.collection}"))
    return out
