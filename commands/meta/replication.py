"""Replica movement: ``\\sharding`` (where each shard's replicas are), ``\\replicate`` (copy
or move a shard replica), ``\\replications``, ``\\replicate show|cancel|rm``.
Replication-factor scaling is ``commands.meta.scale``."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from commands.api.client import RestClient
from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.inspect import COLLECTION
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, FORCE
from commands.meta.shards import DRY_RUN, gate
from commands.ops.schema import get_class
from commands.results import Level, Message, Record, Result, Table
from commands.spec import Arg, KeywordOpt, Kind, Opt, command

cluster = lazy_module("commands.ops.cluster")
replication = lazy_module("commands.ops.replication")
versions = lazy_module("commands.ops.versions")

OP_ID = Arg("id", Kind.TEXT, "a replication operation's id (\\replications lists them)")
WAIT_POLL_S = 0.25
WAIT_DEFAULT_S = 600.0


def when(ms: int | None) -> str | None:
    """A Weaviate timestamp in ms as UTC time of day with the date."""
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def movement_api(ctx: CommandContext, floor: tuple[int, ...] = (),
                 feature: str = "") -> RestClient:
    """The REST client, once the server is known to be new enough for replica movement."""
    api = ctx.api
    versions.require(ctx.server_version, floor or replication.MOVEMENT_FLOOR,
                     feature or "replica movement")
    return api


def op_record(op: replication.Operation) -> Record:
    """An operation field by field, with its history (state, when it began, how long)."""
    history = [*op.history, (op.state, op.since_ms)]
    steps = []
    for i, (state, since) in enumerate(history):
        nxt = history[i + 1][1] if i + 1 < len(history) else None
        lasted = (nxt - since) / 1000 if nxt and since else None
        steps.append({"state": state, "since": when(since), "seconds": lasted})
    return Record({
        "id": op.id, "collection": op.collection, "shard": op.shard, "from": op.source,
        "to": op.target, "type": op.type, "state": op.state, "since": when(op.since_ms),
        "started": when(op.started_ms), "errors": list(op.errors),
        "cancellable": not op.uncancelable and not op.finished,
        "scheduled_for_cancel": op.scheduled_for_cancel,
        "scheduled_for_delete": op.scheduled_for_delete,
        "history": steps if op.history else None,
    }, title=f"Replication {op.id}")


def _check_move(ctx: CommandContext, name: str, shard: str, source: str,
                target: str) -> tuple[list[str], str | None]:
    """The shard's replicas now and the target's status when it is not HEALTHY, after
    refusing an unknown node or shard, a source without the shard and a target that already
    has it (each with a hint), before any write."""
    status = {n.name: n.status for n in cluster.list_nodes(ctx.api)}
    for role, node in (("--from", source), ("--to", target)):
        if node not in status:
            raise UsageError(f"{role} {node}: no such node", f"nodes: {', '.join(status)}")
    if source == target:
        raise UsageError("--from and --to name the same node", "copy to another node")
    state = replication.sharding_state(ctx.api, name)
    if shard not in state:
        known = ", ".join(list(state)[:10])
        raise UsageError(f"{name} has no shard {shard}", f"its shards: {known} (\\sharding {name})")
    replicas = state[shard]
    if source not in replicas:
        raise ShellError(f"{source} holds no replica of {name}/{shard}",
                         f"its replicas are on {', '.join(replicas)}")
    if target in replicas:
        raise ShellError(f"{target} already holds a replica of {name}/{shard}",
                         f"its replicas are on {', '.join(replicas)}; pick another --to")
    return replicas, None if status[target] == "HEALTHY" else status[target]


def _wait(ctx: CommandContext, op_id: str, seconds: float) -> replication.Operation:
    """Poll the operation until it is READY or CANCELLED, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        op = replication.get_operation(ctx.api, op_id)
        if op.finished:
            return op
        if time.monotonic() >= deadline:
            raise ShellError(f"operation {op_id} is still {op.state} after {seconds:g} s; it "
                             "goes on in the background",
                             f"\replicate show {op_id} follows it; a target node that is down "
                             "holds it back")
        time.sleep(WAIT_POLL_S)


@command(
    "sharding", "Show which nodes hold a replica of each shard (Weaviate's sharding state).",
    args=(COLLECTION,),
    opts=(Opt("--shard", Kind.SHARD, "only this shard"),),
    group="replication",
    help="The sharding state as the cluster's RAFT log holds it (GET\n"
         "/v1/replication/sharding-state): one row per shard with its replica nodes, which\n"
         "\\replicate changes. Needs Weaviate >= 1.32 with REPLICA_MOVEMENT_ENABLED=true.\n\n"
         "  \\sharding Article\n  \\sharding Article --shard abc123 --format json",
)
def sharding_cmd(ctx: CommandContext, *, collection: str, shard: str | None) -> Result:
    """``\\sharding``: a Table of shards and their replica nodes."""
    api = movement_api(ctx, feature="the sharding state")
    name = get_class(api, collection)["class"]
    state = replication.sharding_state(api, name, shard)
    rows = tuple((s, len(nodes), ", ".join(sorted(nodes))) for s, nodes in state.items())
    return Table(("shard", "replicas", "nodes"), rows, title=f"Sharding state of {name}",
                 note=f"{len(rows)} shard(s)")


@command(
    "replicate", "Copy or move a shard replica from one node to another.",
    args=(COLLECTION, Arg("shard", Kind.SHARD, "the shard (\\sharding lists them)")),
    opts=(KeywordOpt("--from", Kind.NODE, "the node holding the replica now"),
          Opt("--to", Kind.NODE, "the node to put the new replica on"),
          Opt("--copy", flag=True, help="keep the source replica (the default)"),
          Opt("--move", flag=True, help="drop the source replica once the copy is in place"),
          Opt("--wait", Kind.NUMBER, "follow the operation until READY or CANCELLED, for at "
              f"most SECONDS (default {WAIT_DEFAULT_S:g})", bare=WAIT_DEFAULT_S),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="replication",
    help="Registers a replica movement (POST /v1/replication/replicate). The shell first\n"
         "checks the nodes, that --from holds the shard and --to does not, and shows the\n"
         "replicas before and after. The copy runs in the background through REGISTERED,\n"
         "HYDRATING, FINALIZING (INTEGRATING from 1.38), DEHYDRATING (a move) and READY;\n"
         "\\replications and \\replicate show ID follow it, \\replicate cancel ID stops it.\n"
         "--move drops the source replica at the end, so it asks for confirmation.\n"
         "--wait [SECONDS] follows it to READY or CANCELLED (exit 1 if it is still running).\n"
         "Needs Weaviate >= 1.32 with REPLICA_MOVEMENT_ENABLED=true.\n\n"
         "  \\replicate Article abc123 --from node1 --to node2\n"
         "  \\replicate Article abc123 --from node1 --to node3 --move --wait\n"
         "  \\replicate Article abc123 --from node1 --to node2 --dry-run",
)
def replicate_cmd(ctx: CommandContext, *, collection: str, shard: str, from_: str | None,
                  to: str | None, copy: bool, move: bool, wait: float | None, force: bool,
                  dry_run: bool, allow_protected: bool) -> list[Result]:
    """``\\replicate``: register a COPY or MOVE, after a preview."""
    if not from_ or not to:
        raise UsageError("\\replicate needs --from NODE and --to NODE",
                         "\\sharding COLLECTION shows where each shard's replicas are")
    if copy and move:
        raise UsageError("--copy and --move exclude each other", "a copy is the default")
    api = movement_api(ctx)
    name = get_class(api, collection)["class"]
    replicas, target_status = _check_move(ctx, name, shard, from_, to)
    after = [n for n in replicas if not (move and n == from_)] + [to]
    kind = "MOVE" if move else "COPY"
    preview = Table(("shard", "type", "replicas now", "replicas after"),
                    ((shard, kind, ", ".join(replicas), ", ".join(after)),),
                    title=f"Replica {kind.lower()} of {name}/{shard}: {from_} -> {to}")
    notes: list[Result] = [preview]
    if move:
        notes.append(Message(f"the replica on {from_} is deleted once the copy on {to} is in "
                             "place", Level.WARNING))
    if target_status:
        # the target node's replication engine runs the op (cluster/replication/consumer.go)
        notes.append(Message(f"{to} is {target_status}: the operation waits until it answers",
                             Level.WARNING))
    stopped = gate(ctx, f"{kind.lower()} the replica of {name}/{shard} from {from_} to {to}",
                   name, notes, ["POST /v1/replication/replicate"], destructive=move,
                   force=force, dry_run=dry_run, allow_protected=allow_protected)
    if stopped is not None:
        return stopped
    op_id = replication.start(api, name, shard, from_, to, move)
    started = Message(f"registered {kind} {op_id}; \\replicate show {op_id} follows it")
    if wait is None:
        return [started]
    op = _wait(ctx, op_id, wait)
    return [started, op_record(op)]


@command(
    "replications", "List replica movements with their state.",
    opts=(Opt("--collection", Kind.COLLECTION, "only this collection's"),
          Opt("--shard", Kind.SHARD, "only this shard's"),
          Opt("--node", Kind.NODE, "only those from or to this node"),
          Opt("--active", flag=True, help="only those not READY or CANCELLED yet"),
          Opt("--history", flag=True, help="add each operation's past states")),
    group="replication",
    help="One row per operation the cluster keeps (GET /v1/replication/replicate/list),\n"
         "oldest first: collection, shard, source and target node, COPY or MOVE, its state\n"
         "and since when, and the errors of the current state. Needs Weaviate >= 1.32\n"
         "with REPLICA_MOVEMENT_ENABLED=true.\n\n"
         "  \\replications\n  \\replications --collection Article --active\n"
         "  \\replications --node node2 --history --format json",
)
def replications_cmd(ctx: CommandContext, *, collection: str | None, shard: str | None,
                     node: str | None, active: bool, history: bool) -> Result:
    """``\\replications``: a Table of operations."""
    api = movement_api(ctx)
    name = get_class(api, collection)["class"] if collection else None
    found = replication.list_operations(api, name, shard, history)
    found = [op for op in found if (not node or node in (op.source, op.target))
             and not (active and op.finished)]
    columns: tuple[str, ...] = ("id", "collection", "shard", "from", "to", "type", "state",
                                "since", "errors")
    rows = []
    for op in found:
        row: tuple = (op.id, op.collection, op.shard, op.source, op.target, op.type, op.state,
                      when(op.since_ms), "; ".join(op.errors) or None)
        if history:
            row += (" > ".join([*(s for s, _ in op.history), op.state]),)
        rows.append(row)
    if history:
        columns += ("history",)
    running = sum(1 for op in found if not op.finished)
    note = f"{len(found)} operation(s), {running} running" if found else \
        "no replication operations" + (" match" if collection or shard or node or active else "")
    return Table(columns, tuple(rows), title="Replications", note=note)


@command(
    "replicate show", "Show one replica movement with its state history.",
    args=(OP_ID,),
    group="replication",
    help="GET /v1/replication/replicate/ID?includeHistory=true: the operation, its state,\n"
         "errors, whether it can still be cancelled, and each past state with how long it\n"
         "lasted.\n\n  \\replicate show 3f2c...",
)
def replicate_show_cmd(ctx: CommandContext, *, id: str) -> Result:
    """``\\replicate show``: a Record."""
    return op_record(replication.get_operation(movement_api(ctx), id))


@command(
    "replicate cancel", "Cancel a running replica movement (its record stays, CANCELLED).",
    args=(OP_ID,),
    opts=(FORCE, DRY_RUN),
    group="replication",
    destructive=True,
    help="POST /v1/replication/replicate/ID/cancel. The copy stops and the record stays in\n"
         "the CANCELLED state. Once the new replica has joined the sharding state (after\n"
         "FINALIZING) the operation can no longer be cancelled. Asks for confirmation.\n\n"
         "  \\replicate cancel 3f2c...\n  \\replicate cancel 3f2c... --force",
)
def replicate_cancel_cmd(ctx: CommandContext, *, id: str, force: bool,
                         dry_run: bool) -> list[Result]:
    """``\\replicate cancel``: after a preview and confirmation."""
    api = movement_api(ctx)
    op = replication.get_operation(api, id)
    if op.state == "CANCELLED":
        return [Message(f"operation {id} is already CANCELLED")]
    if op.uncancelable:
        raise ShellError(f"operation {id} is {op.state} and can no longer be cancelled",
                         "its new replica already joined the sharding state")
    stopped = gate(ctx, f"cancel the {op.type} of {op.collection}/{op.shard} to {op.target}",
                   op.collection, [op_record(op)],
                   [f"POST /v1/replication/replicate/{id}/cancel"], destructive=True,
                   force=force, dry_run=dry_run)
    if stopped is not None:
        return stopped
    replication.cancel(api, id)
    return [Message(f"cancellation of {id} requested; \\replicate show {id} shows it")]


@command(
    "replicate rm", "Remove a replica movement's record (cancelling it first if it runs).",
    args=(OP_ID,),
    opts=(FORCE, DRY_RUN),
    aliases=("replicate delete",),
    group="replication",
    help="DELETE /v1/replication/replicate/ID. A finished operation's record goes away; a\n"
         "running one is cancelled first (that asks for confirmation). One past FINALIZING\n"
         "cannot be removed until it is READY.\n\n"
         "  \\replicate rm 3f2c...",
)
def replicate_rm_cmd(ctx: CommandContext, *, id: str, force: bool,
                     dry_run: bool) -> list[Result]:
    """``\\replicate rm``: DELETE, confirmed when it stops a running operation."""
    api = movement_api(ctx)
    op = replication.get_operation(api, id)
    stopped = gate(ctx, f"remove replication {id}" + ("" if op.finished else " (cancelling it)"),
                   op.collection, [op_record(op)], [f"DELETE /v1/replication/replicate/{id}"],
                   destructive=not op.finished, force=force, dry_run=dry_run)
    if stopped is not None:
        return stopped
    replication.delete(api, id)
    return [Message(f"removed replication {id}")]
