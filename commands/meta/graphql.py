"""``\\graphql QUERY``: a GraphQL query, also run by typing it bare at the prompt.

A line starting with ``{``, ``Get``, ``Aggregate``, ``Explore``, ``query`` or ``mutation``
is turned into this command by the line runner (``commands.graphql_text``).
"""

from __future__ import annotations

from commands.context import CommandContext
from commands.lazy import lazy_module
from commands.results import Document, Level, Message, Record, Table
from commands.spec import Arg, Kind, command

graphql_ops = lazy_module("commands.ops.graphql")


@command(
    "graphql", "Run a GraphQL query (Get, Aggregate, Explore) and show its data.",
    args=(Arg("query", Kind.GRAPHQL, "the query as typed: braces, quotes and several lines",
              verbatim=True),),
    group="inspect",
    help="Sends the query to POST /v1/graphql. Typing the query bare at the prompt does the\n"
         "same: a line starting with {, Get, Aggregate, Explore or query is a query, and\n"
         "it continues over several lines until its braces balance. A bare Get {...} or\n"
         "Aggregate {...} is wrapped in { } as Weaviate requires. Each list of objects is a\n"
         "table (nested fields as _additional.id); --format json|yaml gives the data as\n"
         "Weaviate sent it. Each GraphQL error is one line with its path and place, and the\n"
         "command fails with status 1. When Weaviate answers part of a query (one class\n"
         "fails, e.g. a multi-tenant one without its tenant: that field is null), the data\n"
         "that came back is shown, each error is a warning line, and the status is still 1.\n"
         "Weaviate's GraphQL only reads: it has no mutations.\n\n"
         "  Get { Article(limit: 3) { title _additional { id } } }\n"
         "  { Aggregate { Article { meta { count } } } }\n"
         "  \\graphql --format json Get { Article(where: {path: [\"title\"], operator: Like,\n"
         "      valueText: \"*vector*\"}) { title } }",
)
def graphql(ctx: CommandContext, *, query: str) -> list[Table | Record | Message | Document]:
    """``\\graphql``: a table per list of objects, or the whole ``data`` as JSON/YAML, and
    a warning for each error of a partial answer (the command then fails)."""
    answer = graphql_ops.run_query(ctx.api, query)
    notes = [Message(line, Level.WARNING) for line in answer.warnings]
    if answer.hint:
        notes.append(Message(f"hint: {answer.hint}"))
    if answer.warnings:  # fails as an answer of errors only does: a script stops on it
        ctx.exit_code, ctx.status = 1, "partial"
    if ctx.format != "table":
        return [Document(answer.data), *notes]
    return [*graphql_ops.tables(answer.data, query, answer.failed), *notes]
