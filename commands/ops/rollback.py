"""Taking back what a restore wrote: ``\\restore --rollback`` and ``\\undo`` of a restore.

Before a restore writes anything, a ``RollbackRecord`` is saved beside its checkpoint
(``DIR/NAME.ID.<digest>.rollback.json``, see ``restore_files``): the target cluster and
collection, whether the restore creates the class,
which tenants it creates or activates, whether the target had objects, and the safety
backup taken of them. A rollback removes exactly what the restore wrote: the class it
created, or the tenants it created, and the objects whose ids are in the backup but were
not in the target before (ids of the backup minus ids of the safety backup; all of them
when the target was empty). Objects that existed before and were overwritten are not
touched here: the safety backup (``\\undo``) brings them back. Objects go with batch
deletes matching their ids, ``DELETE_IDS`` at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError
from commands.ops.backup.chain import final_objects, final_tenants, load_chain
from commands.ops.backup.format import write_atomic
from commands.ops.backup.imports import activate_tenants, set_statuses
from commands.ops.backup.restore_files import (
    RestoreFiles,
    legacy_record,
    records_beside,
    restore_files,
)
from commands.ops.lifecycle import delete_collection
from commands.ops.objects import DELETE_IDS, delete_calls, delete_objects
from commands.ops.schema import find_class, upper_first

ROLLBACK_FORMAT = "elysiactl-restore-rollback"


@dataclass
class RollbackRecord:
    """What a restore is about to change, saved before its first write."""

    backup: str
    target: str
    tenants: list[str | None]
    created_class: bool
    pre_existing: int | None
    safety_backup: str | None = None
    created_tenants: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    """The status of each tenant the restore sets ACTIVE, before it did."""
    cluster: str | None = None
    """The target cluster (``cluster_id``); None in the records of earlier versions."""
    format: str = ROLLBACK_FORMAT

    def save(self, path: Path) -> None:
        write_atomic(path, orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, path: Path) -> RollbackRecord | None:
        """The record at ``path``, or None when there is none readable."""
        try:
            data = orjson.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("format") != ROLLBACK_FORMAT:
                return None
            return cls(**data)
        except (OSError, orjson.JSONDecodeError, TypeError):
            return None


def find_record(backup: Path, cluster: str, target: str | None
                ) -> tuple[RestoreFiles, RollbackRecord]:
    """The files and rollback record of the unfinished restore of ``backup`` into
    ``cluster`` (into collection ``target``, when given); refused naming the clusters and
    collections of the records beside the backup when there is not exactly one."""
    newest = load_chain(backup.expanduser())[-1]
    collection, backup_id = newest.manifest.collection, newest.manifest.id
    target = upper_first(target) if target else None
    mine: list[tuple[RestoreFiles, RollbackRecord]] = []
    others: list[RollbackRecord] = []
    for path in records_beside(newest.directory, collection, backup_id):
        record = RollbackRecord.load(path)
        if record is None:
            continue
        files = restore_files(newest.directory, collection, backup_id, str(record.cluster),
                              record.target)
        if files.record == path and record.cluster == cluster and target in (None,
                                                                              record.target):
            mine.append((files, record))
        else:
            others.append(record)
    if len(mine) == 1:
        return mine[0]
    if mine:
        raise UsageError(f"{len(mine)} unfinished restores of {backup} on this cluster, into "
                         f"{', '.join(sorted(record.target for _, record in mine))}",
                         "choose one with --as NAME")
    into = f" into {target}" if target else ""
    hints = [f"the restore into {r.target} on {r.cluster} is unfinished: \\connect {r.cluster} "
             "and roll it back there" for r in others if r.cluster]
    legacy = legacy_record(newest.directory, collection, backup_id)
    if legacy.exists():
        hints.append(f"{legacy}, left by an earlier version, names no cluster and is not "
                     "used: roll that restore back by hand")
    hint = "; ".join(hints) or ("\\undo takes back a completed restore over existing data; "
                                "\\rm removes a collection a completed restore created")
    raise ShellError(f"no unfinished restore of {backup}{into} on this cluster ({cluster}) "
                     "to roll back (it completed, was rolled back, or never started)", hint)


@dataclass
class Rollback:
    """What a rollback will do, worked out before anything is sent."""

    record: RollbackRecord
    delete_class: bool
    inserted: dict[str | None, list[str]]
    """The ids to delete, per tenant (none for tenants the restore created)."""
    kept: int
    """Objects of the backup that existed before: left as they are (maybe overwritten)."""

    @property
    def objects(self) -> int:
        return sum(len(ids) for ids in self.inserted.values())


def _ids(chain_path: Path, tenant: str | None) -> list[str]:
    chain = load_chain(chain_path)
    known = {t for t, _ in final_tenants(chain, None)}
    return [line["id"] for line in final_objects(chain, tenant)] if tenant in known else []


def inserted_ids(backup: Path, tenants: Iterable[str | None], before: Path | None
                 ) -> tuple[dict[str | None, list[str]], int]:
    """Per tenant, the ids of ``backup`` that the safety backup ``before`` does not hold
    (all of them without one), and how many it does hold."""
    out: dict[str | None, list[str]] = {}
    kept = 0
    tenants = list(tenants)
    if before is not None:  # a tenant it could not read (not ACTIVE) lists no ids
        manifest = load_chain(before)[-1].manifest
        unread = sorted(str(t.get("name")) for t in manifest.skipped_tenants
                        if t.get("name") in tenants)
        if unread:
            raise ShellError(f"tenants {', '.join(unread)} were not active when the safety "
                             f"backup {before} was taken, so the objects the restore inserted "
                             "into them cannot be told from those that were there: nothing "
                             "was sent", "remove them by hand, or restore an earlier backup")
    for tenant in tenants:
        existed = set(_ids(before, tenant)) if before is not None else set()
        ids = _ids(backup, tenant)
        out[tenant] = [i for i in ids if i not in existed]
        kept += len(ids) - len(out[tenant])
    return out, kept


def plan(api: RestClient, record: RollbackRecord) -> Rollback:
    """What rolling back ``record`` takes; refused when it cannot tell what the restore
    inserted (a target that had objects, and no safety backup of them)."""
    if record.created_class:
        return Rollback(record, find_class(api, record.target) is not None, {}, 0)
    if record.pre_existing != 0 and record.safety_backup is None:
        raise ShellError(f"{record.target} had objects before the restore and no safety backup "
                         "was taken, so the objects the restore inserted cannot be told from "
                         "those it overwrote: nothing was sent",
                         f"\\backups and \\restore an earlier backup of {record.target}, or "
                         "remove the objects by hand")
    safety = Path(record.safety_backup) if record.safety_backup else None
    tenants = [t for t in record.tenants if t not in record.created_tenants]
    inserted, kept = inserted_ids(Path(record.backup), tenants, safety)
    return Rollback(record, False, inserted, kept)


def requests(rollback: Rollback) -> list[str]:
    """The REST calls of a rollback, for its plan."""
    record = rollback.record
    if record.created_class:
        return [f"DELETE /v1/schema/{record.target}"] if rollback.delete_class else []
    out = delete_calls(rollback.objects)
    if record.created_tenants:
        out.append(f"DELETE /v1/schema/{record.target}/tenants ({len(record.created_tenants)} "
                   "tenants it created)")
    if record.statuses:
        out.append(f"PUT /v1/schema/{record.target}/tenants ({len(record.statuses)} tenants "
                   "back to their status)")
    return out


def run(api: RestClient, rollback: Rollback) -> int:
    """Remove what the restore wrote; the objects deleted."""
    record = rollback.record
    if record.created_class:
        if rollback.delete_class:
            delete_collection(api, record.target)
        return 0
    deleted = 0
    if record.statuses:  # objects of an inactive tenant can only be deleted once it is ACTIVE
        activate_tenants(api, record.target, list(record.statuses))
    for tenant, ids in rollback.inserted.items():
        deleted += delete_ids(api, record.target, tenant, ids)
    if record.created_tenants:
        api.request("DELETE", f"/v1/schema/{record.target}/tenants",
                    json=record.created_tenants, idempotent=True)
    warnings = set_statuses(api, record.target, list(record.statuses.items()))
    if warnings:
        raise ShellError("; ".join(warnings))
    return deleted


def delete_ids(api: RestClient, name: str, tenant: str | None, ids: list[str]) -> int:
    """Delete the objects with these ids (those that are gone already are no error); how
    many were deleted."""
    return sum(int(delete_objects(api, name, tenant, ids[start:start + DELETE_IDS])
                   .get("successful") or 0) for start in range(0, len(ids), DELETE_IDS))
