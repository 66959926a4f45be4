"""GraphQL at the prompt (issue 13): bare queries in the REPL and in scripts, over several
lines, their tables, JSON and errors, completion inside a query, highlighting, and the
sandbox's Get that they run against."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pexpect
import pytest
from inprocess_support import elysiactl_here
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from pygments.token import Error
from test_shell_repl import repl, terminal  # noqa: F401 - terminal: a pty fixture

from commands.graphql_text import command_line, joined, unfinished
from commands.meta import MODULES
from commands.parse import parse
from commands.registry import Registry
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from sandbox import Sandbox
from shell.lexer import MetaCommandLexer

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = Registry.from_modules(MODULES)


@pytest.fixture
def demo(demo: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """conftest's demo sandbox, shared by the module (these tests only query it), with a
    state directory of the test's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return demo


def first_articles(url: str, n: int) -> list[dict[str, Any]]:
    """The first ``n`` Articles as REST lists them (id order)."""
    return httpx.get(f"{url}/v1/objects", params={"class": "Article", "limit": n},
                     timeout=10).json()["objects"]


# --- the REPL (pipe input) ------------------------------------------------------------------

def test_repl_runs_a_bare_get_as_a_table(demo: Sandbox) -> None:
    dispatcher, out, err = repl(demo.url, "Get { Article(limit: 2) { wordCount title "
                                          "_additional { id } } }\r\\q\r")
    header = next(line for line in out.splitlines() if "title" in line)
    # the columns in the order the query selects them (Weaviate sends them sorted)
    assert header.split() == ["wordCount", "title", "_additional.id"]
    for obj in first_articles(demo.url, 2):
        assert obj["id"] in out and obj["properties"]["title"] in out
    assert "(2 rows)" in err
    entry = next(iter(dispatcher.audit.entries()))
    assert entry["command"] == "graphql" and entry["status"] == "ok"
    assert entry["arguments"]["query"].startswith("Get { Article(limit: 2)")


def test_repl_continues_a_query_until_its_braces_balance(demo: Sandbox) -> None:
    keys = ("Aggregate {\r"
            "  Article { meta { count } }\r"  # still open: Enter starts a new line
            "  Product {\r"
            "    # a comment's } does not count, nor a string's\r"
            "    meta { count }\r"
            "  }\r"
            "}\r"  # balanced: Enter runs it
            "\\count Product\r\\q\r")
    dispatcher, out, err = repl(demo.url, keys)
    assert [e["command"] for e in dispatcher.audit.entries()] == ["graphql", "count", "q"]
    assert "Article" in out and "Product" in out
    assert "250" in out and "120" in out
    assert "error" not in err
    assert dispatcher.session.history[0].count("\n") == 6  # one entry of seven lines


def test_repl_shows_each_graphql_error_with_its_path(demo: Sandbox) -> None:
    dispatcher, out, err = repl(demo.url, 'Aggregate { SupportTicket(tenant: "a}b") '
                                          "{ meta { count } } }\r\\q\r")
    # the brace inside the string reached the server as typed
    assert 'error: tenant not found: "a}b" (path Aggregate.SupportTicket; line 1, column 13)' \
        in err
    assert next(iter(dispatcher.audit.entries()))["status"] == "error"


PARTIAL = "{ Aggregate { Article { meta { count } } SupportTicket { meta { count } } } }"
NO_TENANT = ("class SupportTicket has multi-tenancy enabled, but request was without tenant "
             "(path Aggregate.SupportTicket; line 1, column 42)")


def test_repl_shows_a_partial_answer_and_its_errors_as_warnings(demo: Sandbox) -> None:
    """Weaviate answers what it can (REST-BEHAVIOUR.md §10): the multi-tenant class without
    its tenant is null with an error, Article is counted."""
    dispatcher, out, err = repl(demo.url, PARTIAL + "\r\\graphql --format json "
                                + PARTIAL + "\r\\q\r")
    table, document = out.split("{", 1)
    assert "250" in table and "SupportTicket" not in table  # its null is no value
    assert json.loads("{" + document) == {
        "Aggregate": {"Article": [{"meta": {"count": 250}}], "SupportTicket": None}}
    assert err.count(NO_TENANT) == 2 and "error:" not in err
    assert [e["status"] for e in dispatcher.audit.entries()][:2] == ["partial", "partial"]


def test_pty_continuation_prompt_and_ctrl_c(request: pytest.FixtureRequest) -> None:
    child: pexpect.spawn = request.getfixturevalue("terminal")  # test_shell_repl's
    child.send("Get {\r")
    child.expect(r"\.\.\.>")  # the continuation prompt (its blank is a cursor move)
    child.sendcontrol("c")  # drops the whole entry
    child.sendline("{ Aggregate { Product { meta { count } } } }")
    child.expect("meta.count")
    child.expect("120")
    child.sendline("\\q")
    child.expect(pexpect.EOF)


# --- script mode (in-process: test_shell_modes runs each mode as a process) ---------------

def elysiactl(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_STATE_HOME": str(tmp_path / "s")}
    return elysiactl_here(["--url", url, *args], env)


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_script_runs_a_multi_line_query(demo: Sandbox, tmp_path: Path) -> None:
    script = write(tmp_path / "report.elysia", "# the two first articles", "{", "  Get {",
                   "    Article(limit: 2, offset: 1) { title }", "  }", "}", "\\count Product")
    done = elysiactl(demo.url, tmp_path, "-f", str(script))
    assert done.returncode == 0, done.stderr
    titles = [o["properties"]["title"] for o in first_articles(demo.url, 3)]
    assert titles[0] not in done.stdout
    assert titles[1] in done.stdout and titles[2] in done.stdout
    assert "120" in done.stdout


def test_script_error_names_the_first_line_and_stops(demo: Sandbox, tmp_path: Path) -> None:
    script = write(tmp_path / "bad.elysia", "\\count Product", "Aggregate {",
                   "  SupportTicket { meta { count } }", "  Nothing { meta { count } }", "}",
                   "\\count Article")
    done = elysiactl(demo.url, tmp_path, "-f", str(script))
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert lines == [f'{script}:2: error: Cannot query field "Nothing" on type '
                     '"AggregateObjectsObj". (line 3, column 3)']
    assert "hint: \\ls lists the collections" in done.stderr
    assert "250" not in done.stdout  # the script stopped


def test_script_shows_a_partial_answer_then_stops(demo: Sandbox, tmp_path: Path) -> None:
    script = write(tmp_path / "partial.elysia", PARTIAL, "\\count Product")
    done = elysiactl(demo.url, tmp_path, "-f", str(script))
    assert done.returncode == 1
    assert "250" in done.stdout and "120" not in done.stdout  # the script stopped after it
    assert NO_TENANT in done.stderr.splitlines()
    assert f"{script}:1: \\graphql exited with status 1 (partial): the script stops" \
        in done.stderr


def test_json_gives_the_data(demo: Sandbox, tmp_path: Path) -> None:
    done = elysiactl(demo.url, tmp_path, "--format", "yaml", "-c",
                     "{ Aggregate { Article { meta { count } } } }")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == ["Aggregate:", "  Article:", "  - meta:",
                                            "      count: 250"]
    done = elysiactl(demo.url, tmp_path, "-c", "\\graphql --format json Get { Article(limit: 1)"
                                               " { title _additional { id } } }")
    obj = first_articles(demo.url, 1)[0]
    assert json.loads(done.stdout) == {"Get": {"Article": [
        {"_additional": {"id": obj["id"]}, "title": obj["properties"]["title"]}]}}


def test_mutation_is_answered_by_weaviate_with_a_hint(demo: Sandbox, tmp_path: Path) -> None:
    done = elysiactl(demo.url, tmp_path, "-c", "mutation { Get { Article { title } } }")
    assert done.returncode == 1
    assert "error: Schema is not configured for mutations (line 1, column 1)" in done.stderr
    assert "Weaviate's GraphQL has no mutations" in done.stderr


# --- lines, parsing, highlighting -----------------------------------------------------------

def test_which_lines_are_queries() -> None:
    assert command_line("Get { A { b } }") == "\\graphql Get { A { b } }"
    assert command_line("  { Aggregate { A { meta { count } } } }").startswith("\\graphql {")
    assert command_line("query Q { x }").startswith("\\graphql query")
    for line in ("get Article 1", "\\get Article", "Getter x", "queryX", "\\ls"):
        assert command_line(line) == line
    assert unfinished("Get {") and unfinished("\\graphql {\n a(b: \"}\")")
    assert not unfinished("Get { A { x } }") and not unfinished("\\ls {")
    joined_lines = list(joined([("f:1", "\\ls"), ("f:2", "Get {"), ("f:3", ' A(x: "{") { b }'),
                                ("f:4", "}"), ("f:5", "\\q")]))
    assert joined_lines == [("f:1", "\\ls"), ("f:2", 'Get {\n A(x: "{") { b }\n}'),
                            ("f:5", "\\q")]


def test_the_query_is_one_verbatim_argument() -> None:
    query = 'Get {\n  Article(where: {path: ["title"], operator: Like, valueText: "it\'s *"}) ' \
            "{ title }\n}"
    inv = parse("\\graphql --format yaml " + query, REGISTRY)
    assert inv.arguments == {"query": query} and inv.format == "yaml"
    assert parse("\\graphql --help", REGISTRY).help
    # the one-shot CLI (elysiactl col graphql QUERY) quotes it as one shell word
    assert parse("\\graphql " + shlex.join([query]), REGISTRY).arguments == {"query": query}


def test_queries_are_highlighted_as_graphql() -> None:
    for line in ('Get { Article(where: {operator: Like, valueText: "x"}) { title } }',
                 "{ Aggregate {\n  Article { meta { count } } } }",
                 "\\graphql --format json Get { Article { title } }"):
        tokens = list(MetaCommandLexer().get_tokens(line))
        assert not [t for t in tokens if t[0] in Error], line
        assert "".join(text for _, text in tokens).rstrip("\n") == line


# --- completion (the real completer, on a snapshot) -----------------------------------------

SNAPSHOT = MetadataSnapshot.from_schema([
    {"class": "Article", "properties": [{"name": "title", "dataType": ["text"]},
                                        {"name": "wordCount", "dataType": ["int"]}]},
    {"class": "ArticleDraft", "properties": [{"name": "text", "dataType": ["text"]}]},
    {"class": "Product", "properties": [{"name": "name", "dataType": ["text"]}]},
], fetched_at=1.0)


def offered(text: str) -> list[str]:
    completer = MetaCommandCompleter(REGISTRY, MetadataCache(SNAPSHOT))
    return [c.text for c in completer.get_completions(Document(text),
                                                      CompleteEvent(completion_requested=True))]


@pytest.mark.parametrize(("text", "expected"), [
    ("{ ", ["Get", "Aggregate", "Explore"]),
    ("Get { Art", ["Article", "ArticleDraft"]),
    ("{ Aggregate { P", ["Product"]),
    ("Get { Article { ", ["title", "wordCount", "_additional"]),
    ("Get {\n  Article {\n    title\n    w", ["wordCount"]),
    ("Get { Article { _additional { di", ["distance"]),
    ("Aggregate { Article { m", ["meta"]),
    ("Aggregate { Article { meta { ", ["count"]),
    ("Get { Article(li", ["limit"]),
    ("Get { Article(where: {pa", ["path"]),
    ("Get { Article(where: {path: [\"t", ["title"]),
    ("Get { Article(where: {path: [\"title\"], operator: Gr", ["GreaterThan",
                                                             "GreaterThanEqual"]),
    ("Get { Article(where: {path: [\"title\"], operator: Like, valueT",
     ["valueText", "valueTextArray"]),
    ("Get { Article(where: {operator: Or, operands: [{operator: Con",
     ["ContainsAny", "ContainsAll", "ContainsNone"]),
    ("Get { Article(nearText: {c", ["concepts", "certainty"]),
    ("Get { Article(limit: 3, bm25: {q", ["query"]),
    ("Get { Article(hybrid: {query: \"x\", fusionType: r", ["rankedFusion",
                                                            "relativeScoreFusion"]),
    ("\\graphql --format json { Get { Pro", ["Product"]),
])
def test_completion_inside_a_query(text: str, expected: list[str]) -> None:
    assert offered(text) == expected


def test_completion_outside_a_query_is_unchanged() -> None:
    assert offered("\\graphql --fo") == ["--format"]
    assert "\\graphql" in offered("\\graph")


# --- the sandbox's Get ----------------------------------------------------------------------

def gql(url: str, query: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/v1/graphql", json={"query": query}, timeout=10)
    assert response.status_code == 200
    return response.json()


def test_sandbox_get_lists_objects_as_rest_does(demo: Sandbox) -> None:
    rest = first_articles(demo.url, 3)
    body = gql(demo.url, "{ Get { Article(limit: 2, offset: 1) { title tags wordCount "
                         "__typename _additional { id creationTimeUnix lastUpdateTimeUnix "
                         "__typename } } } }")
    assert "errors" not in body
    rows = body["data"]["Get"]["Article"]
    assert [list(row) for row in rows] == [
        ["__typename", "_additional", "tags", "title", "wordCount"]] * 2  # sorted, as Go's
    for row, obj in zip(rows, rest[1:], strict=True):
        assert row["_additional"] == {"__typename": "ArticleAdditional", "id": obj["id"],
                                      "creationTimeUnix": str(obj["creationTimeUnix"]),
                                      "lastUpdateTimeUnix": str(obj["lastUpdateTimeUnix"])}
        assert row["title"] == obj["properties"]["title"] and row["__typename"] == "Article"
        assert row["tags"] == obj["properties"].get("tags")
    assert len(gql(demo.url, "{ Get { Article { title } } }")["data"]["Get"]["Article"]) == 100
    fields = gql(demo.url, '{ __type(name: "Article") { fields { name } } }')["data"]["__type"]
    assert [f["name"] for f in fields["fields"]][:3] == ["_additional", "authorId", "body"]


def test_sandbox_get_tenants_and_errors(demo: Sandbox) -> None:
    without = gql(demo.url, "{ Get { SupportTicket { subject } } }")
    assert without["data"] == {"Get": {"SupportTicket": None}}
    assert without["errors"][0]["path"] == ["Get", "SupportTicket"]
    with_tenant = gql(demo.url, '{ Get { SupportTicket(tenant: "acme", limit: 1) '
                                "{ subject } } }")
    assert len(with_tenant["data"]["Get"]["SupportTicket"]) == 1
    bad = gql(demo.url, '{ Get { Article(limit: "2") { title } } }')["errors"]
    assert bad == [{"locations": [{"column": 24, "line": 1}], "path": None,
                    "message": 'Argument "limit" has invalid value "2".\n'
                               'Expected type "Int", found "2".'}]
    unknown = gql(demo.url, "{ Get { Article { titel } } }")["errors"][0]["message"]
    assert unknown.startswith('Cannot query field "titel" on type "Article".')
    for query, what in [("{ Get { Article { location { latitude } } } }", '"location" is'),
                        ("{ Get { Article { _additional { distance } } } }", '"distance" is'),
                        ("{ Get { Article(bm25: {query: \"x\"}) { title } } }",
                         'the "bm25" argument is')]:
        assert gql(demo.url, query)["errors"][0]["message"].startswith(
            f"sandbox: {what} not emulated"), query


def test_an_empty_list_is_said_not_drawn(demo: Sandbox, tmp_path: Path) -> None:
    done = elysiactl(demo.url, tmp_path, "-c", "Get { Article(limit: 0) { title } }")
    assert done.returncode == 0 and done.stdout == ""
    assert "Get Article: no objects" in done.stderr
