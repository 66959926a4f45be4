"""The one gate every destructive command passes: protection, dry run, confirmation.

A handler describes what it is about to do as a ``Plan`` (what is at stake and the
REST calls it would make) and asks ``approve``. The answer is a ``Decision``, or
``Refused`` is raised; nothing has been sent to the cluster at that point. The
session's ``Confirmer`` (provided by the shell) shows the plan and asks; outside a
terminal the shell provides one that refuses, so non-interactive modes fail closed
unless ``--force`` (or the global ``--yes``) was given.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from commands.errors import Refused
from commands.results import Message, Result, Table

# Elysia's own collections (github:weaviate/elysia: elysia/preprocessing/collection.py,
# api/routes/user_config.py, api/utils/feedback.py, api/services/tree.py and
# tools/retrieval/chunk.py name them): removing one loses its preprocessing, settings,
# feedback, saved conversations or chunks.
ELYSIA_PROTECTED = ("ELYSIA_METADATA__", "ELYSIA_CONFIG_*", "ELYSIA_FEEDBACK_*", "ELYSIA_TREES_*",
                    "ELYSIA_CHUNKED_*__")
DEFAULT_PROTECTED = ("ELYSIACTL_*", "*_SYSTEM", ".internal*", *ELYSIA_PROTECTED)
DEFAULT_SAFETY_MAX = 100_000
"""Above this many objects a destructive command takes no safety backup (the config file's
``safety_backup_max_objects``)."""


class Decision(StrEnum):
    """How a destructive command was let through (the audit log records it)."""

    CONFIRMED = "confirmed"
    FORCED = "forced"
    DRY_RUN = "dry-run"


@dataclass(frozen=True)
class Plan:
    """What a destructive command is about to do, shown before anything is sent."""

    action: str
    targets: tuple[str, ...]
    preview: tuple[Result, ...] = ()
    requests: tuple[str, ...] = ()
    objects: int | None = None
    protected: tuple[str, ...] = field(default=())
    production: bool = False
    """The data at stake is on a ``tier: production`` cluster other than the session's
    (a ``\\migrate`` target): the typed confirmation is the collection's name."""


class Confirmer(Protocol):
    """Shows a plan and asks the user to type ``word``; True when they did."""

    interactive: bool

    def confirm(self, plan: Plan, word: str) -> bool: ...


def protected_names(names: tuple[str, ...] | list[str],
                    patterns: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, pattern)`` for every name that matches a protected glob pattern."""
    hits = []
    for name in names:
        pattern = next((p for p in patterns if fnmatch.fnmatchcase(name, p)), None)
        if pattern is not None:
            hits.append((name, pattern))
    return hits


def approve(plan: Plan, *, confirmer: Confirmer | None, force: bool, dry_run: bool,
            allow_protected: bool = False, production: bool = False) -> Decision:
    """Decide whether ``plan`` may run; raise ``Refused`` with the reason when not.

    Protected targets need ``allow_protected`` and, when a person is there, their
    name typed. A dry run is always allowed (it sends nothing). Otherwise ``force``
    skips the question; without it a person must type ``yes`` (on a production tier,
    the collection's name), and without a person the answer is no.
    """
    if plan.protected and not allow_protected:
        names = ", ".join(plan.protected)
        raise Refused(f"refusing to {plan.action}: {names} "
                      f"{'is' if len(plan.protected) == 1 else 'are'} protected",
                      r"add --allow-protected if you really mean it (\protected lists the "
                      "patterns)")
    if dry_run:
        return Decision.DRY_RUN
    interactive = confirmer is not None and confirmer.interactive
    if plan.protected and interactive:
        word = plan.protected[0] if len(plan.protected) == 1 else ",".join(plan.protected)
        if not confirmer.confirm(plan, word):
            raise Refused(f"not confirmed: nothing was done ({plan.action})")
        return Decision.CONFIRMED
    if force:
        return Decision.FORCED
    if not interactive:
        raise Refused(f"refusing to {plan.action} without confirmation in a non-interactive "
                      "session; nothing was sent",
                      "add --force (or run elysiactl --yes) if the script means it, or "
                      "--dry-run to see the plan")
    word = plan.targets[0] if production and len(plan.targets) == 1 else (
        ",".join(plan.targets) if production else "yes")
    if not confirmer.confirm(plan, word):
        raise Refused(f"not confirmed: nothing was done ({plan.action})")
    return Decision.CONFIRMED


def dry_run_results(plan: Plan) -> list[Result]:
    """What a dry run answers: the plan, what is at stake, and the REST calls it would make
    (none for a command that changes local files only)."""
    requests = [Table(("method", "path"), tuple(tuple(r.split(" ", 1)) for r in plan.requests),
                      title="requests it would send")] if plan.requests else []
    return [Message(f"dry run: would {plan.action}; nothing was sent"), *plan.preview,
            *requests]
