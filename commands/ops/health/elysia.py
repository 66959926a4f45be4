"""Elysia's collections (``commands.ops.elysia``): each answered a one-object read, or not.

Elysia reads its metadata, settings and chunks before it answers a question; one that
cannot be read breaks Elysia even when the user's own collections are healthy.
"""

from __future__ import annotations

from commands.ops.health.model import Check, Evidence, Status, counted, listed, unreadable, worst

HINT = ("Elysia cannot answer without its collections: check their shards (\\shards NAME) and "
        "\\health NAME; a key that may not read them needs read_data on ELYSIA_*")


def checks(evidence: Evidence) -> list[Check]:
    """One row for Elysia's collections (none when the cluster has none), one item each."""
    if not evidence.elysia:
        return []
    items = tuple(unreadable(f"elysia {name}", evidence, f"elysia {name}", HINT)
                  or Check(f"elysia {name}", Status.OK, "readable")
                  for name in evidence.elysia)
    failed = [c for c in items if c.status is not Status.OK]
    if not failed:
        return [Check("elysia collections", Status.OK,
                      f"{counted(len(items), 'Elysia collection')} readable", items=items)]
    names = [c.check.removeprefix("elysia ") for c in failed]
    return [Check("elysia collections", worst([c.status for c in failed]),
                  f"{len(failed)} of {len(items)} unreadable: {listed(names)} "
                  f"({failed[0].evidence})", HINT, items=items)]
