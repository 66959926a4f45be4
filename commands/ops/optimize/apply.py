"""``\\optimize --apply``: pick recommendations, build the changed class, send, read back.

Only what Weaviate changes in place is sent (OPERATIONS.md §2.2): one ``PUT /v1/schema/{c}``
of the full class with the mutable fields changed (the body's ``class`` is the stored name,
exactly: RB§4.4) and ``PUT /v1/schema/{c}/shards/{s}`` ``{"status":"READY"}`` per READONLY
shard. Everything else is described as the ``\\migrate ... --as`` copy that performs it.
"""

from __future__ import annotations

import copy
import shlex
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError
from commands.ops import class_paths, cluster
from commands.ops.optimize.measure import Measurements, Recommendation, assignment_text


@dataclass(frozen=True)
class InPlace:
    """The in-place part of an apply: the class before and after, and shards to make READY."""

    old: dict[str, Any]
    new: dict[str, Any]
    shards: tuple[str, ...]

    @property
    def diff(self) -> list[tuple[str, Any, Any]]:
        return class_paths.diff(self.old, self.new)

    def requests(self, name: str) -> tuple[str, ...]:
        """The REST calls in the order they are sent: shards first (§1.3), then the class."""
        calls = [f"PUT /v1/schema/{name}/shards/{s}" for s in self.shards]
        return (*calls, f"PUT /v1/schema/{name}") if self.diff else tuple(calls)


def select(recs: list[Recommendation], wanted: list[str],
           known: tuple[str, ...]) -> tuple[list[Recommendation], list[str]]:
    """The recommendations whose rule is in ``wanted`` (comma-separated words allowed), and
    the wanted ids of ``known`` rules that recommend nothing now; an unknown id is a
    UsageError."""
    names = list(dict.fromkeys(w.strip() for word in wanted for w in word.split(",")
                               if w.strip()))
    found = list(dict.fromkeys(r.rule for r in recs))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--apply {', '.join(unknown)}: no \\optimize rule has this id",
                         "rule ids this analysis found: " + ", ".join(found) if found else
                         "the analysis found nothing to apply; the README's \"Optimize rules\" "
                         "lists every rule")
    return [r for r in recs if r.rule in names], [n for n in names if n not in found]


def edited_class(cls: dict[str, Any], recs: list[Recommendation]) -> dict[str, Any]:
    """``cls`` with every assignment and property edit of ``recs`` made (a copy)."""
    out = copy.deepcopy(cls)
    for rec in recs:
        for path, value in rec.assignments:
            out = class_paths.set_path(out, path, value)
        for prop, key, value in rec.property_edits:
            for p in out.get("properties") or []:
                if p.get("name") == prop:
                    p[key] = value
    return out


def in_place(m: Measurements, recs: list[Recommendation]) -> InPlace:
    """The in-place apply of ``recs`` (all of them ``in-place``)."""
    shards = tuple(dict.fromkeys(s for r in recs for s in r.shards))
    return InPlace(m.cls, edited_class(m.cls, recs), shards)


def check_shards(m: Measurements, plan: InPlace) -> None:
    """Refuse vector-index updates while a shard stays READONLY: Weaviate rejects them
    (OPERATIONS.md §1.3)."""
    blocked = [s for s in m.readonly_shards() if s not in plan.shards]
    touches = [p for p, _, _ in plan.diff if "vectorIndexConfig" in p]
    if blocked and touches:
        raise ShellError(f"{m.name}: shard {', '.join(blocked)} is READONLY, and Weaviate refuses "
                         "vector-index updates on READONLY shards; nothing was sent",
                         "return them to READY in the same run: --apply shard-readonly (check "
                         "free disk first)")


def send(api: RestClient, m: Measurements, plan: InPlace) -> tuple[dict[str, Any], dict[str, str]]:
    """Send the plan; the class and the shards' statuses as Weaviate reports them afterwards."""
    for shard in plan.shards:
        cluster.set_shard_status(api, m.name, shard, "READY")
    if plan.diff:
        api.request("PUT", f"/v1/schema/{m.name}", json=plan.new)
    after = api.get_json(f"/v1/schema/{m.name}")
    status: dict[str, str] = {}
    if plan.shards:
        for shard in cluster.fetch_shards(api, m.name):
            if shard.get("name") in plan.shards:
                status[shard["name"]] = shard.get("status", "")
    return after, status


def unapplied(plan: InPlace, after: dict[str, Any]) -> list[str]:
    """Paths whose new value Weaviate did not keep."""
    return [p for p, _, new in plan.diff if class_paths.get_path(after, p,
                                                                 class_paths.MISSING) != new]


def migrate_command(m: Measurements, url: str, recs: list[Recommendation]) -> str:
    """The ``\\migrate`` command that makes a copy with ``recs``'s changes."""
    sets = [assignment_text(p, v) for r in recs for p, v in r.assignments]
    if any(r.property_edits for r in recs):
        sets.append(assignment_text("properties", edited_class(m.cls, recs)["properties"]))
    words = [f"\\migrate {m.name} --target {shlex.quote(url)} --as {m.name}_v2"]
    words += [f"--set {shlex.quote(s)}" for s in sets]
    return " ".join(words)
