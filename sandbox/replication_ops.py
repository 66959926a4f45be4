"""The replica movement endpoints: ``/v1/replication/replicate`` (POST to register a COPY
or MOVE, DELETE for all), ``/replicate/list``, ``/replicate/{id}`` (GET, DELETE),
``/replicate/{id}/cancel`` and ``/replicate/force-delete``, as
adapters/handlers/rest/replication/handlers_replicate.go answers them, and the
``/__sandbox/replication`` knob. The state machine is ``sandbox.replication``.
"""

from __future__ import annotations

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
from sandbox.replication import (
    READY,
    REQUIRED,
    TYPES,
    Operation,
    OpRefused,
    Replication,
    register,
)

if TYPE_CHECKING:
    from sandbox.state import State


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


def replicate(app: State, request: Request) -> Response:
    """``POST /v1/replication/replicate``: register a COPY (default) or MOVE."""
    replication = app.replication.ready(app, request)
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


def details(app: State, request: Request) -> Response:
    """``GET /v1/replication/replicate/{id}[?includeHistory=true]``; unknown: 404, no body."""
    replication = app.replication.ready(app, request)
    with_history = _bool(request, "includeHistory")
    op = _op(replication, request)
    return empty(404) if op is None else json_response(op.to_json(with_history))


def list_ops(app: State, request: Request) -> Response:
    """``GET /v1/replication/replicate/list``: filtered by collection (and shard) or target."""
    replication = app.replication.ready(app, request)
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


def cancel(app: State, request: Request) -> Response:
    """``POST /v1/replication/replicate/{id}/cancel``: 204; 409 once uncancellable."""
    replication = app.replication.ready(app, request)
    with app.db.lock:
        op = _op(replication, request)
        if op is not None:
            if op.uncancelable:
                raise fail(409, "execute cancel replication: cancellation impossible")
            op.cancel, op.delete = True, False
    return empty(204)


def delete(app: State, request: Request) -> Response:
    """``DELETE /v1/replication/replicate/{id}``: 204; 409 while uncancellable and not READY."""
    replication = app.replication.ready(app, request)
    with app.db.lock:
        op = _op(replication, request)
        if op is not None:
            if op.uncancelable and op.state != READY:
                raise fail(409, "execute delete replication: deletion impossible")
            op.cancel = op.delete = True
    return empty(204)


def delete_all(app: State, request: Request) -> Response:
    """``DELETE /v1/replication/replicate``: schedule every deletable op for deletion."""
    replication = app.replication.ready(app, request)
    with app.db.lock:
        for op in replication.ops.values():
            if not (op.uncancelable and op.state != READY):
                op.cancel = op.delete = True
    return empty(204)


def _force_filter(replication: Replication, body: dict[str, Any]) -> list[Operation] | None:
    """The ops a force-delete body names, in the handler's order of precedence (all,
    collection [and shard], id, target node); None for a shard without a collection."""
    pick = {k: body.get(k) or "" for k in ("collection", "shard", "id", "node")}
    ops = list(replication.ops.values())
    if not any(pick.values()):
        return ops
    if pick["collection"]:
        return [op for op in ops if op.collection == pick["collection"]
                and pick["shard"] in ("", op.shard)]
    if pick["id"]:
        return [op for op in ops if op.id == pick["id"]]
    if pick["node"]:
        return [op for op in ops if op.target == pick["node"]]
    return None


def force_delete(app: State, request: Request) -> Response:
    """``POST /v1/replication/replicate/force-delete``: drop ops from the FSM at once, with
    no state checks (``dryRun``: only say which). Not served at all (go-openapi's 501) when
    replica movement is off: ``setupUnimplementedHandlers`` leaves it out."""
    if not app.replication.enabled:
        raise ApiError(framework_error(501, 501, "operation replication.ForceDeleteReplications "
                                                 "has not yet been implemented"))
    replication = app.replication.ready(app, request)
    body = request.json("body", required=False) or {}
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.ReplicationReplicateForceDeleteRequest")
    op_id = uuid_param(body.get("id"), "id in body", "ReplicationReplicateForceDeleteRequest.id")
    body = {**body, "id": op_id}
    dry_run = body.get("dryRun") is True
    with app.db.lock:
        found = _force_filter(replication, body)
        if found is None:
            raise fail(400, "shard id provided without collection id")
        ids = [op.id for op in found] or ([op_id] if op_id and not body.get("collection") else [])
        if dry_run:
            return json_response({"deleted": ids, "dryRun": True})
        for op in found:
            replication.ops.pop(op.id, None)
    if op_id and not body.get("collection") and not found:
        return json_response({"deleted": [op_id]})  # an unknown id counts as deleted
    return json_response({})


def knob(app: State, request: Request, body: dict[str, Any]) -> Response:
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
    ("POST", "/v1/replication/replicate/force-delete", force_delete),
]
