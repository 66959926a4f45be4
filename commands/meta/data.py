"""Reading data: ``\\objects`` (the ``after`` cursor), ``\\get`` and ``\\count`` (exact).

For a multi-tenant collection ``--tenant`` defaults to the session's tenant; a
tenant given for a collection that is not multi-tenant is refused before any request.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ApiError, ShellError
from commands.lazy import lazy_module
from commands.ops.schema import class_property, get_class, split_property
from commands.results import Document, Record, Result, Table
from commands.spec import Arg, Kind, Opt, command

collections = lazy_module("commands.ops.collections")
objects = lazy_module("commands.ops.objects")
tenants = lazy_module("commands.ops.tenants")

COLLECTION = Arg("collection", Kind.COLLECTION, "a collection or an alias",
                 from_context=True)
DOTTED = Arg("collection", Kind.COLLECTION, "a collection or an alias; COLLECTION.PROPERTY "
             "picks one property", from_context=True, dotted=True)
TENANT = Opt("--tenant", Kind.TENANT, "tenant of a multi-tenant collection "
                                      "(default: the session's tenant)")
DEFAULT_LIMIT = 20
PREVIEW = 3


def _tenant(ctx: CommandContext, cls: dict[str, Any], given: str | None) -> str | None:
    """The tenant to send: the given one, else the session's for a multi-tenant class."""
    name = cls["class"]
    if not collections.is_multi_tenant(cls):
        if given:
            raise ShellError(f"{name} is not multi-tenant, so it takes no tenant",
                             "leave out --tenant")
        return None
    return given or ctx.session.tenant


def _with_hint(ctx: CommandContext, name: str, exc: ShellError) -> ShellError:
    """Add a hint to Weaviate's multi-tenancy errors (missing, unknown or inactive tenant)."""
    text = exc.message
    if "without tenant" in text or "tenant not found" in text:
        exc.hint = tenants.tenant_hint(ctx.api, name)
    elif "not active" in text:
        exc.hint = (f"\\tenants {name} shows each tenant's status; an inactive tenant must be "
                    "activated before it can be read")
    return exc


def _columns(cls: dict[str, Any], wanted: str | None) -> list[str]:
    """Top-level property names to show: all of them, or the comma list ``wanted``."""
    known = [p["name"] for p in cls.get("properties") or []]
    if not wanted:
        return known
    out: list[str] = []
    for raw in (w.strip() for w in wanted.split(",")):
        if not raw:
            continue
        name = class_property(cls, raw)["name"]
        if name not in out:
            out.append(name)
    return out


def _preview(vector: Any) -> str:
    if vector and isinstance(vector[0], list):
        return f"{len(vector)}x{len(vector[0])} multi-vector"
    head = ", ".join(f"{x:.3f}" for x in vector[:PREVIEW])
    return f"{len(vector)}d [{head}{', ...' if len(vector) > PREVIEW else ''}]"


def vector_preview(obj: dict[str, Any]) -> str | None:
    """``32d [0.120, -0.031, 0.447, ...]``, or per named vector ``name: 64d [...]``."""
    parts = []
    if obj.get("vector"):
        parts.append(_preview(obj["vector"]))
    for name, vec in (obj.get("vectors") or {}).items():
        if vec:
            parts.append(f"{name}: {_preview(vec)}")
    return "; ".join(parts) or None


@command(
    "objects", "Page through a collection's objects in id order.",
    args=(COLLECTION,),
    opts=(Opt("--limit", Kind.INT, "objects per page, 1 to 10000 (default 20)",
              default=DEFAULT_LIMIT),
          Opt("--after", Kind.UUID, "start after this id (the cursor; default: the start)"),
          TENANT,
          Opt("--properties", Kind.PROPERTY, "comma-separated properties to show, e.g. "
                                             "title,rating (default: all)"),
          Opt("--vector", flag=True, help="add each vector's dimensions and first values")),
    group="inspect",
    help="Lists objects in UUID order with Weaviate's cursor (GET /v1/objects?after=): the\n"
         "note under the table gives the command for the next page. Without --properties\n"
         "every property is shown (a table shortens long values; JSON and YAML keep them\n"
         "whole). --vector adds a preview; \\get NAME UUID --vector shows a whole vector.\n\n"
         "  \\objects Article --limit 5 --properties title,rating\n"
         "  \\objects Article --after 00ef873f-0906-4665-9ad2-6b5808d9d98c\n"
         "  \\objects SupportTicket --tenant acme",
)
def objects_cmd(ctx: CommandContext, *, collection: str, limit: int, after: str | None,
                tenant: str | None, properties: str | None, vector: bool) -> Result:
    """``\\objects``: a Table with one row per object."""
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    tenant = _tenant(ctx, cls, tenant)
    start = objects.canonical_uuid(after, "--after") if after else None
    columns = _columns(cls, properties)
    try:
        page = objects.list_objects(ctx.api, name, limit=limit, after=start, tenant=tenant,
                                    include_vector=vector)
    except ApiError as exc:
        raise _with_hint(ctx, name, exc) from None
    rows = []
    for obj in page.objects:
        props = obj.get("properties") or {}
        row: tuple[Any, ...] = (obj.get("id"), *(props.get(p) for p in columns))
        rows.append(row + (vector_preview(obj),) if vector else row)
    header = ("id", *columns, *(("vector",) if vector else ()))
    where = f"{name} (tenant {tenant})" if tenant else name
    notes = []
    if page.next_after:
        extra = (f" --tenant {tenant}" if tenant else "") + \
            (f" --limit {limit}" if limit != DEFAULT_LIMIT else "")
        notes.append(f"next page: \\objects {name} --after {page.next_after}{extra}")
    else:
        notes.append("end of the objects" if rows or start else f"{where} has no objects")
    note = "; ".join(notes)
    return Table(tuple(header), tuple(rows), title=f"Objects of {where}", note=note)


@command(
    "get", "Show one object by its id.",
    args=(DOTTED, Arg("uuid", Kind.UUID, "the object's id")),
    opts=(TENANT, Opt("--vector", flag=True, help="include the object's vector(s)")),
    group="inspect",
    help="Prints the object as Weaviate returns it (GET /v1/objects/NAME/UUID): properties,\n"
         "timestamps, tenant and, with --vector, its vector or named vectors.\n"
         "COLLECTION.PROPERTY keeps only that property of the object.\n\n"
         "  \\get Article 00ef873f-0906-4665-9ad2-6b5808d9d98c --vector\n"
         "  \\get Article.title 00ef873f-0906-4665-9ad2-6b5808d9d98c",
)
def get_object_cmd(ctx: CommandContext, *, collection: str, uuid: str, tenant: str | None,
                   vector: bool) -> Result:
    """``\\get``: a Document with the object JSON."""
    object_id = objects.canonical_uuid(uuid)
    collection, picked = split_property(collection)
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    prop = class_property(cls, picked)["name"] if picked else None
    tenant = _tenant(ctx, cls, tenant)
    try:
        obj = objects.get_object(ctx.api, name, object_id, tenant=tenant, include_vector=vector)
    except ApiError as exc:
        raise _with_hint(ctx, name, exc) from None
    where = f"{name} (tenant {tenant})" if tenant else name
    if obj is None:
        raise ShellError(f"no object {object_id} in {where}",
                         f"\\objects {name} lists its objects")
    if prop is not None:
        obj = {**obj, "properties": {prop: (obj.get("properties") or {}).get(prop)}}
    return Document(obj, title=f"{where} {object_id}" + (f": {prop}" if prop else ""))


@command(
    "count", "Count a collection's objects exactly.",
    args=(COLLECTION,),
    opts=(TENANT,),
    group="inspect",
    help="Counts with GraphQL Aggregate, which is exact (\\ls shows approximate counts).\n"
         "A multi-tenant collection is counted one tenant at a time.\n\n"
         "  \\count Article\n  \\count SupportTicket --tenant acme",
)
def count_cmd(ctx: CommandContext, *, collection: str, tenant: str | None) -> Result:
    """``\\count``: a Record ``{collection, tenant, count}``."""
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    tenant = _tenant(ctx, cls, tenant)
    if collections.is_multi_tenant(cls) and not tenant:
        raise ShellError(f"{name} is multi-tenant: objects are counted one tenant at a time",
                         tenants.tenant_hint(ctx.api, name))
    try:
        count = objects.aggregate_count(ctx.api, name, tenant)
    except ShellError as exc:
        raise _with_hint(ctx, name, exc) from None
    return Record({"collection": name, "tenant": tenant, "count": count}, title=f"Count of {name}")
