"""Keeping up with a source that takes writes during the copy (OPERATIONS.md §3.6).

Weaviate has no change feed, but every object carries ``lastUpdateTimeUnix`` (set by the
server on every write) and the cursor lists ids in ascending order on both clusters:

* the catch-up rescans the source without vectors and copies what was written since the
  copy began (``ChangedSince``);
* the final reconciliation merge-joins the source's ids with the target's, deleting on the
  target what the source no longer has and copying what the target misses or what changed
  since the catch-up began (``Reconcile``). After it, with no writes in between, both sides
  hold the same objects.

The clock is the source's own (``server_now_ms``), read from its HTTP ``Date`` header (whole
seconds, rounded down), so a skewed client clock cannot hide a change; ``MARGIN_MS`` covers
a skew between the source's nodes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

from commands.api.client import RestClient
from commands.ops.cursor import ids
from commands.ops.migrate.copy import DELETE_IDS, Pick, delete_ids

MARGIN_MS = 1000


def server_now_ms(api: RestClient) -> int:
    """The cluster's clock in ms (from ``GET /v1/meta``'s Date header), minus a margin; the
    local clock when the server sends no Date."""
    response = api.request("GET", "/v1/meta")
    try:
        now = parsedate_to_datetime(response.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        now = time.time()
    return int(now * 1000) - MARGIN_MS


def updated(obj: dict[str, Any]) -> int:
    return int(obj.get("lastUpdateTimeUnix") or obj.get("creationTimeUnix") or 0)


class ChangedSince(Pick):
    """Objects written at or after ``since`` (ms, source clock)."""

    def __init__(self, since: int) -> None:
        self.since = since

    def __call__(self, obj: dict[str, Any]) -> bool:
        return updated(obj) >= self.since


class Reconcile(Pick):
    """The merge-join of one partition: the source's ids arrive in order through ``pick``;
    the target's are read alongside. Target ids the source skipped are deleted (in groups
    of ``DELETE_IDS``); a source id is copied when the target lacks it or it changed at or
    after ``since``."""

    def __init__(self, target: RestClient, name: str, tenant: str | None, since: int) -> None:
        self.target, self.name, self.tenant, self.since = target, name, tenant, since
        self.theirs: Iterator[dict[str, Any]] = ids(target, name, tenant)
        self.head = next(self.theirs, None)
        self.doomed: list[str] = []
        self.deleted = 0

    def _drop_head(self) -> None:
        assert self.head is not None
        self.doomed.append(self.head["id"])
        if len(self.doomed) >= DELETE_IDS:
            self._flush()
        self.head = next(self.theirs, None)

    def _flush(self) -> None:
        if self.doomed:
            self.deleted += delete_ids(self.target, self.name, self.tenant, self.doomed)
            self.doomed = []

    def __call__(self, obj: dict[str, Any]) -> bool:
        oid = obj["id"]
        while self.head is not None and self.head["id"] < oid:
            self._drop_head()
        if self.head is not None and self.head["id"] == oid:
            self.head = next(self.theirs, None)
            return updated(obj) >= self.since
        return True

    def finish(self) -> None:
        """Delete the target's ids after the source's last one."""
        while self.head is not None:
            self._drop_head()
        self._flush()
