"""``\\migrate``: an online copy of one collection to another cluster (or under another name
on the same one): schema, tenants, objects with their vectors, then what changed during the
copy, then a reconciliation and a verification (OPERATIONS.md §3).

Copying into a new or empty collection needs no confirmation; into a collection that
already has objects it is destructive (objects with the same ids are replaced, objects the
source lacks are deleted), so it passes the safety gate. ``--dry-run`` sends nothing to
either cluster.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext, Connection
from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.meta.restore import MAX_BATCH, MAX_PARALLEL
from commands.ops.backup.settings import BATCH_SIZE, PARALLEL
from commands.results import Document, Level, Message, Record, Result
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Arg, KeywordOpt, Kind, Opt, command

migrate_ops = lazy_module("commands.ops.migrate.run")
planning = lazy_module("commands.ops.migrate.plan")
class_paths = lazy_module("commands.ops.class_paths")
references = lazy_module("commands.ops.references")

VERIFY_MODES = ("count", "sample", "full")


def migrate_plan(migration: Any, target: Connection, patterns: tuple[str, ...]) -> Plan:
    """What the migration would do, for the safety gate and ``--dry-run``; a target on a
    production tier asks for the collection's name, as a production session does."""
    target_url = target.url
    cp, name = migration.checkpoint, migration.target_name
    where = f"{name} on {target_url}"
    if migration.destructive:
        had = "an unknown number of" if cp.pre_existing is None else f"{cp.pre_existing:,}"
        action = (f"migrate {migration.name} onto {where}, which has {had} objects (same ids "
                  "are replaced, objects the source lacks are deleted)")
    else:
        action = f"migrate {migration.name} into {'new collection ' * migration.create}{where}"
    if migration.extra_tenants:
        action += (f"; delete the tenants only the target has, with their objects: "
                   f"{', '.join(migration.extra_tenants)}")
    preview: list[Result] = [
        *(Message(w, Level.WARNING) for w in migration.check.warnings),
        Record({"source": f"{migration.name} on {migration.source.url}", "target": where,
                "versions": f"{migration.check.source_version} -> "
                            f"{migration.check.target_version}",
                "creates_collection": migration.create,
                "target_objects": cp.pre_existing,
                "tenants": [n for n, _ in migration.tenants.copied] or None,
                "tenants_skipped": [f"{n} ({s})" for n, s in migration.tenants.skipped] or None,
                "tenants_deleted": migration.extra_tenants or None,
                "resumes_phase": cp.phase if migration.resume else None},
               title=f"Migrate {migration.name}")]
    if migration.create:
        preview.append(Document(migration.definition, title="class it would create"))
    requests = tuple(f"{method} {side}: {rest}" for side, request in migration.requests()
                     for method, rest in [request.split(" ", 1)])
    return Plan(action=action, targets=(name,), preview=tuple(preview), requests=requests,
                protected=tuple(n for n, _ in protected_names([name], patterns)),
                production=target.tier == "production")


def _summary(migration: Any, report: Any, target_url: str) -> list[Result]:
    name, out = migration.target_name, []
    if migration.resume:
        out.append(Message(f"resumed the interrupted migration of {migration.name} from its "
                           "checkpoint"))
    extra = [text for count, text in (
        (report.references, f"{report.references:,} copied again with their references"),
        (report.caught_up, f"{report.caught_up:,} changed during the copy copied again"),
        (report.reconciled, f"{report.reconciled:,} copied again by the reconciliation"),
        (report.deleted, f"{report.deleted:,} deleted by the reconciliation"),
        (report.tenants_deleted, "tenants deleted by the reconciliation: "
                                 + ", ".join(report.tenants_deleted))) if count]
    out.append(Message(f"migrated {report.copied:,} objects of {migration.name} to {name} on "
                       f"{target_url}" + (f" ({'; '.join(extra)})" if extra else "")))
    if report.failed:
        out.append(Message(f"{report.failed:,} objects failed; see {report.error_report}",
                           Level.WARNING))
    others = references.referenced_classes(migration.cls)
    if report.missing_targets and others:
        names = ", ".join(others)
        out.append(Message(
            f"{report.missing_targets:,} of them refer to objects {target_url} does not have: "
            f"{migration.name} refers to {names}: migrate {names} first ("
            + " and ".join(f"\\migrate {n} --target {target_url}" for n in others)
            + "), then run this \\migrate again", Level.WARNING))
    out += [Message(w, Level.WARNING) for w in report.warnings]
    if report.created_diff:
        changed = "; ".join(f"{p}" for p, _, _ in report.created_diff[:10])
        out.append(Message(f"the target stored the class differently from what was sent: "
                           f"{changed}", Level.WARNING))
    out.append(Message("not carried: " + "; ".join(planning.NOT_CARRIED)))
    verify = report.verify
    verdict = "identical" if verify.ok else "differences found"
    out.append(Record({"source": migration.name, "target": name, "target_cluster": target_url,
                       "copied": report.copied, "references": report.references,
                       "caught_up": report.caught_up, "reconciled": report.reconciled,
                       "deleted": report.deleted,
                       "tenants_deleted": report.tenants_deleted or None,
                       "failed": report.failed, "error_report": report.error_report,
                       "verified": f"{verify.mode}: {verdict}",
                       "objects_compared": verify.compared,
                       "duration_s": report.duration_s,
                       "objects_per_s": report.objects_per_s}, title=f"Migrated {name}"))
    # A Record, as \health's: its rows fold in a table instead of being cut.
    out.append(Record({"verdict": verdict, "mode": verify.mode, "checks": [
        {"check": check, "status": status, "evidence": evidence}
        for check, status, evidence in verify.rows()]},
        title=f"Verify {name} against {migration.name}"))
    return out


@command(
    "migrate", "Copy a collection to another cluster, online, resumable, verified.",
    args=(Arg("collection", Kind.COLLECTION, "the collection to copy", from_context=True),),
    opts=(Opt("--target", Kind.PROFILE, "the cluster to copy to: a URL or a profile"),
          KeywordOpt("--as", Kind.TEXT, "the collection's name on the target (default: the "
                                        "same)"),
          Opt("--tenant", Kind.TENANT, "copy only this tenant"),
          Opt("--batch-size", Kind.INT, f"objects per batch request (default {BATCH_SIZE})",
              default=BATCH_SIZE),
          Opt("--parallel", Kind.INT, f"batch requests in flight (default {PARALLEL})",
              default=PARALLEL),
          Opt("--verify", Kind.CHOICE, "what to compare at the end (default: sample)",
              choices=VERIFY_MODES, default="sample"),
          Opt("--set", Kind.TEXT, "change the target's class before it is created, PATH=VALUE "
                                  "(repeatable)", many=True),
          Opt("--target-api-key-env", Kind.TEXT,
              "the environment variable holding the target's API key"),
          Opt("--dry-run", flag=True, help="check both clusters, show the plan, send nothing"),
          Opt("--force", flag=True,
              help="write into a target collection that has objects without asking"),
          Opt("--allow-protected", flag=True,
              help="allow writing into a protected collection")),
    group="cluster", destructive=True, changes_schema=True,
    help="Copies COLLECTION to the --target cluster (a URL or a profile; its API key from\n"
         "the profile or --target-api-key-env, never from the command line) while the\n"
         "source stays online. Preflight: both versions, the target's nodes against the\n"
         "replication factor, its modules, schema synchronization. The class is created on\n"
         "the target without the fields the server fills in (multi-tenant: without\n"
         "shardingConfig), --set PATH=VALUE changes it first (e.g. an immutable setting:\n"
         "--as Docs_v2 --set vectorIndexType=flat), and the stored class is compared.\n"
         "Tenants are created ACTIVE; INACTIVE source tenants are activated for the copy\n"
         "and set back at the end (OFFLOADED ones cannot be read and are skipped); the\n"
         "target's tenants then get the source's states. Objects go by cursor pages, with\n"
         "vectors and named vectors, into batches (--parallel in flight), every object's\n"
         "result checked; refused objects are listed in an error file. A class with\n"
         "references is copied in two passes (a class it refers to must be migrated\n"
         "first; self-references follow --as). Then a catch-up (both id lists merge-\n"
         "joined) deletes on the target what the source no longer has and copies what is\n"
         "missing or changed during the copy, and (without --tenant) deletes the tenants\n"
         "only the target has; when it found anything, a final reconciliation does the\n"
         "same for what changed during the catch-up.\n"
         "--verify compares the definition (with what --set asked and the target stored),\n"
         "the tenants, exact counts, and a sample (or all) of the objects property by\n"
         "property and vector by vector; the exit status is 1 when anything differs or\n"
         "failed. A failure or Ctrl-C sets the source tenants it activated back. A rerun of\n"
         "the same command after Ctrl-C, a lost connection or kill -9 resumes from its\n"
         "checkpoint (in the state directory) without duplicates; a run with other --as,\n"
         "--tenant or --set is refused while it is pending, and a second run while one\n"
         "runs is refused. Not carried: creation and update timestamps (reset to the\n"
         "import time), shard layout, HNSW graphs and codebooks (rebuilt), offloaded\n"
         "tenants. Writes during the last pass may be missed: stop writers (or swap an\n"
         "alias) before it for an exact copy. Copying onto a collection that has\n"
         "objects is confirmed first (--force; protected names need --allow-protected).\n\n"
         "  \\migrate Article --target http://new-cluster:8080\n"
         "  \\migrate SupportTicket --target prod-eu --tenant acme --verify full\n"
         "  \\migrate Docs --target http://same:8080 --as Docs_v2 --set vectorIndexType=flat\n"
         "  \\migrate Product --target http://b:8080 --target-api-key-env B_KEY --dry-run",
)
def migrate_cmd(ctx: CommandContext, *, collection: str | None, target: str | None,
                as_: str | None, tenant: str | None, batch_size: int, parallel: int,
                verify: str, set: list[str], target_api_key_env: str | None,
                dry_run: bool, force: bool, allow_protected: bool) -> list[Result]:
    """``\\migrate``: Messages, a Record of the migration and a Table of verification checks
    (a dry run: the plan)."""
    collection = collection or ctx.session.collection
    if not collection:
        raise UsageError(r"\migrate: no collection given and none in use",
                         r"give one, or pick one with \use COLLECTION")
    if not target:
        raise UsageError(r"\migrate: --target URL|PROFILE is required",
                         r"e.g. \migrate " + f"{collection} --target http://new-cluster:8080")
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageError(f"--batch-size must be between 1 and {MAX_BATCH}, got {batch_size}")
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}, got {parallel}")
    if ctx.session.state_dir is None:
        raise UsageError("no state directory for the migration's checkpoint")
    options = migrate_ops.MigrateOptions(
        collection=collection, state_dir=ctx.session.state_dir, target_as=as_, tenant=tenant,
        batch_size=batch_size, parallel=parallel, verify=verify,
        assignments=tuple(class_paths.parse_assignment(s) for s in set))
    source = ctx.api
    connection = ctx.session.open_target(target, target_api_key_env)
    migration = migrate_ops.Migration(source, connection.api, options, ctx.session.progress)
    try:
        migration.prepare()
        plan = migrate_plan(migration, connection, ctx.session.protected)
        report = ctx.run_job(migration, plan, force=force, dry_run=dry_run,
                             allow_protected=allow_protected)
        if report is None:
            return dry_run_results(plan)
    finally:
        migration.close()
        connection.api.close()
    if report.failed or not report.verify.ok:  # expected differences are not in the report
        ctx.exit_code = 1
    return _summary(migration, report, connection.url)
