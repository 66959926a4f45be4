"""The sandbox's in-memory database: collections, their objects, tenants, shards and aliases.

Objects of a collection (or of one tenant) live in a ``SortedDict`` keyed by the
lowercase canonical id, which is Weaviate's UUID byte order: the ``after`` cursor
is a range scan. Vectors are float32 numpy arrays, as Weaviate stores them.
Handlers take ``Database.lock`` around every read-modify-write.
"""

from __future__ import annotations

import random
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from sortedcontainers import SortedDict

from sandbox.classes import SchemaError, upper_first

ACTIVE, INACTIVE, OFFLOADED = "HOT", "COLD", "FROZEN"
STATUS_ALIASES = {"ACTIVE": ACTIVE, "INACTIVE": INACTIVE, "OFFLOADED": OFFLOADED}


def now_ms() -> int:
    """Milliseconds since the epoch, Weaviate's timestamp unit."""
    return time.time_ns() // 1_000_000


class TenantError(ValueError):
    """A multi-tenancy refusal, with Weaviate's message."""


READ_ONLY = "store is read-only due to: manually set by user"
READ_ONLY_PRESSURE = "store is read-only due to: resource pressure"  # shard_status.go
WRONG_DIMS = ("new node has a vector with length {}. Existing nodes have vectors with length {}: "
              "vector dimensions do not match the index dimensions")


class ShardRefusal(Exception):
    """A write the shard refuses: its store is read-only, or a vector's length differs from
    the one its index holds. ``str()`` is the shard's error, ``shard`` names the shard;
    callers add the wrapping of their code path."""

    def __init__(self, shard: str, message: str) -> None:
        super().__init__(message)
        self.shard = shard


@dataclass(slots=True)
class StoredObject:
    """One object as the store keeps it."""

    id: str
    properties: dict[str, Any]
    vector: np.ndarray | None = None
    vectors: dict[str, np.ndarray] | None = None
    created: int = 0
    updated: int = 0

    def to_json(self, cls: str, tenant: str | None, include_vector: bool) -> dict[str, Any]:
        """The object as ``GET /v1/objects`` returns it."""
        out: dict[str, Any] = {"class": cls, "id": self.id, "properties": self.properties,
                               "creationTimeUnix": self.created,
                               "lastUpdateTimeUnix": self.updated}
        if tenant is not None:
            out["tenant"] = tenant
        if include_vector:
            if self.vector is not None:
                out["vector"] = self.vector
            if self.vectors:
                out["vectors"] = self.vectors
        return out


@dataclass
class Collection:
    """A class definition plus its data, split into one partition per tenant (or one)."""

    config: dict[str, Any]
    nodes: list[str]
    shards: list[str] = field(default_factory=list)
    placement: dict[str, list[str]] = field(default_factory=dict)
    tenants: dict[str, str] = field(default_factory=dict)
    partitions: dict[str | None, SortedDict] = field(default_factory=dict)
    shard_status: dict[str, str] = field(default_factory=dict)
    shard_counts: dict[str, int] = field(default_factory=dict)
    # vector length per (shard, vector name; "" for the legacy vector), set by the first
    # vector stored and, as in HNSW, kept when the shard is emptied again
    dims: dict[tuple[str, str], int] = field(default_factory=dict)
    # shard -> nodes whose replica the resource scanner made READONLY (disk pressure)
    pressure: dict[str, set[str]] = field(default_factory=dict)
    # tenant -> (FREEZING|UNFREEZING, since when in ms): an offload in progress
    transitions: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config["class"]

    @property
    def multi_tenant(self) -> bool:
        return bool(self.config["multiTenancyConfig"]["enabled"])

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.config["properties"]}

    def check_tenant(self, tenant: str | None, creating: bool = False) -> str | None:
        """Weaviate's multi-tenancy error for this tenant argument, or None; changes nothing.

        A missing tenant passes when ``creating`` objects in a class with
        ``autoTenantCreation``, an inactive one when the class has ``autoTenantActivation``.
        """
        mt = self.config["multiTenancyConfig"]
        if not self.multi_tenant:
            if tenant:
                return f"class {self.name} has multi-tenancy disabled, but request was with tenant"
            return None
        if not tenant:
            return f"class {self.name} has multi-tenancy enabled, but request was without tenant"
        status = self.tenants.get(tenant)
        if status is None and not (creating and mt["autoTenantCreation"]):
            return f'tenant not found: "{tenant}"'
        if tenant in self.transitions:
            # not HOT while an offload runs (multitenancy/validator.go); [INFERRED] no
            # auto-activation can interrupt it
            return f"tenant not active: '{tenant}'"
        if status not in (None, ACTIVE) and not mt["autoTenantActivation"]:
            return f"tenant not active: '{tenant}'"
        return None

    def require_tenant(self, tenant: str | None, creating: bool = False) -> None:
        """Raise ``TenantError`` unless the tenant may be used, then create or activate it
        as the class's auto-tenant settings allow (a no-op for a HOT tenant)."""
        problem = self.check_tenant(tenant, creating)
        if problem:
            raise TenantError(problem)
        if tenant and self.multi_tenant and self.tenants.get(tenant) != ACTIVE:
            if tenant in self.tenants:
                self.tenants[tenant] = ACTIVE
            else:
                self.add_tenant(tenant, ACTIVE)

    def reported_status(self, tenant: str) -> str:
        """A tenant's status as ``GET .../tenants`` reports it: an offload in progress
        (FREEZING/UNFREEZING) over the stored one."""
        transition = self.transitions.get(tenant)
        return transition[0] if transition else self.tenants[tenant]

    def shard_names(self, loaded_only: bool = False) -> list[str]:
        """Physical shards: generated names, or one per tenant; with ``loaded_only`` only the
        shards that exist on their nodes (an inactive tenant's shard is shut down)."""
        if not self.multi_tenant:
            return list(self.shards)
        return [t for t, status in self.tenants.items() if status == ACTIVE or not loaded_only]

    def partition(self, tenant: str | None) -> SortedDict:
        """The objects of one tenant, or of the whole collection when it is not multi-tenant."""
        key = tenant if self.multi_tenant else None
        part = self.partitions.get(key)
        if part is None:
            part = self.partitions[key] = SortedDict()
        return part

    def shard_of(self, object_id: str, tenant: str | None) -> str:
        """The physical shard an object lives on (hash of the id; tenants are shards)."""
        if self.multi_tenant:
            return tenant or ""
        return self.shards[int(object_id[:8], 16) % len(self.shards)]

    def _writable(self, shard: str) -> None:
        if self.shard_status.get(shard, "READY") == "READONLY":
            raise ShardRefusal(shard, READ_ONLY)
        blocked = self.pressure.get(shard)
        if blocked:
            # A write needs a QUORUM of replicas (the default level); with one replica
            # that is the shard's own error [UNCONFIRMED: the coordinator's wrapping at RF>1].
            replicas = self.placement.get(shard, [])
            if len(replicas) - len(blocked) < len(replicas) // 2 + 1:
                raise ShardRefusal(shard, READ_ONLY_PRESSURE)

    def replica_status(self, shard: str, node: str) -> str:
        """The stored status of one replica: the shard's, or READONLY under disk pressure."""
        if node in self.pressure.get(shard, ()):
            return "READONLY"
        return self.shard_status.get(shard, "READY")

    def mark_pressure(self, node: str) -> None:
        """The resource scanner made every loaded shard replica on ``node`` READONLY. Shards
        created or activated later stay writable: a node already flagged only checks for
        recovery [INFERRED, OPERATIONS.md §1.3]."""
        for shard in self.shard_names(loaded_only=True):
            if node in self.placement.get(shard, ()):
                self.pressure.setdefault(shard, set()).add(node)

    def clear_pressure(self, node: str) -> None:
        """Auto-recovery: the replicas made READONLY for pressure on ``node`` are READY again."""
        for nodes in self.pressure.values():
            nodes.discard(node)

    def put(self, tenant: str | None, obj: StoredObject, merging: bool = False) -> str:
        """Insert or replace one object as its shard does and return the shard's name:
        ``ShardRefusal`` when the shard is read-only or a vector's length differs from its
        index's (the wording of a merge with ``merging``; flat indexes word it differently
        in Weaviate, this is HNSW's)."""
        shard = self.shard_of(obj.id, tenant)
        self._writable(shard)
        given = [*(obj.vectors or {}).items(), *([("", obj.vector)] if obj.vector is not None
                                                 else [])]
        for name, vector in given:
            dims = self.dims.get((shard, name), len(vector))
            if dims != len(vector):
                raise ShardRefusal(shard, f"{_index_check(obj.id, name, merging)}: "
                                          f"{WRONG_DIMS.format(len(vector), dims)}")
        for name, vector in given:
            self.dims[(shard, name)] = len(vector)
        part = self.partition(tenant)
        if obj.id not in part:
            self.shard_counts[shard] = self.shard_counts.get(shard, 0) + 1
        part[obj.id] = obj
        return shard

    def remove(self, tenant: str | None, object_id: str) -> bool:
        """Delete one object; False when it was not there; ``ShardRefusal`` when read-only."""
        shard = self.shard_of(object_id, tenant)
        self._writable(shard)
        if self.partition(tenant).pop(object_id, None) is None:
            return False
        self.shard_counts[shard] -= 1
        return True

    def count(self, tenant: str | None = None) -> int:
        """Objects in one tenant, or in every partition when ``tenant`` is None."""
        if tenant is not None or not self.multi_tenant:
            return len(self.partition(tenant))
        return sum(len(p) for p in self.partitions.values())

    def add_tenant(self, name: str, status: str) -> None:
        """Create a tenant: its own shard, placed on ``factor`` nodes."""
        self.tenants[name] = status
        self.shard_status.setdefault(name, "READY")
        self.placement.setdefault(name, self.nodes_for(hash_name(name)))

    def drop_tenant(self, name: str) -> None:
        """Delete a tenant and every object it holds."""
        self.tenants.pop(name, None)
        self.partitions.pop(name, None)
        self.placement.pop(name, None)
        self.shard_status.pop(name, None)
        self.shard_counts.pop(name, None)
        self.pressure.pop(name, None)
        self.transitions.pop(name, None)
        self.dims = {key: n for key, n in self.dims.items() if key[0] != name}

    def follow_factor(self) -> None:
        """After a lowered replication factor, each shard keeps its first ``factor`` replicas
        [inferred: the placement must agree with the factor]; a raise is only accepted when
        every shard already has that many (``class_update``), so it changes nothing."""
        factor = self.config["replicationConfig"]["factor"]
        self.placement = {shard: nodes[:factor] for shard, nodes in self.placement.items()}

    def nodes_for(self, start: int) -> list[str]:
        """``factor`` consecutive nodes starting at ``start``: where one shard's replicas live."""
        factor = self.config["replicationConfig"]["factor"]
        return [self.nodes[(start + k) % len(self.nodes)] for k in range(factor)]


def _index_check(object_id: str, name: str, merging: bool) -> str:
    """How a shard names its vector index check (shard_write_put.go, shard_write_merge.go)."""
    if merging:
        return f"validate vector index for update of {object_id}" + (
            f" for target vector {name}" if name else "")
    if name:
        return f"Validate vector index {name} for target vector {object_id}"
    return f"Validate vector index for {object_id}"


def hash_name(name: str) -> int:
    """A stable small hash (Python's ``hash`` of str changes between processes)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(name))


class FoldedNames:
    """Names by their lower-case form, each form's names in the order they were added: the
    first one is what a scan of the names in insertion order finds first."""

    def __init__(self) -> None:
        self._names: dict[str, list[str]] = {}

    def add(self, name: str) -> None:
        self._names.setdefault(name.lower(), []).append(name)

    def discard(self, name: str) -> None:
        names = self._names.get(name.lower(), [])
        if name in names:
            names.remove(name)
            if not names:
                del self._names[name.lower()]

    def first(self, name: str) -> str | None:
        """The earliest name equal to ``name`` but for case (``name`` itself included)."""
        names = self._names.get(name.lower())
        return names[0] if names else None


class Database:
    """Every collection and alias of one emulated cluster."""

    def __init__(self, node_count: int = 1, auto_schema: bool = True) -> None:
        self.lock = threading.RLock()
        self.auto_schema = auto_schema  # AUTOSCHEMA_ENABLED
        self.nodes = [f"node{i + 1}" for i in range(node_count)]
        self._collections: dict[str, Collection] = {}
        self._aliases: dict[str, str] = {}
        # the names by their lower-case form: check_new_name without a scan per create
        self._folded_classes = FoldedNames()
        self._folded_aliases = FoldedNames()
        self._rng = random.Random(0)  # shard names: random in Weaviate, repeatable here

    @property
    def collections(self) -> Mapping[str, Collection]:
        """Every collection by name (read only: ``add`` and ``drop`` change it)."""
        return MappingProxyType(self._collections)

    @property
    def aliases(self) -> Mapping[str, str]:
        """Alias -> class (read only: ``set_alias`` and ``drop_alias`` change it)."""
        return MappingProxyType(self._aliases)

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the lock (``sandbox.seed.demo_database`` copies a built database)."""
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, lock=threading.RLock())

    def resolve(self, name: str) -> str:
        """Case-fix a collection name and follow an alias."""
        fixed = upper_first(name)
        return self._aliases.get(fixed, fixed)

    def get(self, name: str) -> Collection | None:
        """The collection (or alias target) called ``name``, or None."""
        return self._collections.get(self.resolve(name))

    def check_new_name(self, name: str) -> None:
        """Weaviate's duplicate and case-collision checks for a new class name (``SchemaError``)."""
        if name in self._collections:
            raise SchemaError(f"class name {name} already exists")
        similar = self._folded_classes.first(name)
        if similar is not None:
            raise SchemaError(f'class already exists: found similar class "{similar}"')
        alias = self._folded_aliases.first(name)
        if alias == name:
            raise SchemaError(f"alias name {name} already exists")
        if alias is not None:
            raise SchemaError(f'class already exists: found similar alias "{alias}"')

    def similar_alias(self, name: str) -> str | None:
        """The first alias (in creation order) equal to ``name`` but for case, or None."""
        return self._folded_aliases.first(name)

    def set_alias(self, alias: str, target: str) -> None:
        """Create ``alias`` or point it at another class."""
        if alias not in self._aliases:
            self._folded_aliases.add(alias)
        self._aliases[alias] = target

    def drop_alias(self, alias: str) -> bool:
        """Delete ``alias``; False when there was none."""
        if self._aliases.pop(alias, None) is None:
            return False
        self._folded_aliases.discard(alias)
        return True

    def add(self, config: dict[str, Any]) -> Collection:
        """Store a validated, defaulted class and lay out its shards on the nodes."""
        self.check_new_name(config["class"])
        col = Collection(config=config, nodes=self.nodes)
        if not config["multiTenancyConfig"]["enabled"]:
            start = hash_name(config["class"])
            for i in range(config["shardingConfig"]["desiredCount"]):
                shard = "".join(self._rng.choices(string.ascii_letters + string.digits, k=12))
                col.shards.append(shard)
                col.placement[shard] = col.nodes_for(start + i)
                col.shard_status[shard] = "READY"
        self._collections[config["class"]] = col
        self._folded_classes.add(config["class"])
        return col

    def drop(self, name: str) -> None:
        """Delete a collection by its exact name (aliases are not followed, as in Weaviate)."""
        fixed = upper_first(name)
        if self._collections.pop(fixed, None) is not None:
            self._folded_classes.discard(fixed)
            # [unconfirmed] aliases of a deleted class are dropped with it, not left dangling.
            for alias in [a for a, c in self._aliases.items() if c == fixed]:
                self.drop_alias(alias)
