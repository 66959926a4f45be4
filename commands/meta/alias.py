"""Collection aliases: ``\\alias`` (list), ``\\alias create``, ``\\alias set`` (a cut-over) and
``\\alias rm``. Weaviate >= 1.32; an older server is refused before any request.

Pointing an alias elsewhere or removing it changes what every client reading through it
sees, so both show what changes and ask for confirmation (``--force`` in scripts);
``--dry-run`` sends no mutating request.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ShellError
from commands.lazy import lazy_module
from commands.meta.lifecycle_remove import DRY_RUN, FORCE
from commands.ops.schema import find_class, get_class, upper_first
from commands.results import Level, Message, Result, Table
from commands.safety import Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

aliases = lazy_module("commands.ops.aliases")
class_paths = lazy_module("commands.ops.class_paths")
collections = lazy_module("commands.ops.collections")
verify = lazy_module("commands.ops.migrate.verify")

ALIAS = Arg("alias", Kind.ALIAS, "an alias name")
TARGET = Arg("collection", Kind.COLLECTION, "the collection it names")
ALLOW_PROTECTED = Opt("--allow-protected", flag=True,
                      help="allow a protected alias or collection (then its name must be "
                           "typed)")
SHOWN_DIFFERENCES = 30


def _require(ctx: CommandContext) -> None:
    aliases.require_aliases(ctx.server_version)


def _target(ctx: CommandContext, collection: str) -> tuple[str, list[Result]]:
    """The canonical class ``collection`` names; an alias given instead is followed."""
    name = get_class(ctx.api, collection)["class"]
    if name.lower() == collection.lower():
        return name, []
    return name, [Message(f"{collection} is an alias of {name}: using {name}")]


def _protected(ctx: CommandContext, *names: str) -> tuple[str, ...]:
    return tuple(n for n, _ in protected_names(list(names), ctx.session.protected))


@command(
    "alias", "List collection aliases (Weaviate >= 1.32).",
    opts=(Opt("--collection", Kind.COLLECTION, "only the aliases of this collection"),),
    group="aliases",
    help="One row per alias with the collection it names (GET /v1/aliases). An alias\n"
         "works wherever a collection name is read: objects, queries, \\show, \\count.\n\n"
         "  \\alias\n  \\alias --collection Article --format json",
)
def alias_list_cmd(ctx: CommandContext, *, collection: str | None) -> Result:
    """``\\alias``: a Table of aliases."""
    _require(ctx)
    name = get_class(ctx.api, collection)["class"] if collection else None
    found = aliases.list_aliases(ctx.api, name)
    note = None if found else (f"{name} has no aliases" if name else "no aliases")
    return Table(("alias", "collection"), tuple((a.name, a.collection) for a in found),
                 title="Aliases", note=note)


@command(
    "alias create", "Create an alias naming a collection.",
    args=(ALIAS, TARGET),
    opts=(DRY_RUN,),
    group="aliases",
    changes_schema=True,
    help="POST /v1/aliases. The alias follows class-name rules (its first letter is\n"
         "uppercased) and may not be the name of a collection or of another alias.\n"
         "--dry-run shows the request and sends none.\n\n"
         "  \\alias create Products Product_v2",
)
def alias_create_cmd(ctx: CommandContext, *, alias: str, collection: str,
                     dry_run: bool) -> list[Result]:
    """``\\alias create``."""
    _require(ctx)
    name = upper_first(alias)
    existing = aliases.get_alias(ctx.api, name)
    if existing is not None:
        raise ShellError(f"alias {existing.name} exists already (it names "
                         f"{existing.collection})",
                         f"\\alias set {existing.name} {collection} points it elsewhere")
    if find_class(ctx.api, name) is not None:
        raise ShellError(f"{name} is a collection; an alias needs a name no collection has",
                         "choose another name")
    target, notes = _target(ctx, collection)
    plan = Plan(action=f"create alias {name} for {target}", targets=(name,),
                requests=(f'POST /v1/aliases {{"alias":"{name}","class":"{target}"}}',))
    if ctx.dry_run_or_approve(plan, False, force=False, dry_run=dry_run, allow_protected=False):
        return [*notes, *dry_run_results(plan)]
    made = aliases.create_alias(ctx.api, name, target)
    return [*notes, Message(f"created alias {made.name} -> {made.collection}")]


def _side(details: Any) -> tuple[Any, ...]:
    cls = details.definition
    return (cls["class"], details.objects if details.objects_exact else
            f"~{details.objects:,}", len(cls.get("properties") or ()),
            collections.vectorizer_summary(cls))


def _differences(old: dict[str, Any], new: dict[str, Any]) -> Table:
    """The schema differences a reader through the alias meets after the cut-over."""
    found = [d for d in verify.definition_diff(old, new) if d[0] != "class"]
    rows = tuple((path, _short(a), _short(b)) for path, a, b in found[:SHOWN_DIFFERENCES])
    more = len(found) - len(rows)
    note = "the definitions match" if not found else (
        f"{len(found)} differences" + (f", the first {len(rows)} shown" if more else ""))
    return Table(("path", "old target", "new target"), rows, title="Schema differences",
                 note=note)


def _short(value: Any) -> Any:
    """A cell: "absent" for a path one side lacks, a property by its data type."""
    if value is class_paths.MISSING:
        return "absent"
    if isinstance(value, dict) and "dataType" in value:
        return "property " + "|".join(map(str, value["dataType"]))
    text = str(value)
    return value if len(text) <= 60 else text[:57] + "..."


@command(
    "alias set", "Point an alias at another collection (a cut-over), after a preview.",
    args=(ALIAS, TARGET),
    opts=(FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="aliases",
    changes_schema=True,
    help="PUT /v1/aliases/ALIAS. Every client reading through the alias sees the new\n"
         "collection at once, so it first shows the old and the new target with their\n"
         "object counts (exact; '~' marks the approximate total of a multi-tenant one)\n"
         "and their schema differences, then asks to type 'yes' (--force in scripts).\n\n"
         "  \\alias set Products Product_v3\n  \\alias set Products Product_v2 --dry-run",
)
def alias_set_cmd(ctx: CommandContext, *, alias: str, collection: str, force: bool,
                  dry_run: bool, allow_protected: bool) -> list[Result]:
    """``\\alias set``: a cut-over from the alias's current target to ``collection``."""
    _require(ctx)
    current = aliases.require_alias(ctx.api, alias)
    target, notes = _target(ctx, collection)
    if target == current.collection:
        return [*notes, Message(f"alias {current.name} already names {target}; nothing sent")]
    old = collections.describe(ctx.api, current.collection)
    new = collections.describe(ctx.api, target)
    sides = Table(("", "collection", "objects", "properties", "vectorizer"),
                  (("old target", *_side(old)), ("new target", *_side(new))),
                  title=f"Alias {current.name}")
    plan = Plan(action=f"point alias {current.name} from {current.collection} to {target}",
                targets=(current.name,),
                preview=(sides, _differences(old.definition, new.definition),
                         Message(f"clients reading {current.name} will see {target}'s "
                                 "objects instead of " + current.collection, Level.WARNING)),
                requests=(f'PUT /v1/aliases/{current.name} {{"class":"{target}"}}',),
                protected=_protected(ctx, current.name, current.collection))
    if ctx.dry_run_or_approve(plan, True, force=force, dry_run=dry_run,
                              allow_protected=allow_protected):
        return [*notes, *dry_run_results(plan)]
    moved = aliases.point_alias(ctx.api, current.name, target)
    return [*notes, Message(f"alias {moved.name} now names {moved.collection} (was "
                            f"{current.collection})")]


@command(
    "alias rm", "Remove an alias (the collection stays), after confirmation.",
    args=(ALIAS,),
    opts=(FORCE, DRY_RUN, ALLOW_PROTECTED),
    group="aliases",
    destructive=True,
    changes_schema=True,
    help="DELETE /v1/aliases/ALIAS. The collection and its objects stay; clients that\n"
         "read through the alias fail from then on, so it asks to type 'yes' (--force in\n"
         "scripts).\n\n  \\alias rm Products\n  \\alias rm Products --dry-run",
)
def alias_rm_cmd(ctx: CommandContext, *, alias: str, force: bool, dry_run: bool,
                 allow_protected: bool) -> list[Result]:
    """``\\alias rm``."""
    _require(ctx)
    current = aliases.require_alias(ctx.api, alias)
    plan = Plan(action=f"remove alias {current.name} (of {current.collection})",
                targets=(current.name,),
                preview=(Message(f"clients reading {current.name} lose it; "
                                 f"{current.collection} and its objects stay", Level.WARNING),),
                requests=(f"DELETE /v1/aliases/{current.name}",),
                protected=_protected(ctx, current.name, current.collection))
    if ctx.dry_run_or_approve(plan, True, force=force, dry_run=dry_run,
                              allow_protected=allow_protected):
        return dry_run_results(plan)
    aliases.delete_alias(ctx.api, current.name)
    return [Message(f"removed alias {current.name}; {current.collection} is unchanged")]
