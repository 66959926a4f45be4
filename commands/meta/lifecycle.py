"""Creating collections: ``\\create`` (from a template or a schema file, adjusted by flags)
and ``\\templates``.

A plain create sends one ``POST /v1/schema`` (``--dry-run``: none). Replacing an
existing collection (``--overwrite``) deletes its objects, so it is described as a
``Plan`` and passes the safety gate (protection, dry run, confirmation) before anything
is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from commands.context import CommandContext
from commands.errors import ApiError, ShellError, UsageError
from commands.lazy import lazy_module
from commands.ops.schema import fetch_schema
from commands.results import Document, Level, Message, Record, Result, Table
from commands.safety import Decision, Plan, dry_run_results, protected_names
from commands.spec import Arg, Kind, Opt, command

collections = lazy_module("commands.ops.collections")
templates = lazy_module("commands.ops.templates")

REPLICAS_HINT = (r"the replication factor cannot exceed the number of nodes (\nodes lists "
                 "them): lower it with --replication N")


def _template_dirs(ctx: CommandContext) -> tuple[Path, ...]:
    return tuple(ctx.session.template_dirs or ())


def _canonical(name: str) -> str:
    """Weaviate uppercases the first letter of every class name."""
    return name[:1].upper() + name[1:]


def _definition(ctx: CommandContext, name: str, from_template: str | None,
                schema_file: str | None) -> tuple[dict[str, Any], str, list[Result]]:
    """The class JSON before flags, where it came from, and notes for the user."""
    if from_template and schema_file:
        raise UsageError("--from-template and --schema-file cannot be combined",
                         "a schema file is a whole definition; flags such as --replication "
                         "adjust it")
    notes: list[Result] = []
    if schema_file:
        cls = templates.read_schema_file(schema_file)
        given = cls.get("class")
        if isinstance(given, str) and given and _canonical(given) != name:
            notes.append(Message(f"creating {name}: the name from the command line wins over "
                                 f"the file's class name {given}"))
        source = f"schema file {schema_file}"
    else:
        template = templates.get_template(from_template or templates.DEFAULT_TEMPLATE,
                                          _template_dirs(ctx))
        cls = template.definition
        source = f"template {template.name}" + (
            "" if template.source == templates.BUILTIN else f" ({template.source})")
    return {"class": name, **{k: v for k, v in cls.items() if k != "class"}}, source, notes


def _existing(ctx: CommandContext, name: str) -> dict[str, Any] | None:
    """The class named ``name``, None when there is none; a name differing only in case fails
    (Weaviate refuses it: "found similar class")."""
    for cls in fetch_schema(ctx.api):
        if cls["class"] == name:
            return cls
        if cls["class"].lower() == name.lower():
            raise ShellError(f"collection {cls['class']} already exists, and Weaviate refuses "
                             f"names that differ only in case ({name})",
                             "choose another name")
    return None


def _post(ctx: CommandContext, cls: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/schema``; the answer is the class with the server's defaults filled in."""
    try:
        response = ctx.api.request("POST", "/v1/schema", json=cls)
    except ApiError as exc:
        if "not enough storage replicas" in exc.message and not exc.hint:
            exc.hint = REPLICAS_HINT
        raise
    return response.json() if response.content else cls


def _summary(created: dict[str, Any], source: str) -> Record:
    multi_tenant = collections.is_multi_tenant(created)
    return Record({
        "collection": created.get("class"),
        "source": source,
        "properties": [p.get("name") for p in created.get("properties") or []],
        "vector_index": collections.vector_index_summary(created),
        "replication_factor": (created.get("replicationConfig") or {}).get("factor"),
        "shards": None if multi_tenant else (created.get("shardingConfig") or {}).get(
            "desiredCount"),
        "multi_tenancy": multi_tenant,
    }, title=f"Created {created.get('class')}")


def _overwrite(ctx: CommandContext, old: dict[str, Any], cls: dict[str, Any], source: str,
               *, force: bool, dry_run: bool, allow_protected: bool) -> list[Result]:
    """Delete ``old`` and create ``cls`` in its place, once the safety gate agrees."""
    name = old["class"]
    details = collections.describe(ctx.api, name)
    stake: dict[str, Any] = {"collection": name, "objects": details.objects,
                             "objects_exact": details.objects_exact}
    if details.tenant_status is not None:
        stake["tenants"] = sum(details.tenant_status.values())
    else:
        stake["shards"] = len({r.shard for r in details.replicas})
    stake["replication_factor"] = (old.get("replicationConfig") or {}).get("factor")
    plan = Plan(
        action=f"overwrite collection {name}", targets=(name,),
        preview=(Record(stake, title=f"{name} is deleted with its objects"),
                 Document(cls, title=f"and created again from {source}")),
        requests=(f"DELETE /v1/schema/{name}", "POST /v1/schema"), objects=details.objects,
        protected=tuple(n for n, _ in protected_names([name], ctx.session.protected)))
    if ctx.approve(plan, force=force, dry_run=dry_run,
                   allow_protected=allow_protected) is Decision.DRY_RUN:
        return dry_run_results(plan)
    ctx.api.request("DELETE", f"/v1/schema/{name}")
    ctx.objects_affected = details.objects
    lost = f"{name} was deleted with its {details.objects} objects"
    try:
        created = _post(ctx, cls)
    except ShellError as exc:
        try:  # put the old definition back, so at least the schema is as it was
            _post(ctx, collections.creatable(old))
            lost += "; its old definition was created again, empty"
        except ShellError:
            lost += "; creating its old definition again failed too"
        raise ShellError(f"{exc.message} ({lost})", exc.hint) from None
    about = "" if details.objects_exact else " (approximate: the active tenants' count)"
    return [Message(f"overwrote collection {name}: {details.objects} objects deleted{about}"),
            _summary(created, source)]


@command(
    "create", "Create a collection from a template or a schema file.",
    args=(Arg("name", Kind.TEXT, "the new collection's name (wins over a schema file's)"),),
    opts=(Opt("--from-template", Kind.TEXT, "start from this template (default: standard)"),
          Opt("--schema-file", Kind.FILE, "start from this class JSON (\\show --schema)"),
          Opt("--replication", Kind.INT, "replication factor (at most the number of nodes)"),
          Opt("--shards", Kind.INT, "number of shards (not for multi-tenant collections)"),
          Opt("--multi-tenancy", flag=True, help="enable multi-tenancy (a shard per tenant)"),
          Opt("--property", Kind.TEXT, "add a property NAME:TYPE, e.g. title:text "
                                       "(repeatable)", many=True),
          Opt("--overwrite", flag=True,
              help="replace an existing collection of that name, deleting its objects"),
          Opt("--allow-protected", flag=True,
              help="allow overwriting a protected collection"),
          Opt("--force", flag=True, help="overwrite without asking for confirmation"),
          Opt("--dry-run", flag=True,
              help="show the class JSON and the requests, send nothing")),
    group="lifecycle", destructive=True, changes_schema=True,
    help="Starts from a template (default: standard; \\templates lists them) or from a\n"
         "schema file, then applies the flags: --replication sets the replication factor,\n"
         "--shards the shard count, --multi-tenancy turns multi-tenancy on, and each\n"
         "--property NAME:TYPE adds a property (TYPE: text, int, number, boolean, date,\n"
         "uuid, geoCoordinates, phoneNumber, blob, an array such as text[], or a collection\n"
         "name for a cross-reference). --schema-file takes the class JSON (or YAML) that\n"
         "\\show NAME --schema --format json prints, so a schema round-trips exactly; NAME\n"
         "from the command line wins over the file's class name.\n"
         "A NAME that exists is an error. --overwrite replaces it, which deletes its\n"
         "objects: what is at stake is shown and confirmed first (--force skips the\n"
         "question; a protected name also needs --allow-protected). --dry-run prints the\n"
         "class JSON and the requests it would send, and sends nothing.\n\n"
         "  \\create Notes --property title:text --property views:int\n"
         "  \\create Tickets --from-template multi-tenant\n"
         "  \\create ArticleCopy --schema-file article.json --replication 3\n"
         "  \\create DevCollection --from-template compressed --overwrite --force",
)
def create_cmd(ctx: CommandContext, *, name: str, from_template: str | None,
               schema_file: str | None, replication: int | None, shards: int | None,
               multi_tenancy: bool, property: list[str], overwrite: bool,
               allow_protected: bool, force: bool, dry_run: bool) -> list[Result]:
    """``\\create``: a Message and a Record of what was created (a dry run: the plan)."""
    name = _canonical(name)
    base, source, notes = _definition(ctx, name, from_template, schema_file)
    cls = templates.apply_overrides(base, replication=replication, shards=shards,
                                    multi_tenancy=multi_tenancy, properties=property)
    old = _existing(ctx, name)
    if old is not None:
        if not overwrite:
            raise ShellError(f"collection {name} already exists",
                             "add --overwrite to replace it (its objects are deleted), or "
                             "choose another name")
        return notes + _overwrite(ctx, old, cls, source, force=force, dry_run=dry_run,
                                  allow_protected=allow_protected)
    if overwrite:
        notes.append(Message(f"{name} does not exist: nothing to overwrite"))
    if dry_run or ctx.session.dry_run:
        ctx.decision = Decision.DRY_RUN
        plan = Plan(action=f"create collection {name}", targets=(name,),
                    preview=(Document(cls, title=f"class it would create from {source}"),),
                    requests=("POST /v1/schema",), objects=0)
        return notes + dry_run_results(plan)
    created = _post(ctx, cls)
    return [*notes, Message(f"created collection {created.get('class', name)} from {source}"),
            _summary(created, source)]


@command(
    "templates", "List the collection templates, or show one.",
    args=(Arg("action", Kind.CHOICE, "show: print one template", required=False,
              choices=("show",)),
          Arg("name", Kind.TEXT, "the template to show", required=False)),
    group="lifecycle", needs_connection=False,
    help="Without arguments, lists the templates \\create --from-template accepts: name,\n"
         "source (built-in, or the file that defines it) and description. \\templates show\n"
         "NAME prints one: the class fields it contributes, and its description.\n"
         "A template is a YAML file: any class fields except the name, plus description:\n"
         "(for people; it is not sent). Your own go in ~/.config/elysiactl/templates/\n"
         "(NAME.yaml) and override a built-in of the same name.\n\n"
         "  \\templates\n  \\templates show compressed --format yaml",
)
def templates_cmd(ctx: CommandContext, *, action: str | None,
                  name: str | None) -> Result | list[Result]:
    """``\\templates``: a Table of templates; ``\\templates show T``: a Document."""
    dirs = _template_dirs(ctx)
    if action is None:
        found, errors = templates.list_templates(dirs)
        table = Table(("name", "source", "description"),
                      tuple((t.name, t.source, t.description) for t in found),
                      title="Templates",
                      note=r"\create NAME --from-template T uses one; \templates show T "
                           "prints it")
        return [*(Message(f"{e.message}", Level.WARNING) for e in errors), table]
    if not name:
        raise UsageError(r"\templates show: missing NAME", r"usage: \templates show NAME")
    template = templates.get_template(name, dirs)
    return Document(template.to_data(), title=f"Template {template.name} ({template.source})")
