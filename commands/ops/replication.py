"""Replica movement, sharding state and replication scaling: ``/v1/replication/*``.

Weaviate serves these only with ``REPLICA_MOVEMENT_ENABLED=true``; without it every one
answers 501 with no body [adapters/handlers/rest/replication/handlers_setup.go], which this
module turns into one sentence naming the flag. The bodies spoken here (``sourceNode``,
``targetNode``, ``collection``, ``shard``, ``type``) are those of 1.32 on: v1.31.0 served a
preview of the same paths with other field names (``sourceNodeName``, ``collectionId``, ...,
openapi-specs/schema.json at v1.31.0). The scale plan arrived in v1.35.0
(operations/replication/get_replication_scale_plan.go). The commands check the version first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError
from commands.ops.objects import canonical_uuid

MOVEMENT_FLOOR = (1, 32)
SCALE_FLOOR = (1, 35)
TERMINAL = ("READY", "CANCELLED")
DISABLED = "the server has REPLICA_MOVEMENT_ENABLED off, so it answers /v1/replication/* with 501"
DISABLED_HINT = "set REPLICA_MOVEMENT_ENABLED=true on every node and restart them"


@dataclass(frozen=True, slots=True)
class Operation:
    """One replica copy or move as ``/v1/replication/replicate/{id}`` describes it."""

    id: str
    collection: str
    shard: str
    source: str
    target: str
    type: str
    state: str
    since_ms: int | None
    started_ms: int | None
    errors: tuple[str, ...]
    history: tuple[tuple[str, int | None], ...]
    uncancelable: bool
    scheduled_for_cancel: bool
    scheduled_for_delete: bool

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL


def _call(api: RestClient, method: str, path: str, *, ok: tuple[int, ...] = (),
          **kwargs: Any) -> Any:
    """One request; 501 becomes the REPLICA_MOVEMENT_ENABLED sentence."""
    try:
        return api.request(method, path, ok=ok, **kwargs)
    except ApiError as exc:
        if exc.status == 501:
            raise ShellError(DISABLED, DISABLED_HINT) from None
        raise


def operation(data: dict[str, Any]) -> Operation:
    """An ``Operation`` from its JSON (``statusHistory`` only when it was asked for)."""
    status = data.get("status") or {}
    return Operation(
        id=data.get("id", ""), collection=data.get("collection", ""),
        shard=data.get("shard", ""), source=data.get("sourceNode", ""),
        target=data.get("targetNode", ""), type=data.get("type", ""),
        state=status.get("state", ""), since_ms=status.get("whenStartedUnixMs"),
        started_ms=data.get("whenStartedUnixMs"),
        errors=tuple(e.get("message", "") for e in status.get("errors") or []),
        history=tuple((h.get("state", ""), h.get("whenStartedUnixMs"))
                      for h in data.get("statusHistory") or []),
        uncancelable=bool(data.get("uncancelable")),
        scheduled_for_cancel=bool(data.get("scheduledForCancel")),
        scheduled_for_delete=bool(data.get("scheduledForDelete")))


def start(api: RestClient, collection: str, shard: str, source: str, target: str,
          move: bool) -> str:
    """``POST /v1/replication/replicate``: register a COPY or MOVE; its id."""
    body = {"collection": collection, "shard": shard, "sourceNode": source,
            "targetNode": target, "type": "MOVE" if move else "COPY"}
    return _call(api, "POST", "/v1/replication/replicate", json=body).json()["id"]


def list_operations(api: RestClient, collection: str | None = None,
                    shard: str | None = None, history: bool = False) -> list[Operation]:
    """``GET /v1/replication/replicate/list``, oldest first (a shard filter needs the
    collection on the server, so without one it is applied here)."""
    params: dict[str, Any] = {"includeHistory": "true" if history else None}
    if collection:
        params.update(collection=collection, shard=shard)
    clean = {k: v for k, v in params.items() if v is not None}
    found = [operation(d) for d in
             _call(api, "GET", "/v1/replication/replicate/list", params=clean).json() or []]
    if shard and not collection:
        found = [op for op in found if op.shard == shard]
    return sorted(found, key=lambda op: (op.started_ms or 0, op.id))


def get_operation(api: RestClient, op_id: str, history: bool = True) -> Operation:
    """``GET /v1/replication/replicate/{id}``; an unknown id is a ``ShellError``, one that is
    not a UUID a ``UsageError`` (Weaviate would answer 422)."""
    canonical_uuid(op_id, "ID")
    response = _call(api, "GET", f"/v1/replication/replicate/{op_id}", ok=(404,),
                     params={"includeHistory": "true"} if history else None)
    if response.status_code == 404:
        raise ShellError(f"no replication operation {op_id}",
                         r"\replications lists the operations the cluster knows")
    return operation(response.json())


def cancel(api: RestClient, op_id: str) -> None:
    """``POST /v1/replication/replicate/{id}/cancel`` (409: past the point of no return)."""
    try:
        _call(api, "POST", f"/v1/replication/replicate/{op_id}/cancel", idempotent=True)
    except ApiError as exc:
        if exc.status != 409:
            raise
        raise ShellError(f"operation {op_id} can no longer be cancelled: {exc.message}",
                         "its new replica is already in the sharding state; once it is READY, "
                         "\\replicate rm removes the record") from None


def delete(api: RestClient, op_id: str) -> None:
    """``DELETE /v1/replication/replicate/{id}``: cancel if active, then forget the record."""
    try:
        _call(api, "DELETE", f"/v1/replication/replicate/{op_id}")
    except ApiError as exc:
        if exc.status != 409:
            raise
        raise ShellError(f"operation {op_id} cannot be removed now: {exc.message}",
                         "it is past the point of no return; remove it once it is READY") \
            from None


def sharding_state(api: RestClient, collection: str,
                   shard: str | None = None) -> dict[str, list[str]]:
    """``GET /v1/replication/sharding-state``: the replica nodes of each shard, by name."""
    params = {k: v for k, v in (("collection", collection), ("shard", shard)) if v}
    response = _call(api, "GET", "/v1/replication/sharding-state", params=params, ok=(404,))
    if response.status_code == 404:
        what = f"shard {shard} of {collection}" if shard else f"collection {collection}"
        raise ShellError(f"the server knows no {what}",
                         f"\\shards {collection} lists its shards" if shard else
                         r"\ls lists the collections")
    state = response.json().get("shardingState") or {}
    return {s.get("shard", ""): list(s.get("replicas") or [])
            for s in sorted(state.get("shards") or [], key=lambda s: s.get("shard", ""))}


def scale_plan(api: RestClient, collection: str, factor: int) -> dict[str, Any]:
    """``GET /v1/replication/scale``: the server's plan (nothing changes yet)."""
    return _call(api, "GET", "/v1/replication/scale",
                 params={"collection": collection, "replicationFactor": factor}).json()


def apply_scale(api: RestClient, plan: dict[str, Any]) -> list[str]:
    """``POST /v1/replication/scale`` with a plan from ``scale_plan``: the op ids started."""
    return _call(api, "POST", "/v1/replication/scale", json=plan).json().get("operationIds") or []


def plan_rows(plan: dict[str, Any],
              state: dict[str, list[str]]) -> list[tuple[str, str, str, str, str]]:
    """Per shard of a scale plan: replicas now, what is added (from where), removed, after."""
    rows = []
    for shard, action in sorted((plan.get("shardScaleActions") or {}).items()):
        now = state.get(shard, [])
        removed = list(action.get("removeNodes") or [])
        added = action.get("addNodes") or {}
        after = [n for n in now if n not in removed] + [n for n in added if n not in now]
        adds = ", ".join(f"{n} (from {src})" if src else f"{n} (empty)"
                         for n, src in sorted(added.items()))
        rows.append((shard, ", ".join(now), adds, ", ".join(removed), ", ".join(after)))
    return rows
