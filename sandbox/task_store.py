"""Distributed tasks: ``GET /v1/tasks`` and the task store reindex submissions go to.

Weaviate's distributed task manager runs a task as one unit per shard replica; the task is
FINISHED once every unit completed (``cluster/distributedtask/types.go``). Here a unit's
progress is the share of the task's duration that has passed, so a task finishes by
itself after ``duration_ms`` (``PUT /__sandbox/tasks {"duration_ms": N}``; 0 finishes it
at the next request). ``advance`` is called before every ``/v1`` request, and runs a
finished task's completion (the schema change a reindex makes) exactly once.

The response follows ``usecases/distributedtask/handler.go`` ``ListTasks``: tasks grouped by
namespace, ``finishedNodes`` always null (the handler never fills it), zero times as Go's
``0001-01-01T00:00:00.000Z``, units sorted by id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00.000Z"
DEFAULT_DURATION_MS = 1500.0
ACTIVE = ("STARTED", "PREPARING", "SWAPPING")


def iso(seconds: float | None) -> str:
    """strfmt.DateTime's JSON: UTC with milliseconds; the zero time when unset."""
    if seconds is None:
        return ZERO_TIME
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@dataclass
class Task:
    """One distributed task: its units are ``(unit id, node)`` pairs."""

    namespace: str
    id: str
    version: int
    payload: dict[str, Any]
    units: list[tuple[str, str]]
    started: float
    duration_s: float
    on_finish: Callable[[], None] | None = None
    status: str = "STARTED"
    finished: float | None = None
    stopped_progress: float | None = None  # progress frozen by a cancel
    error: str = ""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def progress(self, now: float) -> float:
        """Every unit's progress (they advance together), 0.0 to 1.0."""
        if self.stopped_progress is not None:
            return self.stopped_progress
        if self.status == "FINISHED":
            return 1.0
        if self.duration_s <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.started) / self.duration_s))

    def to_json(self, now: float) -> dict[str, Any]:
        progress = self.progress(now)
        unit_status = ("COMPLETED" if progress >= 1.0 else
                       "IN_PROGRESS" if progress > 0 and self.active else
                       "PENDING" if self.active else "FAILED" if self.status == "FAILED"
                       else "IN_PROGRESS")
        units = []
        for unit_id, node in sorted(self.units):
            unit: dict[str, Any] = {"id": unit_id, "nodeId": node, "status": unit_status,
                                    "updatedAt": iso(min(now, self.finished or now)),
                                    "finishedAt": iso(self.finished if progress >= 1.0
                                                      else None)}
            if progress:
                unit["progress"] = round(progress, 4)
            units.append(unit)
        out: dict[str, Any] = {"id": self.id, "version": self.version, "status": self.status,
                               "startedAt": iso(self.started), "finishedAt": iso(self.finished),
                               "finishedNodes": None, "payload": self.payload}
        if self.error:
            out["error"] = self.error
        if units:
            out["units"] = units
        return out


@dataclass
class Tasks:
    """Every distributed task of one emulated cluster, by namespace."""

    duration_ms: float = DEFAULT_DURATION_MS
    tasks: list[Task] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _version: int = 0

    def submit(self, namespace: str, task_id: str, payload: dict[str, Any],
               units: list[tuple[str, str]], on_finish: Callable[[], None] | None) -> Task:
        """Start a task now; ``on_finish`` runs once when its units are all done."""
        with self.lock:
            self._version += 1
            task = Task(namespace, task_id, self._version, payload, units, time.time(),
                        self.duration_ms / 1000, on_finish)
            self.tasks.append(task)
            return task

    def advance(self) -> None:
        """Finish every task whose units are done, running its completion."""
        now = time.time()
        with self.lock:
            due = [t for t in self.tasks if t.status == "STARTED" and t.progress(now) >= 1.0]
            for task in due:
                task.status = "FINISHED"
                task.finished = task.started + max(task.duration_s, 0)
                if task.on_finish is not None:
                    task.on_finish()

    def cancel(self, task: Task) -> None:
        """Stop a running task where it is (``TaskStatusCancelled``)."""
        now = time.time()
        with self.lock:
            task.stopped_progress = task.progress(now)
            task.status = "CANCELLED"
            task.finished = now

    def in_namespace(self, namespace: str) -> list[Task]:
        with self.lock:
            return [t for t in self.tasks if t.namespace == namespace]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        now = time.time()
        out: dict[str, list[dict[str, Any]]] = {}
        with self.lock:
            for task in self.tasks:
                out.setdefault(task.namespace, []).append(task.to_json(now))
        return out
