"""Property indexes and runtime reindex: ``\\indexes``, ``\\reindex``, ``\\tasks``.

Operations in ``commands.ops.indexes``; every write passes the safety gate (``--dry-run``
sends nothing, dropping an index asks first).
"""

from __future__ import annotations

import time
from typing import Any

from commands.context import CommandContext
from commands.errors import ApiError, ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.alter import DRY_RUN
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, FORCE
from commands.ops.schema import get_class
from commands.progress import bar
from commands.results import Level, Message, Result, Table
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

indexes = lazy_module("commands.ops.indexes")
versions = lazy_module("commands.ops.versions")

INDEX_CHOICES = ("filterable", "searchable", "rangeFilters", "rangeable")
WAIT_POLL_S = 0.5
WAIT_LIMIT_S = 3600.0


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.0f}%"


def _index_table(name: str, rows: list[Any], prop: str | None = None) -> Table:
    shown = [r for r in rows if prop is None or r.property == prop]
    busy = any(r.status in indexes.BUSY for r in shown)
    note = r"a reindex is running: \tasks shows it per node" if busy else None
    return Table(("property", "dataType", "index", "status", "progress", "tokenization",
                  "algorithm", "target", "task"),
                 tuple((r.property, r.data_type, r.index or "(none)", r.status,
                        _percent(r.progress), r.tokenization, r.algorithm, r.target, r.task)
                       for r in shown), title=f"Indexes of {name}", note=note)


@command(
    "indexes", "Show each property's inverted indexes and the progress of a reindex.",
    args=(Arg("collection", Kind.COLLECTION, "a collection or an alias", from_context=True),),
    group="cluster",
    help="One row per property and inverted index (filterable, searchable, rangeFilters)\n"
         "from GET /v1/schema/C/indexes (Weaviate >= 1.38): its status (ready, pending,\n"
         "indexing, failed, cancelled), the progress of a reindex task, the tokenization,\n"
         "the BM25 algorithm of a searchable index (wand or blockmax), the target of a\n"
         "running migration and its task id. A property with no index shows (none).\n\n"
         "  \\indexes Article\n  \\indexes Article --format json",
)
def indexes_cmd(ctx: CommandContext, *, collection: str) -> Result:
    """``\\indexes``: a Table of index states."""
    versions.require(ctx.server_version, indexes.STATUS_FLOOR, "per-property index status")
    name = get_class(ctx.api, collection)["class"]
    return _index_table(name, indexes.fetch_indexes(ctx.api, name))


def _action(rebuild: bool, drop: bool, cancel: bool, tokenization: str | None,
            algorithm: str | None) -> str:
    chosen = [word for word, on in (("rebuild", rebuild), ("drop", drop), ("cancel", cancel))
              if on]
    if len(chosen) > 1:
        raise UsageError("--rebuild, --drop and --cancel exclude each other",
                         "one operation per \\reindex")
    action = chosen[0] if chosen else "upsert"
    if action != "upsert" and (tokenization or algorithm):
        raise UsageError(f"--tokenization and --algorithm go with creating or migrating an "
                         f"index, not with --{action}")
    return action


def _request(action: str, name: str, prop: str, index: str) -> str:
    path = indexes.index_path(name, prop, index)
    return {"upsert": f"PUT {path}", "rebuild": f"POST {path}/rebuild",
            "cancel": f"POST {path}/cancel", "drop": f"DELETE {path}"}[action]


def _send(ctx: CommandContext, action: str, name: str, prop: str, index: str,
          tokenization: str | None, algorithm: str | None,
          tenants: list[str]) -> dict[str, Any] | None:
    api = ctx.api
    try:
        if action == "upsert":
            return indexes.upsert(api, name, prop, index, tokenization=tokenization,
                                  algorithm=algorithm, tenants=tenants)
        if action == "rebuild":
            return indexes.rebuild(api, name, prop, index, tenants)
        if action == "cancel":
            return indexes.cancel(api, name, prop, index)
        indexes.drop(api, name, prop, index)
        return None
    except ApiError as exc:
        hint = exc.hint
        if "RUNTIME_REINDEX_ENABLED" in exc.message:
            hint = "set RUNTIME_REINDEX_ENABLED=true on every node (a restart) to reindex"
        elif exc.status == 409:
            hint = rf"\indexes {name} and \tasks show what is running; --cancel stops it"
        raise ShellError(f"{action} {name}.{prop} {index}: {exc.message}", hint) from None


def _wait(ctx: CommandContext, name: str, prop: str, index: str) -> list[Any]:
    """Poll the index status until no reindex runs on it (a progress bar on a terminal)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    canonical = "rangeFilters" if index == "rangeable" else index
    shown = 0
    with bar(ctx.session.progress, f"reindexing {name}.{prop} {canonical} (%)", 100,
             "") as advance:
        while True:
            rows = indexes.fetch_indexes(ctx.api, name)
            mine = [r for r in rows if r.property == prop and r.index == canonical]
            busy = [r for r in mine if r.status in indexes.BUSY]
            percent = int(100 * min((r.progress or 0.0) for r in busy)) if busy else 100
            if percent > shown:
                advance(percent - shown)
                shown = percent
            if not busy or time.monotonic() > deadline:
                return rows
            time.sleep(WAIT_POLL_S)


def _outcome(action: str, answer: dict[str, Any] | None, name: str, prop: str,
             index: str) -> Message:
    status, task = (answer or {}).get("status"), (answer or {}).get("taskId")
    where = f"{name}.{prop} {index}"
    if action == "drop":
        return Message(f"dropped the {index} index of {name}.{prop}")
    if status == "NO_OP":
        return Message(f"nothing to do for {where}: " + (
            "no reindex task was running" if action == "cancel" else "already in place"))
    if status == "CANCELLED":
        return Message(f"cancelled reindex task {task} on {where}")
    if status == "STARTED":
        return Message(f"reindex task {task} runs on {where}; \\indexes {name} shows its "
                       "progress")
    return Message(f"{where}: the server answered {status or 'nothing'}"
                   + (f" (task {task})" if task else ""), Level.WARNING)


@command(
    "reindex", "Create, migrate, rebuild, drop or cancel a property's inverted index.",
    args=(Arg("collection", Kind.COLLECTION, "the collection (not an alias)"),
          Arg("property", Kind.PROPERTY, "the property"),
          Arg("index", Kind.CHOICE, "filterable, searchable or rangeFilters",
              choices=INDEX_CHOICES)),
    opts=(Opt("--tokenization", Kind.TEXT, "target tokenization (searchable, filterable)"),
          Opt("--algorithm", Kind.CHOICE, "migrate a searchable index to BlockMax WAND",
              choices=("blockmax",)),
          Opt("--rebuild", flag=True, help="rebuild the index with its current configuration"),
          Opt("--drop", flag=True, help="delete the index (destructive, asks first)"),
          Opt("--cancel", flag=True, help="cancel the reindex task running on the index"),
          Opt("--tenant", Kind.TENANT, "only these tenants (repeatable; format-only changes)",
              many=True),
          Opt("--wait", flag=True, help="wait until the reindex task ends, then show the index"),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="cluster", changes_schema=True,
    help="Without an operation flag, makes the index exist with the given configuration\n"
         "(PUT /v1/schema/C/properties/P/index/I): it creates a missing index, changes the\n"
         "tokenization (--tokenization) or moves a searchable index to BlockMax\n"
         "(--algorithm blockmax) by a reindex task that runs in the background on every\n"
         "replica, or does nothing when the configuration is already in place.\n"
         "--rebuild rebuilds it from the stored objects (a repair), --cancel stops the task\n"
         "running on it, --drop deletes the index at once (DELETE; filters, BM25 or range\n"
         "queries on the property stop working; asks for confirmation, --force skips it).\n"
         "--dry-run shows the request and sends nothing; --wait polls until the task ends.\n"
         "Weaviate >= 1.38 (--drop: >= 1.36); reindexing needs RUNTIME_REINDEX_ENABLED=true\n"
         "on the server.\n\n"
         "  \\reindex Article title searchable --tokenization field\n"
         "  \\reindex Article wordCount rangeFilters --wait\n"
         "  \\reindex Article body searchable --algorithm blockmax\n"
         "  \\reindex Article title filterable --rebuild\n"
         "  \\reindex Article title filterable --cancel\n"
         "  \\reindex Article title searchable --drop --dry-run",
)
def reindex_cmd(ctx: CommandContext, *, collection: str, property: str, index: str,
                tokenization: str | None, algorithm: str | None, rebuild: bool, drop: bool,
                cancel: bool, tenant: list[str], wait: bool, force: bool, dry_run: bool,
                allow_protected: bool) -> list[Result]:
    """``\\reindex``: one index operation through the safety gate."""
    action = _action(rebuild, drop, cancel, tokenization, algorithm)
    versions.require(ctx.server_version,
                     indexes.DROP_FLOOR if action == "drop" else indexes.STATUS_FLOOR,
                     "dropping a property index" if action == "drop" else "runtime reindex")
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    names = {p["name"].lower(): p["name"] for p in cls.get("properties") or []}
    if property.lower() not in names:
        raise ShellError(f"{name} has no property {property!r}",
                         rf"\show {name} lists its properties")
    prop = names[property.lower()]
    protected = tuple(n for n, _ in protected_names([name], ctx.session.protected))
    verb = {"upsert": "create or migrate", "rebuild": "rebuild", "cancel": "cancel the reindex "
            "of", "drop": "drop"}[action]
    preview: tuple[Result, ...] = ()
    if action == "drop":
        preview = (Message(f"queries that filter on, search or range over {name}.{prop} with "
                           f"the {index} index stop working; getting it back is a reindex",
                           Level.WARNING),)
    gate = Plan(action=f"{verb} the {index} index of {name}.{prop}", targets=(name,),
                preview=preview, requests=(_request(action, name, prop, index),),
                protected=protected)
    if ctx.dry_run_or_approve(gate, action == "drop" or bool(protected), force=force,
                              dry_run=dry_run, allow_protected=allow_protected):
        return dry_run_results(gate)
    answer = _send(ctx, action, name, prop, index, tokenization, algorithm, list(tenant or []))
    out: list[Result] = [_outcome(action, answer, name, prop, index)]
    if wait and (answer or {}).get("status") == "STARTED":
        out.append(_index_table(name, _wait(ctx, name, prop, index), prop))
    return out


@command(
    "tasks", "List the cluster's distributed tasks (reindexing, ...) with progress per node.",
    opts=(Opt("--namespace", Kind.TEXT, "only this namespace (e.g. reindex)"),
          Opt("--active", flag=True, help="only tasks still running"),
          Opt("--units", flag=True, help="one row per unit (shard replica) instead")),
    group="cluster",
    help="Distributed tasks from GET /v1/tasks (Weaviate >= 1.31), newest first: namespace,\n"
         "id, status (STARTED, FINISHED, CANCELLED, FAILED, ...), the mean progress of its\n"
         "units, how many units (one per shard replica) completed, the nodes, start and end\n"
         "times and the error of a failed task. --units shows every unit: node, status,\n"
         "progress and error.\n\n"
         "  \\tasks\n  \\tasks --active --namespace reindex\n  \\tasks --units --format json",
)
def tasks_cmd(ctx: CommandContext, *, namespace: str | None, active: bool,
              units: bool) -> Result:
    """``\\tasks``: a Table of tasks (or of their units)."""
    versions.require(ctx.server_version, indexes.TASKS_FLOOR, "listing distributed tasks")
    found = [t for t in indexes.fetch_tasks(ctx.api)
             if (namespace is None or t.namespace == namespace)
             and (not active or t.status in indexes.ACTIVE_TASKS)]
    note = None if found else "no distributed tasks" + (" match" if namespace or active else "")
    if units:
        rows = tuple((t.namespace, t.id, u.get("id"), u.get("nodeId"), u.get("status"),
                      _percent(float(u.get("progress") or 0)), u.get("error"))
                     for t in found for u in t.unit_rows)
        return Table(("namespace", "task", "unit", "node", "status", "progress", "error"), rows,
                     title="Distributed task units", note=note)
    rows = tuple((t.namespace, t.id, t.status, _percent(t.progress),
                  f"{t.units_done}/{t.units}", list(t.nodes), t.started, t.finished, t.error)
                 for t in found)
    return Table(("namespace", "id", "status", "progress", "units_done", "nodes", "started",
                  "finished", "error"), rows, title="Distributed tasks", note=note)
