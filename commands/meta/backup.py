"""``\\backup`` and ``\\backups``: logical backups to files (full, incremental, schema only;
resumable, verified) and Weaviate's native backups; ``\\backups prune``.

Nothing here changes the cluster (a native backup writes to the server's backend, not
to its collections), so ``objects_affected`` stays None; ``\\backups prune`` removes
backup files, so it is the one destructive command, gated like the others.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.context import CommandContext
from commands.errors import UsageError, excerpt
from commands.lazy import lazy_module
from commands.ops.backup.settings import CODECS, FILE_FORMATS
from commands.results import Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results
from commands.spec import Arg, Kind, Opt, command

backup_ops = lazy_module("commands.ops.backup.run")
schema_ops = lazy_module("commands.ops.schema")
backup_prune = lazy_module("commands.ops.backup.prune")
backup_catalog = lazy_module("commands.ops.backup.catalog")
native_backup = lazy_module("commands.ops.backup.native_backup")
safety_prune = lazy_module("commands.ops.safety_prune")

DEFAULT_DIR = "./backup"
VERIFY = "verify"
FILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")  # in file names of at most 255 bytes
NOT_NATIVE = ("schema_only", "compress", "incremental", "base", "tenant", "file_format")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _verify(path: str | None, dry_run: bool) -> list[Result]:
    if not path:
        raise UsageError(r"\backup verify: missing PATH",
                         r"usage: \backup verify DIR/NAME.json (\backups DIR lists them)")
    report = backup_catalog.verify(Path(path), record=not dry_run)
    links = len(report.chain)
    chain = f" and the {links - 1} backup{'s' * (links > 2)} it builds on" if links > 1 else ""
    note = "dry run: the time was not recorded" if dry_run else f"verified: {report.verified}"
    return [Message(f"verified {path}{chain}: every checksum and count matches"),
            Table(("check", "file", "result"), tuple(report.rows),
                  title=f"Verify {path}", note=note)]


def _dry_run(ctx: CommandContext, request: Any, dry_run: bool) -> list[Result] | None:
    """The plan of a file backup when this is a dry run (it reads the class only), else
    None."""
    where = f"{request.directory}/{request.collection}"
    plan = Plan(action=f"back up {request.collection} ({request.kind}) to {where}.ID.json "
                       f"and {where}.ID.data/ (no file is written in a dry run)",
                targets=(request.collection,),
                requests=(f"GET /v1/schema/{request.collection}",
                          f"GET /v1/objects?class={request.collection}&after=... (every page)"))
    if not ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run,
                                  allow_protected=False):
        return None
    schema_ops.get_class(ctx.api, request.collection)  # a dry run still names a wrong one
    return dry_run_results(plan)


def _native(ctx: CommandContext, backend: str, collection: str | None, include: list[str],
            backup_id: str | None, dry_run: bool) -> list[Result]:
    classes = list(include) or ([collection] if collection else [])
    chosen = native_backup.check_id(backup_id) if backup_id else native_backup.new_id()
    plan = Plan(action=f"start native backup {chosen} of "
                       f"{', '.join(classes) or 'every collection'} on {backend}",
                targets=tuple(classes), requests=(f"POST /v1/backups/{backend}",))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return dry_run_results(plan)  # and elysiactl --dry-run: a runbook's preview starts none
    final = native_backup.create(ctx.api, backend, chosen, classes, ctx.session.progress)
    names = final.get("classes") or classes
    return [Message(f"native backup {chosen} of {', '.join(names) or 'every collection'} on "
                    f"{backend}: {final.get('status')}"),
            Record({"id": chosen, "backend": backend, "classes": names,
                    "status": final.get("status"), "path": final.get("path"),
                    "size": native_backup.size_text(final.get("size")),
                    "started": final.get("startedAt"), "completed": final.get("completedAt")},
                   title=f"Native backup {chosen}")]


@command(
    "backup", "Back up a collection to files, verify a backup, or start a native backup.",
    args=(Arg("collection", Kind.COLLECTION, "the collection to back up (default: the current "
                                             "collection); 'verify' checks a backup",
              required=False),
          Arg("path", Kind.FILE, "with verify: the backup's manifest (DIR/NAME.json or "
                                 "DIR/NAME.ID.json)", required=False, many=True)),
    opts=(Opt("--output", Kind.FILE, f"the backup directory (default: {DEFAULT_DIR})",
              default=DEFAULT_DIR),
          Opt("--schema-only", flag=True, help="the class definition and tenants only"),
          Opt("--compress", Kind.CHOICE, "compress the chunks (alone: zstd; default: none)",
              choices=CODECS, bare="zstd"),
          Opt("--file-format", Kind.CHOICE, "the chunks' format: jsonl (default) or parquet "
                                            "(needs pyarrow; --format parquet says the same)",
              choices=FILE_FORMATS),
          Opt("--incremental", flag=True,
              help="only what changed since the base backup, plus deletions"),
          Opt("--base", Kind.TEXT, "the base of --incremental (default: the latest complete "
                                   "backup of the collection in the directory)"),
          Opt("--tenant", Kind.TENANT, "back up this tenant only"),
          Opt("--native", Kind.TEXT, "use Weaviate's backup module BACKEND (filesystem, s3, "
                                     "gcs, azure) instead of files"),
          Opt("--include", Kind.COLLECTION, "with --native: a collection to include "
                                            "(repeatable; default: all)", many=True),
          Opt("--id", Kind.TEXT, "the backup's id (default: the UTC time; native: "
                                 "elysiactl-TIME)"),
          Opt("--dry-run", flag=True, help="show what would be written, write nothing (verify: "
                                           "check, record nothing)")),
    group="backup",
    help="Streams the collection through the cursor, with vectors, named vectors, tenants\n"
         "and the class definition, into DIR/NAME.ID.json (the manifest) and\n"
         "DIR/NAME.ID.data/ (chunks of 5,000 objects with SHA-256 checksums); DIR/NAME.json\n"
         "is a copy of the latest complete manifest, the path \\restore takes. Memory stays\n"
         "flat however big the collection is. Tenants that are not ACTIVE cannot be read:\n"
         "they are recorded with their status, and a warning names them.\n"
         "An interrupted backup (Ctrl-C, kill, lost connection) resumes from its last\n"
         "checkpoint when the same command runs again, with the same result as an\n"
         "uninterrupted run. --incremental records only objects created or changed since\n"
         "its base, and the deletions; a chain of them restores to the collection as it\n"
         "was at the last one. --compress alone means zstd.\n"
         "--format parquet (or --file-format parquet) writes the chunks as Parquet files,\n"
         "typed columns and float32 vectors, for pandas, DuckDB or Spark; \\restore and\n"
         "\\backup verify read them as any backup (pyarrow: pip install 'elysiactl[parquet]').\n"
         "\\backup verify PATH checks every checksum, size and count of a backup and of the\n"
         "backups it builds on, and records the time in the manifests. --native BACKEND\n"
         "runs Weaviate's own backup (collections from --include, else COLLECTION, else\n"
         "all), shows its progress, and cancels it on Ctrl-C.\n\n"
         "  \\backup UserProfile --output ./backup\n"
         "  \\backup DocumentChunk --compress --incremental\n"
         "  \\backup SupportTicket --tenant acme --compress=gzip\n"
         "  \\backup Article --format parquet --compress\n"
         "  \\backup verify ./backup/UserProfile.json\n"
         "  \\backup --native filesystem --include Article --include Product",
)
def backup_cmd(ctx: CommandContext, *, collection: str | None, path: list[str], output: str,
               schema_only: bool, compress: str | None, file_format: str | None,
               incremental: bool, base: str | None, tenant: str | None, native: str | None,
               include: list[str], id: str | None, dry_run: bool) -> list[Result]:
    """``\\backup``: a Message and a Record of the backup (``verify``: a Table of checks)."""
    if collection == VERIFY:
        if len(path) > 1:
            raise UsageError(rf"\backup verify: one PATH, got {len(path)}")
        return _verify(path[0] if path else None, dry_run or ctx.session.dry_run)
    if path:
        raise UsageError(rf"\backup: unexpected argument {path[0]!r}",
                         r"the directory is --output DIR; \backup verify PATH checks a backup")
    given = {"schema_only": schema_only, "compress": compress, "incremental": incremental,
             "base": base, "tenant": tenant, "file_format": file_format}
    if native:
        used = [f"--{k.replace('_', '-')}" for k in NOT_NATIVE if given[k]]
        if used:
            raise UsageError(f"--native cannot be combined with {', '.join(used)}",
                             "native backups copy whole collections with the server's module")
        return _native(ctx, native, collection, include, id, dry_run)
    if include:
        raise UsageError("--include is for --native backups",
                         r"a file backup covers one collection: \backup NAME")
    collection = collection or ctx.session.collection
    if not collection:
        raise UsageError(r"\backup: no collection given and none in use",
                         r"give one, or pick one with \use COLLECTION")
    if schema_only and incremental:
        raise UsageError("--schema-only and --incremental cannot be combined")
    if base and not incremental:
        raise UsageError("--base is for --incremental backups")
    if id is not None and not FILE_ID.match(id):
        raise UsageError(f"--id {excerpt(id)!r}: use up to 100 "
                         "letters, digits, _ and - (it is part of file names)")
    kind = "schema-only" if schema_only else "incremental" if incremental else "full"
    request = backup_ops.BackupRequest(collection=collection, directory=Path(output), kind=kind,
                            codec=compress or "none", tenant=tenant, base=base, backup_id=id,
                            file_format=file_format or "jsonl")
    planned = _dry_run(ctx, request, dry_run)
    if planned is not None:
        return planned
    outcome = backup_ops.run_backup(ctx.api, request, ctx.session.progress)
    m = outcome.manifest
    size = sum(c.bytes for c in m.chunks)
    out: list[Result] = [Message(w, Level.WARNING) for w in outcome.warnings]
    if outcome.resumed is not None:
        out.append(Message(f"resumed the interrupted backup {m.id} from its checkpoint "
                           f"({outcome.resumed:,} objects were already saved)"))
    what = f"{m.objects:,} objects" + (f" and {m.deleted:,} deletions" if m.deleted else "")
    if kind == "schema-only":
        what = "the schema" + (f" and {len(m.tenants)} tenants" if m.tenants else "")
    since = f" since {m.base['id']}" if m.base else ""
    parquet = "Parquet " if m.file_format == "parquet" else ""
    chunks = f"{len(m.chunks)} {parquet}chunk{'s' * (len(m.chunks) != 1)}"
    out.append(Message(f"backed up {what} of {m.collection}{since} to {outcome.path} "
                       f"({chunks}, {_size(size)}, {m.codec})"))
    out.append(Record(_record(m, outcome.path, size), title=f"Backup {m.id}"))
    return out


def _record(m: Any, path: Path, size: int) -> dict[str, Any]:
    return {"id": m.id, "collection": m.collection, "kind": m.kind, "objects": m.objects,
            "deleted": m.deleted, "chunks": len(m.chunks), "bytes": size, "path": str(path),
            "codec": m.codec, "file_format": m.file_format, "base": (m.base or {}).get("id")}


@command(
    "backups", "List the backups in a directory, or a backend's native backups.",
    args=(Arg("directory", Kind.FILE, f"where the backups are (default: {DEFAULT_DIR})",
              required=False),),
    opts=(Opt("--native", Kind.TEXT, "list Weaviate's backups on this backend instead "
                                     "(filesystem, s3, gcs, azure)"),),
    group="backup",
    help="The catalog of a backup directory, read from the manifests: id, collection, kind\n"
         "(full, incremental, schema-only; unfinished ones say incomplete: run the same\n"
         "\\backup again to resume them), the chunks' format (jsonl or parquet), objects,\n"
         "size of the chunks, when it was taken, the base of an incremental backup, and\n"
         "when \\backup verify last checked it.\n"
         "--native BACKEND lists the backups of Weaviate's backup module instead.\n\n"
         "  \\backups\n  \\backups /mnt/backups --format json\n  \\backups --native filesystem",
)
def backups_cmd(ctx: CommandContext, *, directory: str | None,
                native: str | None) -> list[Result]:
    """``\\backups``: a Table of backups."""
    if native:
        if directory:
            raise UsageError("--native lists the server's backups: no DIR with it")
        found = native_backup.list_backups(ctx.api, native)
        rows = tuple((b.get("id"), b.get("classes"), b.get("status"), b.get("startedAt"),
                      b.get("completedAt"), native_backup.size_text(b.get("size")))
                     for b in found)
        return [Table(("id", "classes", "status", "started", "completed", "size"), rows,
                      title=f"Native backups on {native}")]
    where = Path(directory or DEFAULT_DIR)
    warnings: list[str] = []
    entries = backup_catalog.catalog(where, warnings)
    rows = tuple((e.id, e.collection, e.kind if e.complete else f"{e.kind} (incomplete)",
                  e.file_format, e.objects, e.size, e.created, e.base, e.verified)
                 for e in entries)
    out: list[Result] = [Message(w, Level.WARNING) for w in warnings]
    out.append(Table(("id", "collection", "kind", "format", "objects", "size", "created",
                      "base", "verified"), rows, title=f"Backups in {where}",
                     note=None if entries else f"no backups in {where}"))
    return out


def _backup_rows(manifests: list[Any], notes: list[str]) -> tuple[tuple[Any, ...], ...]:
    return tuple((m.id, m.collection, m.kind, m.objects, _size(sum(c.bytes for c in m.chunks)),
                  m.started, (m.base or {}).get("id"), note)
                 for m, note in zip(manifests, notes, strict=True))


BACKUP_COLUMNS = ("id", "collection", "kind", "objects", "size", "created", "base")


@command(
    "backups prune", "Remove old backups from a directory, never a base a kept backup needs.",
    args=(Arg("directory", Kind.FILE, f"where the backups are (default: {DEFAULT_DIR})",
              required=False),),
    opts=(Opt("--keep", Kind.INT, "keep the N newest complete backups of each collection"),
          Opt("--older-than", Kind.TEXT, "remove the backups taken longer ago than AGE "
                                         "(45s, 90m, 12h, 30d, 2w)"),
          Opt("--safety", flag=True, help="prune the safety backups \\undo restores from "
                                          "(the state directory's), not DIRECTORY"),
          Opt("--include-undoable", flag=True, help="with --safety: the one \\undo restores "
                                                    "next may go too"),
          Opt("--force", flag=True, help="remove without asking"),
          Opt("--dry-run", flag=True, help="show what would be removed, remove nothing")),
    group="backup", destructive=True, needs_connection=False,
    help="Removes complete backups (manifest and chunks) that every rule given selects:\n"
         "not among the --keep N newest of their collection, taken longer ago than\n"
         "--older-than AGE. A backup a kept one builds on (the base of an incremental\n"
         "backup, and its bases back to the full one) is always kept, and so are\n"
         "unfinished backups and their bases. Shows what goes and what stays, then asks\n"
         "to type 'yes' (--force in scripts); --dry-run removes nothing. A prune holds\n"
         "the directory's lock, and stops if the backups changed since its preview.\n"
         "--safety prunes the safety backups of the state directory instead (those\n"
         "\\undo --list shows), by the same rules per cluster: the one \\undo restores\n"
         "next on a cluster stays unless --include-undoable.\n\n"
         "  \\backups prune --keep 7\n"
         "  \\backups prune /mnt/backups --older-than 30d --keep 3 --dry-run\n"
         "  \\backups prune --safety --older-than 2w --dry-run",
)
def backups_prune_cmd(ctx: CommandContext, *, directory: str | None, keep: int | None,
                      older_than: str | None, safety: bool, include_undoable: bool,
                      force: bool, dry_run: bool) -> list[Result]:
    """``\\backups prune``: the plan, then a Message and a Table of what stays."""
    if keep is None and older_than is None:
        raise UsageError(r"\backups prune: give --keep N, --older-than AGE, or both",
                         r"e.g. \backups prune --safety --keep 7" if safety else
                         r"e.g. \backups prune ./backup --keep 7")
    if keep is not None and keep < 1:
        raise UsageError(f"--keep must be 1 or more, got {keep}",
                         "--older-than AGE alone removes every backup older than AGE")
    age = backup_prune.parse_age(older_than) if older_than is not None else None
    if safety:
        if directory:
            raise UsageError("--safety prunes the safety backups of the state directory: no "
                             "DIRECTORY with it", r"\undo --list shows them")
        return _prune_safety(ctx, keep, age, include_undoable, force=force, dry_run=dry_run)
    if include_undoable:
        raise UsageError("--include-undoable is for --safety",
                         r"e.g. \backups prune --safety --keep 3 --include-undoable")
    where, now = Path(directory or DEFAULT_DIR), datetime.now(UTC)
    plan = backup_prune.plan_prune(where, keep, age, now)
    kept = Table((*BACKUP_COLUMNS, "kept because"), _backup_rows(
        [m for m, _ in plan.kept], [why for _, why in plan.kept]), title=f"Kept in {where}")
    if not plan.doomed:
        return [Message(f"nothing to prune in {where}"), kept]
    size = _size(sum(d.size for d in plan.doomed))
    n = len(plan.doomed)
    gone = Table((*BACKUP_COLUMNS, "files"), _backup_rows(
        [d.manifest for d in plan.doomed], [", ".join(f.name for f in d.files)
                                            for d in plan.doomed]), title="To remove")
    gate = Plan(action=f"remove {n} backup{'s' * (n != 1)} ({size}) from {where}",
                targets=(str(where),), preview=(gone, kept))
    if ctx.approve(gate, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(gate)
    warnings = backup_prune.prune(plan, keep, age, now)
    return [*(Message(w, Level.WARNING) for w in warnings),
            Message(f"removed {n} backup{'s' * (n != 1)} ({size}) from {where}"), kept]


SAFETY_COLUMNS = ("operation", "when", "cluster", "collections", "objects", "size", "directory")


def _safety_rows(records: list[Any], notes: list[str]) -> tuple[tuple[Any, ...], ...]:
    return tuple((r.operation, r.time, r.cluster, r.collections, r.objects, _size(r.bytes),
                  r.directory, note) for r, note in zip(records, notes, strict=True))


def _prune_safety(ctx: CommandContext, keep: int | None, age: Any, include_undoable: bool,
                  *, force: bool, dry_run: bool) -> list[Result]:
    """``\\backups prune --safety``: the plan, then a Message and a Table of what stays."""
    now = datetime.now(UTC)
    plan = safety_prune.plan_prune(ctx.session.state_dir, keep, age, now, include_undoable)
    kept = Table((*SAFETY_COLUMNS, "kept because"), _safety_rows(
        [r for r, _ in plan.kept], [why for _, why in plan.kept]),
        title=f"Safety backups kept in {plan.area}")
    if not plan.doomed:
        return [Message(f"no safety backup to prune in {plan.area}"), kept]
    n, size = len(plan.doomed), _size(sum(r.bytes for r in plan.doomed))
    gone = Table((*SAFETY_COLUMNS, "state"), _safety_rows(
        list(plan.doomed), [r.state for r in plan.doomed]), title="To remove")
    gate = Plan(action=f"remove {n} safety backup{'s' * (n != 1)} ({size}) from {plan.area}",
                targets=(str(plan.area),), preview=(gone, kept))
    if ctx.approve(gate, force=force, dry_run=dry_run) is Decision.DRY_RUN:
        return dry_run_results(gate)
    warnings = safety_prune.prune(plan, keep, age, now, include_undoable)
    return [*(Message(w, Level.WARNING) for w in warnings),
            Message(f"removed {n} safety backup{'s' * (n != 1)} ({size}) from {plan.area}"),
            kept]
