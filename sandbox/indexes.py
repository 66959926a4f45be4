"""Property index status and runtime reindex (Weaviate >= 1.38; DELETE since 1.36).

* ``GET /v1/schema/{c}/indexes``: per property, one entry per index it has (filterable,
  searchable, rangeFilters for int/number/date) with a reindex task's status painted over
  it (``adapters/handlers/rest/handlers_indexes.go`` ``getIndexes``, ``mergeReindexStatus``).
* ``PUT .../properties/{p}/index/{i}``: declarative upsert; 200 ``NO_OP`` when in place,
  202 ``STARTED`` with the task id of a new (or joined) reindex task
  (``handlers_indexes_upsert.go`` ``upsertIndex``, ``resolve*Upsert``).
* ``POST .../rebuild`` (202), ``POST .../cancel`` (202 ``CANCELLED`` or ``NO_OP``).
* ``DELETE .../properties/{p}/index/{i}``: turns the index flag off at once, 200 without a
  body (``handlers_schema.go`` ``deleteClassPropertyIndex``, ``usecases/schema/property.go``).

Submissions are refused unless ``RUNTIME_REINDEX_ENABLED`` (``app.runtime_reindex``) is on.
Request validation is in ``sandbox.reindex_plans``. A task has one unit per shard replica
(``shard__node``); when it finishes, the schema change it stands for is made
(``sandbox.task_store``).
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from sandbox import reindex_plans as plans
from sandbox.classes import RANGE_TYPES, upper_first
from sandbox.http import ApiError, Request, Response, empty, error, framework_error, json_response
from sandbox.store import OFFLOADED
from sandbox.task_store import Task

if TYPE_CHECKING:
    from sandbox.state import State
    from sandbox.store import Collection

NAMESPACE = "reindex"
INDEX_NAMES = ("filterable", "searchable", "rangeFilters", "rangeable")
DISABLED = "runtime reindex is disabled; enable with RUNTIME_REINDEX_ENABLED=true"
FLAGS = {"filterable": "indexFilterable", "searchable": "indexSearchable",
         "rangeable": "indexRangeFilters"}
TARGETS = {  # migration type -> the index buckets it writes (migrationTypeTargetsIndex)
    "enable-searchable": ("searchable",), "change-algorithm": ("searchable",),
    "rebuild-searchable": ("searchable",), "enable-filterable": ("filterable",),
    "repair-filterable": ("filterable",), "enable-rangeable": ("rangeable",),
    "repair-rangeable": ("rangeable",), "change-tokenization": ("searchable", "filterable"),
    "change-tokenization-filterable": ("filterable",),
}
def _index_type(request: Request) -> str:
    """The internal token of ``{indexName}``; anything else is go-openapi's enum 422."""
    name = request.params["indexName"]
    if name not in INDEX_NAMES:
        raise ApiError(framework_error(422, 606, "indexName in path should be one of "
                                                 f"[{' '.join(INDEX_NAMES)}]"))
    return "rangeable" if name == "rangeFilters" else name


def _canonical(index_type: str) -> str:
    return "rangeFilters" if index_type == "rangeable" else index_type


def _blockmax(app: State, col: Collection, prop: str) -> bool:
    return bool(col.config["invertedIndexConfig"].get("usingBlockMaxWAND")) or \
        (col.name, prop) in app.blockmax_properties


def _tasks_on(app: State, collection: str, prop: str, index_type: str) -> list[Task]:
    return [t for t in app.tasks.in_namespace(NAMESPACE)
            if t.payload["collection"].lower() == collection.lower()
            and prop in t.payload["properties"]
            and index_type in TARGETS.get(t.payload["migrationType"], ())]


def _entry(app: State, col: Collection, prop: dict[str, Any], index_type: str,
           now: float) -> dict[str, Any] | None:
    """One IndexStatus, or None when the index is off and no task says anything about it."""
    flag_on = bool(prop.get(FLAGS[index_type]))
    entry: dict[str, Any] = {"type": _canonical(index_type), "status": "ready"}
    if flag_on and index_type != "rangeable" and prop.get("tokenization"):
        entry["tokenization"] = prop["tokenization"]
    if flag_on and index_type == "searchable":
        entry["algorithm"] = "blockmax" if _blockmax(app, col, prop["name"]) else "wand"
    tasks = _tasks_on(app, col.name, prop["name"], index_type)
    # the most relevant task: an active one, else the latest (taskStatusPriority)
    best = max(tasks, key=lambda t: (t.active, t.started), default=None)
    if best is not None and best.status != "FINISHED":
        progress = best.progress(now)
        entry["status"] = {"FAILED": "failed", "CANCELLED": "cancelled"}.get(
            best.status, "indexing" if progress > 0 else "pending")
        if progress:
            entry["progress"] = round(progress, 4)
        entry["taskId"] = best.id
        kind, target = best.payload["migrationType"], best.payload.get("targetTokenization")
        if kind == "enable-searchable" and target:
            entry["tokenization"] = target
        elif kind.startswith("change-tokenization") and target:
            entry["targetTokenization"] = target
        elif kind == "change-algorithm":
            entry["targetAlgorithm"] = "blockmax"
    elif not flag_on:
        return None
    return entry


def get_indexes(app: State, request: Request) -> Response:
    """``GET /v1/schema/{className}/indexes``; aliases resolve; 404 without a body."""
    db = app.db
    with db.lock:
        col = db.get(request.params["className"])
        if col is None:
            return empty(404)
        now = time.time()
        props = []
        for prop in col.config["properties"]:
            kinds = ["filterable", "searchable"]
            if plans.primitive(prop) in RANGE_TYPES:
                kinds.append("rangeable")
            indexes = [e for k in kinds if (e := _entry(app, col, prop, k, now)) is not None]
            item: dict[str, Any] = {"name": prop["name"], "dataType": prop["dataType"][0],
                                    "indexes": indexes}
            if prop.get("description"):
                item["description"] = prop["description"]
            props.append(item)
        return json_response({"collection": col.name, "properties": props})


def _class_property(app: State, request: Request) -> tuple[Collection, dict[str, Any]]:
    """The class (no alias resolution) and property of the path, or the handler's 404."""
    name = upper_first(request.params["className"])
    col = app.db.collections.get(name)
    if col is None:
        raise ApiError(error(404, f'collection "{name}" not found'))
    prop = col.properties.get(request.params["propertyName"])
    if prop is None:
        raise ApiError(error(404, f'property "{request.params["propertyName"]}" not found on '
                                  f'collection "{name}"'))
    return col, prop


def _finisher(app: State, class_name: str, prop_name: str, kind: str, tok: str) -> Any:
    """The schema change a finished task makes (the swap phase of a semantic migration)."""

    def finish() -> None:
        with app.db.lock:
            col = app.db.collections.get(class_name)
            prop = col.properties.get(prop_name) if col is not None else None
            if prop is None:
                return
            if kind.startswith("enable-"):
                prop[FLAGS[kind.removeprefix("enable-")]] = True
            if tok:
                prop["tokenization"] = tok
            if kind == "change-algorithm":
                app.blockmax_properties.add((class_name, prop_name))

    return finish


def _tenants(request: Request) -> list[str]:
    """The ``tenants`` query parameter (a swagger array: comma-separated)."""
    return [t for t in (request.query.get("tenants") or "").split(",") if t]


def _units(col: Collection, tenants: list[str]) -> list[tuple[str, str]]:
    """One unit per shard replica (``shard__node``); for a multi-tenant collection the chosen
    tenants, or every tenant with local data (not offloaded)."""
    if col.multi_tenant:
        shards = tenants or [t for t, status in col.tenants.items() if status != OFFLOADED]
    else:
        shards = col.shard_names()
    return sorted((f"{shard}__{node}", node) for shard in shards
                  for node in col.placement.get(shard, ()))


def _submit(app: State, col: Collection, prop: dict[str, Any], kind: str, tok: str,
            tenants: list[str]) -> Response:
    """Tenant scope, admission (conflicts, the per-collection cap), then a new task: 202."""
    plans.check_tenant_scope(col, tenants, kind in plans.SEMANTIC)
    active = [t for t in app.tasks.in_namespace(NAMESPACE) if t.active
              and t.payload["collection"].lower() == col.name.lower()]
    for task in active:
        if prop["name"] in task.payload["properties"]:
            existing = task.payload["migrationType"]
            reason = (f"already running {existing} for overlapping properties" if existing == kind
                      else f"already running {existing} for overlapping properties; concurrent "
                           f"{kind} on the same property would race on shared on-disk migration "
                           "state — wait for the in-flight task to finish before submitting "
                           "another")
            return error(409, f'reindex task "{task.id}" conflicts: {reason}')
    if len(active) >= 32:
        return error(429, f'collection "{col.name}" already has {len(active)} concurrent reindex '
                          "tasks (max 32); wait for one to finish before submitting another")
    units = _units(col, tenants)
    if not units:
        return error(400, "collection has no shards")
    task_id = f"{col.name}:{kind}:{prop['name']}:{secrets.token_hex(2)}"
    payload: dict[str, Any] = {"migrationType": kind, "collection": col.name,
                               "properties": [prop["name"]],
                               "unitToNode": {u: n for u, n in units},
                               "unitToShard": {u: u.split("__")[0] for u, _ in units}}
    if tenants:
        payload["tenants"] = tenants
    if tok:
        payload["targetTokenization"] = tok
        if prop.get("tokenization"):
            payload["originalTokenization"] = prop["tokenization"]
    app.tasks.submit(NAMESPACE, task_id, payload, units,
                     _finisher(app, col.name, prop["name"], kind, tok))
    return json_response({"taskId": task_id, "status": "STARTED"}, 202)


def _options(request: Request) -> tuple[str, str]:
    body = request.json(required=False) or {}
    if not isinstance(body, dict):
        raise ApiError(framework_error(422, 602, "body in body must be of type object"))
    return str(body.get("tokenization") or "").strip(), str(body.get("algorithm") or "").strip()


def upsert_index(app: State, request: Request) -> Response:
    """``PUT /v1/schema/{c}/properties/{p}/index/{i}``."""
    index_type = _index_type(request)
    if not app.runtime_reindex:
        return error(400, DISABLED)
    tok, algorithm = _options(request)
    with app.db.lock:
        col, prop = _class_property(app, request)
        if index_type == "searchable":
            kind, target = plans.plan_searchable(prop, tok, algorithm,
                                                  _blockmax(app, col, prop["name"]))
        elif index_type == "filterable":
            kind, target = plans.plan_filterable(prop, tok, algorithm)
        else:
            kind, target = plans.plan_rangeable(prop, tok, algorithm)
        if kind is None:  # only rangeFilters changes are format-only
            plans.check_tenant_scope(col, _tenants(request), index_type != "rangeable")
            return json_response({"status": "NO_OP"})
        running = next((t for t in _tasks_on(app, col.name, prop["name"], index_type)
                        if t.active and t.payload["migrationType"] == kind
                        and t.payload.get("targetTokenization", "") == target), None)
        if running is not None:  # a converging request joins the running task
            return json_response({"taskId": running.id, "status": "STARTED"}, 202)
        return _submit(app, col, prop, kind, target, _tenants(request))


def rebuild_index(app: State, request: Request) -> Response:
    """``POST .../index/{i}/rebuild``: a repair task with the index's current configuration."""
    index_type = _index_type(request)
    if not app.runtime_reindex:
        return error(400, DISABLED)
    with app.db.lock:
        col, prop = _class_property(app, request)
        return _submit(app, col, prop, plans.plan_rebuild(prop, index_type,
                                                        _blockmax(app, col, prop["name"])), "",
                       _tenants(request))


def cancel_index(app: State, request: Request) -> Response:
    """``POST .../index/{i}/cancel``: 202 CANCELLED with the task id, or 202 NO_OP. Allowed
    with runtime reindex off, so a running task stays stoppable."""
    index_type = _index_type(request)
    with app.db.lock:
        col, prop = _class_property(app, request)
        target = next((t for t in _tasks_on(app, col.name, prop["name"], index_type)
                       if t.active), None)
        if target is None:
            return json_response({"status": "NO_OP"}, 202)
        app.tasks.cancel(target)
        return json_response({"taskId": target.id, "status": "CANCELLED"}, 202)


def delete_index(app: State, request: Request) -> Response:
    """``DELETE .../properties/{p}/index/{i}``: the flag off at once; 422 for an unknown class
    or property, or while a reindex task runs on the property."""
    index_type = _index_type(request)
    db = app.db
    name, prop_name = upper_first(request.params["className"]), request.params["propertyName"]
    with db.lock:
        col = db.collections.get(name)
        for task in app.tasks.in_namespace(NAMESPACE):
            if task.active and task.payload["collection"].lower() == name.lower() \
                    and prop_name in task.payload["properties"]:
                return error(422, f'reindex task "{task.id}" ({task.payload["migrationType"]}) '
                                  f"is in flight on {task.payload['collection']}.{prop_name} "
                                  f"(status={task.status}); schema mutations on this property "
                                  "are blocked until the reindex completes or is cancelled — "
                                  "wait for the task to reach a terminal state, or cancel it "
                                  "via the reindex REST API before retrying")
        if col is None:
            return error(422, f'class "{name}": not found')
        prop = col.properties.get(prop_name)
        if prop is None:
            return error(422, f"property name {prop_name}: not found")
        prop[FLAGS[index_type]] = False
        if index_type == "searchable":
            app.blockmax_properties.discard((name, prop_name))
    return empty(200)


ROUTES = [
    ("GET", "/v1/schema/{className}/indexes", get_indexes),
    ("PUT", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}", upsert_index),
    ("DELETE", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}",
     delete_index),
    ("POST", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}/rebuild",
     rebuild_index),
    ("POST", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}/cancel",
     cancel_index),
]
