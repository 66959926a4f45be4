"""Sharding state and replication-factor scaling: ``/v1/replication/sharding-state`` and
``/v1/replication/scale`` (GET a plan, POST to apply it).

The plan follows cluster/replication/manager.go ``QueryReplicationScalePlan`` (each shard's
replicas cut to the factor, or topped up from the storage nodes in order, a source taken
from the replicas that stay); applying follows cluster/raft_replication_apply_endpoints.go
``ApplyReplicationScalePlan``: no ongoing op for the collection, replicas to remove go at
once, an added replica with no source is created empty, one with a source is a COPY (a MOVE
when that source is being removed); a failure forgets the ops the plan had started.
Neither changes the class's ``replicationConfig.factor``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sandbox.http import (
    ApiError,
    Request,
    Response,
    empty,
    fail,
    framework_error,
    go_kind,
    go_quote,
    json_response,
    parse_error,
    uuid_param,
)
from sandbox.replication import INVALID, TERMINAL, OpRefused, Replication, register
from sandbox.store import Collection

if TYPE_CHECKING:
    from sandbox.state import State

SCALE_SINCE = (1, 35, 0)


def sharding_state(app: State, request: Request) -> Response:
    """``GET /v1/replication/sharding-state?collection=[&shard=]``: replicas per shard.

    The collection name is used as given (no case fix, no alias); unknown: 404, no body.
    """
    app.replication.ready(app, request)
    collection, shard = request.query.get("collection"), request.query.get("shard")
    if collection is None:
        raise fail(400, "collection is required")
    with app.db.lock:
        col = app.db.collections.get(collection)
        if col is None or (shard is not None and shard not in col.placement):
            return empty(404)
        shards = [{"replicas": list(nodes), "shard": name}
                  for name, nodes in col.placement.items() if shard in (None, name)]
    return json_response({"shardingState": {"collection": collection, "shards": shards}})


def _plan(app: State, col: Collection, factor: int) -> dict[str, Any]:
    """``QueryReplicationScalePlan``: per shard the replicas to remove and to add (with a
    source node chosen among the replicas that stay)."""
    candidates = sorted(app.db.nodes)
    actions: dict[str, Any] = {}
    for shard, current in col.placement.items():
        wanted = list(dict.fromkeys(current))
        if factor < len(wanted):
            wanted = wanted[:factor]
        elif factor > len(wanted):
            if factor > len(candidates):
                raise fail(500, "failed to execute query: not enough storage replicas: found "
                                f"{len(candidates)} want {factor}")
            wanted += [n for n in candidates if n not in wanted][:factor - len(wanted)]
        removed = [n for n in current if n not in wanted]
        added = [n for n in wanted if n not in current]
        if not removed and not added:
            continue
        remaining = [n for n in current if n in wanted]
        if added and not remaining:
            raise fail(500, f"failed to execute query: cannot determine source node for shard "
                            f"{go_quote(shard)}: no remaining nodes")
        actions[shard] = {"addNodes": {n: remaining[i % len(remaining)]
                                       for i, n in enumerate(added)},
                          "removeNodes": removed}
    return actions


def scale_plan(app: State, request: Request) -> Response:
    """``GET /v1/replication/scale?collection=&replicationFactor=``: a plan, nothing changes."""
    app.replication.ready(app, request, SCALE_SINCE)
    for name in ("collection", "replicationFactor"):
        if name not in request.query:
            raise ApiError(framework_error(422, 602, f"{name} in query is required"))
    collection = request.query["collection"]
    factor = request.int_param("replicationFactor")
    if collection == "":
        raise fail(400, "collection name must be provided")
    if factor is None or factor <= 0:
        raise fail(400, "replication factor must be greater than zero")
    with app.db.lock:
        col = app.db.collections.get(collection)
        if col is None:
            raise fail(500, f"failed to execute query: class not found: {collection}")
        actions = _plan(app, col, factor)
    return json_response({"collection": collection, "planId": str(uuid.uuid4()),
                          "shardScaleActions": actions})


def _scale_body(request: Request) -> dict[str, Any]:
    body = request.json("body")
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.ReplicationScalePlan")
    for name in ("collection", "planId", "shardScaleActions"):
        if body.get(name) is None:
            raise ApiError(framework_error(422, 602, f"{name} in body is required"))
    uuid_param(body["planId"], "planId in body", "ReplicationScalePlan.planId")
    actions = body["shardScaleActions"]
    if not isinstance(actions, dict) or not all(isinstance(a, dict) for a in actions.values()):
        raise parse_error("json: cannot unmarshal into Go struct field "
                          "ReplicationScalePlan.shardScaleActions")
    return body


def _check_actions(actions: dict[str, Any]) -> None:
    for shard, action in actions.items():
        removing = set(action.get("removeNodes") or [])
        used: dict[str, int] = {}
        for node, source in (action.get("addNodes") or {}).items():
            if node == source:
                raise fail(500, f"node {go_quote(node)} in shard {go_quote(shard)} cannot be "
                                "added as replica from itself")
            if node in removing:
                raise fail(500, f"node {go_quote(node)} in shard {go_quote(shard)} cannot be "
                                "both removed and added")
            if source:
                used[source] = used.get(source, 0) + 1
                if used[source] > 1 and source in removing:
                    raise fail(500, f"invalid scale plan: source node {go_quote(source)} for "
                                    f"shard {go_quote(shard)} is marked for removal and used "
                                    "multiple times as source for additions")


def _apply_shard(app: State, replication: Replication, col: Collection, shard: str,
                 action: dict[str, Any], ids: list[str]) -> None:
    """Weaviate's order: drop the removed replicas, then add (empty, or by COPY/MOVE).

    A replica is dropped only while the shard keeps more than the class's factor
    (usecases/sharding/state.go ``DeleteReplicaFromShard``) [the RAFT apply's own wrapping
    of that error: unconfirmed].
    """
    replicas = col.placement.get(shard)
    removing = list(action.get("removeNodes") or [])
    factor = col.config["replicationConfig"]["factor"]
    for node in removing:
        prefix = f"delete replica {go_quote(node)} from shard {go_quote(shard)}: "
        if replicas is None:
            raise fail(500, f"{prefix}could not find shard {shard}")
        if len(replicas) <= factor:
            raise fail(500, f"{prefix}unable to delete replica from shard, minimum replication "
                            f"factor {factor}")
        if node in replicas:
            replicas.remove(node)
    if replicas is None:
        raise fail(500, f"replication add replica to shard for {go_quote(col.name)}: "
                        f"{INVALID}shard not found")
    for node, source in (action.get("addNodes") or {}).items():
        if not source:
            if node not in replicas:
                replicas.append(node)
            continue
        transfer = "MOVE" if source in removing else "COPY"
        try:
            ids.append(register(app, replication, col.name, shard, source, node, transfer))
        except OpRefused as exc:
            raise fail(500, f"replication add replica to shard for {go_quote(col.name)}: "
                            f"{exc}") from None


def apply_scale(app: State, request: Request) -> Response:
    """``POST /v1/replication/scale``: remove replicas now, start a COPY (or a MOVE, when the
    source is being removed) per added replica; the op ids come back."""
    replication = app.replication.ready(app, request, SCALE_SINCE)
    body = _scale_body(request)
    name, actions = body["collection"], body["shardScaleActions"]
    if name == "" or body["planId"] == "":
        raise fail(400, "a valid scale plan with plan ID and collection name must be provided")
    with app.db.lock:
        col = app.db.collections.get(name)
        if col is None:
            return empty(404)
        if any(op.collection == name and op.state not in TERMINAL
               for op in replication.ops.values()):
            raise fail(500, "cannot scale while there are ongoing replications for collection "
                            f"{go_quote(name)}")
        _check_actions(actions)
        ids: list[str] = []
        try:
            for shard, action in actions.items():
                _apply_shard(app, replication, col, shard, action, ids)
        except ApiError:
            for op_id in ids:  # the plan is all or nothing: forget the ops it started
                replication.ops.pop(op_id, None)
            raise
    return json_response({"collection": name, "operationIds": ids, "planId": body["planId"]})


ROUTES = [
    ("GET", "/v1/replication/sharding-state", sharding_state),
    ("GET", "/v1/replication/scale", scale_plan),
    ("POST", "/v1/replication/scale", apply_scale),
]
