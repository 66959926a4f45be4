"""The names completion offers: a frozen ``MetadataSnapshot`` held by a ``MetadataCache``.

A snapshot is built once per refresh from the compact schema (``completers.compact``) and
never changes; the cache swaps whole snapshots, so a reader (the completer, the toolbar, a
"did you mean" hint) takes one reference and never locks nor sees half a refresh. Every
list completion looks up is indexed here, once (``completers.names``), so a keystroke
costs the matches it shows, not the size of the cluster. This module does no I/O: the
refresher fetches, this only stores and indexes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from completers.compact import CompactSchema, PropertyTable, compact
from completers.names import NameIndex

__all__ = ["MetadataCache", "MetadataSnapshot", "NameIndex"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_NONE = NameIndex(())
_LISTS = ("collections", "nodes", "users", "roles")  # the plain name lists ``names`` indexes


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class MetadataSnapshot:
    """What the cluster looked like at ``fetched_at`` (``None``: never fetched).

    ``collections`` are the collection names, sorted; ``properties`` maps a collection to
    ``{property: data type}`` in schema order (top-level names only); ``tenants`` maps a
    multi-tenant collection to ``{tenant: activity status}`` and ``shards`` a collection to
    ``{shard: status}``, for the collections whose tenants or shards were loaded. The admin
    names (``aliases`` as ``{alias: collection}``, ``nodes``, ``users``, ``roles``) come with
    each refresh; a list the server would not give is empty. ``error`` is the last refresh's
    failure, kept next to the last good data.
    """

    collections: tuple[str, ...] = ()
    properties: PropertyTable = field(default_factory=PropertyTable)
    multi_tenant: frozenset[str] = frozenset()
    tenants: Mapping[str, NameIndex] = field(default_factory=lambda: _EMPTY)
    shards: Mapping[str, NameIndex] = field(default_factory=lambda: _EMPTY)
    aliases: NameIndex = field(default_factory=lambda: _NONE)
    nodes: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    fetched_at: float | None = None
    error: str | None = None
    indexes: Mapping[str, NameIndex] = field(default_factory=lambda: _EMPTY, repr=False)

    def __post_init__(self) -> None:
        if not self.indexes:  # built once; copies made by replace() pass them on
            object.__setattr__(self, "indexes", MappingProxyType(
                {kind: NameIndex(getattr(self, kind)) for kind in _LISTS}))

    @classmethod
    def from_compact(cls, schema: CompactSchema,
                     fetched_at: float | None = None) -> MetadataSnapshot:
        """Build from what ``SchemaReader`` decoded."""
        return cls(collections=schema.collections, properties=schema.properties,
                   multi_tenant=schema.multi_tenant, fetched_at=fetched_at)

    @classmethod
    def from_schema(cls, classes: Iterable[Mapping[str, Any]],
                    fetched_at: float | None = None) -> MetadataSnapshot:
        """Build from class dicts as ``GET /v1/schema`` lists them."""
        return cls.from_compact(compact(classes), fetched_at)

    def names(self, kind: str) -> NameIndex:
        """The index of ``collections``, ``nodes``, ``users`` or ``roles``."""
        return self.indexes[kind]

    def resolve(self, name: str | None) -> str | None:
        """The collection's name as the server spells it (exact, then ignoring case); an
        alias gives the collection it names."""
        if not name:
            return None
        if name in self.properties:
            return name
        alias = self.aliases.get(name[:1].upper() + name[1:])
        return self.indexes["collections"].spelled(alias or name)

    def with_tenants(self, collection: str, tenants: Mapping[str, str]) -> MetadataSnapshot:
        """A copy that also knows ``collection``'s tenants (``{name: activity status}``)."""
        return replace(self, tenants=_merged(self.tenants, collection, tenants))

    def with_shards(self, collection: str, shards: Mapping[str, str]) -> MetadataSnapshot:
        """A copy that also knows ``collection``'s shards (``{name: status}``)."""
        return replace(self, shards=_merged(self.shards, collection, shards))

    def with_admin_names(self, aliases: Mapping[str, str], nodes: Iterable[str],
                         users: Iterable[str], roles: Iterable[str]) -> MetadataSnapshot:
        """A copy with the cluster's aliases, nodes, users and roles."""
        lists = {"nodes": _sorted(nodes), "users": _sorted(users), "roles": _sorted(roles)}
        indexes = {**self.indexes, **{kind: NameIndex(names) for kind, names in lists.items()}}
        return replace(self, aliases=NameIndex(aliases), indexes=MappingProxyType(indexes),
                       **lists)

    def with_error(self, message: str) -> MetadataSnapshot:
        """A copy that keeps the data and records a failed refresh."""
        return replace(self, error=message)


def _sorted(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(names), key=str.lower))


def _merged(known: Mapping[str, NameIndex], collection: str,
            names: Mapping[str, str]) -> Mapping[str, NameIndex]:
    merged = dict(known)
    merged[collection] = NameIndex(names)
    return MappingProxyType(merged)


class MetadataCache:
    """One swappable reference to the current snapshot, plus a refreshing flag.

    Readers use ``snapshot`` and never lock (``snapshot.collections`` are the names a
    "did you mean" hint can use; ``loaded`` says whether a refresh ever succeeded).
    Writers that read-modify-write (merging tenants) go through ``update`` so that two
    writers cannot lose each other's change.
    """

    def __init__(self, snapshot: MetadataSnapshot | None = None) -> None:
        self._snapshot = snapshot or MetadataSnapshot()
        self._write = threading.Lock()
        self.refreshing = False

    @property
    def snapshot(self) -> MetadataSnapshot:
        """The current snapshot (a single reference read; never partial)."""
        return self._snapshot

    @property
    def loaded(self) -> bool:
        """Whether the snapshot holds a fetched schema (possibly stale after an error)."""
        return self._snapshot.fetched_at is not None

    def replace(self, snapshot: MetadataSnapshot) -> None:
        """Swap in a whole new snapshot."""
        with self._write:
            self._snapshot = snapshot

    def update(self, change: Callable[[MetadataSnapshot], MetadataSnapshot]) -> MetadataSnapshot:
        """Replace the snapshot with ``change(current)`` atomically; returns the new one."""
        with self._write:
            self._snapshot = change(self._snapshot)
            return self._snapshot

    @property
    def state(self) -> str:
        """For the toolbar: ``empty``, ``refreshing``, ``fresh`` or ``error: MESSAGE``."""
        snap = self._snapshot
        if self.refreshing:
            return "refreshing"
        if snap.error:
            return f"error: {snap.error}"
        return "fresh" if snap.fetched_at is not None else "empty"
