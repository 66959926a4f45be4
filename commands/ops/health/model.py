"""The shape of a health report: statuses, check rows, the evidence they read, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Status(IntEnum):
    """A check's status, ordered by gravity; ``info`` never degrades the verdict."""

    OK = 0
    INFO = 1
    WARN = 2
    CRIT = 3

    def __str__(self) -> str:
        return self.name.lower()


VERDICTS = {Status.OK: "healthy", Status.INFO: "healthy", Status.WARN: "degraded",
            Status.CRIT: "critical"}
EXIT_STATUS = {"healthy": 0, "degraded": 1, "critical": 2}
LIMIT = 5  # names listed in a summary row


@dataclass(frozen=True, slots=True)
class Check:
    """One row: what was checked, how it stands, the measured fact and the fix.

    ``items`` are the per-node, per-shard or per-tenant rows behind a summary, shown
    instead of it with ``--detailed``.
    """

    check: str
    status: Status
    evidence: str
    hint: str | None = None
    items: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class Unread:
    """A source that answered with an error (its HTTP status) or not at all (None), and
    what to show."""

    status: int | None
    text: str


@dataclass
class Evidence:
    """Everything the checks read; ``errors`` maps a source to why it could not be read."""

    ready: int | None = None
    meta: dict[str, Any] | None = None
    nodes: list[dict[str, Any]] | None = None
    statistics: dict[str, Any] | None = None
    classes: list[dict[str, Any]] = field(default_factory=list)
    collection: str | None = None
    shards: list[dict[str, Any]] | None = None
    tenants: list[dict[str, Any]] | None = None
    errors: dict[str, Unread] = field(default_factory=dict)
    elysia: list[str] = field(default_factory=list)  # Elysia's collections read (one object)
    read_at_ms: int | None = None  # this machine's clock when /v1/nodes answered
    # seconds each fan-out request took, by path; None: no answer within the timeout
    timings: dict[str, float | None] = field(default_factory=dict)


NO_ANSWER_HINT = ("the node we talk to gives up on a peer after MINIMUM_INTERNAL_TIMEOUT (30 s "
                  "by default), so no answer at all means it is overloaded or stuck itself: "
                  "check its CPU, memory and log, or ask another node (\\connect)")


def verdict(checks: list[Check]) -> str:
    """``critical`` if any check is crit, ``degraded`` if any warns, else ``healthy``."""
    worst = max((c.status for c in checks), default=Status.OK)
    return VERDICTS[worst]


def listed(names: list[str]) -> str:
    """``a, b, c, d, e (+2 more)``: a summary row names a few."""
    shown = ", ".join(names[:LIMIT])
    return shown + (f" (+{len(names) - LIMIT} more)" if len(names) > LIMIT else "")


def counted(count: int, noun: str) -> str:
    """``1 node``, ``3 nodes``."""
    return f"{count:,} {noun}{'s' * (count != 1)}"


def scope(evidence: Evidence) -> str:
    """What the data checks cover: the collection, or how many collections."""
    return evidence.collection or counted(len(evidence.classes), "collection")


def worst(statuses: list[Status]) -> Status:
    """The gravest of ``statuses`` (ok when there are none)."""
    return max(statuses, default=Status.OK)


def rows(checks: list[Check], detailed: bool) -> list[Check]:
    """The rows to show: summaries, or with ``detailed`` each summary's items in its place."""
    if not detailed:
        return list(checks)
    return [row for check in checks for row in (check.items or (check,))]


def unreadable(name: str, evidence: Evidence, source: str, hint: str | None = None
               ) -> Check | None:
    """The row for a check whose source answered with an error or not at all, or None if it
    answered: refused (401/403) warns, not served by this version (404/501) is info, else
    crit; ``hint`` replaces the generic one."""
    failure = evidence.errors.get(source)
    if failure is None:
        return None
    if failure.status in (401, 403):
        return Check(name, Status.WARN, f"not checked: {failure.text}",
                     "this key may not read it: run \\health with a key allowed to read "
                     "the cluster, nodes and schema")
    if failure.status in (404, 501):
        return Check(name, Status.INFO, f"not checked: {failure.text}",
                     "this Weaviate version does not serve it")
    if failure.status is None:
        return Check(name, Status.CRIT, failure.text, hint or NO_ANSWER_HINT)
    return Check(name, Status.CRIT, failure.text,
                 hint or "the cluster could not report it: retry, then check the logs")
