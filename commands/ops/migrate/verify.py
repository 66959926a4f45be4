"""Is the target a faithful copy of the source? (OPERATIONS.md §3.5)

``verify_copy`` compares three things and reports them as check rows (name, ok / warn /
crit, evidence), for ``\\migrate --verify`` and ``\\health COLLECTION --target``:

* the class definitions, normalised: names, fields the server fills in or synthesizes, and
  property order do not count; for ``\\migrate``, what its ``--set`` asked and the target
  stored as asked, and a shard count the target capped at its node count, do not either;
* the tenant sets (a tenant on one side only), and exact counts per partition on both
  sides, by GraphQL ``Aggregate`` (``/v1/nodes`` counts only flushed segments, §1.5);
* objects, property by property and vector by vector, by canonical hashes: properties as
  sorted JSON with numbers as float64 and dates in UTC, vectors as float32 bytes; the
  timestamps always differ (§3.2) and are left out. ``sample`` compares windows of the
  cursor at random ids (everything for a small partition), ``full`` walks both cursors
  side by side, ``count`` skips this part. A window is compared up to the lower of the two
  pages' last ids, so missing and extra ids show up too.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops import class_paths, objects, schema
from commands.ops.collections import is_multi_tenant
from commands.ops.migrate.plan import INTERNAL_PROPERTY_FIELDS, SERVER_FILLED
from commands.ops.references import rename_data_types, rename_self_references, self_references
from commands.ops.tenants import documented_status, fetch_tenants

MODES = ("count", "sample", "full")
SAMPLE = 1000  # objects compared per partition by a sample (all of a smaller one)
SAMPLE_SHARE = 0.01  # ... or this share of a bigger one
WINDOW = 100  # objects per sampled window
FULL_WINDOW = 1000
SHOWN = 10  # mismatches listed in a row's evidence
SYNTHESIZED = ("skipDefaultQuantization", "trackDefaultQuantization")
DATE_LIKE = 20  # "2024-01-01T00:00:00Z" is the shortest RFC 3339 date-time


@dataclass(frozen=True, slots=True)
class Count:
    """Exact counts of one partition (None: not countable, e.g. an inactive tenant)."""

    tenant: str | None
    source: int | None
    target: int | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One object that differs: missing on the target, extra there, or which parts differ."""

    id: str
    tenant: str | None
    what: str


@dataclass
class VerifyReport:
    """The outcome of ``verify_copy``; ``rows()`` gives check rows."""

    source: str
    target: str
    mode: str
    definition: list[tuple[str, Any, Any]] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    compared: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    lone_tenants: list[tuple[str, str]] = field(default_factory=list)
    """``(tenant, why)`` for a tenant only one side has."""

    @property
    def ok(self) -> bool:
        """No difference anywhere (definition, tenants, counts, objects)."""
        return not self.definition and not self.mismatches and not self.lone_tenants and all(
            c.source == c.target for c in self.counts)

    def rows(self) -> list[tuple[str, str, str]]:
        """``(check, ok|warn|crit, evidence)``: the definition, one count per partition and
        the compared objects."""
        diffs = "; ".join(f"{p}: {_short(a)} -> {_short(b)}" for p, a, b in self.definition[:SHOWN])
        out = [("definition", "warn" if self.definition else "ok",
                f"{len(self.definition)} differences: {diffs}" if self.definition
                else "the same definition (normalised)")]
        out += [(f"tenant {name}", "crit", why) for name, why in self.lone_tenants]
        for c in self.counts:
            name = f"count {c.tenant}" if c.tenant is not None else "count"
            if c.source is None:
                out.append((name, "warn", c.note or "not countable"))
            elif c.target is None:
                out.append((name, "crit", f"source {c.source:,}, {c.note}"))
            else:
                out.append((name, "ok" if c.source == c.target else "crit",
                            f"source {c.source:,}, target {c.target:,}"))
        if self.mode != "count":
            listed = "; ".join(f"{m.id}{f' ({m.tenant})' if m.tenant else ''}: {m.what}"
                               for m in self.mismatches[:SHOWN])
            evidence = f"{self.compared:,} objects compared ({self.mode})" + (
                f", {len(self.mismatches):,} differ: {listed}" if self.mismatches
                else ", all identical (properties and vectors)")
            out.append(("objects", "crit" if self.mismatches else "ok", evidence))
        return out


def _short(value: Any) -> str:
    text = "missing" if value is class_paths.MISSING else orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def normalised(cls: dict[str, Any]) -> dict[str, Any]:
    """A class definition as compared: without its name, server-filled and synthesized
    fields, and with properties keyed by name."""
    out = {k: v for k, v in cls.items() if k != "class"}
    if is_multi_tenant(cls):
        out.pop("shardingConfig", None)
    for path in SERVER_FILLED:
        parent, _, leaf = path.rpartition(".")
        node = class_paths.get_path(out, parent)
        if isinstance(node, dict):
            out = class_paths.set_path(out, parent, {k: v for k, v in node.items() if k != leaf})
    out["properties"] = {str(p.get("name")).lower(): _property(p)
                         for p in cls.get("properties") or []}
    return _without(out, SYNTHESIZED)


def _property(prop: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in prop.items() if k not in INTERNAL_PROPERTY_FIELDS}
    if prop.get("nestedProperties"):
        out["nestedProperties"] = {str(p.get("name")).lower(): _property(p)
                                   for p in prop["nestedProperties"]}
    return out


def _without(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    return value


def _holds(stored: Any, asked: Any) -> bool:
    """Whether a stored value is what was asked (an object: with the asked keys as asked;
    the server may add its defaults beside them)."""
    if isinstance(asked, dict):
        return isinstance(stored, dict) and all(
            _holds(stored.get(k, class_paths.MISSING), v) for k, v in asked.items())
    return stored == asked


def _capped(difference: tuple[str, Any, Any], target_nodes: int | None) -> bool:
    """A shard count the target lowered to its node count (OPERATIONS.md §3.1.2)."""
    path, wanted, stored = difference
    return path == "shardingConfig.desiredCount" and target_nodes is not None and \
        isinstance(wanted, int) and stored == target_nodes < wanted


def definition_diff(source: dict[str, Any], target: dict[str, Any],
                    assignments: tuple[tuple[str, Any], ...] = (),
                    target_nodes: int | None = None) -> list[tuple[str, Any, Any]]:
    """``(path, expected value, target value)`` for every normalised difference between the
    target and the source changed by ``assignments`` (``\\migrate --set``). Under a path the
    target stored as asked nothing is compared (it fills in its defaults there), nor under
    the index config when ``vectorIndexType`` was set (another type has another config); a
    path it did not store as asked is a difference. ``target_nodes``: a desiredCount capped
    at the target's node count is expected. A copy under another name has its
    self-references renamed with it (OPERATIONS.md §3.1.5)."""
    expected = {**source, "properties": rename_data_types(
        source.get("properties") or [], source.get("class"), target.get("class"))}
    for path, value in assignments:
        expected = class_paths.set_path(expected, path, value)
    kept = [path for path, value in assignments
            if _holds(class_paths.get_path(target, path, class_paths.MISSING), value)]
    kept += [p.removesuffix("vectorIndexType") + "vectorIndexConfig"
             for p in kept if p.endswith("vectorIndexType")]
    return [d for d in class_paths.diff(normalised(expected), normalised(target))
            if not any(d[0] == p or d[0].startswith(p + ".") for p in kept)
            and not _capped(d, target_nodes)]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) >= DATE_LIKE and value[4:5] == "-" and \
            value[10:11] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(UTC).isoformat()
        except ValueError:
            return value
    return value


def _vector_bytes(vector: Any) -> bytes:
    if vector and isinstance(vector[0], list):  # a multi-vector: one row at a time
        return b"|".join(array("f", row).tobytes() for row in vector)
    return array("f", vector or []).tobytes()


def fingerprint(obj: dict[str, Any]) -> dict[str, str]:
    """Canonical hashes of an object's properties and of each of its vectors."""
    def digest(data: bytes) -> str:
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    parts = {"properties": digest(orjson.dumps(_canonical(obj.get("properties") or {}),
                                               option=orjson.OPT_SORT_KEYS))}
    if obj.get("vector"):
        parts["vector"] = digest(_vector_bytes(obj["vector"]))
    for name, vector in (obj.get("vectors") or {}).items():
        parts[f"vectors.{name}"] = digest(_vector_bytes(vector))
    return parts


def differing_parts(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Which parts (properties, vector, vectors.NAME) of two objects differ."""
    fa, fb = fingerprint(a), fingerprint(b)
    return sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))


def compare_window(source: RestClient, target: RestClient, names: tuple[str, str],
                   tenant: str | None, after: str | None, size: int,
                   out: VerifyReport, self_refs: frozenset[str] = frozenset()) -> str | None:
    """Compare one cursor window of both sides into ``out``; the id the next window
    starts after (None: both sides are through). ``self_refs``: the source's
    self-references, whose beacons the copy names with its own class."""
    pages = [objects.list_objects(api, name, limit=size, after=after, tenant=tenant,
                                  include_vector=True).objects
             for api, name in zip((source, target), names, strict=True)]
    ends = [page[-1]["id"] for page in pages if len(page) == size]
    upto = min(ends) if ends else None
    mine, theirs = ({o["id"]: o for o in page if upto is None or o["id"] <= upto}
                    for page in pages)
    if self_refs:
        mine = {oid: {**obj, "properties": rename_self_references(
            obj.get("properties") or {}, self_refs, *names)} for oid, obj in mine.items()}
    for oid in sorted(set(mine) | set(theirs)):
        if oid not in theirs:
            out.mismatches.append(Mismatch(oid, tenant, "missing on the target"))
        elif oid not in mine:
            out.mismatches.append(Mismatch(oid, tenant, "not on the source"))
        else:
            out.compared += 1
            parts = differing_parts(mine[oid], theirs[oid])
            if parts:
                out.mismatches.append(Mismatch(oid, tenant, "differs: " + ", ".join(parts)))
    return upto


def _partitions(source: RestClient, target: RestClient, cls: dict[str, Any], target_name: str,
                tenant: str | None) -> tuple[list[tuple[str | None, str, str]], list[str]]:
    """``(tenant, status on the source, status on the target or "missing")`` of each source
    partition, and the tenants only the target has (one tenant: that one only)."""
    if not is_multi_tenant(cls):
        return [(None, "ACTIVE", "ACTIVE")], []
    theirs = {t.get("name"): documented_status(t.get("activityStatus"))
              for t in fetch_tenants(target, target_name)}
    out = [(raw.get("name"), documented_status(raw.get("activityStatus")),
            theirs.get(raw.get("name"), "missing"))
           for raw in sorted(fetch_tenants(source, cls["class"]), key=lambda t: t.get("name", ""))
           if tenant is None or raw.get("name") == tenant]
    if tenant is not None and not out:
        raise ShellError(f"no tenant {tenant!r} in {cls['class']}")
    mine = {name for name, _, _ in out}
    return out, sorted(str(n) for n in theirs if n not in mine and tenant in (None, n))


def verify_copy(source: RestClient, target: RestClient, source_name: str, target_name: str,
                mode: str = "sample", tenant: str | None = None,
                assignments: tuple[tuple[str, Any], ...] = (),
                target_nodes: int | None = None) -> VerifyReport:
    """Compare ``source_name`` on ``source`` with ``target_name`` on ``target`` (one tenant
    or all): definitions (see ``definition_diff``), tenants, counts, and objects by
    ``mode``."""
    if mode not in MODES:
        raise ShellError(f"unknown verify mode {mode!r}", "count, sample or full")
    mine = schema.get_class(source, source_name)
    theirs = schema.find_class(target, target_name)
    if theirs is None:
        raise ShellError(f"the target has no collection {target_name}",
                         f"\\migrate {source_name} --target URL copies it")
    report = VerifyReport(mine["class"], theirs["class"], mode,
                          definition_diff(mine, theirs, assignments, target_nodes))
    names = (mine["class"], theirs["class"])
    self_refs = self_references(mine) if names[0] != names[1] else frozenset()
    partitions, extra = _partitions(source, target, mine, names[1], tenant)
    report.lone_tenants += [(name, "only on the target") for name in extra]
    for part, status, their_status in partitions:
        if their_status == "missing":
            why = f"{objects.aggregate_count(source, names[0], part):,} objects" \
                if status == "ACTIVE" else f"{status} there: its objects cannot be read"
            report.lone_tenants.append((str(part), f"only on the source ({why})"))
            continue
        if status != "ACTIVE":  # its objects cannot be read (OPERATIONS.md §3.1.3)
            report.counts.append(Count(part, None, None, f"not counted: source tenant is "
                                                         f"{status}"))
            continue
        size = objects.aggregate_count(source, names[0], part)
        if their_status != "ACTIVE":
            report.counts.append(Count(part, size, None, f"target tenant is {their_status}"))
            continue
        report.counts.append(Count(part, size, objects.aggregate_count(target, names[1], part)))
        if mode == "full" or (mode == "sample" and size <= SAMPLE):
            after = None
            while True:
                after = compare_window(source, target, names, part, after, FULL_WINDOW, report,
                                       self_refs)
                if after is None:
                    break
        elif mode == "sample":
            windows = -(-max(SAMPLE, int(size * SAMPLE_SHARE)) // WINDOW)
            rng = random.Random()
            for _ in range(windows):
                start = str(uuid.UUID(int=rng.getrandbits(128)))
                compare_window(source, target, names, part, start, WINDOW, report, self_refs)
    return report
