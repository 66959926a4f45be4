"""``\\health``: a verdict (healthy, degraded, critical) and one row per check, with the
exit status 0, 1 or 2 that runbooks and cron read.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.ops.schema import find_class, get_class
from commands.results import Record
from commands.spec import Arg, KeywordOpt, Kind, Opt, command

health = lazy_module("commands.ops.health")
verification = lazy_module("commands.ops.migrate.verify")


@command(
    "health", "Check the cluster (or one collection): a verdict and one row per check.",
    args=(Arg("collection", Kind.COLLECTION, "check this collection (or alias) in depth",
              required=False),),
    opts=(Opt("--detailed", flag=True,
              help="a row per node and per problem shard or tenant instead of summaries"),
          Opt("--target", Kind.PROFILE, "verify COLLECTION's copy on this cluster (a URL or a "
                                        "profile), as \\migrate made it"),
          KeywordOpt("--as", Kind.TEXT, "the copy's name on the target (default: the same)"),
          Opt("--verify", Kind.CHOICE, "with --target: count, sample (default) or full",
              choices=("count", "sample", "full"), default="sample"),
          Opt("--target-api-key-env", Kind.TEXT,
              "the environment variable holding the target's API key")),
    group="cluster",
    help="Checks, each with its status (ok, info, warn, crit), the evidence measured and a\n"
         "hint naming the fix: the node answers /ready, modules answer /v1/meta, every node\n"
         "HEALTHY, /v1/nodes and /v1/cluster/statistics answering within 5 s (they wait\n"
         "for the slowest node), nodes named by RAFT or shard ownership present, RAFT\n"
         "synchronized with one leader, one version on every node, operational mode\n"
         "ReadWrite; shards (or active tenants) no live node reports, READONLY (with the\n"
         "likely cause), INDEXING (with the queue), loading; compression applied where\n"
         "configured; replicas against the replication factor, factor 1 on a multi-node\n"
         "cluster, async replication still comparing; tenants stuck FREEZING or\n"
         "UNFREEZING (with COLLECTION); Elysia's collections (ELYSIA_*) readable, one\n"
         "object each, when there are any (\\elysia).\n"
         "Without COLLECTION every collection is summarised in five requests, however\n"
         "many there are (the collection of \\use is not a default here: \\health is about\n"
         "the cluster unless you name one).\n\n"
         "Verdict and exit status (also in scripts, -c and `elysiactl col health`):\n"
         "  0  healthy   no check warns (info rows never degrade)\n"
         "  1  degraded  some check warns, none is critical\n"
         "  2  critical  some check is critical\n"
         "Exit statuses 3 (nothing answered) and 1 (the collection does not exist) keep\n"
         "their usual meaning.\n\n"
         "With --target, COLLECTION's copy on that cluster is checked: the target cluster\n"
         "and its copy, then the copy against the source: the same class definition\n"
         "(differences listed), exact counts on both sides (GraphQL Aggregate, per tenant)\n"
         "and --verify sample (default: 1,000 objects or 1% per partition) or full, every\n"
         "object compared property by property and vector by vector.\n\n"
         "  \\health\n  \\health Article --detailed\n"
         "  \\health SourceCollection --target http://new-cluster:8080\n"
         "  elysiactl col health --detailed --format json | jq -r .verdict",
)
def health_cmd(ctx: CommandContext, *, collection: str | None, detailed: bool,
               target: str | None, as_: str | None, verify: str,
               target_api_key_env: str | None) -> Record:
    """``\\health``: ``{verdict, exit_status, collection, checks}``; the verdict sets the exit
    status. A Record, so that as JSON or YAML it is one document and in a table no
    evidence or hint is cut."""
    if target is None:
        if as_ or target_api_key_env:
            raise UsageError("--as and --target-api-key-env go with --target",
                             "e.g. \\health Docs --target http://new-cluster:8080 --as Docs_v2")
        name, checks = health.check_health(ctx.api, collection)
        title = f"Health of {name or 'the cluster'}"
    else:
        name, checks, title = _copy_health(ctx, collection, target, as_, verify,
                                           target_api_key_env)
    verdict = health.model.verdict(checks)
    ctx.exit_code = health.model.EXIT_STATUS[verdict]
    ctx.status = verdict
    rows = [{"check": c.check, "status": str(c.status), "evidence": c.evidence, "hint": c.hint}
            for c in health.model.rows(checks, detailed)]
    return Record({"verdict": verdict, "exit_status": ctx.exit_code, "collection": name,
                   "checks": rows}, title=title)


def _copy_health(ctx: CommandContext, collection: str | None, target: str, as_: str | None,
                 mode: str, key_env: str | None) -> tuple[str, list[Any], str]:
    """The target cluster's checks for the copy, then the copy against the source."""
    if collection is None:
        raise UsageError("--target verifies one migrated collection: name it",
                         "e.g. \\health SourceCollection --target http://new-cluster:8080")
    source_name = get_class(ctx.api, collection)["class"]
    other = ctx.session.open_target(target, key_env)
    try:
        if find_class(other.api, as_ or source_name) is None:
            raise ShellError(f"{other.url} has no collection {as_ or source_name}",
                             f"\\migrate {source_name} --target {target} copies it")
        copy_name, checks = health.check_health(other.api, as_ or source_name)
        report = verification.verify_copy(ctx.api, other.api, source_name, copy_name, mode)
    finally:
        other.api.close()
    again = f"\\migrate {source_name} --target {other.url}" + (f" --as {copy_name}"
                                                                 if copy_name != source_name
                                                                 else "")
    hints = {"definition": f"compare \\show {source_name} --schema on both clusters; {again} "
                           "--set PATH=VALUE aligns a new copy",
             "count": f"rerun {again}: it reconciles, copying what is missing and deleting "
                      "what the source no longer has (it asks first; --force in a script)",
             "objects": f"rerun {again}: its reconciliation copies changed objects (it asks "
                        "first; --force in a script)",
             "tenant": f"rerun {again}: it creates the tenants the copy lacks (an OFFLOADED "
                       "one must be activated on the source first) and deletes those the "
                       "source does not have (it asks first; --force in a script)"}
    status = {"ok": health.model.Status.OK, "warn": health.model.Status.WARN,
              "crit": health.model.Status.CRIT}
    checks += [health.model.Check(f"copy {check}", status[level], evidence,
                                  None if level == "ok" else hints[check.split()[0]])
               for check, level, evidence in report.rows()]
    return copy_name, checks, f"Health of {copy_name} on {other.url}, against {source_name}"
