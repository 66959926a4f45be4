"""Reading a backup for a restore: its chain of manifests, verification, and the final state.

A backup is a chain: the manifest given, then its ``base`` manifests back to the full
backup (``load_chain``). Before anything is written to a cluster the whole chain is
verified (``verify_chain``): every chunk's size, checksum and line count, and the UUID
order of every stream, which the replay depends on. The replay (``final_objects``) is a
k-way merge of every link's ``objects`` and ``deleted`` streams of one tenant, ordered by
id: the newest link wins, and an id whose newest entry is a deletion is left out. It holds
one chunk per stream in memory, however big the backup is.

``Transform`` applies ``--as``, ``--rename-property`` and ``--drop-property`` to the
class JSON and to every object.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.errors import UsageError
from commands.ops.backup_format import BackupError, Chunk, Manifest, read_chunk

STREAMS = ("objects", "deleted")
CLASS_NAME = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,230}$")
MAX_LINKS = 10_000

Tick = Callable[[int], None]


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
    if path.is_dir():
        raise BackupError(f"{path} is a directory", "give a backup's manifest, DIR/NAME.json "
                                                    r"(\backups DIR lists them)")
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
        if manifest.completed is None:
            raise BackupError(f"{current}: the backup is unfinished (no completion time)",
                              "run the \\backup again to finish it")
        if expected is not None and manifest.id != expected:
            raise BackupError(f"{current}: is backup {manifest.id}, but the next link's base "
                              f"is {expected}", "the base backup was replaced; restore from "
                                                "a complete chain")
        if links and manifest.collection != links[-1].manifest.collection:
            raise BackupError(f"{current}: backs up {manifest.collection}, not "
                              f"{links[-1].manifest.collection}")
        links.append(Link(manifest, current))
        base = manifest.base
        if not base:
            if manifest.kind == "incremental":
                raise BackupError(f"{current}: an incremental backup without a base")
            break
        if not isinstance(base, dict) or not base.get("path") or not base.get("id"):
            raise BackupError(f"{current}: malformed base {base!r}")
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
            check: bool, tick: Tick | None) -> Iterator[tuple[tuple[str, int, int], Any]]:
    """One link's ``kind`` stream of one tenant as ``((id, -age, rank), line)``, ids after
    ``after``; chunks wholly at or before ``after`` are not read. ``check``: refuse ids out
    of order."""
    rank, last = STREAMS.index(kind), ""
    for chunk in _chunks(link, tenant, kind):
        if after is not None and chunk.last is not None and chunk.last <= after:
            continue
        for line in read_chunk(link.directory, chunk, link.manifest.codec):
            oid = line.get("id") if isinstance(line, dict) else None
            if not isinstance(oid, str):
                raise BackupError(f"{link.directory / chunk.file}: a line without an id")
            if check:
                if oid <= last:
                    raise BackupError(f"{link.directory / chunk.file}: ids are not in "
                                      f"ascending order ({oid} after {last})")
                last = oid
            if tick is not None:
                tick(1)
            if after is None or oid > after:
                yield (oid, -age, rank), line


def final_objects(chain: list[Link], tenant: str | None, after: str | None = None, *,
                  check: bool = False, tick: Tick | None = None) -> Iterator[dict[str, Any]]:
    """The objects of ``tenant`` in the state of the newest link, in id order, after
    ``after``: the k-way merge of every link's streams, the newest entry of an id winning
    (an object over a deletion within one link), deleted ids left out."""
    streams = [_stream(link, age, tenant, kind, after, check, tick)
               for age, link in enumerate(chain) for kind in STREAMS]
    previous = None
    for (oid, _age, rank), line in heapq.merge(*streams, key=lambda item: item[0]):
        if oid == previous:
            continue
        previous = oid
        if rank == 0:
            yield line


def verify_chain(chain: list[Link], tenants: Iterable[str | None],
                 tick: Tick | None = None) -> dict[str | None, int]:
    """Read every chunk of the chain (size, checksum, line count, id order) and return the
    number of objects each of ``tenants`` holds in the final state, which must be what the
    newest link's ``index`` chunks list when it has them. Nothing else is kept."""
    counts: dict[str | None, int] = {}
    merged: set[tuple[int, int]] = set()
    for tenant in tenants:
        counts[tenant] = sum(1 for _ in final_objects(chain, tenant, check=True, tick=tick))
        merged |= {(age, id(c)) for age, link in enumerate(chain) for kind in STREAMS
                   for c in _chunks(link, tenant, kind)}
    for age, link in enumerate(chain):  # index chunks and tenants not restored
        for chunk in link.manifest.chunks:
            if (age, id(chunk)) not in merged:
                for _ in read_chunk(link.directory, chunk, link.manifest.codec):
                    if tick is not None:
                        tick(1)
    newest = chain[-1]
    index = [c for c in newest.manifest.chunks if c.kind == "index"]
    for tenant, count in counts.items() if index else ():
        listed = sum(c.objects for c in index if c.tenant == tenant)
        if listed != count:
            where = f" of tenant {tenant}" if tenant is not None else ""
            raise BackupError(f"{newest.path}: the chain restores {count} objects{where}, but "
                              f"the backup's index lists {listed}",
                              "a link of the chain is missing or was replaced")
    return counts


def chain_lines(chain: list[Link]) -> int:
    """Lines in every chunk of the chain (what ``verify_chain`` reads)."""
    return sum(c.objects for link in chain for c in link.manifest.chunks)


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class Transform:
    """``--as``, ``--rename-property`` and ``--drop-property``, checked against the class."""

    name: str
    renames: dict[str, str] = field(default_factory=dict)
    drops: frozenset[str] = frozenset()

    @classmethod
    def build(cls, source: dict[str, Any], target: str | None, renames: list[str],
              drops: list[str]) -> Transform:
        """Check the options against the backup's class; ``UsageError`` names the problem."""
        name = upper_first(target or str(source.get("class") or ""))
        if not CLASS_NAME.match(name):
            raise UsageError(f"--as: {name!r} is not a valid collection name",
                             "a letter, then letters, digits or _")
        known = [p.get("name") for p in source.get("properties") or []]
        hint = "the backup's properties: " + (", ".join(map(str, known)) or "none")
        mapping: dict[str, str] = {}
        for spec in renames:
            old, eq, new = spec.partition("=")
            old, new = lower_first(old.strip()), lower_first(new.strip())
            if not eq or not old or not new:
                raise UsageError(f"--rename-property {spec!r}: expected OLD=NEW")
            if old not in known:
                raise UsageError(f"--rename-property: the backup has no property {old!r}", hint)
            if not PROPERTY_NAME.match(new) or new.lower() in ("id", "_id", "_additional"):
                raise UsageError(f"--rename-property: {new!r} is not a valid property name")
            if old in mapping:
                raise UsageError(f"--rename-property: {old!r} is renamed twice")
            mapping[old] = new
        dropped = frozenset(lower_first(d.strip()) for d in drops)
        for drop in sorted(dropped):
            if drop not in known:
                raise UsageError(f"--drop-property: the backup has no property {drop!r}", hint)
            if drop in mapping:
                raise UsageError(f"{drop!r} is both renamed and dropped")
        final = [mapping.get(str(p), str(p)) for p in known if p not in dropped]
        clash = sorted({p for p in final if [q.lower() for q in final].count(p.lower()) > 1})
        if clash:
            raise UsageError(f"--rename-property: {', '.join(clash)} would exist twice")
        return cls(name, mapping, dropped)

    def prop(self, name: str) -> str | None:
        """A property's new name, or None when it is dropped."""
        return None if name in self.drops else self.renames.get(name, name)

    def apply_class(self, source: dict[str, Any]) -> dict[str, Any]:
        """The class JSON to create: renamed, properties renamed or left out."""
        out = {**source, "class": self.name}
        props = []
        for prop in source.get("properties") or []:
            new = self.prop(str(prop.get("name")))
            if new is not None:
                props.append({**prop, "name": new})
        out["properties"] = props
        vectors = source.get("vectorConfig")
        if isinstance(vectors, dict):  # source properties of vectorizers
            out["vectorConfig"] = {key: self._vector(value) for key, value in vectors.items()}
        return out

    def _vector(self, config: Any) -> Any:
        if not isinstance(config, dict) or not isinstance(config.get("vectorizer"), dict):
            return config
        vectorizer = {}
        for module, settings in config["vectorizer"].items():
            if isinstance(settings, dict) and isinstance(settings.get("properties"), list):
                kept = [self.prop(str(p)) for p in settings["properties"]]
                settings = {**settings, "properties": [p for p in kept if p is not None]}
            vectorizer[module] = settings
        return {**config, "vectorizer": vectorizer}

    def apply_object(self, line: dict[str, Any], tenant: str | None) -> dict[str, Any]:
        """A backup line as a batch-import object of ``tenant`` (its id kept)."""
        props = line.get("properties") or {}
        if self.renames or self.drops:
            props = {new: value for key, value in props.items()
                     if (new := self.prop(key)) is not None}
        obj: dict[str, Any] = {"class": self.name, "id": line["id"], "properties": props}
        if tenant is not None:
            obj["tenant"] = tenant
        if line.get("vector"):
            obj["vector"] = line["vector"]
        if line.get("vectors"):
            obj["vectors"] = line["vectors"]
        return obj

