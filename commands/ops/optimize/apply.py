"""``\\optimize --apply``: pick recommendations, build the changed class, send, read back.

Only what Weaviate changes in place is sent (OPERATIONS.md §2.2), by
``commands.ops.class_update``: one ``PUT /v1/schema/{c}`` of the full class with the mutable
fields changed, and ``PUT /v1/schema/{c}/shards/{s}`` ``{"status":"READY"}`` per READONLY
shard. Everything else is described as the ``\\migrate ... --as`` copy that performs it.
"""

from __future__ import annotations

import copy
from typing import Any

from commands.errors import ShellError, UsageError
from commands.ops import class_paths, class_update
from commands.ops.class_update import InPlace
from commands.ops.optimize.measure import Measurements, Recommendation


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


def migrate_command(m: Measurements, url: str, recs: list[Recommendation]) -> str:
    """The ``\\migrate`` command that makes a copy with ``recs``'s changes."""
    sets = [class_paths.assignment_text(p, v) for r in recs for p, v in r.assignments]
    if any(r.property_edits for r in recs):
        sets.append(class_paths.assignment_text("properties",
                                                edited_class(m.cls, recs)["properties"]))
    return class_update.migrate_command(m.name, url, sets)
