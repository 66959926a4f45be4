"""Replica movement, sharding state and replication scaling: ``/v1/replication/*``.

Weaviate registers these handlers only with ``REPLICA_MOVEMENT_ENABLED=true``; otherwise
every one answers 501 without a body [adapters/handlers/rest/replication/handlers_setup.go
``setupUnimplementedHandlers``]. The paths exist from 1.32 on (``/replication/scale`` from
1.35, OPERATIONS.md §3.3); an older answering node knows no such path (404).

An operation walks Weaviate's states [cluster/replication/consumer.go
``dispatchReplicationOp``]: REGISTERED, HYDRATING, FINALIZING, INTEGRATING (from 1.38),
DEHYDRATING (MOVE only), READY. Leaving FINALIZING adds the target replica to the sharding
state and makes the op uncancellable; leaving DEHYDRATING removes the source replica.
A cancel or delete is honoured at the next state boundary: a cancellable op becomes
CANCELLED (or disappears when deleted). The sandbox spends ``step_ms`` in each state, so
a test sees the states go by; the clock is read lazily, whenever a request looks.

Validation and errors follow handlers_replicate.go, cluster/replication/validate.go,
shard_replication_apply.go and cluster/raft_replication_*_endpoints.go.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.classes import upper_first
from sandbox.http import (
    ApiError,
    Request,
    Response,
    empty,
    fail,
    framework_error,
    go_kind,
    json_response,
    parse_error,
    uuid_param,
)
from sandbox.nodes import UP, SettingError, version_tuple
from sandbox.store import Collection, Database, now_ms

if TYPE_CHECKING:
    from sandbox.app import App

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

    def catch_up(self, app: App) -> None:
        """``advance`` with the nodes that are up now, under the database lock."""
        with app.db.lock:
            self.advance(app.db, {n for n, s in app.cluster.nodes.items() if s.status in UP})

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


def ready(app: App, request: Request, since: tuple[int, ...] = MOVEMENT_SINCE) -> Replication:
    """The FSM, brought up to date; 404 where the path is too new, 501 when switched off."""
    if version_tuple(app.answering_version()) < since:
        raise ApiError(framework_error(404, 404, f"path {request.path} was not found"))
    replication = app.replication
    if not replication.enabled:
        raise ApiError(empty(501))
    replication.catch_up(app)
    return replication


def _bool(request: Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "1", "t"):
        return True
    if raw.lower() in ("false", "0", "f"):
        return False
    raise ApiError(framework_error(422, 601, f'{name} in query must be of type bool: "{raw}"'))


def _body(request: Request) -> dict[str, Any]:
    body = request.json("body")
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.ReplicationReplicateReplicaRequest")
    for name in (*REQUIRED, "type"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise parse_error(f"json: cannot unmarshal {go_kind(value)} into Go struct field "
                              f"ReplicationReplicateReplicaRequest.{name} of type string")
    for name in REQUIRED:
        if body.get(name) is None:
            raise ApiError(framework_error(422, 602, f"{name} in body is required"))
    if body.get("type") is not None and body["type"] not in TYPES:
        raise ApiError(framework_error(422, 606, "type in body should be one of [COPY MOVE]"))
    return body


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


def register(app: App, replication: Replication, name: str, shard: str, source: str,
             target: str, transfer: str) -> str:
    """Validate and register one op (``db.lock`` held); its id, or ``OpRefused``."""
    col = app.db.collections.get(name)
    _validate(col, name, shard, source, target)
    now = now_ms()
    op = Operation(id=str(uuid.uuid4()), collection=name, shard=shard, source=source,
                   target=target, type=transfer, started=now, since=now, clock=now,
                   states=_states(app.answering_version(), transfer))
    conflict = _conflict(replication, op)
    if conflict:
        raise OpRefused(f"{conflict}: replica is already being replicated", 500)
    replication.ops[op.id] = op
    return op.id


def replicate(app: App, request: Request) -> Response:
    """``POST /v1/replication/replicate``: register a COPY (default) or MOVE."""
    replication = ready(app, request)
    body = _body(request)
    with app.db.lock:
        try:
            op_id = register(app, replication, upper_first(body["collection"]), body["shard"],
                             body["sourceNode"], body["targetNode"], body.get("type") or "COPY")
        except OpRefused as exc:
            raise fail(exc.status, str(exc)) from None
    return json_response({"id": op_id})


def _op(replication: Replication, request: Request) -> Operation | None:
    op_id = uuid_param(request.params["id"], "id in path")
    return replication.ops.get(op_id or "")


def details(app: App, request: Request) -> Response:
    """``GET /v1/replication/replicate/{id}[?includeHistory=true]``; unknown: 404, no body."""
    replication = ready(app, request)
    with_history = _bool(request, "includeHistory")
    op = _op(replication, request)
    return empty(404) if op is None else json_response(op.to_json(with_history))


def list_ops(app: App, request: Request) -> Response:
    """``GET /v1/replication/replicate/list``: filtered by collection (and shard) or target."""
    replication = ready(app, request)
    with_history = _bool(request, "includeHistory")
    query = request.query
    collection, shard, target = (query.get(k) for k in ("collection", "shard", "targetNode"))
    ops = list(replication.ops.values())
    if collection is not None:
        ops = [op for op in ops if op.collection == collection
               and (shard is None or op.shard == shard)]
    elif target is not None:
        ops = [op for op in ops if op.target == target]
    elif shard is not None:
        raise fail(400, "shard id provided without collection id")
    return json_response([op.to_json(with_history) for op in ops])


def cancel(app: App, request: Request) -> Response:
    """``POST /v1/replication/replicate/{id}/cancel``: 204; 409 once uncancellable."""
    replication = ready(app, request)
    with app.db.lock:
        op = _op(replication, request)
        if op is not None:
            if op.uncancelable:
                raise fail(409, "execute cancel replication: cancellation impossible")
            op.cancel, op.delete = True, False
    return empty(204)


def delete(app: App, request: Request) -> Response:
    """``DELETE /v1/replication/replicate/{id}``: 204; 409 while uncancellable and not READY."""
    replication = ready(app, request)
    with app.db.lock:
        op = _op(replication, request)
        if op is not None:
            if op.uncancelable and op.state != READY:
                raise fail(409, "execute delete replication: deletion impossible")
            op.cancel = op.delete = True
    return empty(204)


def delete_all(app: App, request: Request) -> Response:
    """``DELETE /v1/replication/replicate``: schedule every deletable op for deletion."""
    replication = ready(app, request)
    with app.db.lock:
        for op in replication.ops.values():
            if not (op.uncancelable and op.state != READY):
                op.cancel = op.delete = True
    return empty(204)


def knob(app: App, request: Request, body: dict[str, Any]) -> Response:
    """``GET``/``PUT /__sandbox/replication`` ``{"enabled": bool, "step_ms": number}``."""
    if request.method == "PUT":
        app.replication.configure(body)
    return json_response(app.replication.to_json())


ROUTES = [
    ("POST", "/v1/replication/replicate", replicate),
    ("DELETE", "/v1/replication/replicate", delete_all),
    ("GET", "/v1/replication/replicate/list", list_ops),
    ("GET", "/v1/replication/replicate/{id}", details),
    ("DELETE", "/v1/replication/replicate/{id}", delete),
    ("POST", "/v1/replication/replicate/{id}/cancel", cancel),
]
