"""Moving objects: cursor pages of the source (read ahead by a thread) cut into batches that
the restore's ``Importer`` posts to the target, ``parallel`` in flight, checking every
object's result and advancing the checkpoint over acknowledged batches only.

Besides the full copy, a rescan reads the source without vectors and fetches, with vectors,
only the objects a ``pick`` wants: the catch-up, the final reconciliation and the second
pass of references are rescans.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgspec

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops.backup import heap
from commands.ops.backup.imports import Importer, make_batches, tenant_key
from commands.ops.backup.transform import BatchObject, Transform
from commands.ops.cursor import (
    ID_PAGE,
    ID_PREFETCH,
    PAGE,
    PROPERTY_STAMP_PAGE,
    RAW_PAGE,
    STAMP_PAGE,
    PropertyStamp,
    RawObject,
    Stamp,
    pages,
    prefetch,
)
from commands.ops.migrate.checkpoint import MigrateCheckpoint
from commands.ops.objects import delete_objects
from commands.ops.references import holds_references
from commands.progress import Advance

Stream = tuple[str | None, Iterator[BatchObject]]


def fetch_ids(api: RestClient, name: str, tenant: str | None, wanted: list[str],
              after: str | None, size: int) -> Iterator[RawObject]:
    """The objects of ``wanted`` (ascending ids, all after ``after``) with their vectors,
    read by cursor from ``after`` in pages of ``size``: usually one request."""
    keep, last = set(wanted), wanted[-1]
    for page, _ in pages(api, name, tenant, after, size=size, decoder=RAW_PAGE):
        for obj in page:
            if obj.id in keep:
                # a few objects of a 2 MB page: their raw values are copied out, or each
                # would keep its whole page alive until its batch is sent (a catch-up
                # picking 5% of the ids held some 40 MB of pages per batch)
                yield RawObject(obj.id, obj.properties.copy(), obj.vector.copy(),
                                obj.vectors.copy())
        if page[-1].id >= last:
            return


def spans(ids: list[str], wanted: list[str],
          after: str | None) -> Iterator[tuple[str | None, list[str], int]]:
    """``wanted`` (some of ``ids``, both ascending; ``after``: the id before ``ids``) cut
    into groups spanning at most ``PAGE`` of ``ids``: the id before each group, its ids,
    and how many of ``ids`` it spans (what one cursor page must read to hold it)."""
    group: list[str] = []
    first = last = 0
    for oid in wanted:
        at = bisect_left(ids, oid)
        if group and at - first >= PAGE:
            yield (ids[first - 1] if first else after), group, last - first + 1
            group = []
        if not group:
            first = at
        group.append(oid)
        last = at
    if group:
        yield (ids[first - 1] if first else after), group, last - first + 1


def rescan(api: RestClient, name: str, tenant: str | None,
           pick: Pick) -> Iterator[RawObject]:
    """Every object of one partition ``pick`` wants, with vectors: the partition is read
    without vectors (as ``pick.decoder`` reads a page) in pages of ``ID_PAGE``, then each
    page's picks are fetched, reading from the first pick to the last only."""
    after = None
    for page, _ in prefetch(pages(api, name, tenant, None, size=ID_PAGE, vectors=False,
                                  decoder=pick.decoder), ID_PREFETCH):
        heap.tidy()  # the last page's body: a catch-up that copies nothing never posts
        wanted = pick.choose(page)
        if wanted:
            ids = [obj.id for obj in page]
            for before, group, size in spans(ids, wanted, after):
                yield from fetch_ids(api, name, tenant, group, before, size)
        after = page[-1].id


def delete_ids(api: RestClient, name: str, tenant: str | None, ids: list[str]) -> int:
    """Delete ``ids`` from ``name`` (one tenant); how many were deleted."""
    results = delete_objects(api, name, tenant, ids)
    if results.get("failed"):
        raise ShellError(f"the target refused to delete {results['failed']} of {len(ids)} "
                         f"objects of {name}" + (f" (tenant {tenant})" if tenant else ""),
                         "run the same \\migrate again to retry the reconciliation")
    return int(results.get("successful") or 0)


@dataclass
class Copier:
    """Both sides of one migration and the checkpoint its batches advance."""

    source: RestClient
    target: RestClient
    source_name: str
    transform: Transform  # the target's name; self-references renamed with it
    checkpoint: MigrateCheckpoint
    checkpoint_path: Path
    errors_path: Path
    batch_size: int
    parallel: int

    def start_report(self, resume: bool) -> None:
        """A fresh error report, or (resuming) the report cut to what the checkpoint covers."""
        Importer(self.target, self.checkpoint, self.checkpoint_path, self.errors_path,
                 self.parallel).start_report(resume)

    def post(self, streams: Iterable[Stream], advance: Advance) -> int:
        """Post the batch objects of ``streams``; how many the target acknowledged."""
        importer = Importer(self.target, self.checkpoint, self.checkpoint_path,
                            self.errors_path, self.parallel, advance)
        importer.run(make_batches(streams, self.batch_size))
        return importer.written_now

    def as_batch(self, objects: Iterable[RawObject], tenant: str | None,
                 drops: frozenset[str] = frozenset()) -> Iterator[BatchObject]:
        """Source objects as batch objects of the target (its name, the same ids)."""
        transform = replace(self.transform, drops=drops) if drops else self.transform
        for obj in objects:
            yield transform.apply_raw(obj, tenant)

    def full(self, tenants: list[str | None], drops: frozenset[str],
             advance: Advance) -> int:
        """Copy every object of ``tenants``, each after its checkpointed id (``drops``:
        properties left out, for the first pass of a class with references)."""
        done = self.checkpoint.done

        def streams() -> Iterator[Stream]:
            for tenant in tenants:
                source = prefetch(pages(self.source, self.source_name, tenant,
                                        done.get(tenant_key(tenant)), decoder=RAW_PAGE))
                objects = (obj for page, _ in source for obj in page)
                yield tenant, self.as_batch(objects, tenant, drops)

        return self.post(streams(), advance)

    def picked(self, tenants: list[str | None], make_pick: Callable[[str | None], Pick],
               advance: Advance) -> int:
        """Copy, tenant by tenant, the objects ``make_pick(tenant)`` wants (see ``rescan``);
        each pick's ``finish`` runs once its tenant's rescan is through."""
        def objects(tenant: str | None) -> Iterator[dict[str, Any]]:
            pick = make_pick(tenant)
            yield from self.as_batch(rescan(self.source, self.source_name, tenant, pick), tenant)
            pick.finish()

        return self.post(((tenant, objects(tenant)) for tenant in tenants), advance)


class Pick:
    """Which objects of a rescan to copy, a page at a time (whole pages keep the per-object
    work in comprehensions); ``finish`` is told when the rescan is through. ``decoder``
    reads the pages: ``Stamp``s unless the pick needs properties."""

    decoder: msgspec.json.Decoder[Any] = STAMP_PAGE

    def choose(self, page: list[Stamp]) -> list[str]:
        """The ids of ``page`` (ascending) to copy, in order."""
        raise NotImplementedError

    def finish(self) -> None:
        """Nothing to do by default."""


class HasReferences(Pick):
    """Objects with a value in any of the reference properties ``names``."""

    decoder = PROPERTY_STAMP_PAGE

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def choose(self, page: list[PropertyStamp]) -> list[str]:  # type: ignore[override]
        names = self.names
        return [obj.id for obj in page
                if holds_references(msgspec.json.decode(obj.properties), names)]
