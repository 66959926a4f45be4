"""Where a migration stands, kept durably in the state directory so that a rerun of the same
command resumes it (after Ctrl-C, a lost connection or ``kill -9``).

The object copy is the restore's ``Checkpoint`` (per tenant, the highest id whose batch
and every batch before it were acknowledged; ids upsert, so a replay never duplicates);
a migration adds its phase, the clock readings the catch-up and the reconciliation start
from, the tenants as they were when it began, and the source tenants it activated. One
migration of a collection to a cluster runs at a time: a lock file beside its checkpoint is
held for the whole run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from commands.errors import UsageError
from commands.ops.backup.imports import Checkpoint, slot_digest
from commands.urls import cluster_id

MIGRATE_FORMAT = "elysiactl-migrate-checkpoint"


@dataclass
class MigrateCheckpoint(Checkpoint):
    """A restore checkpoint plus what a migration needs to resume every phase."""

    # phase: copy, then references, catchup, final, finish (see migrate.run)
    copy_started_ms: int = 0
    catchup_started_ms: int = 0
    tenants: list[list[Any]] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    references: int = 0
    caught_up: int = 0
    reconciled: int = 0
    deleted: int = 0
    tenants_deleted: list[str] = field(default_factory=list)
    format: str = MIGRATE_FORMAT

    @classmethod
    def pending(cls, path: Path) -> MigrateCheckpoint | None:
        """The migration checkpoint at ``path`` whatever its key (None: there is none)."""
        try:
            key = orjson.loads(path.read_bytes()).get("key")
        except (OSError, orjson.JSONDecodeError, AttributeError):
            return None
        found = cls.load(path, key)
        return found if isinstance(found, MigrateCheckpoint) else None


def migration_key(source_url: str, source: str, target_url: str, target: str,
                  tenant: str | None, assignments: Any = ()) -> dict[str, Any]:
    """What identifies one migration: both clusters, both names, the tenant and the
    ``--set`` options (what the copy becomes; batch sizes and the verify mode may change)."""
    return {"source": cluster_id(source_url), "collection": source,
            "target": cluster_id(target_url), "as": target, "tenant": tenant,
            "set": orjson.loads(orjson.dumps([[path, value] for path, value in assignments]))}


def paths(state_dir: Path, key: dict[str, Any]) -> tuple[Path, Path, Path]:
    """The checkpoint, error report and lock file of the migrations of ``key``'s collection
    to ``key``'s target cluster: one slot whatever the other options, so that a rerun with
    other options finds the interrupted migration instead of starting a second one."""
    slot = {name: key[name] for name in ("source", "collection", "target")}
    stem = state_dir / "migrations" / f"{key['collection']}.{slot_digest(slot)}"
    return Path(f"{stem}.json"), Path(f"{stem}.errors.jsonl"), Path(f"{stem}.lock")


def command_line(key: dict[str, Any]) -> str:
    """The ``\\migrate`` command of the migration ``key``."""
    words = ["\\migrate", key["collection"], "--target", key["target"]]
    if key["as"] != key["collection"]:
        words += ["--as", key["as"]]
    if key["tenant"] is not None:
        words += ["--tenant", key["tenant"]]
    for path, value in key.get("set") or []:
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        words += ["--set", shlex.quote(f"{path}={text}")]
    return " ".join(words)


def other_options(found: MigrateCheckpoint, path: Path) -> UsageError:
    """The refusal of a run whose options differ from those of the pending checkpoint
    ``found`` (at ``path``): how to resume it, or how to start over."""
    key = found.key
    start_over = f"remove its checkpoint {path}"
    if found.created_class:
        start_over += f" and the collection {key['as']} it created on the target"
    if found.activated:
        start_over += (f", and set the source tenants {', '.join(found.activated)} back to "
                       "INACTIVE")
    return UsageError(f"an interrupted migration of {key['collection']} to {key['target']} "
                      f"with other options is pending (phase {found.phase}, "
                      f"{found.written:,} objects written): {command_line(key)}",
                      f"rerun that command to resume it; to start over with these options, "
                      f"{start_over}")
