"""Nodes, cluster statistics and shard status: ``/v1/nodes``, ``/v1/cluster/statistics``,
``/v1/schema/{className}/shards`` (REST-BEHAVIOUR.md §6.1, §9).

Every simulated node answers for itself: a node lists the shards whose placement
includes it, one entry per replica it holds. What each node reports about its health
(status, version, mode, slowness, disk pressure, async queues) follows the knobs of
``sandbox.nodes``; the fan-out requests wait for slow peers as the answering node would.
Object counts are exact (a real node counts flushed segments only, so its numbers may lag).

Multi-tenant classes: a tenant is a shard. Deactivating a tenant (COLD, FROZEN)
shuts its shard down and removes it from the node's index
[weaviate adapters/repos/db/migrator.go ``UpdateTenants``: ``idx.shards.LoadAndDelete``],
and ``getShardsNodeStatus`` only walks the index's shards, so ``/v1/nodes`` leaves
inactive tenants out altogether. ``loaded: false`` is reserved for lazily loaded
HOT shards after a restart, which the sandbox never has.

Behaviour that changed within 1.2x-1.3x follows the answering node's version: a shard status
update on an unknown shard is a no-op from 1.38.0 on (an error before), and from
1.38.3 on a missing class is a 404 and an invalid status a 500 (before: 422 for
every failure) [handlers_schema.go ``updateShardStatus`` at v1.32.9 and v1.38.3].
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sandbox.classes import COMPRESSIONS, upper_first
from sandbox.http import Request, Response, fail, go_kind, go_quote, json_response, parse_error
from sandbox.nodes import GONE, HEALTHY, UP, replica_status, version_tuple
from sandbox.store import Collection, Database

if TYPE_CHECKING:
    from sandbox.state import State

# Release builds stamp ``build.Revision`` with ``git rev-parse --short HEAD``; this is the
# short hash of the v1.39.0 tag.
GIT_HASH = "22948b7"
OUTPUTS = ("minimal", "verbose")
SHARD_STATUSES = ("READONLY", "INDEXING", "READY", "SHUTDOWN")
RAFT_APPLY = "updating db: TYPE_UPDATE_SHARD_STATUS: "
UNKNOWN_SHARD_IS_NOOP = (1, 38, 0)
SHARD_ERRORS_404_500 = (1, 38, 3)


def find_index(db: Database, name: str, aliases: bool) -> tuple[str, Collection | None]:
    """The name as the handler reports it (first letter uppercased, alias followed when
    ``aliases``) and the class behind it; ``DB.GetIndex`` matches case-insensitively,
    its indices are keyed by the lowercased class name.
    """
    fixed = db.resolve(name) if aliases else upper_first(name)
    for class_name, col in db.collections.items():
        if class_name.lower() == fixed.lower():
            return fixed, col
    return fixed, None


def compressed(col: Collection) -> bool:
    """True when the class's vector index, or any named vector's, has a quantizer enabled."""
    configs = [col.config.get("vectorIndexConfig")]
    configs += [v.get("vectorIndexConfig") for v in (col.config.get("vectorConfig") or {}).values()]
    return any(isinstance(c, dict) and any(isinstance(c.get(k), dict) and c[k].get("enabled")
                                           for k in COMPRESSIONS) for c in configs)


def _shard_entries(node: str, cols: list[Collection], shard_name: str | None,
                   queue: int | None) -> list[dict[str, Any]]:
    out = []
    for col in sorted(cols, key=lambda c: c.name):
        factor = col.config["replicationConfig"]["factor"]
        is_compressed = compressed(col)
        for shard in sorted(col.shard_names(loaded_only=True)):
            replicas = col.placement.get(shard, [])
            if (shard_name and shard != shard_name) or node not in replicas:
                continue
            out.append({
                "asyncReplicationStatus": [],
                "class": col.name,
                "compressed": is_compressed,
                "loaded": True,
                "name": shard,
                "numberOfReplicas": len(replicas),
                "objectCount": col.shard_counts.get(shard, 0),
                "replicationFactor": factor,
                "vectorIndexingStatus": replica_status(col, shard, node, queue),
                "vectorQueueLength": queue or 0,
            })
    return out


def _node(app: State, node: str, cols: list[Collection], shard_name: str | None,
          verbose: bool, status: str) -> dict[str, Any]:
    if status not in UP:  # a peer that did not answer: name and status only (nodes.go)
        return {"name": node, "shards": None, "status": status}
    settings = app.cluster.nodes[node]
    queue = settings.vector_queue
    batch: dict[str, int] = {"ratePerSecond": app.cluster.rates[node].rate}
    if queue is None:  # the batch job queue is reported only without async indexing
        batch = {"queueLength": 0, **batch}
    out: dict[str, Any] = {
        "batchStats": batch,
        "gitHash": GIT_HASH,
        "name": node,
        "operationalMode": settings.operational_mode,
        "shards": None,  # no omitempty: minimal output and nodes without shards send null
    }
    if verbose:
        shards = _shard_entries(node, cols, shard_name, queue)
        out["shards"] = shards or None
        out["stats"] = {"objectCount": sum(s["objectCount"] for s in shards),
                        "shardCount": len(shards)}
    out["status"] = status
    out["version"] = app.cluster.version(node, app.version)
    return out


def _ask_peers(app: State) -> dict[str, str]:
    """Wait as the answering node waits for its peers; each node's status as reported."""
    wait, statuses = app.cluster.fan_out()
    if wait:
        time.sleep(wait)
    return statuses


def _nodes(app: State, request: Request, class_name: str | None) -> Response:
    db = app.db
    output = request.query.get("output", "minimal")
    if output not in OUTPUTS:
        raise fail(422, f'invalid output: "{output}", possible values are: "minimal", "verbose"')
    shard_name = request.query.get("shardName") if class_name is not None else None
    app.replication.catch_up(app)  # replica movements that went on meanwhile
    with db.lock:
        if class_name is None:
            cols = list(db.collections.values())
        else:
            name, col = find_index(db, class_name, aliases=True)
            if col is None:
                raise fail(404, f"class {go_quote(name)} not found")
            cols = [col]
    statuses = _ask_peers(app)
    with db.lock:
        nodes = [_node(app, n, cols, shard_name, output == "verbose", statuses[n])
                 for n in sorted(db.nodes) if statuses[n] != GONE]
    return json_response({"nodes": nodes})


def get_nodes(app: State, request: Request) -> Response:
    """``GET /v1/nodes``: every node, ``output=minimal`` (default) or ``verbose``."""
    return _nodes(app, request, None)


def get_class_nodes(app: State, request: Request) -> Response:
    """``GET /v1/nodes/{className}``: as ``/v1/nodes`` for one class, optional ``shardName``."""
    return _nodes(app, request, request.params["className"])


def _applied_index(db: Database) -> int:
    """A plausible RAFT log position: one entry per schema object (classes, tenants, aliases)."""
    tenants = sum(len(c.tenants) for c in db.collections.values())
    return 2 + len(db.collections) + tenants + len(db.aliases)


def get_statistics(app: State, request: Request) -> Response:
    """``GET /v1/cluster/statistics``: RAFT state of every node memberlist knows.

    The first node that is up leads. Peers that did not answer are name and status only
    (nodes.go ``getNodeStatistics``); a GONE node is left out, but stays in every
    ``latestConfiguration``. ``synchronized``: every listed node HEALTHY with one
    ``appliedIndex`` (handlers_nodes.go, OPERATIONS.md §1.8).
    """
    db = app.db
    statuses = _ask_peers(app)
    with db.lock:
        nodes = sorted(db.nodes)
        index = str(_applied_index(db))
    addresses = {n: f"10.0.0.{i + 1}:8300" for i, n in enumerate(nodes)}
    leader = app.cluster.answering() or nodes[0]
    configuration = [{"address": addresses[n], "id": n, "suffrage": 0} for n in nodes]
    statistics: list[dict[str, Any]] = []
    for node in nodes:
        status = statuses[node]
        if status == GONE:
            continue
        if status not in UP:
            statistics.append({"name": node, "status": status})
            continue
        leads = node == leader
        statistics.append({
            "bootstrapped": True,
            "candidates": {},
            "dbLoaded": True,
            "initialLastAppliedIndex": int(index),
            "isVoter": True,
            "leaderAddress": addresses[leader],
            "leaderId": leader,
            "name": node,
            "open": True,
            "raft": {
                "appliedIndex": index, "commitIndex": index, "fsmPending": "0",
                "lastContact": "0" if leads else "1.5ms", "lastLogIndex": index,
                "lastLogTerm": "2", "lastSnapshotIndex": "0", "lastSnapshotTerm": "0",
                "latestConfiguration": configuration, "latestConfigurationIndex": "0",
                "numPeers": str(len(nodes) - 1), "protocolVersion": "3",
                "protocolVersionMax": "3", "protocolVersionMin": "0",
                "snapshotVersionMax": "1", "snapshotVersionMin": "0",
                "state": "Leader" if leads else "Follower", "term": "2",
            },
            "ready": True,
            "status": status,
        })
    applied = {s["raft"]["appliedIndex"] for s in statistics if "raft" in s}
    synced = all(s["status"] == HEALTHY for s in statistics) and len(applied) == 1
    return json_response({"statistics": statistics, "synchronized": synced})


def get_shards(app: State, request: Request) -> Response:
    """``GET /v1/schema/{className}/shards[?tenant=]``: status of every shard (or one tenant's).

    Aliases are followed, as ``ShardsStatus`` does. The status of an inactive tenant is
    the one it had when last active [unconfirmed]. ``per_node_status`` is what the spec
    (1.40-dev) documents; released 1.3x servers send name, status and vectorQueueSize only.
    A replica whose node does not answer (UNAVAILABLE, TIMEOUT, GONE) is left out of
    ``per_node_status``, and the legacy ``status`` is the answering node's replica or else
    the first replica that answered; both are omitted when none did (index.go
    ``getShardsStatus`` swallows the remote error).
    """
    db = app.db
    nodes, me = app.cluster.nodes, app.cluster.answering()
    tenant = request.query.get("tenant")
    modern = version_tuple(app.answering_version()) >= SHARD_ERRORS_404_500
    suffix = ": not found" if modern else ""
    app.replication.catch_up(app)
    with db.lock:
        name, col = find_index(db, request.params["className"], aliases=True)
        if col is None:
            raise fail(404, f"cannot get shards status for a non-existing index for {name}{suffix}")
        out = []
        for shard in col.shard_names():
            if tenant and shard != tenant:
                continue
            replicas = col.placement.get(shard, [])
            answered = {n: replica_status(col, shard, n, nodes[n].vector_queue)
                        for n in replicas if nodes[n].status in UP}
            entry: dict[str, Any] = {"name": shard}
            if answered:
                entry["per_node_status"] = dict(sorted(answered.items()))
                entry["status"] = answered.get(me) or answered[next(iter(answered))]
            entry["vectorQueueSize"] = 0
            out.append(entry)
    return json_response(out)


def _status_body(request: Request) -> dict[str, Any]:
    body = request.json("body")
    if body is None:  # JSON null decodes into an empty struct
        body = {}
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.ShardStatus")
    status = body.get("status")
    if status is not None and not isinstance(status, str):
        raise parse_error(f"json: cannot unmarshal {go_kind(status)} into Go struct field "
                          "ShardStatus.status of type string")
    return {"status": status} if status else {}


def put_shard(app: State, request: Request) -> Response:
    """``PUT /v1/schema/{className}/shards/{shardName}``: set READY/READONLY/INDEXING.

    Answers with the request body. READONLY makes the objects endpoints refuse writes.
    Aliases are not followed (``QualifyClass``).
    """
    db = app.db
    body = _status_body(request)
    class_name, shard = request.params["className"], request.params["shardName"]
    version = version_tuple(app.answering_version())
    modern = version >= SHARD_ERRORS_404_500
    raw = body.get("status", "")
    with db.lock:
        class_name, col = find_index(db, class_name, aliases=False)
        if col is None:
            message = f"{RAFT_APPLY}cannot update shard status to a non-existing index for " \
                      f"{class_name}"
            raise fail(404, f"{message}: not found") if modern else fail(422, message)
        if shard not in col.shard_names():
            if version >= UNKNOWN_SHARD_IS_NOOP:
                return json_response(body)  # this node owns no such shard: nothing to do
            raise fail(422, f'{RAFT_APPLY}class {col.name} has no physical shard "{shard}": '
                            "shard not found")
        target = raw.upper()
        if target not in SHARD_STATUSES:
            raise fail(500 if modern else 422, f"{RAFT_APPLY}{raw}: invalid storage status")
        col.shard_status[shard] = target
        col.pressure.pop(shard, None)  # a manual status replaces the scanner's (§1.3)
    return json_response(body)


ROUTES = [
    ("GET", "/v1/nodes", get_nodes),
    ("GET", "/v1/nodes/{className}", get_class_nodes),
    ("GET", "/v1/cluster/statistics", get_statistics),
    ("GET", "/v1/schema/{className}/shards", get_shards),
    ("PUT", "/v1/schema/{className}/shards/{shardName}", put_shard),
]
