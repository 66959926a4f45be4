""""Did you mean" for a missing collection without downloading the schema: from the REPL's
completion cache, else GraphQL introspection, else (GraphQL unavailable) ``GET /v1/schema``.
Each test checks what the user reads and which requests the server received."""

from __future__ import annotations

import difflib
import io
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.did_you_mean import NameMatcher
from commands.dispatch import Dispatcher
from commands.errors import ShellError
from commands.meta import MODULES
from commands.ops.schema import get_class
from commands.registry import Registry
from sandbox import Sandbox
from shell.app import run_repl
from shell.config import Settings
from shell.render import Renderer
from shell.runner import LineRunner
from tests.conftest import make_session

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ("GET", "/v1/schema")


@pytest.fixture(scope="module")
def demo() -> Iterator[Sandbox]:
    """The demo collections, one without properties and an alias: the tests only read."""
    with Sandbox(seed="demo") as server:
        httpx.post(f"{server.url}/v1/schema", json={"class": "Plain"}).raise_for_status()
        httpx.post(f"{server.url}/v1/aliases",
                   json={"alias": "Articles", "class": "Article"}).raise_for_status()
        yield server


def requests_after(url: str, action) -> tuple[object, list[tuple[str, str]]]:
    """``action()``'s result and the ``/v1`` requests it made."""
    httpx.delete(f"{url}/__sandbox/requests").raise_for_status()
    result = action()
    return result, [(e["method"], e["path"]) for e in
                    httpx.get(f"{url}/__sandbox/requests").json()]


def dispatcher_for(url: str) -> Dispatcher:
    return Dispatcher(Registry.from_modules(MODULES), make_session(url), MemoryAuditLog())


def test_the_hint_comes_from_introspection_not_the_schema(demo: Sandbox) -> None:
    dispatcher = dispatcher_for(demo.url)
    outcome, sent = requests_after(demo.url, lambda: dispatcher.execute(r"\show Artcle", "t"))
    assert outcome.error.message == "no collection named 'Artcle'"
    assert outcome.error.hint == "did you mean Article or Articles?"
    assert sent == [("GET", "/v1/schema/Artcle"), ("POST", "/v1/graphql")]


def test_a_class_without_properties_is_suggested(demo: Sandbox) -> None:
    outcome = dispatcher_for(demo.url).execute(r"\show plain", "t")
    assert outcome.error is None  # Weaviate upper-cases the first letter itself
    outcome, sent = requests_after(demo.url,
                                   lambda: dispatcher_for(demo.url).execute(r"\show Plian", "t"))
    assert outcome.error.hint == "did you mean Plain?"
    assert SCHEMA not in sent


def test_a_name_weaviate_could_never_accept_is_hinted_without_a_lookup(demo: Sandbox) -> None:
    outcome, sent = requests_after(
        demo.url, lambda: dispatcher_for(demo.url).execute(r"\show Support-Ticket", "t"))
    assert outcome.error.hint == "did you mean SupportTicket?"
    assert sent == [("POST", "/v1/graphql")]


def test_elysiactl_dash_c_hints_without_the_schema(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done, sent = requests_after(demo.url, lambda: subprocess.run(
        [sys.executable, "-m", "shell", "--url", demo.url, "-c", r"\show supportticke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60))
    assert done.returncode == 1
    assert "error: no collection named 'supportticke'" in done.stderr
    assert "hint: did you mean SupportTicket?" in done.stderr
    assert ("POST", "/v1/graphql") in sent and SCHEMA not in sent


def test_the_hook_answers_without_any_request(demo: Sandbox) -> None:
    """A session that knows the names (the REPL's cache) asks the server nothing more; the
    names it knows are the ones suggested, even ones the server never had."""
    dispatcher = dispatcher_for(demo.url)
    dispatcher.session.known_collections = lambda: ("Zebra", "Artclx")
    outcome, sent = requests_after(demo.url, lambda: dispatcher.execute(r"\show Artcle", "t"))
    assert outcome.error.hint == "did you mean Artclx?"
    assert sent == [("GET", "/v1/schema/Artcle")]


def test_another_clusters_client_does_not_use_the_sessions_names(demo: Sandbox) -> None:
    """A second connection (``--target``) is asked itself, never answered from the cache
    of the session's cluster."""
    dispatcher = dispatcher_for(demo.url)
    dispatcher.session.known_collections = lambda: ("Zebra", "Artclx")
    dispatcher.execute(r"\show Artcle", "t")  # the hook is now the running session's
    with pytest.raises(ShellError) as failure:
        get_class(RestClient(demo.url, retries=0), "Artcle")
    assert failure.value.hint == "did you mean Article or Articles?"


def test_a_hook_with_nothing_yet_falls_back_to_introspection(demo: Sandbox) -> None:
    dispatcher = dispatcher_for(demo.url)
    dispatcher.session.known_collections = lambda: None  # cache not filled yet
    outcome, sent = requests_after(demo.url, lambda: dispatcher.execute(r"\show Artcle", "t"))
    assert outcome.error.hint == "did you mean Article or Articles?"
    assert ("POST", "/v1/graphql") in sent and SCHEMA not in sent


def test_the_repl_hints_from_its_completion_cache(demo: Sandbox, tmp_path: Path,
                                                  monkeypatch) -> None:
    """Once the cache is filled, a typo costs one lookup: a collection created behind the
    shell's back (so not in the cache) is not suggested, and nothing else is fetched."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    renderer = Renderer(Console(file=out, width=120), Console(file=err, width=120))
    dispatcher = dispatcher_for(demo.url)
    session: Session = dispatcher.session
    sent: list[tuple[str, str]] = []

    def type_once_the_cache_is_filled(pipe) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
                session.known_collections is None or session.known_collections() is None):
            time.sleep(0.02)
        httpx.post(f"{demo.url}/v1/schema", json={"class": "Artcles"}).raise_for_status()
        httpx.delete(f"{demo.url}/__sandbox/requests").raise_for_status()
        pipe.send_text("\\show Artcle\r")
        while "no collection named" not in err.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        sent.extend((e["method"], e["path"]) for e in
                    httpx.get(f"{demo.url}/__sandbox/requests").json())
        pipe.send_text("\\q\r")

    try:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            typist = threading.Thread(target=type_once_the_cache_is_filled, args=(pipe,))
            typist.start()
            assert run_repl(LineRunner(dispatcher, lambda: renderer), Settings(), input=pipe,
                            output=DummyOutput()) == 0
            typist.join()
    finally:
        httpx.delete(f"{demo.url}/v1/schema/Artcles").raise_for_status()
    assert "error: no collection named 'Artcle'" in err.getvalue()
    assert "hint: did you mean Article or Articles?" not in err.getvalue()
    assert "hint: did you mean Article?" in err.getvalue()
    # (the toolbar's own GET /v1/nodes may still be on its way: not the hint's)
    assert ("GET", "/v1/schema/Artcle") in sent
    assert SCHEMA not in sent and ("POST", "/v1/graphql") not in sent


def test_an_empty_schema_falls_back_and_says_where_to_look() -> None:
    """No classes: Weaviate's GraphQL has no provider (422), so the full schema is read."""
    with Sandbox() as empty:
        outcome, sent = requests_after(
            empty.url, lambda: dispatcher_for(empty.url).execute(r"\show Nothing", "t"))
    assert outcome.error.hint == r"\ls lists the collections"
    assert sent == [("GET", "/v1/schema/Nothing"), ("POST", "/v1/graphql"), SCHEMA]


@pytest.mark.parametrize(("status", "message"), [
    (422, "graphql api is disabled"),  # DISABLE_GRAPHQL
    (403, "due to GraphQL introspection, this role must have the permission to "
          "`read_collections` on `*` (all) collections: forbidden"),
    (410, "graphql api is not supported in the current cluster configuration"),
])
def test_without_graphql_the_hint_reads_the_schema(status: int, message: str) -> None:
    """Server configurations the sandbox does not model: Weaviate's answers for them
    (adapters/handlers/rest/handlers_graphql.go), then today's full schema read."""
    seen: list[tuple[str, str]] = []

    def weaviate(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/v1/graphql":
            return httpx.Response(status, json={"error": [{"message": message}]})
        if request.url.path == "/v1/schema":
            return httpx.Response(200, json={"classes": [{"class": "Article"},
                                                         {"class": "Product"}]})
        return httpx.Response(404)

    api = RestClient("http://weaviate.test", retries=0, transport=httpx.MockTransport(weaviate))
    with pytest.raises(ShellError) as failure:
        get_class(api, "Artcle")
    assert failure.value.hint == "did you mean Article?"
    assert seen == [("GET", "/v1/schema/Artcle"), ("POST", "/v1/graphql"), SCHEMA]


def test_a_refused_schema_read_still_reports_the_missing_collection() -> None:
    def weaviate(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/schema/Artcle":
            return httpx.Response(404)
        return httpx.Response(403, json={"error": [{"message": "forbidden"}]})

    api = RestClient("http://weaviate.test", retries=0, transport=httpx.MockTransport(weaviate))
    with pytest.raises(ShellError) as failure:
        get_class(api, "Artcle")
    assert failure.value.message == "no collection named 'Artcle'"
    assert failure.value.hint == r"\ls lists the collections"


def test_the_matcher_gives_difflibs_answer_ignoring_case() -> None:
    rng = random.Random(5)
    words = ("Article", "Product", "Ticket", "Chunk", "Order", "Event", "Image", "Audit")
    names = sorted({rng.choice(words) + rng.choice(words) + str(rng.randrange(10_000))
                    for _ in range(1_000)} | {"A", "Ab", "x_Y"})
    matcher = NameMatcher(names)
    lowered = {n.lower(): n for n in names}
    queries = ["", "a", "xy", "nosuchthing", "ARTICLEPRODUCT12", "chunkchunk"]
    for _ in range(100):
        name = rng.choice(names)
        i = rng.randrange(len(name))
        queries.append(rng.choice((name[:i] + name[i + 1:], name[:i] + "q" + name[i:],
                                   name.upper(), name[:i])))
    for query in queries:
        expected = [lowered[m] for m in
                    difflib.get_close_matches(query.lower(), list(lowered), n=3, cutoff=0.6)]
        assert matcher.close(query) == expected, query


def test_every_kind_of_unknown_name_gets_one_hint_ignoring_case() -> None:
    """commands.did_you_mean: commands, subcommands, templates, types and permission actions
    share one matcher (case ignored, one cutoff) and one wording."""
    from commands.errors import UsageError
    from commands.ops.rbac.permissions import check_action
    from commands.ops.templates import get_template, parse_property
    from commands.parse import parse

    registry = Registry.from_modules(MODULES)
    for call, hint in ((lambda: parse(r"\LSS", registry), r"did you mean \ls?"),
                       (lambda: parse(r"\user CRAETE x", registry), r"did you mean \user create?"),
                       (lambda: get_template("STANDARD"), "did you mean standard?"),
                       (lambda: parse_property("price:nubmer"), "did you mean number or number[]?"),
                       (lambda: check_action("READ_DATA"), "did you mean read_data or ")):
        with pytest.raises(ShellError) as caught:
            call()
        assert caught.value.hint.startswith(hint), caught.value.hint
    with pytest.raises(UsageError, match="unknown command"):
        parse(r"\zzzz", registry)
