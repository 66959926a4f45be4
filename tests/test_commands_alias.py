"""``\\alias``, ``\\alias create|set|rm`` through the dispatcher against the sandbox over HTTP,
and as ``elysiactl`` processes; the sandbox's request log proves what was (not) sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session, mutating_requests
from test_commands_tenant import Typist, cli, execute, messages

from commands.results import Table
from sandbox import Sandbox


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Sandbox]:
    """Products_v1 (2 objects, 2 properties), Products_v2 (1 object, 3 properties) and the
    alias Products naming Products_v1."""
    with Sandbox(backup_dir=tmp_path / "backups") as sandbox:
        with httpx.Client(base_url=sandbox.url) as http:
            props = [{"name": "name", "dataType": ["text"]},
                     {"name": "price", "dataType": ["number"]}]
            http.post("/v1/schema", json={"class": "Products_v1", "properties": props})
            http.post("/v1/schema", json={"class": "Products_v2", "properties": [
                *props, {"name": "sku", "dataType": ["text"]}]})
            for name, cls in (("a", "Products_v1"), ("b", "Products_v1"), ("c", "Products_v2")):
                http.post("/v1/objects", json={"class": cls, "properties": {"name": name}})
            http.post("/v1/aliases", json={"alias": "Products", "class": "Products_v1"})
            http.delete("/__sandbox/requests")
        yield sandbox


@pytest.fixture
def http(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def aliases(http: httpx.Client) -> dict[str, str]:
    return {a["alias"]: a["class"] for a in http.get("/v1/aliases").json()["aliases"]}


def test_list_and_filter(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    http.post("/v1/aliases", json={"alias": "Next", "class": "Products_v2"})
    outcome = execute(session, r"\alias")
    assert outcome.results[0].rows == (("Next", "Products_v2"), ("Products", "Products_v1"))
    outcome = execute(session, r"\alias --collection products_v2")
    assert outcome.results[0].rows == (("Next", "Products_v2"),)
    outcome = execute(session, r"\alias --collection Products_v1 --format json")
    assert outcome.results[0].to_data() == [{"alias": "Products", "collection": "Products_v1"}]


def test_create_and_its_dry_run(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    planned = execute(session, r"\alias create shop Products_v2 --dry-run")
    assert planned.confirmation == "dry-run" and mutating_requests(http) == []
    assert planned.results[-1].rows == (
        ("POST", '/v1/aliases {"alias":"Shop","class":"Products_v2"}'),)
    done = execute(session, r"\alias create shop Products_v2")
    assert done.error is None and "created alias Shop -> Products_v2" in messages(done)
    assert aliases(http)["Shop"] == "Products_v2"


def test_create_through_an_alias_follows_it(http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)), r"\alias create Shop Products")
    assert "Products is an alias of Products_v1: using Products_v1" in messages(outcome)
    assert aliases(http)["Shop"] == "Products_v1"


def test_cut_over_preview_and_confirmation(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.confirmer = typist = Typist("yes")
    outcome = execute(session, r"\alias set Products Products_v2")
    assert outcome.error is None, outcome.error
    plan, word = typist.asked[0]
    assert word == "yes"
    sides, differences, warning = plan.preview
    assert isinstance(sides, Table)
    assert sides.rows == (("old target", "Products_v1", 2, 2, "none"),
                          ("new target", "Products_v2", 1, 3, "none"))
    assert ("properties.sku", "absent", "property text") in differences.rows
    assert "clients reading Products will see Products_v2's objects" in warning.text
    [put] = mutating_requests(http)
    assert (put["method"], put["path"]) == ("PUT", "/v1/aliases/Products")
    assert aliases(http)["Products"] == "Products_v2"
    assert "alias Products now names Products_v2 (was Products_v1)" in messages(outcome)


@pytest.mark.parametrize("line", [r"\alias set Products Products_v2", r"\alias rm Products"])
def test_without_a_terminal_refused_with_dry_run_silent(http: httpx.Client, line: str) -> None:
    session = make_session(str(http.base_url))
    refused = execute(session, line)
    assert refused.status == "refused" and refused.exit_code == 4
    planned = execute(session, line + " --dry-run")
    assert planned.confirmation == "dry-run"
    assert mutating_requests(http) == [] and aliases(http) == {"Products": "Products_v1"}


def test_rm_keeps_the_collection(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.confirmer = Typist("no")
    assert execute(session, r"\alias rm Products").status == "refused"
    session.confirmer = Typist("yes")
    outcome = execute(session, r"\alias rm products")
    assert "removed alias Products; Products_v1 is unchanged" in messages(outcome)
    assert aliases(http) == {}
    assert http.get("/v1/schema/Products_v1").status_code == 200


def test_protected_alias_targets(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.protected = ("Products_v1",)
    outcome = execute(session, r"\alias rm Products --force")
    assert outcome.status == "refused" and "Products_v1 is protected" in outcome.error.message
    assert mutating_requests(http) == []


@pytest.mark.parametrize(("line", "error", "hint"), [
    (r"\alias set Nope Products_v2 --force", "no alias named 'Nope'", r"\alias create"),
    (r"\alias rm Nope --force", "no alias named 'Nope'", r"\alias lists"),
    (r"\alias create Products Products_v2", "alias Products exists already",
     r"\alias set Products"),
    (r"\alias create products_v2 Products_v1", "Products_v2 is a collection",
     "choose another name"),
    (r"\alias create Shop Product_v9", "no collection named 'Product_v9'", "did you mean"),
    (r"\alias set Products Products_v1", None, None),
])
def test_bad_input_is_one_line_with_a_hint(http: httpx.Client, line: str, error: str | None,
                                           hint: str | None) -> None:
    outcome = execute(make_session(str(http.base_url)), line)
    if error is None:
        assert "already names Products_v1; nothing sent" in messages(outcome)
    else:
        assert error in outcome.error.message and hint in outcome.error.hint
    assert mutating_requests(http) == []


@pytest.mark.parametrize("line", [r"\alias", r"\alias create A Products_v1",
                                  r"\alias set Products Products_v2 --force",
                                  r"\alias rm Products --force"])
def test_an_old_server_is_refused_before_any_request(http: httpx.Client, line: str) -> None:
    session = make_session(str(http.base_url))
    session.connection.server_version = "1.31.2"
    outcome = execute(session, line)
    assert outcome.error.message == "aliases needs Weaviate >= 1.32; the server runs 1.31.2"
    assert http.get("/__sandbox/requests").json() == []


def test_as_processes(server: Sandbox, http: httpx.Client, tmp_path: Path) -> None:
    elysiactl = cli(server, tmp_path)
    listed = elysiactl("col", "alias", "--format", "json")
    assert json.loads(listed.stdout) == [{"alias": "Products", "collection": "Products_v1"}]
    refused = elysiactl("col", "alias", "set", "Products", "Products_v2")
    assert refused.returncode == 4 and "without confirmation" in refused.stderr
    moved = elysiactl("--yes", "col", "alias", "set", "Products", "Products_v2")
    assert moved.returncode == 0, moved.stderr
    assert aliases(http) == {"Products": "Products_v2"}
    created = elysiactl("-c", r"\alias create Old Products_v1")
    assert created.returncode == 0 and aliases(http)["Old"] == "Products_v1"
    removed = elysiactl("--yes", "col", "alias", "rm", "Old")
    assert removed.returncode == 0 and "Old" not in aliases(http)
    assert REGISTRY.find("alias rm").destructive
