"""Polling that never stalls a live view: one request in flight per endpoint, off the
drawing thread, each cached for its own period (OPERATIONS.md §4: single-flight, never
stack requests behind a slow node).

A ``Poller`` keeps the last good answer of every endpoint. ``want(key, fetch, every)``
starts a fetch when the answer is older than ``every`` and none is in flight;
``settle(deadline)`` waits for this round's fetches until ``deadline`` and no longer;
``stale()`` names the endpoints whose answer is due but did not arrive in time, so the
caller shows their last good answer marked with its age. Without a thread pool
(``Poller(None)``) every fetch runs at once on the caller's thread and errors propagate:
that is the one-shot ``\\stats``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from commands.errors import ShellError

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Answer:
    """The last good answer of one endpoint and when it arrived (``time.monotonic``)."""

    value: Any
    at: float


@dataclass(frozen=True, slots=True)
class Stale:
    """An endpoint whose fresh answer is late: its last good answer is ``age_s`` old."""

    key: str
    age_s: float | None
    error: str | None

    def to_data(self) -> dict[str, Any]:
        return {"source": self.key, "age_s": None if self.age_s is None else round(self.age_s, 1),
                "error": self.error}


class Poller:
    """Single-flight, period-cached fetches; ``workers`` threads, or inline when None."""

    def __init__(self, workers: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="stats") if workers else None
        self._clock = clock
        self._answers: dict[str, Answer] = {}
        self._errors: dict[str, str] = {}
        self._flying: dict[str, Future[None]] = {}
        self._due: set[str] = set()
        self._round_start = clock()

    def begin(self) -> None:
        """Start a round: from now on, an answer counts as fresh only if it arrives later."""
        self._round_start = self._clock()
        self._due.clear()

    def want(self, key: str, fetch: Callable[[], Any], every: float = 0.0,
             optional: bool = False) -> None:
        """Fetch ``key`` this round unless its answer is younger than ``every`` seconds.

        Inline, a failing fetch raises, unless it is ``optional``: then it is stale."""
        known = self._answers.get(key)
        if known is not None and self._round_start - known.at < every:
            return
        self._due.add(key)
        if self._pool is None:
            if optional:
                self._run(key, fetch)
            else:
                self._store(key, fetch())
            return
        if key in self._flying and not self._flying[key].done():
            return  # single-flight: the request already out answers this round too
        self._flying[key] = self._pool.submit(self._run, key, fetch)

    def settle(self, deadline: float) -> None:
        """Wait for this round's fetches until ``deadline`` (monotonic), not longer."""
        pending = [f for k, f in self._flying.items() if k in self._due and not f.done()]
        if pending:
            wait(pending, timeout=max(0.0, deadline - self._clock()))

    def get(self, key: str) -> Any:
        """The last good answer of ``key``, or None."""
        known = self._answers.get(key)
        return None if known is None else known.value

    def at(self, key: str) -> float | None:
        """When the last good answer of ``key`` arrived, or None."""
        known = self._answers.get(key)
        return None if known is None else known.at

    def stale(self) -> list[Stale]:
        """This round's due endpoints that did not answer in time, with their last error."""
        now = self._clock()
        out = []
        for key in sorted(self._due):
            known = self._answers.get(key)
            if known is None or known.at < self._round_start:
                out.append(Stale(key, None if known is None else now - known.at,
                                 self._errors.get(key) or "no answer yet"))
        return out

    def forget(self, key: str) -> None:
        """Drop the answer of ``key``, so that the next ``want`` fetches it whatever its age."""
        self._answers.pop(key, None)

    def close(self) -> None:
        """Stop the threads; a request still out ends at its own client timeout."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, key: str, fetch: Callable[[], Any]) -> None:
        try:
            self._store(key, fetch())
        except ShellError as exc:
            self._errors[key] = exc.message
        except Exception as exc:  # a bug must not silently freeze one panel
            logger.exception("fetching %s", key)
            self._errors[key] = f"internal error: {type(exc).__name__}: {exc}"

    def _store(self, key: str, value: Any) -> None:
        self._answers[key] = Answer(value, self._clock())
        self._errors.pop(key, None)
