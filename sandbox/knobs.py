"""Test knobs outside ``/v1``: the request log, fault injection and reset.

``/__sandbox/requests`` (GET the log, DELETE to clear it), ``/__sandbox/faults``
(GET or PUT ``{"latency_ms", "fail_rate", "seed", "kinds"}``) and
``/__sandbox/reset`` (POST ``{"seed": "demo"|"none"}``); the operations knobs (nodes,
cluster, tenants, modules) are in ``sandbox.ops_knobs``. Injected faults hit only
``/v1`` requests and always before the handler runs, so no mutation is ever
half-applied and a retry is safe.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox import ops_knobs
from sandbox.auth import is_write
from sandbox.http import Request, Response, error, json_response
from sandbox.ops_knobs import settings_body

if TYPE_CHECKING:
    from sandbox.app import App

FAULT_KINDS = ("503", "drop", "truncate")


@dataclass
class Faults:
    """Seeded fault injection: the same seed gives the same sequence of failures."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, body: dict[str, Any]) -> None:
        """Apply a ``PUT /__sandbox/faults`` body; unspecified fields keep their values."""
        kinds = tuple(body.get("kinds", self.kinds))
        if not set(kinds) <= set(FAULT_KINDS) or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {list(FAULT_KINDS)}")
        rate = float(body.get("fail_rate", self.fail_rate))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        self.latency_ms = float(body.get("latency_ms", self.latency_ms))
        self.fail_rate, self.kinds = rate, kinds
        self.seed = int(body.get("seed", self.seed))
        self._rng.seed(self.seed)

    def draw(self) -> str | None:
        """The fault to inject into the next ``/v1`` request, or None."""
        if self.fail_rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= self.fail_rate:
                return None
            return self._rng.choice(self.kinds)

    def to_json(self) -> dict[str, Any]:
        return {"latency_ms": self.latency_ms, "fail_rate": self.fail_rate, "seed": self.seed,
                "kinds": list(self.kinds)}


@dataclass
class RequestLog:
    """Method, path, query and status of every ``/v1`` request, newest last (bounded)."""

    entries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200_000))

    def add(self, request: Request, status: int, fault: str | None) -> None:
        self.entries.append({"method": request.method, "path": request.path,
                             "query": request.query, "status": status, "fault": fault,
                             "mutating": is_write(request)})


def handle(app: App, request: Request) -> Response:
    """Serve one ``/__sandbox/...`` request."""
    name = request.path.removeprefix("/__sandbox/").strip("/")
    if name == "requests" and request.method == "GET":
        return json_response(list(app.request_log.entries))
    if name == "requests" and request.method == "DELETE":
        app.request_log.entries.clear()
        return Response(204)
    if name == "faults" and request.method == "GET":
        return json_response(app.faults.to_json())
    if name == "faults" and request.method == "PUT":
        try:
            app.faults.configure(settings_body(request))
        except (TypeError, ValueError) as exc:
            return error(422, str(exc))
        return json_response(app.faults.to_json())
    if name == "reset" and request.method == "POST":
        try:
            app.reset(seed=settings_body(request).get("seed", "none"))
        except (TypeError, ValueError) as exc:
            return error(422, str(exc))
        return Response(204)
    return ops_knobs.handle(app, request, name)
