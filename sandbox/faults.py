"""Fault injection and the request log that ``sandbox.knobs`` exposes under ``/__sandbox``."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.auth import is_write
from sandbox.http import Request

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
