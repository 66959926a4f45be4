"""The names completion offers: a frozen ``MetadataSnapshot`` held by a ``MetadataCache``.

A snapshot is built once from the class list ``GET /v1/schema`` returns and never changes;
the cache swaps whole snapshots, so a reader (the completer, the toolbar) takes one
reference and never locks nor sees half a refresh. This module does no I/O: the refresher
fetches, this only stores and indexes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = ["MetadataCache", "MetadataSnapshot", "NameIndex"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class NameIndex:
    """Names sorted case-insensitively, for prefix lookups in O(log n + matches)."""

    __slots__ = ("_keys", "_names")

    def __init__(self, names: Iterable[str]) -> None:
        pairs = sorted({(n.lower(), n) for n in names})
        self._keys = [k for k, _ in pairs]
        self._names = [n for _, n in pairs]

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def starting_with(self, prefix: str) -> Iterator[str]:
        """Names that start with ``prefix``, ignoring case, in case-insensitive order."""
        key = prefix.lower()
        i = bisect.bisect_left(self._keys, key)
        while i < len(self._keys) and self._keys[i].startswith(key):
            yield self._names[i]
            i += 1


def _data_type(prop: Mapping[str, Any]) -> str:
    return "|".join(str(t) for t in prop.get("dataType") or ()) or "?"


@dataclass(frozen=True, slots=True, eq=False)
class MetadataSnapshot:
    """What the cluster looked like at ``fetched_at`` (``None``: never fetched).

    ``properties`` maps a collection to ``{property: data type}`` in schema order (top-level
    names only); ``tenants`` maps a multi-tenant collection to ``{tenant: activity status}``
    and ``shards`` a collection to ``{shard: status}``, for the collections whose tenants or
    shards were loaded. The admin names (``aliases`` as ``{alias: collection}``, ``nodes``,
    ``users``, ``roles``) come with each refresh; a list the server would not give is empty.
    ``error`` is the last refresh's failure, kept next to the last good data.
    """

    collections: tuple[str, ...] = ()
    properties: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _EMPTY)
    multi_tenant: frozenset[str] = frozenset()
    tenants: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _EMPTY)
    shards: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _EMPTY)
    aliases: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    nodes: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    fetched_at: float | None = None
    error: str | None = None
    _index: NameIndex = field(init=False, repr=False)
    _lower: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", NameIndex(self.collections))
        object.__setattr__(self, "_lower", {c.lower(): c for c in self.collections})

    @classmethod
    def from_schema(cls, classes: Iterable[Mapping[str, Any]],
                    fetched_at: float | None = None) -> MetadataSnapshot:
        """Build from the class dicts of ``GET /v1/schema`` (``fetch_schema``'s result)."""
        properties: dict[str, Mapping[str, str]] = {}
        multi: set[str] = set()
        for cls_def in classes:
            name = cls_def.get("class")
            if not isinstance(name, str):
                continue
            properties[name] = MappingProxyType(
                {p["name"]: _data_type(p) for p in cls_def.get("properties") or ()
                 if isinstance(p, Mapping) and isinstance(p.get("name"), str)})
            if (cls_def.get("multiTenancyConfig") or {}).get("enabled"):
                multi.add(name)
        return cls(collections=tuple(sorted(properties)),
                   properties=MappingProxyType(properties), multi_tenant=frozenset(multi),
                   fetched_at=fetched_at)

    def resolve(self, name: str | None) -> str | None:
        """The collection's name as the server spells it (exact, then ignoring case); an
        alias gives the collection it names."""
        if not name:
            return None
        if name in self.properties:
            return name
        alias = self.aliases.get(name[:1].upper() + name[1:])
        return self._lower.get((alias or name).lower())

    def collections_starting_with(self, prefix: str) -> Iterator[str]:
        """Collection names starting with ``prefix`` (case-insensitive), sorted."""
        return self._index.starting_with(prefix)

    def with_tenants(self, collection: str, tenants: Mapping[str, str]) -> MetadataSnapshot:
        """A copy that also knows ``collection``'s tenants (``{name: activity status}``)."""
        return replace(self, tenants=_merged(self.tenants, collection, tenants))

    def with_shards(self, collection: str, shards: Mapping[str, str]) -> MetadataSnapshot:
        """A copy that also knows ``collection``'s shards (``{name: status}``)."""
        return replace(self, shards=_merged(self.shards, collection, shards))

    def with_admin_names(self, aliases: Mapping[str, str], nodes: Iterable[str],
                         users: Iterable[str], roles: Iterable[str]) -> MetadataSnapshot:
        """A copy with the cluster's aliases, nodes, users and roles."""
        return replace(self, aliases=MappingProxyType(dict(sorted(aliases.items()))),
                       nodes=_sorted(nodes), users=_sorted(users), roles=_sorted(roles))

    def with_error(self, message: str) -> MetadataSnapshot:
        """A copy that keeps the data and records a failed refresh."""
        return replace(self, error=message)


def _sorted(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(names), key=str.lower))


def _merged(known: Mapping[str, Mapping[str, str]], collection: str,
            names: Mapping[str, str]) -> Mapping[str, Mapping[str, str]]:
    merged = dict(known)
    merged[collection] = MappingProxyType(dict(sorted(names.items(),
                                                      key=lambda kv: kv[0].lower())))
    return MappingProxyType(merged)


class MetadataCache:
    """One swappable reference to the current snapshot, plus a refreshing flag.

    Readers use ``snapshot`` and never lock. Writers that read-modify-write (merging
    tenants) go through ``update`` so that two writers cannot lose each other's change.
    """

    def __init__(self, snapshot: MetadataSnapshot | None = None) -> None:
        self._snapshot = snapshot or MetadataSnapshot()
        self._write = threading.Lock()
        self.refreshing = False

    @property
    def snapshot(self) -> MetadataSnapshot:
        """The current snapshot (a single reference read; never partial)."""
        return self._snapshot

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
