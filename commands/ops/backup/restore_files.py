"""The files a restore keeps beside the backup it restores, one set per target cluster and
collection: ``DIR/NAME.ID.<digest>.restore.json`` (the checkpoint),
``.restore-errors.jsonl`` (the objects the server refused) and ``.rollback.json`` (what
``\\restore --rollback`` takes back), where the digest names the target cluster (its URL
reduced by ``commands.urls.cluster_id``) and the target collection.

So restores of one backup into two clusters (at once, or one after the other) never
share a checkpoint: an interrupted restore into one cluster is not resumed into another.
Files from before the digest (``DIR/NAME.ID.restore.json``) name no cluster: they are
never resumed (a fresh restore upserts the same ids, so starting over is safe).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import NamedTuple

from commands.ops.backup.imports import slot_digest

CHECKPOINT_SUFFIX = ".restore.json"
ERRORS_SUFFIX = ".restore-errors.jsonl"
RECORD_SUFFIX = ".rollback.json"


class RestoreFiles(NamedTuple):
    """A restore's checkpoint, error report and rollback record."""

    checkpoint: Path
    errors: Path
    record: Path


def restore_files(directory: Path, collection: str, backup_id: str, cluster: str,
                  target: str) -> RestoreFiles:
    """The files of the restore of backup ``backup_id`` of ``collection`` (its manifest in
    ``directory``) into collection ``target`` of ``cluster`` (a ``cluster_id``)."""
    digest = slot_digest({"cluster": cluster, "target": target})
    stem = f"{directory / collection}.{backup_id}.{digest}"
    return RestoreFiles(Path(stem + CHECKPOINT_SUFFIX), Path(stem + ERRORS_SUFFIX),
                        Path(stem + RECORD_SUFFIX))


def records_beside(directory: Path, collection: str, backup_id: str) -> list[Path]:
    """The rollback records of restores of that backup, into any cluster."""
    stem = glob.escape(f"{directory / collection}.{backup_id}")
    return sorted(Path(p) for p in glob.glob(f"{stem}.*{RECORD_SUFFIX}"))


def legacy_record(directory: Path, collection: str, backup_id: str) -> Path:
    """Where an earlier version kept the rollback record, naming no cluster."""
    return directory / f"{collection}.{backup_id}{RECORD_SUFFIX}"
