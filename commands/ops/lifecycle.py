"""Removing and emptying collections, and what is at stake before doing either.

``blast_radius`` only reads. ``clear_collection`` deletes objects with repeated
``DELETE /v1/batch/objects`` calls (at most ``QUERY_MAXIMUM_RESULTS``, 10,000 by
default, go per call and ``matches`` reports the total, REST-BEHAVIOUR.md §8.2), so it
empties collections of any size and never touches the schema, tenants or aliases.
Only active tenants can be cleared: deleting from an inactive tenant would need it
activated, which changes the tenant, so clearing a multi-tenant collection whose
tenants are not all active is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError
from commands.ops import aliases, cluster, collections, objects, schema, tenants
from commands.ops.schema import fetch_schema, get_class, upper_first

MATCH_ALL = {"path": ["id"], "operator": "Like", "valueText": "*"}
DELETE_LIMIT = 10_000
EXACT_TENANTS = 25  # up to this many tenants are counted exactly, one Aggregate each
OLDEST_TIMEOUT = 10.0

Report = Callable[[int, int | None], None]  # report(done, total)


@dataclass(frozen=True, slots=True)
class BlastRadius:
    """What removing one collection destroys. ``objects`` is exact unless multi-tenant (then
    the approximate total of the active tenants); ``aliases`` is None when the server has
    no alias API; ``created`` is an ISO-8601 time or None (unknown)."""

    name: str
    objects: int | None
    objects_exact: bool
    tenants: dict[str, int] | None
    replication: int | None
    shards: int | None
    nodes: tuple[str, ...]
    aliases: tuple[str, ...] | None
    created: str | None
    created_from: str

    @property
    def tenant_count(self) -> int | None:
        """How many tenants the collection has (None when it is not multi-tenant)."""
        return None if self.tenants is None else sum(self.tenants.values())


@dataclass(frozen=True, slots=True)
class ClearScope:
    """The partitions ``clear_collection`` will empty: ``(tenant, objects)`` pairs, the
    tenant None for a collection that is not multi-tenant."""

    name: str
    multi_tenancy: bool
    partitions: tuple[tuple[str | None, int | None], ...]
    exact: bool

    @property
    def objects(self) -> int:
        """The objects at stake (unknown counts as 0)."""
        return sum(count or 0 for _, count in self.partitions)


def _named(arguments: dict[str, Any]) -> list[str]:
    """Collection names an audit entry's arguments mention (``name``, ``collection``, ``names``)."""
    found: list[str] = []
    for key in ("name", "collection", "names"):
        value = arguments.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                found.append(upper_first(item))
    return found


def created_by_elysiactl(entries: Iterable[dict[str, Any]],
                         cluster_url: str | None = None) -> dict[str, str]:
    """The time of the latest successful ``create`` per collection name, from audit entries.

    Dry runs do not count, an entry of another cluster does not count, and a later
    successful ``rm`` of the name forgets the creation (the collection now there is another).
    """
    created: dict[str, str] = {}
    url = (cluster_url or "").rstrip("/")
    for entry in entries:
        if entry.get("status") != "ok" or entry.get("confirmation") == "dry-run":
            continue
        where = str(entry.get("cluster") or "").rstrip("/")
        if where and url and where != url:
            continue
        arguments = entry.get("arguments")  # any JSON, in a log edited by hand
        names = _named(arguments) if isinstance(arguments, dict) else []
        if entry.get("command") == "create" and entry.get("time"):
            created.update(dict.fromkeys(names, str(entry["time"])))
        elif entry.get("command") == "rm":
            for name in names:
                created.pop(name, None)
    return created


def fetch_aliases(api: RestClient) -> dict[str, tuple[str, ...]] | None:
    """Alias names per target class in one ``GET /v1/aliases``; None when unavailable
    (Weaviate before 1.32, or no permission to read aliases)."""
    try:
        found = aliases.list_aliases(api)
    except ApiError:
        return None
    out: dict[str, list[str]] = {}
    for alias in found:
        out.setdefault(alias.collection, []).append(alias.name)
    return {name: tuple(sorted(found)) for name, found in out.items()}


def oldest_object_time(api: RestClient, name: str) -> str | None:
    """The creation time of the oldest object of a class that is not multi-tenant
    (``sort=_creationTimeUnix``, one object), or None when empty or unreadable."""
    params = {"class": name, "sort": "_creationTimeUnix", "order": "asc", "limit": 1}
    try:
        found = api.request("GET", "/v1/objects", params=params,
                            timeout=OLDEST_TIMEOUT).json().get("objects") or []
    except ShellError:
        return None
    stamp = found[0].get("creationTimeUnix") if found else None
    if not isinstance(stamp, int | float):
        return None
    when = datetime.fromtimestamp(stamp / 1000, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def blast_radius(api: RestClient, names: Iterable[str],
                 audit_entries: Iterable[dict[str, Any]] = (),
                 classes: list[dict[str, Any]] | None = None) -> list[BlastRadius]:
    """What is at stake for each of ``names`` (canonical class names).

    Requests: the schema (unless ``classes`` is given), ``/v1/nodes`` and ``/v1/aliases``
    once, then per collection an Aggregate count (or, if multi-tenant, its tenant list)
    and, when the audit log has no creation entry, its oldest object.
    """
    known = {c["class"]: c for c in (fetch_schema(api) if classes is None else classes)}
    nodes = cluster.fetch_nodes(api)
    approximate = cluster.collection_counts(nodes)
    placement: dict[str, tuple[set[str], set[str]]] = {}
    for rep in cluster.replicas(nodes):
        shards, holders = placement.setdefault(rep.collection, (set(), set()))
        shards.add(rep.shard)
        holders.add(rep.node)
    aliases = fetch_aliases(api)
    logged = created_by_elysiactl(audit_entries, api.url)
    out = []
    for name in names:
        cls = known.get(name) or get_class(api, name)
        name = cls["class"]
        mt = collections.is_multi_tenant(cls)
        status = tenants.status_counts(tenants.fetch_tenants(api, name)) if mt else None
        count, exact = approximate.get(name, 0), False
        if not mt:
            try:
                count, exact = objects.aggregate_count(api, name), True
            except ShellError:
                pass
        shards, holders = placement.get(name, (set(), set()))
        sharding = cls.get("shardingConfig") or {}
        created, source = logged.get(name), "audit log"
        if created is None and not mt:
            created, source = oldest_object_time(api, name), "oldest object"
        out.append(BlastRadius(
            name=name, objects=count, objects_exact=exact, tenants=status,
            replication=(cls.get("replicationConfig") or {}).get("factor"),
            shards=len(shards) or (None if mt else sharding.get("actualCount")),
            nodes=tuple(sorted(holders)),
            aliases=None if aliases is None else aliases.get(name, ()),
            created=created, created_from=source if created else "unknown"))
    return out


def delete_collection(api: RestClient, name: str) -> None:
    """``DELETE /v1/schema/{name}`` (200 even when absent; ``name`` must not be an alias,
    which Weaviate would ignore)."""
    api.request("DELETE", f"/v1/schema/{name}")


def _partitions(api: RestClient, cls: dict[str, Any], tenant: str | None) -> list[str | None]:
    """The tenants to clear (``[None]`` for a class that is not multi-tenant); refuses
    unknown and inactive tenants before anything is sent."""
    name = cls["class"]
    if not collections.is_multi_tenant(cls):
        if tenant:
            raise ShellError(f"{name} is not multi-tenant, so it takes no tenant",
                             "leave out --tenant")
        return [None]
    status = {t.get("name", ""): tenants.documented_status(t.get("activityStatus"))
              for t in tenants.fetch_tenants(api, name)}
    if tenant is not None:
        if tenant not in status:
            raise ShellError(f"{name} has no tenant {tenant!r}", tenants.tenant_hint(api, name))
        if status[tenant] != "ACTIVE":
            raise ShellError(f"tenant {tenant} of {name} is {status[tenant]}: only active "
                             "tenants can be cleared",
                             "activate it first (clearing never changes a tenant's status)")
        return [tenant]
    inactive = sorted(f"{t} ({s})" for t, s in status.items() if s != "ACTIVE")
    if inactive:
        raise ShellError(
            f"cannot clear every tenant of {name}: {len(inactive)} not active: "
            + ", ".join(inactive[:10]) + (", ..." if len(inactive) > 10 else ""),
            "objects of inactive tenants cannot be deleted without activating them, which "
            "\\clear never does; clear active tenants one by one with --tenant T, or "
            "activate the others first")
    return sorted(status)


def clear_scope(api: RestClient, name: str, tenant: str | None = None) -> ClearScope:
    """What ``clear_collection`` would delete: objects per partition. Counts are exact
    (Aggregate) for a class that is not multi-tenant, one tenant, or at most
    ``EXACT_TENANTS`` tenants; beyond that they are approximate (``/v1/nodes``)."""
    cls = schema.get_class(api, name)
    name = cls["class"]
    parts = _partitions(api, cls, tenant)
    if len(parts) <= EXACT_TENANTS:
        counts = [(t, objects.aggregate_count(api, name, t)) for t in parts]
        exact = True
    else:
        approximate = cluster.shard_counts(cluster.fetch_nodes(api, name))
        counts, exact = [(t, approximate.get((name, t or ""))) for t in parts], False
    return ClearScope(name, collections.is_multi_tenant(cls), tuple(counts), exact)


def delete_round(api: RestClient, name: str, tenant: str | None) -> dict[str, Any]:
    """One ``DELETE /v1/batch/objects`` matching every object (of ``tenant``); its results."""
    body = {"match": {"class": name, "where": MATCH_ALL}, "output": "minimal"}
    params = {"tenant": tenant} if tenant else None
    return api.request("DELETE", "/v1/batch/objects", params=params,
                       json=body).json().get("results") or {}


def clear_collection(api: RestClient, name: str, tenant: str | None = None,
                     progress: Report | None = None) -> int:
    """Delete every object of ``name`` (of one tenant, or of every tenant) and return how
    many were deleted. The schema, its configuration, tenants and aliases stay as they are.

    Each partition is cleared by repeating the match-all batch delete until a call reports
    ``matches: 0``. ``progress(done, total)`` is called after every call: ``done`` counts
    the objects deleted so far, ``total`` is ``done`` plus what still matched in the
    partition being cleared. A call that deletes nothing while objects still match (a
    read-only shard) stops with an error naming the cause.
    """
    cls = schema.get_class(api, name)
    name = cls["class"]
    done = 0
    for part in _partitions(api, cls, tenant):
        while True:
            results = delete_round(api, name, part)
            matches, deleted = int(results.get("matches") or 0), int(
                results.get("successful") or 0)
            done += deleted
            if progress is not None:
                progress(done, done + max(0, matches - deleted))
            if matches == 0:
                break
            if deleted == 0:
                failures = results.get("objects") or [{}]
                reason = ((failures[0].get("errors") or {}).get("error") or [{}])[0]
                where = f"{name} (tenant {part})" if part else name
                raise ShellError(f"stopped clearing {where} after {done:,} objects: "
                                 f"{matches:,} could not be deleted: "
                                 f"{reason.get('message', 'no reason given')}")
    return done
