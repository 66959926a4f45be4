"""Property indexes, runtime reindex and distributed tasks.

* ``GET /v1/schema/{c}/indexes`` (Weaviate >= 1.38): per property, the inverted indexes it
  has and the state of a reindex task on them.
* ``PUT /v1/schema/{c}/properties/{p}/index/{i}`` (>= 1.38): create or migrate an index
  (200 ``NO_OP`` when in place, 202 ``STARTED`` with a task id); ``POST .../rebuild`` and
  ``POST .../cancel`` (202); ``DELETE .../index/{i}`` (>= 1.36, 200): the index is gone at
  once. Submissions need ``RUNTIME_REINDEX_ENABLED=true`` on the server (off by default;
  ``adapters/handlers/rest/handlers_indexes_upsert.go`` ``refuseIfReindexDisabled``).
* ``GET /v1/tasks`` (>= 1.31): distributed tasks by namespace, with one unit per shard
  replica (``usecases/distributedtask/handler.go``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient

INDEX_TYPES = ("filterable", "searchable", "rangeFilters")
STATUS_FLOOR = (1, 38)
DROP_FLOOR = (1, 36)
TASKS_FLOOR = (1, 31)
ACTIVE_TASKS = ("STARTED", "PREPARING", "SWAPPING")
BUSY = ("pending", "indexing")


@dataclass(frozen=True, slots=True)
class IndexState:
    """One inverted index of one property, as ``GET .../indexes`` reports it."""

    property: str
    data_type: str | None
    index: str | None
    status: str | None
    progress: float | None
    tokenization: str | None
    algorithm: str | None
    task: str | None
    target: str | None


@dataclass(frozen=True, slots=True)
class TaskState:
    """One distributed task with its units summed up."""

    namespace: str
    id: str
    status: str
    progress: float | None
    units_done: int
    units: int
    nodes: tuple[str, ...]
    started: str | None
    finished: str | None
    error: str | None
    unit_rows: tuple[dict[str, Any], ...]


def index_path(collection: str, prop: str, index: str) -> str:
    return f"/v1/schema/{collection}/properties/{prop}/index/{index}"


def fetch_indexes(api: RestClient, collection: str) -> list[IndexState]:
    """Every property's indexes; a property without any has one row with no index."""
    body = api.get_json(f"/v1/schema/{collection}/indexes")
    out = []
    for prop in body.get("properties") or []:
        indexes = prop.get("indexes") or [{}]
        for idx in indexes:
            target = idx.get("targetTokenization") or idx.get("targetAlgorithm")
            out.append(IndexState(prop.get("name", ""), prop.get("dataType"), idx.get("type"),
                                  idx.get("status"), idx.get("progress"),
                                  idx.get("tokenization"), idx.get("algorithm"),
                                  idx.get("taskId"), target))
    return out


def _tenants(tenants: list[str] | None) -> dict[str, str] | None:
    # a swagger 2.0 array query parameter is csv unless it says otherwise
    return {"tenants": ",".join(tenants)} if tenants else None


def upsert(api: RestClient, collection: str, prop: str, index: str, *,
           tokenization: str | None = None, algorithm: str | None = None,
           tenants: list[str] | None = None) -> dict[str, Any]:
    """``PUT .../index/{i}``: ``{"status": "NO_OP"}`` or ``{"status": "STARTED", "taskId"}``."""
    body = {k: v for k, v in (("tokenization", tokenization), ("algorithm", algorithm)) if v}
    return api.request("PUT", index_path(collection, prop, index), json=body,
                       params=_tenants(tenants), idempotent=False).json()


def rebuild(api: RestClient, collection: str, prop: str, index: str,
            tenants: list[str] | None = None) -> dict[str, Any]:
    """``POST .../rebuild``: a repair task with the index's current configuration."""
    return api.request("POST", index_path(collection, prop, index) + "/rebuild",
                       params=_tenants(tenants)).json()


def cancel(api: RestClient, collection: str, prop: str, index: str) -> dict[str, Any]:
    """``POST .../cancel``: ``CANCELLED`` with the task id, or ``NO_OP``."""
    return api.request("POST", index_path(collection, prop, index) + "/cancel").json()


def drop(api: RestClient, collection: str, prop: str, index: str) -> None:
    """``DELETE .../index/{i}``: the index is removed at once (200, no body)."""
    api.request("DELETE", index_path(collection, prop, index))


def _progress(units: list[dict[str, Any]]) -> float | None:
    if not units:
        return None
    return sum(float(u.get("progress") or 0) for u in units) / len(units)


def _time(text: Any) -> str | None:
    """None for Go's zero time (a task that has not finished)."""
    return None if not text or str(text).startswith("0001-") else str(text)


def fetch_tasks(api: RestClient) -> list[TaskState]:
    """Every distributed task, newest first within each namespace."""
    body = api.get_json("/v1/tasks") or {}
    out = []
    for namespace, tasks in sorted(body.items()):
        for task in sorted(tasks or [], key=lambda t: t.get("startedAt") or "", reverse=True):
            units = task.get("units") or []
            done = sum(1 for u in units if u.get("status") == "COMPLETED")
            nodes = tuple(sorted({u.get("nodeId", "") for u in units if u.get("nodeId")}))
            progress = 1.0 if task.get("status") == "FINISHED" else _progress(units)
            out.append(TaskState(namespace, task.get("id", ""), task.get("status", ""),
                                 progress, done, len(units), nodes,
                                 _time(task.get("startedAt")), _time(task.get("finishedAt")),
                                 task.get("error") or None, tuple(units)))
    return out
