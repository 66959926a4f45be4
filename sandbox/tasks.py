"""``GET /v1/tasks`` and ``PUT /__sandbox/tasks``; the task store is ``sandbox.task_store``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response, json_response

if TYPE_CHECKING:
    from sandbox.state import State


def list_tasks(app: State, request: Request) -> Response:
    """``GET /v1/tasks``: ``{namespace: [task, ...]}``, ``{}`` when there is none."""
    return json_response(app.tasks.to_json())


def configure(app: State, body: dict[str, Any]) -> dict[str, Any]:
    """``PUT /__sandbox/tasks``: ``duration_ms`` of new tasks, ``runtime_reindex`` (the
    ``RUNTIME_REINDEX_ENABLED`` flag, which survives resets); answers the settings."""
    if set(body) - {"duration_ms", "runtime_reindex"}:
        raise TypeError("task settings are duration_ms and runtime_reindex")
    if "duration_ms" in body:
        value = body["duration_ms"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TypeError("duration_ms must be a number >= 0")
        app.tasks.duration_ms = float(value)
    if "runtime_reindex" in body:
        if not isinstance(body["runtime_reindex"], bool):
            raise TypeError("runtime_reindex must be true or false")
        app.runtime_reindex = body["runtime_reindex"]
    return {"duration_ms": app.tasks.duration_ms, "runtime_reindex": app.runtime_reindex}


ROUTES = [("GET", "/v1/tasks", list_tasks)]
