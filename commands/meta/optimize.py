"""``\\optimize``: recommendations for one collection, and ``--apply`` of the in-place ones.

The analysis reads a few bounded requests (``commands.ops.optimize.measure``) and runs the rules
(``commands.ops.optimize.rules``); ``--apply`` passes the safety gate before it sends
anything (``commands.ops.optimize.apply``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from commands.context import CommandContext
from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.results import Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

if TYPE_CHECKING:
    from commands.ops.class_update import InPlace
    from commands.ops.optimize.measure import Measurements, Recommendation

optimize = lazy_module("commands.ops.optimize.measure")
rules = lazy_module("commands.ops.optimize.rules")
applying = lazy_module("commands.ops.optimize.apply")
class_update = lazy_module("commands.ops.class_update")
class_paths = lazy_module("commands.ops.class_paths")


def _node_memory(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = optimize.parse_size(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"--node-memory {text!r}: expected a size such as 16GiB or 512MiB")
    return value


def _command(m: Measurements, rec: Recommendation, url: str) -> str | None:
    """What to type to act on ``rec``: ``--apply`` in place, ``\\migrate`` for a copy."""
    if rec.applies == "in-place":
        return f"\\optimize {m.name} --apply {rec.rule}"
    if rec.applies == "copy":
        return applying.migrate_command(m, url, [rec])
    return None


def _summary(m: Measurements, count: int) -> Record:
    vectors = []
    for space in m.vectors:
        memory = None if space.compression else m.index_bytes(space)
        vectors.append({"vector": space.name or "(class)", "index": space.index_type,
                        "compression": space.compression, "dimensions": space.dimensions,
                        "memory_per_node": optimize.size(memory) if memory else None})
    fields: dict[str, Any] = {
        "collection": m.name, "server_version": m.version, "nodes": len(m.nodes),
        "objects": m.objects, "shards": len(m.shard_objects), "largest_shard": m.largest_shard,
        "replication_factor": m.replication_factor,
    }
    if m.tenant_status is not None:
        fields["tenants"] = dict(sorted(Counter(m.tenant_status.values()).items()))
    fields["vectors"] = vectors
    fields["assumptions"] = optimize.assumptions(m)
    fields["recommendations"] = count
    return Record(fields, title=f"Optimize {m.name}")


def _analysis(m: Measurements, recs: list[Recommendation], url: str) -> list[Result]:
    out: list[Result] = [_summary(m, len(recs))]
    for i, rec in enumerate(recs, 1):
        out.append(Record({
            "rule": rec.rule, "operations_rule": rec.operations_rule, "severity": rec.severity,
            "reason": rec.reason, "change": rec.change, "applies": rec.applies,
            "command": _command(m, rec, url), "effect": rec.effect, "source": rec.source,
        }, title=f"{i}. {rec.rule} ({rec.severity}, {rec.applies})"))
    if not recs:
        out.append(Message(f"no recommendations for {m.name}: nothing measured calls for a "
                           "change"))
    return out


def _not_in_place(m: Measurements, recs: list[Recommendation], url: str) -> list[Result]:
    """What ``--apply`` leaves alone, and how each of those changes is made instead."""
    out: list[Result] = []
    copies = [r for r in recs if r.applies == "copy"]
    if copies:
        out.append(Message(
            f"not applied: {', '.join(r.rule for r in copies)} change(s) Weaviate cannot make in "
            f"place (immutable settings); a copy does it: "
            f"{applying.migrate_command(m, url, copies)}", Level.WARNING))
    for rec in recs:
        if rec.applies in ("rest-call", "server-env"):
            how = "send" if rec.applies == "rest-call" else "set on the server"
            out.append(Message(f"not applied: {rec.rule} is a {rec.applies} change; {how}: "
                               f"{rec.change}", Level.WARNING))
    return out


def _preview(m: Measurements, plan: InPlace) -> tuple[Result, ...]:
    """The class diff and the shards, shown before the question."""
    preview: list[Result] = []
    if plan.diff:
        preview.append(Table(("path", "now", "new"), class_update.diff_rows(plan.diff),
                             title=f"PUT /v1/schema/{m.name} changes"))
    if plan.shards:
        preview.append(Table(("shard", "status", "new"),
                             tuple((s, "READONLY", "READY") for s in plan.shards),
                             title="shard status"))
    return tuple(preview)


def _apply(ctx: CommandContext, m: Measurements, chosen: list[Recommendation],
           idle: list[str], url: str, *, force: bool, dry_run: bool,
           allow_protected: bool) -> list[Result]:
    notes: list[Result] = []
    if idle:  # known rules that find nothing now: rerunning an apply that worked is no error
        verb = "is" if len(idle) == 1 else "are"
        text = f"{', '.join(idle)} {verb} not recommended for {m.name} now"
        if not chosen:
            return [Message(f"nothing to apply: {text}; nothing was sent")]
        notes.append(Message(f"not applied: {text}"))
    notes += _not_in_place(m, chosen, url)
    now = [r for r in chosen if r.applies == "in-place"]
    if not now:
        return [*notes, Message("nothing of this to apply in place; nothing was sent")]
    plan = applying.in_place(m, now)
    applying.check_shards(m, plan)
    gate = Plan(action=f"change {m.name} in place ({', '.join(r.rule for r in now)})",
                targets=(m.name,), preview=_preview(m, plan), requests=plan.requests(m.name),
                protected=tuple(n for n, _ in protected_names([m.name], ctx.session.protected)))
    if ctx.approve(gate, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return [*notes, *dry_run_results(gate)]
    after, statuses = class_update.send(ctx.api, m.name, plan)
    changed = list(class_update.diff_rows(class_paths.diff(m.cls, after)))
    changed += [(f"shard {s}", "READONLY", status) for s, status in statuses.items()]
    out: list[Result] = [*notes, Message(f"applied to {m.name}: {', '.join(r.rule for r in now)}"),
                         Table(("setting", "before", "after"), tuple(changed),
                               title=f"What changed in {m.name} (read back)")]
    missed = class_update.unapplied(plan, after)
    missed += [s for s, st in statuses.items() if st != "READY"]
    if missed:
        ctx.exit_code = 1
        out.append(Message(f"Weaviate did not keep: {', '.join(missed)}", Level.WARNING))
    return out


@command(
    "optimize", "Recommend settings for a collection from what it measures; apply in-place ones.",
    args=(Arg("collection", Kind.COLLECTION, "a collection or an alias", from_context=True),),
    opts=(Opt("--analyze", flag=True, help="analyse and recommend (the default)"),
          Opt("--apply", Kind.TEXT, "apply a recommendation by rule id (repeatable, or "
                                    "comma-separated)", many=True),
          Opt("--node-memory", Kind.TEXT, "RAM of one node (e.g. 16GiB), for the memory rules"),
          Opt("--force", flag=True, help="apply without asking for confirmation"),
          Opt("--allow-protected", flag=True, help="allow changing a protected collection"),
          Opt("--dry-run", flag=True, help="show the changes and requests, send nothing")),
    group="cluster", changes_schema=True,
    help="Measures the collection with a few bounded requests (class, nodes, tenants, one\n"
         "page of objects with vectors, /v1/meta) and prints recommendations ordered by\n"
         "impact: rule id, severity, the measured reason, the exact change (PATH=VALUE as\n"
         "\\migrate --set takes it, or the REST call), how it applies (in-place, rest-call,\n"
         "copy, server-env) and the effect, then the assumptions (node RAM and the query mix\n"
         "are not visible over REST). The README's \"Optimize rules\" lists every rule.\n"
         "--apply RULE sends only what Weaviate changes in place (a PUT of the class with\n"
         "mutable fields changed, or READONLY shards back to READY) after a diff preview\n"
         "and confirmation (--force skips it, --dry-run sends nothing; a protected\n"
         "collection also needs --allow-protected), then reads the class back. An immutable\n"
         "change is reported as the \\migrate --as command that makes it. With --format\n"
         "json: the analysis, then one object per recommendation.\n\n"
         "  \\optimize ProductionData --analyze\n"
         "  \\optimize Article --node-memory 16GiB\n"
         "  \\optimize Article --apply compress-rq8 --dry-run\n"
         "  \\optimize Logs --apply shard-readonly,compress-rq8 --force",
)
def optimize_cmd(ctx: CommandContext, *, collection: str, analyze: bool, apply: list[str],
                 node_memory: str | None, force: bool, dry_run: bool,
                 allow_protected: bool) -> list[Result]:
    """``\\optimize``: the analysis (Records), or the outcome of ``--apply``."""
    if (force or dry_run or allow_protected) and not apply:
        raise UsageError("--force, --dry-run and --allow-protected go with --apply: the "
                         "analysis changes nothing",
                         f"e.g. \\optimize {collection} --apply RULE --dry-run")
    memory = _node_memory(node_memory)
    m = optimize.measure(ctx.api, collection, memory)
    recs = rules.analyze(m)
    url = ctx.session.connection.url if ctx.session.connection else ""
    if not apply:
        return _analysis(m, recs, url)
    chosen, idle = applying.select(recs, apply, rules.RULE_IDS)
    return _apply(ctx, m, chosen, idle, url, force=force, dry_run=dry_run,
                  allow_protected=allow_protected)
