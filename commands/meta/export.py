"""``\\export``: Weaviate's server-side export to Parquet (1.37+), its status and cancel.

Nothing is removed or overwritten (the server writes new files under the export's id), so
there is no confirmation; ``--dry-run`` shows the request and sends nothing.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.ops.schema import fetch_schema, unknown_collection
from commands.results import Document, Level, Message, Record, Result, Table
from commands.safety import Plan, dry_run_results
from commands.spec import Arg, Kind, Opt, command

exports = lazy_module("commands.ops.export")
lifecycle = lazy_module("commands.ops.lifecycle")

BACKEND = Opt("--backend", Kind.CHOICE, "the backup module the server writes to",
              choices=("filesystem", "s3", "gcs", "azure"))
DRY_RUN = Opt("--dry-run", flag=True, help="show the request, send nothing")
ID_ARG = Arg("id", Kind.TEXT, "the export's id")


def _backend(backend: str | None) -> str:
    if not backend:
        raise ShellError("--backend is required: the backup module the server writes to",
                         "e.g. --backend filesystem (or s3, gcs, azure)")
    return backend


def _shard_table(answer: dict[str, Any]) -> Table:
    rows = tuple((name, shard, p.get("status"), p.get("objectsExported", 0),
                  p.get("error") or p.get("skipReason"))
                 for name, shard, p in exports.shards(answer))
    return Table(("collection", "shard", "status", "objects", "detail"), rows,
                 title="Per shard", note=None if rows else "no shard reported yet")


def _summary(answer: dict[str, Any]) -> Record:
    done = [p for *_, p in exports.shards(answer)]
    return Record({"id": answer.get("id"), "status": answer.get("status"),
                   "backend": answer.get("backend"), "path": answer.get("path"),
                   "collections": answer.get("classes"),
                   "objects": sum(p.get("objectsExported", 0) for p in done),
                   "started": answer.get("startedAt"),
                   "completed": None if str(answer.get("completedAt", "")).startswith("0001")
                   else answer.get("completedAt"),
                   "took_ms": answer.get("tookInMs"), "error": answer.get("error")},
                  title=f"Export {answer.get('id')}")


def _names(given: list[str], known: list[str]) -> list[str]:
    """Class names for ``given`` (first letter case-fixed); an unknown one stops here, where
    Weaviate would skip it silently."""
    out = []
    for name in given or []:
        fixed = lifecycle.upper_first(name)
        if fixed not in known:
            raise unknown_collection(name, known)
        out.append(fixed)
    return list(dict.fromkeys(out))


@command(
    "export", "Start a server-side export of collections to Parquet files (Weaviate >= 1.37).",
    args=(Arg("collections", Kind.COLLECTION, "collections to export (default: every one)",
              required=False, many=True),),
    opts=(BACKEND,
          Opt("--file-format", Kind.CHOICE, "the files' format (Weaviate writes Parquet)",
              choices=("parquet",), default="parquet"),
          Opt("--id", Kind.TEXT, "the export's id (default: elysiactl-export-<UTC time>; "
                                 "lowercase letters, digits, _ and -, never reused)"),
          Opt("--exclude", Kind.COLLECTION, "with no COLLECTIONS: leave this one out "
                                            "(repeatable)", many=True),
          Opt("--wait", flag=True, help="follow it to the end with per-shard progress"),
          DRY_RUN),
    group="backup",
    help="POST /v1/export/BACKEND: the server snapshots the collections and writes one\n"
         "Parquet file per shard (id, creation_time, update_time, vector, named_vectors,\n"
         "multi_vectors, properties) under the export's id on its backup module's storage.\n"
         "There is no import counterpart in Weaviate. The server must run with\n"
         "EXPORT_ENABLED=true (s3, gcs and azure also need EXPORT_DEFAULT_BUCKET); one\n"
         "export runs at a time. Without --wait the command returns at once: follow it\n"
         "with \\export status ID --backend B. --wait shows a bar by shards and the\n"
         "per-shard result; Ctrl-C cancels the export on the server.\n\n"
         "  \\export Article --backend filesystem --wait\n"
         "  \\export Article Product --backend s3 --id nightly-2026-01-01\n"
         "  \\export --backend filesystem --exclude Scratch --dry-run",
)
def export_cmd(ctx: CommandContext, *, collections: list[str], backend: str | None,
               file_format: str, id: str | None, exclude: list[str], wait: bool,
               dry_run: bool) -> list[Result]:
    """``\\export``: start (and with --wait follow) one export."""
    backend = _backend(backend)
    ident = exports.export_id(id)
    if collections and exclude:
        raise UsageError("--exclude goes with no COLLECTIONS: name what to export, or what to "
                         "leave out", "e.g. \\export --backend filesystem --exclude Scratch")
    known = [c["class"] for c in fetch_schema(ctx.api)] if collections or exclude else []
    classes, skipped = _names(collections, known), _names(exclude, known)
    body = exports.start_body(ident, classes, file_format, skipped)
    every = "every collection" + (f" but {', '.join(skipped)}" if skipped else "")
    plan = Plan(action=f"export {', '.join(classes) or every} to {backend}",
                targets=tuple(classes), preview=(Document(body, title="export request"),),
                requests=(f"POST {exports.path(backend)}",))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=True):
        return dry_run_results(plan)
    started = exports.start(ctx.api, ctx.server_version, backend, body)
    if not wait:
        return [Record({k: started.get(k) for k in ("id", "status", "backend", "path",
                                                      "classes", "startedAt")},
                       title=f"Export {ident} started"),
                Message(f"follow it with \\export status {ident} --backend {backend}")]
    final = exports.wait(ctx.api, ctx.server_version, backend, ident, ctx.session.progress)
    ctx.objects_affected = sum(p.get("objectsExported", 0) for *_, p in exports.shards(final))
    out: list[Result] = [_summary(final), _shard_table(final)]
    if final.get("status") != "SUCCESS":
        ctx.exit_code, ctx.status = 1, "error"
        out.append(Message(f"export {ident} ended {final.get('status')}: "
                           f"{final.get('error') or 'no reason given'}", Level.WARNING))
    return out


@command(
    "export status", "Show a server-side export's status, per shard.",
    args=(ID_ARG,), opts=(BACKEND,), group="backup",
    help="GET /v1/export/BACKEND/ID: STARTED, TRANSFERRING, SUCCESS, FAILED or CANCELED,\n"
         "and each shard's status, objects written and error or skip reason (tenants that\n"
         "are offloaded are SKIPPED).\n\n  \\export status nightly --backend filesystem",
)
def export_status_cmd(ctx: CommandContext, *, id: str, backend: str | None) -> list[Result]:
    """``\\export status``: a summary record and the per-shard table."""
    answer = exports.status(ctx.api, ctx.server_version, _backend(backend), exports.export_id(id))
    return [_summary(answer), _shard_table(answer)]


@command(
    "export cancel", "Cancel a running server-side export.",
    args=(ID_ARG,), opts=(BACKEND, DRY_RUN), group="backup",
    help="DELETE /v1/export/BACKEND/ID. The files already written stay where they are (as\n"
         "Weaviate leaves them); an export that has finished cannot be canceled.\n\n"
         "  \\export cancel nightly --backend filesystem",
)
def export_cancel_cmd(ctx: CommandContext, *, id: str, backend: str | None,
                      dry_run: bool) -> list[Result]:
    """``\\export cancel``: one DELETE."""
    backend, ident = _backend(backend), exports.export_id(id)
    plan = Plan(action=f"cancel export {ident} on {backend}", targets=(ident,),
                requests=(f"DELETE {exports.path(backend, ident)}",))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=True):
        return dry_run_results(plan)
    exports.cancel(ctx.api, ctx.server_version, backend, ident)
    return [Message(f"canceled export {ident} on {backend}; the files written so far stay")]
