"""Replica movement, sharding state and replication scaling: ``/v1/replication/*``.

Weaviate registers these handlers only with ``REPLICA_MOVEMENT_ENABLED=true``; otherwise
every one answers 501 without a body [adapters/handlers/rest/replication/handlers_setup.go
``setupUnimplementedHandlers``]. The API emulated is that of 1.32 on (``/replication/scale``
from 1.35); an older answering node gets 404 for these paths. [Not emulated: v1.31 served a
preview of the same paths with other field names, openapi-specs/schema.json at v1.31.0.]

An operation walks Weaviate's states [cluster/replication/consumer.go
``dispatchReplicationOp``]: REGISTERED, HYDRATING, FINALIZING, INTEGRATING (from 1.38),
DEHYDRATING (MOVE only), READY. Leaving FINALIZING adds the target replica to the sharding
state and makes the op uncancellable; leaving DEHYDRATING removes the source replica.
A cancel or delete is honoured at the next state boundary: a cancellable op becomes
CANCELLED (or disappears when deleted). The sandbox spends ``step_ms`` in each state, so
a test sees the states go by; the clock is read lazily, whenever a request looks.

Validation and errors follow cluster/replication/validate.go, shard_replication_apply.go
and cluster/raft_replication_*_endpoints.go; the handlers are in ``sandbox.replication_ops``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.http import (
    ApiError,
    Request,
    empty,
    framework_error,
)
from sandbox.nodes import UP, SettingError, version_tuple
from sandbox.store import Collection, Database, now_ms

if TYPE_CHECKING:
    from sandbox.core import Core

REGISTERED, HYDRATING, FINALIZING, INTEGRATING, DEHYDRATING, READY, CANCELLED = (
    "REGISTERED", "HYDRATING", "FINALIZING", "INTEGRATING", "DEHYDRATING", "READY", "CANCELLED")
TERMINAL = (READY, CANCELLED)
TYPES = ("COPY", "MOVE")
MOVEMENT_SINCE = (1, 32, 0)
INTEGRATING_SINCE = (1, 38, 0)
DEFAULT_STEP_MS = 150.0
INVALID = "invalid request: "
REQUIRED = ("collection", "shard", "sourceNode", "targetNode")  # the model's field order


@dataclass
class Operation:
    """One replica copy or move as the replication FSM keeps it."""

    id: str
    collection: str
    shard: str
    source: str
    target: str
    type: str
    started: int
    states: list[str]
    state: str = REGISTERED
    since: int = 0
    clock: int = 0  # when the current state's time began to run (later if it was stalled)
    history: list[dict[str, Any]] = field(default_factory=list)
    uncancelable: bool = False
    cancel: bool = False
    delete: bool = False

    def to_json(self, with_history: bool) -> dict[str, Any]:
        """``ReplicationReplicateDetailsReplicaResponse``; ``statusHistory`` only when asked."""
        out: dict[str, Any] = {
            "collection": self.collection, "id": self.id, "scheduledForCancel": self.cancel,
            "scheduledForDelete": self.delete, "shard": self.shard, "sourceNode": self.source,
            "status": {"errors": [], "state": self.state, "whenStartedUnixMs": self.since},
            "targetNode": self.target, "type": self.type, "uncancelable": self.uncancelable,
            "whenStartedUnixMs": self.started}
        if with_history:
            out["statusHistory"] = [dict(h) for h in self.history]
        return out


@dataclass
class Replication:
    """The replication FSM of one sandbox: its operations, the switch and the pace."""

    enabled: bool = True
    step_ms: float = DEFAULT_STEP_MS
    ops: dict[str, Operation] = field(default_factory=dict)

    def configure(self, body: dict[str, Any]) -> None:
        """Apply a ``PUT /__sandbox/replication`` body (``SettingError`` for a bad value)."""
        unknown = sorted(set(body) - {"enabled", "step_ms"})
        if unknown:
            raise SettingError(f"unknown replication setting {unknown[0]!r}; known: enabled, "
                             "step_ms")
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise SettingError("enabled must be true or false")
            self.enabled = body["enabled"]
        if "step_ms" in body:
            step = body["step_ms"]
            if isinstance(step, bool) or not isinstance(step, int | float) or step < 0:
                raise SettingError("step_ms must be a number >= 0")
            self.step_ms = float(step)

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "step_ms": self.step_ms, "operations": len(self.ops)}

    def advance(self, db: Database, up: set[str]) -> None:
        """Move every operation on by the time that passed (call with ``db.lock`` held).

        An op runs on its target node's replication engine, so one whose target is not up
        (or is no node at all: registration does not check it) waits where it is
        [cluster/replication/consumer.go: each node consumes the ops it is the target of].
        """
        now = now_ms()
        for op in list(self.ops.values()):
            if op.target not in up and not (op.cancel or op.delete):
                op.clock = max(op.clock, now - int(self.step_ms))  # stalled, no catching up
                continue
            while now - op.clock >= self.step_ms:
                if not self._step(db, op, op.clock + int(self.step_ms)):
                    break

    def ready(self, core: Core, request: Request,
              since: tuple[int, ...] = MOVEMENT_SINCE) -> Replication:
        """The FSM, brought up to date; 404 where the path is too new, 501 when switched off."""
        if version_tuple(core.answering_version()) < since:
            raise ApiError(framework_error(404, 404, f"path {request.path} was not found"))
        if not self.enabled:
            raise ApiError(empty(501))
        self.catch_up(core)
        return self

    def catch_up(self, core: Core) -> None:
        """``advance`` with the nodes that are up now, under the database lock."""
        with core.db.lock:
            self.advance(core.db, {n for n, s in core.cluster.nodes.items() if s.status in UP})

    def _step(self, db: Database, op: Operation, when: int) -> bool:
        """One state boundary of ``op`` at ``when``; False when it has nothing left to do."""
        if op.delete and (op.state in TERMINAL or not op.uncancelable):
            self.ops.pop(op.id, None)
            return False
        if op.cancel and not op.uncancelable and op.state != CANCELLED:
            op.cancel = False
            _enter(op, CANCELLED, when)
            return True
        if op.state in TERMINAL:
            return False
        col = db.collections.get(op.collection)
        replicas = col.placement.get(op.shard) if col is not None else None
        if replicas is None:  # the class or shard went away underneath the op
            _enter(op, CANCELLED, when)
            return True
        if op.state == FINALIZING and op.target not in replicas:
            replicas.append(op.target)
            op.uncancelable = True
        elif op.state == DEHYDRATING and op.source in replicas:
            replicas.remove(op.source)
        _enter(op, op.states[op.states.index(op.state) + 1], when)
        return True


def _enter(op: Operation, state: str, when: int) -> None:
    op.history.append({"errors": [], "state": op.state, "whenStartedUnixMs": op.since})
    op.state, op.since, op.clock = state, when, when


def _states(version: str, transfer: str) -> list[str]:
    states = [REGISTERED, HYDRATING, FINALIZING]
    if version_tuple(version) >= INTEGRATING_SINCE:
        states.append(INTEGRATING)
    if transfer == "MOVE":
        states.append(DEHYDRATING)
    return [*states, READY]


class OpRefused(Exception):
    """An op the replication manager refuses: ``str()`` is its error, ``status`` the answer
    of ``POST /v1/replication/replicate`` (422 for ``ErrInvalidRequest``, else 500)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _validate(col: Collection | None, name: str, shard: str, source: str, target: str) -> None:
    """``ValidateReplicationReplicateShard``, wrapped as ``ErrInvalidRequest`` (422)."""
    if source == target:
        raise OpRefused(f"{INVALID}source and target node are the same: bad request")
    if col is None:
        raise OpRefused(f"{INVALID}collection {name} does not exists: class not found")
    replicas = col.placement.get(shard)
    if replicas is None:
        raise OpRefused(f"{INVALID}shard not found")
    if source not in replicas:
        raise OpRefused(f"{INVALID}could not find shard {shard} for collection {name} on "
                        f"source node {source}: node not found")
    if target in replicas:
        raise OpRefused(f"{INVALID}shard {shard} already exist for collection {name} on "
                        f"target node {target}: already exists")


def _conflict(replication: Replication, new: Operation) -> str | None:
    """The FSM's admission check (shard_replication_apply.go ``validateReplicationAdmission``)."""
    live = [op for op in replication.ops.values()
            if op.collection == new.collection and op.shard == new.shard]
    for scope, mine in (("target", new.target), ("source", new.source)):
        for op in live:
            if (op.target if scope == "target" else op.source) != mine:
                continue
            if op.state == CANCELLED or (op.state == READY and op.type == "COPY"):
                continue
            if op.type == "MOVE":
                return f"existing op {new.id} shares a {scope} replica and is a MOVE"
            if new.type == "MOVE":
                return f"existing op {new.id} shares a {scope} replica (COPY), but new op is a MOVE"
    for op in live:
        if op.target == new.source and op.state not in TERMINAL:
            return (f"op {new.id} sources replica {new.collection}/{new.shard}@{new.source}, "
                    f"the in-flight target of op {op.id}")
    return None


def register(core: Core, replication: Replication, name: str, shard: str, source: str,
             target: str, transfer: str) -> str:
    """Validate and register one op (``db.lock`` held); its id, or ``OpRefused``."""
    col = core.db.collections.get(name)
    _validate(col, name, shard, source, target)
    now = now_ms()
    op = Operation(id=str(uuid.uuid4()), collection=name, shard=shard, source=source,
                   target=target, type=transfer, started=now, since=now, clock=now,
                   states=_states(core.answering_version(), transfer))
    conflict = _conflict(replication, op)
    if conflict:
        raise OpRefused(f"{conflict}: replica is already being replicated", 500)
    replication.ops[op.id] = op
    return op.id
