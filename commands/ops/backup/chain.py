"""Reading a backup for a restore: its chain of manifests, verification, and the final state.

A backup is a chain: the manifest given, then its ``base`` manifests back to the full
backup (``load_chain``). Before anything is written to a cluster the whole chain is
verified (``verify_chain``): every chunk's size, checksum and line count. The replay
(``final_objects``, which also checks the UUID order it depends on) is a
k-way merge of every link's ``objects`` and ``deleted`` streams of one tenant, ordered by
id: the newest link wins, and an id whose newest entry is a deletion is left out. It holds
one chunk per stream in memory, however big the backup is.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.errors import UsageError
from commands.ops.backup.format import (
    BackupError,
    Chunk,
    Manifest,
    count_lines,
    read_chunk,
)
from commands.progress import Advance, ignore

STREAMS = ("objects", "deleted")
MAX_LINKS = 10_000


@dataclass(frozen=True, slots=True)
class Link:
    """One manifest of a chain and the directory its chunk paths are relative to."""

    manifest: Manifest
    path: Path

    @property
    def directory(self) -> Path:
        return self.path.parent


def load_chain(path: Path) -> list[Link]:
    """The manifest at ``path`` and its bases, the full backup first and ``path`` last.

    Refused (``BackupError`` naming the file): a wrong format or version, an unfinished
    backup, a missing base, a base whose id or collection differs from the link's, a loop.
    """
    links: list[Link] = []
    seen: set[Path] = set()
    current: Path | None = path
    expected: str | None = None
    while current is not None:
        resolved = current.resolve()
        if resolved in seen or len(links) >= MAX_LINKS:
            raise BackupError(f"{current}: the chain of base backups loops back on itself")
        seen.add(resolved)
        manifest = Manifest.load(current)
        if manifest.completed is None or manifest.cursor is not None:
            raise BackupError(f"{current}: the backup never completed",
                              "run the same \\backup command again to finish it")
        if expected is not None and manifest.id != expected:
            raise BackupError(f"{current}: is backup {manifest.id}, but the next link's base "
                              f"is {expected}", "the base backup was replaced; restore from "
                                                "a complete chain")
        if links and manifest.collection != links[-1].manifest.collection:
            raise BackupError(f"{current}: backs up {manifest.collection}, not "
                              f"{links[-1].manifest.collection}")
        links.append(Link(manifest, current))
        base = manifest.base
        if base is None:  # the validator requires one of an incremental backup
            break
        current, expected = current.parent / str(base["path"]), str(base["id"])
        if not current.exists():
            raise BackupError(f"{current}: base backup {expected} of {links[-1].path} is "
                              "missing", "an incremental backup needs every link back to "
                                         "its full backup")
    return links[::-1]


def tenant_status(tenant: dict[str, Any]) -> str:
    """A recorded tenant status in the documented vocabulary (``HOT`` -> ``ACTIVE``...)."""
    status = str(tenant.get("activityStatus") or "HOT").upper()
    return {"HOT": "ACTIVE", "COLD": "INACTIVE", "FROZEN": "OFFLOADED"}.get(status, status)


def final_tenants(chain: list[Link], only: str | None) -> list[tuple[str | None, str]]:
    """``(tenant, status)`` to restore: the newest link's tenants (``[(None, "")]`` for a
    collection that is not multi-tenant), or just ``only``."""
    newest = chain[-1].manifest
    if not _multi_tenant(newest.cls):
        if only:
            raise UsageError(f"{newest.collection} is not multi-tenant, so --tenant does not "
                             "apply", "leave out --tenant")
        return [(None, "")]
    recorded = [(str(t.get("name")), tenant_status(t)) for t in newest.tenants]
    if only is None:
        return recorded
    found = [t for t in recorded if t[0] == only]
    if not found:
        names = ", ".join(n for n, _ in recorded[:10]) or "none"
        raise UsageError(f"the backup of {newest.collection} has no tenant {only!r}",
                         f"its tenants: {names}")
    return found


def _multi_tenant(cls: dict[str, Any]) -> bool:
    return bool((cls.get("multiTenancyConfig") or {}).get("enabled"))


def _chunks(link: Link, tenant: str | None, kind: str) -> list[Chunk]:
    return [c for c in link.manifest.chunks if c.tenant == tenant and c.kind == kind]


def _stream(link: Link, age: int, tenant: str | None, kind: str, after: str | None,
            check: bool) -> Iterator[tuple[tuple[str, int, int], Any]]:
    """One link's ``kind`` stream of one tenant as ``((id, -age, rank), line)``, ids after
    ``after``; chunks wholly at or before ``after`` are not read. ``check``: refuse ids out
    of order."""
    rank, last = STREAMS.index(kind), ""
    for chunk in _chunks(link, tenant, kind):
        if after is not None and chunk.last is not None and chunk.last <= after:
            continue
        for line in read_chunk(link.directory, chunk, link.manifest.codec):
            oid = line["id"]  # read_chunk refuses entries without one
            if check:
                if oid <= last:
                    raise BackupError(f"{link.directory / chunk.file}: ids are not in "
                                      f"ascending order ({oid} after {last})")
                last = oid
            if after is None or oid > after:
                yield (oid, -age, rank), line


def final_objects(chain: list[Link], tenant: str | None, after: str | None = None, *,
                  check: bool = False) -> Iterator[dict[str, Any]]:
    """The objects of ``tenant`` in the state of the newest link, in id order, after
    ``after``: the k-way merge of every link's streams, the newest entry of an id winning
    (an object over a deletion within one link), deleted ids left out."""
    streams = [_stream(link, age, tenant, kind, after, check)
               for age, link in enumerate(chain) for kind in STREAMS]
    previous = None
    for (oid, _age, rank), line in heapq.merge(*streams, key=lambda item: item[0]):
        if oid == previous:
            continue
        previous = oid
        if rank == 0:
            yield line


def check_chunk(link: Link, chunk: Chunk) -> None:
    """Size, SHA-256 and line count of one chunk (``BackupError`` naming the file); the
    lines are counted, not parsed, so this costs little more than reading the file."""
    path = link.directory / chunk.file
    lines = count_lines(link.directory, chunk, link.manifest.codec)
    if lines != chunk.lines:
        raise BackupError(f"{path}: holds {lines} lines, the manifest says {chunk.lines}")


def verify_chain(chain: list[Link], tenants: Iterable[str | None],
                 tick: Advance = ignore) -> dict[str | None, int]:
    """Check every chunk of the chain (``check_chunk``) and return the number of objects
    each of ``tenants`` holds in the final state: what the newest link's ``index`` lists
    (a full backup's objects must match it), or for links without an index the replay's
    count. ``final_objects(check=True)`` checks the id order while restoring."""
    for link in chain:
        for chunk in link.manifest.chunks:
            check_chunk(link, chunk)
            tick(chunk.objects)
    newest = chain[-1]
    index = [c for c in newest.manifest.chunks if c.kind == "index"]
    counts: dict[str | None, int] = {}
    for tenant in tenants:
        held = sum(c.objects for c in _chunks(newest, tenant, "objects"))
        if index:
            counts[tenant] = sum(c.objects for c in index if c.tenant == tenant)
            if len(chain) == 1 and held != counts[tenant]:
                raise inconsistent(newest, tenant, held, counts[tenant])
        elif len(chain) == 1:
            counts[tenant] = held
        else:
            counts[tenant] = sum(1 for _ in final_objects(chain, tenant, check=True))
    return counts


def inconsistent(link: Link, tenant: str | None, restored: int, listed: int) -> BackupError:
    """The error for a chain whose replay disagrees with its newest index."""
    where = f" of tenant {tenant}" if tenant is not None else ""
    return BackupError(f"{link.path}: the chain restores {restored} objects{where}, but the "
                       f"backup's index lists {listed}",
                       "a link of the chain is missing or was replaced")


def chain_lines(chain: list[Link]) -> int:
    """Entries in every chunk of the chain (what ``verify_chain``'s ticks add up to)."""
    return sum(c.objects for link in chain for c in link.manifest.chunks)
