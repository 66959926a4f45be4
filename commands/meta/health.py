"""``\\health``: a verdict (healthy, degraded, critical) and one row per check, with the
exit status 0, 1 or 2 that runbooks and cron read.
"""

from __future__ import annotations

from commands.context import CommandContext
from commands.lazy import lazy_module
from commands.results import Record
from commands.spec import Arg, Kind, Opt, command

health = lazy_module("commands.ops.health")

@command(
    "health", "Check the cluster (or one collection): a verdict and one row per check.",
    args=(Arg("collection", Kind.COLLECTION, "check this collection (or alias) in depth",
              required=False),),
    opts=(Opt("--detailed", flag=True,
              help="a row per node and per problem shard or tenant instead of summaries"),),
    group="cluster",
    help="Checks, each with its status (ok, info, warn, crit), the evidence measured and a\n"
         "hint naming the fix: the node answers /ready, modules answer /v1/meta, every node\n"
         "HEALTHY, nodes named by RAFT or shard ownership present, RAFT synchronized with\n"
         "one leader, one version on every node, operational mode ReadWrite; shards\n"
         "READONLY (with the likely cause), INDEXING (with the queue), loading; compression\n"
         "applied where configured; replicas against the replication factor, factor 1 on\n"
         "a multi-node cluster, async replication still comparing; tenants stuck FREEZING\n"
         "or UNFREEZING (with COLLECTION).\n"
         "Without COLLECTION every collection is summarised in five requests, however\n"
         "many there are.\n\n"
         "Verdict and exit status (also in scripts, -c and `elysiactl col health`):\n"
         "  0  healthy   no check warns (info rows never degrade)\n"
         "  1  degraded  some check warns, none is critical\n"
         "  2  critical  some check is critical\n"
         "Exit statuses 3 (nothing answered) and 1 (the collection does not exist) keep\n"
         "their usual meaning.\n\n"
         "  \\health\n  \\health Article --detailed\n"
         "  elysiactl col health --detailed --format json | jq -r .verdict",
)
def health_cmd(ctx: CommandContext, *, collection: str | None, detailed: bool) -> Record:
    """``\\health``: ``{verdict, exit_status, collection, checks}``; the verdict sets the exit
    status. A Record, so that as JSON or YAML it is one document and in a table no
    evidence or hint is cut."""
    name, checks = health.check_health(ctx.api, collection)
    verdict = health.model.verdict(checks)
    ctx.exit_code = health.model.EXIT_STATUS[verdict]
    rows = [{"check": c.check, "status": str(c.status), "evidence": c.evidence, "hint": c.hint}
            for c in health.model.rows(checks, detailed)]
    return Record({"verdict": verdict, "exit_status": ctx.exit_code, "collection": name,
                   "checks": rows}, title=f"Health of {name or 'the cluster'}")
