"""``\\replicate scale``: change how many replicas each shard of a collection has, with the
server's own plan (``/v1/replication/scale``: GET computes it, POST applies it)."""

from __future__ import annotations

from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.inspect import COLLECTION
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, FORCE
from commands.meta.replication import movement_api
from commands.meta.shards import DRY_RUN, gate
from commands.ops.schema import get_class
from commands.results import Level, Message, Result, Table
from commands.spec import Kind, Opt, command

replication = lazy_module("commands.ops.replication")


@command(
    "replicate scale", "Change a collection's number of replicas per shard (server's plan).",
    args=(COLLECTION,),
    opts=(Opt("--factor", Kind.INT, "the replicas each shard should have"),
          FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="replication",
    destructive=True,
    help="Asks the server for a scale plan (GET /v1/replication/scale), shows per shard the\n"
         "replicas now, those it adds (copied from which node) and removes, and the replicas\n"
         "after; once confirmed it applies the plan (POST /v1/replication/scale): replicas\n"
         "to remove go at once, each new one is a COPY operation (\\replications follows\n"
         "them). The class's replicationConfig.factor is not changed: raise it once every\n"
         "operation is READY. Needs Weaviate >= 1.35 with REPLICA_MOVEMENT_ENABLED=true.\n\n"
         "  \\replicate scale Article --factor 3\n"
         "  \\replicate scale Article --factor 3 --dry-run",
)
def replicate_scale_cmd(ctx: CommandContext, *, collection: str, factor: int | None,
                        force: bool, dry_run: bool, allow_protected: bool) -> list[Result]:
    """``\\replicate scale``: preview the server's plan, confirm, apply."""
    if factor is None or factor < 1:
        raise UsageError("\\replicate scale needs --factor N (N >= 1)",
                         "e.g. \\replicate scale Article --factor 3")
    api = movement_api(ctx, replication.SCALE_FLOOR, "replication scaling")
    cls = get_class(api, collection)
    name = cls["class"]
    current = (cls.get("replicationConfig") or {}).get("factor") or 1
    if factor < current:
        # DeleteReplicaFromShard keeps at least the class's factor (usecases/sharding/state.go)
        raise ShellError(f"{name}'s replicationConfig.factor is {current}: Weaviate keeps at "
                         f"least that many replicas per shard, so it cannot scale to {factor}",
                         f"lower the factor first (PUT /v1/schema/{name} with "
                         f"replicationConfig.factor {factor}), then scale")
    state = replication.sharding_state(api, name)
    server_plan = replication.scale_plan(api, name, factor)
    rows = replication.plan_rows(server_plan, state)
    if not rows:
        return [Message(f"every shard of {name} already has {factor} replica(s); nothing to do")]
    removes = sum(1 for r in rows if r[3])
    preview: list[Result] = [Table(("shard", "replicas now", "add", "remove", "replicas after"),
                                   tuple(rows), title=f"Scale plan for {name}: factor {factor}")]
    if removes:
        preview.append(Message(f"{removes} shard(s) lose a replica: its data on that node is "
                               "deleted", Level.WARNING))
    stopped = gate(ctx, f"scale {name} to {factor} replica(s) per shard ({len(rows)} "
                        "shard(s))", name, preview, ["POST /v1/replication/scale"],
                   destructive=True, force=force, dry_run=dry_run,
                   allow_protected=allow_protected)
    if stopped is not None:
        return stopped
    ids = replication.apply_scale(api, server_plan)
    return [Message(f"applied the plan: {len(ids)} copy operation(s) started"
                    + (f"; \\replications --collection {name} follows them" if ids else "")),
            Message(f"when they are READY, raise {name}'s replicationConfig.factor to {factor} "
                    f"(PUT /v1/schema/{name})", Level.WARNING)]
