"""``\\alter``: change what Weaviate changes in place, after a diff preview.

The change is built by ``commands.ops.alter`` and sent by ``commands.ops.class_update`` (the
same path as ``\\optimize --apply``); a setting Weaviate cannot change in place is refused
before any request, with the ``\\migrate ... --as`` copy that makes it.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ApiError, ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta import safety_backup
from commands.meta.lifecycle_remove import ALLOW_PROTECTED, FORCE
from commands.ops.schema import get_class
from commands.results import Level, Message, Result, Table
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

altering = lazy_module("commands.ops.alter")
class_update = lazy_module("commands.ops.class_update")
class_paths = lazy_module("commands.ops.class_paths")
versions = lazy_module("commands.ops.versions")
safety_ops = lazy_module("commands.ops.safety_backup")

NAMED_VECTORS_FLOOR = (1, 31)
DRY_RUN = Opt("--dry-run", flag=True, help="show the change and the REST calls, send nothing")


def _preview(change: altering.Alteration) -> tuple[Result, ...]:
    plan, name = change.plan, change.name
    out: list[Result] = []
    if plan.properties:
        out.append(Table(("property", "dataType", "settings"), tuple(
            (p["name"], p["dataType"], {k: v for k, v in p.items()
                                        if k not in ("name", "dataType")} or None)
            for p in plan.properties), title=f"POST /v1/schema/{name}/properties"))
    if plan.diff:
        rows = class_update.diff_rows([d for d in plan.diff if d[0] != "properties"])
        rows += _description_rows(change.descriptions)
        out.append(Table(("path", "now", "new"), rows, title=f"PUT /v1/schema/{name} changes"))
    out += [Message(explained, Level.WARNING) for _, explained in change.risks]
    return tuple(out)


def _description_rows(changes: Any) -> tuple[tuple[str, Any, Any], ...]:
    return class_update.diff_rows([(f"properties.{prop}.description", old, new)
                                   for prop, old, new in changes])


def _refused(exc: ApiError, change: altering.Alteration, url: str) -> ShellError:
    """Weaviate's reason, what was already done, and the copy that would make the change."""
    name = change.name
    done = ""
    if change.plan.properties and exc.method == "PUT":
        done = " (already added: " + ", ".join(p["name"] for p in change.plan.properties) + ")"
    hint = None
    if change.sets:
        hint = "a copy with the change makes it: " + class_update.migrate_command(
            name, url, list(change.sets))
    return ShellError(f"Weaviate refused to change {name}: {exc.message}{done}", hint)


def _read_back(before: dict, after: dict) -> tuple[tuple, ...]:
    """What differs between the class before and as Weaviate answers now, one row per
    setting and per new property."""
    def settings(cls: dict) -> dict:
        rep = {k: v for k, v in (cls.get("replicationConfig") or {}).items()
               if k != "asyncEnabled"}  # synthesized in every answer
        return {**cls, "properties": None, "replicationConfig": rep}

    old_props = {p["name"]: p for p in before.get("properties") or []}
    old_names = set(old_props)
    rows = list(class_update.diff_rows(class_paths.diff(settings(before), settings(after))))
    rows += _description_rows(
        (p["name"], old_props[p["name"]].get("description", class_paths.MISSING),
         p.get("description", class_paths.MISSING))
        for p in after.get("properties") or []
        if p["name"] in old_props and p.get("description") != old_props[p["name"]].get(
            "description"))
    rows += [(f"property {p['name']}", "(absent)", p.get("dataType"))
             for p in after.get("properties") or [] if p["name"] not in old_names]
    return tuple(rows)


@command(
    "alter", "Change a collection in place: description, mutable settings, new properties and "
             "named vectors.",
    args=(Arg("collection", Kind.COLLECTION, "a collection or an alias", from_context=True),),
    opts=(Opt("--description", Kind.TEXT, "the new description"),
          Opt("--set", Kind.TEXT, "change a setting, PATH=VALUE (repeatable), e.g. "
                                  "vectorIndexConfig.ef=256", many=True),
          Opt("--property-description", Kind.TEXT, "a property's new description, NAME=TEXT "
                                                   "(repeatable)", many=True),
          Opt("--add-property", Kind.TEXT, "add a property, NAME:TYPE[:OPTION...] (repeatable)",
              many=True),
          Opt("--add-vector", Kind.TEXT, "add a named vector, NAME:INDEX_TYPE[:VECTORIZER] "
                                         "(repeatable; Weaviate >= 1.31)", many=True),
          FORCE, DRY_RUN, ALLOW_PROTECTED, safety_backup.NO_SAFETY_BACKUP),
    group="lifecycle", changes_schema=True,
    help="Changes only what Weaviate changes in place: the description (of the collection,\n"
         "or of a property with --property-description NAME=TEXT), BM25 and stopwords,\n"
         "HNSW ef/dynamicEf*/flatSearchCutoff/vectorCacheMaxObjects/skip/filterStrategy,\n"
         "turning on compression (pq, bq, sq, rq), replicationConfig.factor and\n"
         "deletionStrategy, asyncConfig, autoTenantCreation/Activation, generative and\n"
         "reranker module settings; it adds properties (POST /v1/schema/C/properties) and\n"
         "named vectors (a PUT with the new vectorConfig entry, Weaviate >= 1.31).\n"
         "It shows the diff against the current definition first; lowering the replication\n"
         "factor, skipping the vector index or turning on compression (which cannot be\n"
         "undone) asks for confirmation (--force skips it, --dry-run sends nothing), as does\n"
         "a protected collection (with --allow-protected); such a change first takes a\n"
         "safety backup of the collection (as \\rm does; \\undo then creates it again as it\n"
         "was, with its objects). An immutable setting (vectorizer,\n"
         "index type, efConstruction, distance, shard count, ...) is refused before any\n"
         "request with the \\migrate --as command that makes it on a copy; a change Weaviate\n"
         "refuses shows its reason and that command. Afterwards the class is read back.\n"
         "--add-property NAME:TYPE[:OPTION...]: TYPE is a data type (text, int, number[],\n"
         "...) or a collection (a reference; A|B for several); options are filterable,\n"
         "no-filterable, searchable, no-searchable, rangeable, a tokenization (word, field,\n"
         "...) and description=TEXT.\n\n"
         "  \\alter Article --description 'News articles'\n"
         "  \\alter Article --set vectorIndexConfig.ef=256 --set invertedIndexConfig.bm25.b=0.7\n"
         "  \\alter Article --add-property summary:text:field --add-property views:int:rangeable\n"
         "  \\alter Article --add-vector title_vec:hnsw --dry-run\n"
         "  \\alter Logs --set replicationConfig.factor=1 --force",
)
def alter_cmd(ctx: CommandContext, *, collection: str, description: str | None,
              set: list[str], property_description: list[str], add_property: list[str],
              add_vector: list[str], force: bool, dry_run: bool,
              allow_protected: bool, no_safety_backup: bool) -> list[Result]:
    """``\\alter``: one in-place change after a preview; the class read back."""
    if description is None and not (set or property_description or add_property or add_vector):
        raise UsageError(r"\alter: nothing to change",
                         "give --description, --set PATH=VALUE, --add-property NAME:TYPE or "
                         "--add-vector NAME:INDEX_TYPE")
    connection = ctx.session.connection
    url = connection.url if connection else ""
    if add_vector:
        versions.require(ctx.server_version, NAMED_VECTORS_FLOOR, "adding a named vector")
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    try:
        change = altering.build(cls, description, list(set or []), list(add_property or []),
                                list(add_vector or []), list(property_description or []))
    except altering.ImmutableChange as exc:
        sets = [*(set or []), *([f"description={description}"] if description else [])]
        raise ShellError(f"{name}: {exc.message}", "a copy makes it: " +
                         class_update.migrate_command(name, url, sets)) from None
    plan = change.plan
    if plan.empty:
        return [Message(f"nothing to change: {name} already has these settings; nothing was "
                        "sent")]
    protected = tuple(n for n, _ in protected_names([name], ctx.session.protected))
    risky = "; ".join(short for short, _ in change.risks)
    preview = _preview(change)
    if change.risks:  # it drops something (replicas, full vectors, the index)
        choice = safety_backup.choose(ctx, safety_ops.object_count(ctx.api, cls), no_safety_backup,
                                      name)
        preview += safety_backup.preview(ctx, choice, [name])
    gate = Plan(action=f"change {name} in place" + (f" ({risky})" if risky else ""),
                targets=(name,), preview=preview,
                requests=plan.requests(name), protected=protected)
    if ctx.dry_run_or_approve(gate, bool(change.risks or protected), force=force,
                              dry_run=dry_run, allow_protected=allow_protected):
        return dry_run_results(gate)
    noted = safety_backup.take(ctx, choice, "alter", [(name, None)]) if change.risks else []
    try:
        after, _ = class_update.send(ctx.api, name, plan)
    except ApiError as exc:
        if plan.properties and exc.method == "PUT":  # they were added: the cache must know
            ctx.session.notify("schema")
        raise _refused(exc, change, url) from None
    out: list[Result] = [*noted, Message(f"changed {name} in place"),
                         Table(("setting", "before", "after"), _read_back(plan.old, after),
                               title=f"What changed in {name} (read back)")]
    missed = class_update.unapplied(plan, after)
    if missed:
        ctx.exit_code = 1
        out.append(Message(f"Weaviate did not keep: {', '.join(missed)}", Level.WARNING))
    if change.vectors:
        out.append(Message(f"objects written before now have no {', '.join(change.vectors)} "
                           "vector until they are written again", Level.WARNING))
    return out
