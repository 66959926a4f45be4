"""Keeping up with a source that takes writes during the copy (OPERATIONS.md §3.6).

Weaviate has no change feed, but every object carries ``lastUpdateTimeUnix`` (set by the
server on every write) and the cursor lists ids in ascending order on both clusters:

* the catch-up merge-joins the source's ids (read without vectors) with the target's,
  deleting on the target what the source no longer has and copying what the target misses
  or what was written since the copy began (``Reconcile``);
* when the catch-up copied or deleted anything, the final reconciliation does it again for
  what was written since the catch-up began. After it, with no writes in between, both
  sides hold the same objects; a catch-up that found nothing to do already left them so.

The clock is the source's own (``server_now_ms``), read from its HTTP ``Date`` header (whole
seconds, rounded down), so a skewed client clock cannot hide a change; ``MARGIN_MS`` covers
a skew between the source's nodes.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

from commands.api.client import RestClient
from commands.ops.cursor import Stamp, id_pages
from commands.ops.migrate.copy import Pick, delete_ids
from commands.ops.objects import DELETE_IDS

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


class Reconcile(Pick):
    """The merge-join of one partition: the source's pages arrive in id order through
    ``choose``; the target's ids are read alongside, a page at a time, up to each source
    page's last id. Target ids the source skipped are deleted (in groups of
    ``DELETE_IDS``); a source id is copied when the target lacks it or it changed at or
    after ``since``."""

    def __init__(self, target: RestClient, name: str, tenant: str | None, since: int) -> None:
        self.target, self.name, self.tenant, self.since = target, name, tenant, since
        # id_pages reads ahead by a thread, as the source's pages are: the two servers
        # answer at once. Safe for the join: a target page read before one of our copies
        # lacks that id, and the source holds it, so it is copied either way; deletions are
        # of ids already read.
        self.theirs: Iterator[list[str]] = id_pages(target, name, tenant)
        self.ahead: list[str] = next(self.theirs, [])  # target ids not yet matched
        self.doomed: list[str] = []
        self.deleted = 0

    def _refill(self) -> bool:
        """The target's next page of ids into ``ahead``; False at its end."""
        page = next(self.theirs, None)
        self.ahead = page or []
        return page is not None

    def _drop(self, ids: list[str]) -> None:
        self.doomed += ids
        while len(self.doomed) >= DELETE_IDS:
            self.deleted += delete_ids(self.target, self.name, self.tenant,
                                       self.doomed[:DELETE_IDS])
            self.doomed = self.doomed[DELETE_IDS:]

    def choose(self, page: list[Stamp]) -> list[str]:
        last, mine = page[-1].id, {obj.id for obj in page}
        matched: set[str] = set()
        while True:
            cut = bisect_right(self.ahead, last)
            here, self.ahead = self.ahead[:cut], self.ahead[cut:]
            matched |= mine.intersection(here)
            self._drop([oid for oid in here if oid not in mine])
            if self.ahead or not self._refill():
                break
        since = self.since
        return [obj.id for obj in page if obj.id not in matched or obj.updated >= since]

    def finish(self) -> None:
        """Delete the target's ids after the source's last one."""
        self._drop(self.ahead)
        while self._refill():
            self._drop(self.ahead)
        if self.doomed:
            self.deleted += delete_ids(self.target, self.name, self.tenant, self.doomed)
            self.doomed = []
