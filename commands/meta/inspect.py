"""Inspection of collections and the cluster: ``\\ls``, ``\\show``, ``\\nodes``, ``\\tenants``
(``\\shards`` is in ``commands.meta.shards``). Thin adapters from arguments to
``commands.ops`` and back to results.
"""

from __future__ import annotations

from typing import Any

from commands.context import CommandContext
from commands.errors import ShellError, UsageError
from commands.lazy import lazy_module
from commands.meta.data import DOTTED
from commands.ops.schema import class_property, get_class, split_property
from commands.results import Document, Record, Result, Table
from commands.spec import Arg, Kind, Opt, command

cluster = lazy_module("commands.ops.cluster")
collections = lazy_module("commands.ops.collections")
tenants = lazy_module("commands.ops.tenants")

COLLECTION = Arg("collection", Kind.COLLECTION, "a collection or an alias",
                 from_context=True)
APPROXIMATE = ("object counts are approximate (from /v1/nodes, which counts data as it is "
               "flushed to disk)")
EXACT = "; \\count NAME gives an exact count"


@command(
    "ls", "List collections with approximate object counts.",
    args=(Arg("pattern", Kind.PATTERN, "glob filter on the name, e.g. 'Art*'", required=False),),
    opts=(Opt("--filter", Kind.PATTERN, "glob filter on the name (same as PATTERN)"),
          Opt("--verbose", flag=True,
              help="add replication, shards, multi-tenancy, vectorizer and vector index")),
    group="inspect",
    help="Lists every collection, sorted by name. PATTERN and --filter are shell globs\n"
         "(*, ?, [abc]) matched case-insensitively against the whole name; given both,\n"
         "a name must match both. Object counts come from /v1/nodes and are approximate\n"
         "(recent writes show up once flushed); tenants counts the active tenants of\n"
         "multi-tenant collections (inactive ones are not loaded). Two requests, however\n"
         "many collections there are.\n\n"
         "  \\ls\n  \\ls Art*\n  \\ls --filter 'test_*' --verbose --format json",
)
def list_collections_cmd(ctx: CommandContext, *, pattern: str | None, filter: str | None,
                         verbose: bool) -> Result:
    """``\\ls``: a Table of collections."""
    patterns = [p for p in (pattern, filter) if p]
    found = collections.list_collections(ctx.api, patterns, vectors_too=verbose)
    columns: tuple[str, ...] = ("name", "objects", "tenants", "description")
    if verbose:
        columns += ("replication", "shards", "multi_tenancy", "vectorizer", "vector_index")
    rows = []
    for c in found:
        row: tuple[Any, ...] = (c.name, c.objects, c.tenants, c.description)
        if verbose:
            row += (c.replication, c.shards, c.multi_tenancy, c.vectorizer, c.vector_index)
        rows.append(row)
    if found:
        note = APPROXIMATE + EXACT
        if any(c.multi_tenancy for c in found):
            note += "; tenants counts active tenants only"
    else:
        note = "no collection matches " + " and ".join(repr(p) for p in patterns) \
            if patterns else "no collections"
    return Table(columns, tuple(rows), title="Collections", note=note)


def _show_fields(details: collections.CollectionDetails) -> dict[str, Any]:
    cls = details.definition
    mt = cls.get("multiTenancyConfig") or {}
    sharding = cls.get("shardingConfig") or {}
    fields: dict[str, Any] = {
        "name": cls["class"],
        "description": cls.get("description"),
        "objects": details.objects,
        "objects_exact": details.objects_exact,
    }
    if details.tenant_status is not None:
        fields["objects_note"] = (
            "approximate total of the active tenants (from /v1/nodes); counts are exact per "
            f"tenant: \\count {cls['class']} --tenant T")
        fields["tenants"] = details.tenant_status
    fields.update({
        "properties": collections.property_rows(cls),
        "vectorizer": collections.vectorizer_summary(cls),
        "vector_index": collections.vector_index_summary(cls),
        "vectors": [{"name": v.name, "vectorizer": v.vectorizer, "index_type": v.index_type,
                     "compression": v.compression, "distance": v.distance}
                    for v in collections.vectors(cls)],
        "replication_factor": (cls.get("replicationConfig") or {}).get("factor"),
        "shards_desired": None if mt.get("enabled") else sharding.get("desiredCount"),
        "multi_tenancy": {"enabled": bool(mt.get("enabled")),
                          "auto_tenant_creation": bool(mt.get("autoTenantCreation")),
                          "auto_tenant_activation": bool(mt.get("autoTenantActivation"))},
        "shards_per_node": details.shards_per_node,
    })
    return fields


@command(
    "show", "Describe a collection: properties, vector index, replication, sharding, counts.",
    args=(DOTTED,),
    opts=(Opt("--schema", flag=True,
              help="print the class definition JSON as Weaviate returns it"),
          Opt("--stats", flag=True, help="add per-shard object counts and status")),
    aliases=("d",),
    group="inspect",
    help="Describes one collection (an alias shows its target): properties with data types\n"
         "and index flags, vectorizer and vector index with compression (per named vector),\n"
         "replication factor, shard count, multi-tenancy, the exact object count (GraphQL\n"
         "Aggregate; for a multi-tenant collection the approximate total of its active\n"
         "tenants) and shards per node. --stats adds one row per shard replica.\n"
         "--schema prints only the class JSON as GET /v1/schema/NAME returns it (less the\n"
         "empty shardingConfig of a multi-tenant collection), which POST /v1/schema accepts.\n"
         "COLLECTION.PROPERTY describes that property alone (its JSON with --schema):\n\n"
         "  \\show Article\n  \\d Product --stats\n  \\show Article --schema --format json\n"
         "  \\show Article.wordCount",
)
def show_collection_cmd(ctx: CommandContext, *, collection: str, schema: bool,
                        stats: bool) -> Result | list[Result]:
    """``\\show``: a Record (or the class JSON with ``--schema``)."""
    if schema and stats:
        raise UsageError("--schema and --stats cannot be combined",
                         "--schema prints the class JSON only")
    collection, picked = split_property(collection)
    if picked is not None:
        if stats:
            raise UsageError("--stats describes a whole collection, not one property",
                             f"\\show {collection} --stats")
        cls = get_class(ctx.api, collection)
        prop = class_property(cls, picked)
        title = f"{cls['class']}.{prop['name']}"
        return Document(prop, title=title) if schema else Record(dict(prop), title=title)
    if schema:
        cls = get_class(ctx.api, collection)
        return Document(collections.creatable(cls), title=f"Schema of {cls['class']}")
    details = collections.describe(ctx.api, collection)
    name = details.definition["class"]
    title = name if name.lower() == collection.lower() else f"{name} (alias {collection})"
    fields = _show_fields(details)
    if stats:
        fields["shards"] = [{"shard": r.shard, "node": r.node, "status": r.status,
                             "objects": r.objects, "loaded": r.loaded,
                             "compressed": r.compressed, "vector_queue": r.vector_queue}
                            for r in details.replicas]
    return Record(fields, title=title)


@command(
    "nodes", "List the cluster's nodes with status, version and totals.",
    group="inspect",
    help="One row per node from GET /v1/nodes?output=verbose: status (HEALTHY, UNHEALTHY,\n"
         "UNAVAILABLE, TIMEOUT), Weaviate version, approximate object count and the\n"
         "number of shard replicas it holds.",
)
def nodes_cmd(ctx: CommandContext) -> Result:
    """``\\nodes``: a Table of nodes."""
    rows = tuple((n.name, n.status, n.version, n.objects, n.shards)
                 for n in cluster.list_nodes(ctx.api))
    return Table(("name", "status", "version", "objects", "shards"), rows, title="Nodes",
                 note=APPROXIMATE)


@command(
    "tenants", "List the tenants of a multi-tenant collection with status and object counts.",
    args=(COLLECTION,),
    group="inspect",
    help="One row per tenant, sorted by name, with Weaviate's documented status names\n"
         "(ACTIVE, INACTIVE, OFFLOADED; transitional states such as FREEZING as they are)\n"
         "and the approximate object count of active tenants (inactive tenants are not\n"
         "loaded, so theirs is empty).",
)
def tenants_cmd(ctx: CommandContext, *, collection: str) -> Result:
    """``\\tenants``: a Table of tenants."""
    cls = get_class(ctx.api, collection)
    name = cls["class"]
    if not collections.is_multi_tenant(cls):
        raise ShellError(f"{name} is not multi-tenant, so it has no tenants",
                         f"\\show {name} describes it; \\shards {name} lists its shards")
    found = tenants.list_tenants(ctx.api, name)
    rows = tuple((t.name, t.status, t.objects) for t in found)
    note = APPROXIMATE if found else f"{name} has no tenants yet"
    if any(t.objects is None for t in found):
        note += "; inactive tenants are not loaded, so they have no count"
    return Table(("name", "status", "objects"), rows, title=f"Tenants of {name}", note=note)
