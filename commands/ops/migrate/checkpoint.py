"""Where a migration stands, kept durably in the state directory so that a rerun of the same
command resumes it (after Ctrl-C, a lost connection or ``kill -9``).

The object copy is the restore's ``Checkpoint`` (per tenant, the highest id whose batch
and every batch before it were acknowledged; ids upsert, so a replay never duplicates);
a migration adds its phase, the clock readings the catch-up and the reconciliation start
from, the tenants as they were when it began, and the source tenants it activated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from commands.ops.restore_import import Checkpoint

MIGRATE_FORMAT = "elysiactl-migrate-checkpoint"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}


@dataclass
class MigrateCheckpoint(Checkpoint):
    """A restore checkpoint plus what a migration needs to resume every phase."""

    phase: str = "copy"  # then references, catchup, final, finish (see migrate.run)
    copy_started_ms: int = 0
    catchup_started_ms: int = 0
    tenants: list[list[Any]] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    copied: int = 0
    caught_up: int = 0
    deleted: int = 0
    tenants_deleted: list[str] = field(default_factory=list)
    format: str = MIGRATE_FORMAT


def cluster_id(url: str) -> str:
    """A URL reduced to what names a cluster: scheme, host (local names as one) and port."""
    parts = urlsplit(url.strip().lower().rstrip("/"))
    host = parts.hostname or ""
    host = "localhost" if host in LOCAL_HOSTS else host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{host}:{port}"


def migration_key(source_url: str, source: str, target_url: str, target: str,
                  tenant: str | None) -> dict[str, Any]:
    """What identifies one migration: both clusters, both names, the tenant option."""
    return {"source": cluster_id(source_url), "collection": source,
            "target": cluster_id(target_url), "as": target, "tenant": tenant}


def paths(state_dir: Path, key: dict[str, Any]) -> tuple[Path, Path]:
    """The checkpoint and the error report of the migration ``key``."""
    digest = hashlib.sha256(orjson.dumps(key, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    stem = state_dir / "migrations" / f"{key['collection']}-to-{key['as']}.{digest}"
    return Path(f"{stem}.json"), Path(f"{stem}.errors.jsonl")
