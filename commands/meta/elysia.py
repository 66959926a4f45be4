"""``\\elysia``: which collections Elysia has preprocessed, when, and whether it is stale."""

from __future__ import annotations

from commands.context import CommandContext
from commands.lazy import lazy_module
from commands.ops.schema import fetch_schema
from commands.results import Level, Message, Result, Table
from commands.spec import Opt, command

elysia = lazy_module("commands.ops.elysia")


@command(
    "elysia", "Show the collections Elysia has preprocessed, when, and whether that is stale.",
    opts=(Opt("--stale", flag=True, help="only the collections whose metadata is stale or "
                                         "whose collection is gone"),),
    group="cluster",
    help="Elysia (Weaviate's agentic RAG framework) keeps its state in the cluster:\n"
         "ELYSIA_METADATA__ (one object per preprocessed collection: its summary, fields\n"
         "and object count at the time), ELYSIA_CHUNKED_<name>__ (chunks of a collection),\n"
         "ELYSIA_CONFIG__, ELYSIA_FEEDBACK__ and ELYSIA_TREES__. Each preprocessed\n"
         "collection is compared with what it is now: 'stale' when its object count or\n"
         "its properties (added, removed, retyped) changed since, so Elysia's summary and\n"
         "field statistics describe data that is no longer there (re-run Elysia's\n"
         "preprocess); 'missing' when the collection is gone (\\rm --with-elysia removes\n"
         "the metadata with the collection). A second table lists Elysia's collections.\n"
         "These collections are protected by default (\\protected). Requests: the schema,\n"
         "the metadata objects, one count per preprocessed collection.\n\n"
         "  \\elysia\n  \\elysia --stale --format json",
)
def elysia_cmd(ctx: CommandContext, *, stale: bool) -> list[Result]:
    """``\\elysia``: the preprocessed collections, then Elysia's own collections."""
    classes = fetch_schema(ctx.api)
    state = elysia.read_state(ctx.api, classes)
    if not state.collections:
        return [Message("Elysia has no collections on this cluster (no ELYSIA_* collection)")]
    found = elysia.compare(ctx.api, state, classes)
    shown = [p for p in found if p.status != "current"] if stale else found
    rows = tuple((p.collection, p.preprocessed_at, p.length, p.objects, p.chunked, p.status,
                  "; ".join(p.reasons) or None) for p in shown)
    outdated = sum(p.status != "current" for p in found)
    out: list[Result] = [Table(
        ("collection", "preprocessed", "objects_then", "objects_now", "chunked", "status",
         "changes"), rows, title="Collections Elysia has preprocessed",
        note=None if found else "ELYSIA_METADATA__ holds no preprocessed collection")]
    if not stale:
        rows = tuple((name, holds, elysia.owner(name, classes) or (
            "(gone)" if holds == "chunks" else None))
                     for name, holds in sorted(state.collections.items()))
        out.append(Table(("collection", "holds", "of"), rows, title="Elysia's collections",
                         note="protected by default; chunks of a collection that is gone are "
                              "left over"))
    if outdated:
        out.append(Message(f"{outdated} of {len(found)} preprocessed collections are stale or "
                           "gone: re-run Elysia's preprocess for them", Level.WARNING))
    return out
