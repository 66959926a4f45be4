"""``\\alter`` through the dispatcher and as an ``elysiactl`` process, against the sandbox.

The sandbox's request log proves the safety claims (a dry run, an immutable setting and a
refused confirmation send no mutating request); the class read back proves the change.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest
from admin_support import ROOT, elysiactl, execute, process_env
from conftest import mutating_requests

from commands.results import Table
from sandbox import Sandbox


@pytest.fixture
def server(tmp_path) -> Iterator[Sandbox]:
    """Two nodes; Article (legacy vector, factor 2), Multi (named vectors)."""
    with Sandbox(nodes=2, backup_dir=tmp_path / "b") as sb:
        httpx.post(f"{sb.url}/v1/schema", json={
            "class": "Article", "description": "news", "replicationConfig": {"factor": 2},
            "properties": [{"name": "title", "dataType": ["text"]}]}).raise_for_status()
        httpx.post(f"{sb.url}/v1/schema", json={"class": "Multi", "vectorConfig": {
            "body": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"}}}
        ).raise_for_status()
        httpx.delete(f"{sb.url}/__sandbox/requests")
        yield sb


@pytest.fixture
def http(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def article(http: httpx.Client) -> dict:
    return http.get("/v1/schema/Article").json()


def test_dry_run_shows_the_diff_and_sends_nothing(server: Sandbox, http: httpx.Client) -> None:
    out = execute(server.url, r"\alter Article --set vectorIndexConfig.ef=256 "
                              "--set invertedIndexConfig.bm25.b=0.7 --add-property "
                              "summary:text:field:no-filterable --dry-run")
    assert out.error is None and out.confirmation == "dry-run"
    tables = {t.title: t for t in out.results if isinstance(t, Table)}
    assert tables["PUT /v1/schema/Article changes"].rows == (
        ("invertedIndexConfig.bm25.b", 0.75, 0.7), ("vectorIndexConfig.ef", -1, 256))
    assert tables["POST /v1/schema/Article/properties"].rows == (
        ("summary", ["text"], {"tokenization": "field", "indexFilterable": False}),)
    assert [r[0] for r in tables["requests it would send"].rows] == ["POST", "PUT"]
    assert mutating_requests(http) == []


def test_changes_are_sent_and_read_back(server: Sandbox, http: httpx.Client) -> None:
    out = execute(server.url, r"\alter Article --description 'world news' --set "
                              "vectorIndexConfig.ef=128 --add-property views:int:rangeable "
                              "--add-property author:text:field")
    assert out.error is None, out.error
    read_back = next(t for t in out.results if isinstance(t, Table))
    assert ("description", "news", "world news") in read_back.rows
    assert ("vectorIndexConfig.ef", -1, 128) in read_back.rows
    assert ("property views", "(absent)", ["int"]) in read_back.rows
    cls = article(http)
    assert cls["description"] == "world news" and cls["vectorIndexConfig"]["ef"] == 128
    views = next(p for p in cls["properties"] if p["name"] == "views")
    assert views["indexRangeFilters"] is True
    sent = [(e["method"], e["path"]) for e in mutating_requests(http)]
    assert sent == [("POST", "/v1/schema/Article/properties")] * 2 + [
        ("PUT", "/v1/schema/Article")]


def test_an_immutable_setting_is_refused_with_the_copy_command(server: Sandbox,
                                                               http: httpx.Client) -> None:
    out = execute(server.url, r"\alter Article --set vectorIndexConfig.distance=dot "
                              "--set vectorIndexConfig.ef=99")
    assert out.exit_code == 1
    assert out.error.message == ("Article: vectorIndexConfig.distance cannot change in place: "
                                 "the vector index's distance is immutable; nothing was sent")
    assert out.error.hint == (f"a copy makes it: \\migrate Article --target {server.url} --as "
                              "Article_v2 --set vectorIndexConfig.distance=dot --set "
                              "vectorIndexConfig.ef=99")
    assert mutating_requests(http) == []


def test_a_refusal_shows_weaviates_reason_and_the_copy(server: Sandbox,
                                                      http: httpx.Client) -> None:
    out = execute(server.url, r"\alter Multi --set replicationConfig.factor=3")
    assert out.exit_code == 1
    assert "Weaviate refused to change Multi: " in out.error.message
    assert "not enough storage replicas" in out.error.message or \
           "not enough replicas" in out.error.message
    assert out.error.hint.endswith("--as Multi_v2 --set replicationConfig.factor=3")


def test_lowering_the_factor_needs_a_confirmation(server: Sandbox, http: httpx.Client,
                                                  tmp_path: Path) -> None:
    refused = elysiactl(tmp_path, server.url, "col", "alter", "Article", "--set",
                        "replicationConfig.factor=1")
    assert refused.returncode == 4
    assert "refusing to change Article in place (lowers the replication factor from 2 to 1) " \
           "without confirmation" in refused.stderr
    assert mutating_requests(http) == []
    done = elysiactl(tmp_path, server.url, "col", "alter", "Article", "--set",
                     "replicationConfig.factor=1", "--force")
    assert done.returncode == 0, done.stderr
    assert article(http)["replicationConfig"]["factor"] == 1


def test_a_person_confirms_turning_on_compression(server: Sandbox, http: httpx.Client,
                                                  tmp_path: Path) -> None:
    env = process_env(tmp_path, server.url)
    child = pexpect.spawn(sys.executable, ["-m", "shell", "col", "alter", "Article", "--set",
                                           "vectorIndexConfig.bq.enabled=true"], env=env,
                          cwd=str(ROOT), dimensions=(40, 160), timeout=30, encoding="utf-8")
    child.expect(r"vectorIndexConfig\.bq\.enabled\s+False\s+True")
    child.expect("cannot turn compression off")
    child.expect("Type 'yes' to confirm:")
    child.sendline("yes")
    child.expect("What changed in Article")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert article(http)["vectorIndexConfig"]["bq"]["enabled"] is True


def test_adding_a_named_vector(server: Sandbox, http: httpx.Client) -> None:
    old = execute(server.url, r"\alter Multi --add-vector title:flat", version="1.30.2")
    assert old.error.message == ("adding a named vector needs Weaviate >= 1.31; the server runs "
                                 "1.30.2")
    assert mutating_requests(http) == []
    out = execute(server.url, r"\alter Multi --add-vector title:flat", version="1.39.0")
    assert out.error is None and out.exit_code == 0, out.error
    vectors = http.get("/v1/schema/Multi").json()["vectorConfig"]
    assert vectors["title"]["vectorIndexType"] == "flat"
    assert set(vectors) == {"body", "title"}


@pytest.mark.parametrize(("line", "text"), [
    (r"\alter Article", r"\alter: nothing to change"),
    (r"\alter Article --add-property x", "--add-property 'x': expected NAME:TYPE[:OPTION...]"),
    (r"\alter Article --add-property x:strnig", "unknown data type 'strnig'"),
    (r"\alter Article --add-property x:text:fast", "unknown option 'fast'"),
    (r"\alter Article --add-property Title:text", "Article already has a property 'Title'"),
    (r"\alter Article --add-vector v:annoy", "--add-vector 'v:annoy': expected"),
    (r"\alter Article --set ef", "--set 'ef': expected PATH=VALUE"),
    (r"\alter Article --set shardingConfig.desiredCount=4",
     "shardingConfig.desiredCount cannot change in place"),
    (r"\alter Article --set vectorizer=text2vec-openai", "vectorizer cannot change in place"),
])
def test_bad_input_is_one_line_and_sends_nothing(server: Sandbox, http: httpx.Client, line,
                                                 text) -> None:
    out = execute(server.url, line)
    assert out.exit_code in (1, 2) and text in out.error.message
    assert mutating_requests(http) == []


def test_same_values_send_nothing(server: Sandbox, http: httpx.Client) -> None:
    out = execute(server.url, r"\alter Article --description news")
    assert "nothing to change" in out.results[0].text
    assert mutating_requests(http) == []


def test_protected_collections_need_allow_protected(server: Sandbox,
                                                    http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "ELYSIACTL_Keep"}).raise_for_status()
    http.delete("/__sandbox/requests")
    out = execute(server.url, r"\alter ELYSIACTL_Keep --description x --force")
    assert out.status == "refused" and "is protected" in out.error.message
    assert mutating_requests(http) == []
    out = execute(server.url, r"\alter ELYSIACTL_Keep --description x --force --allow-protected")
    assert out.error is None
    assert http.get("/v1/schema/ELYSIACTL_Keep").json()["description"] == "x"


def test_a_property_description_changes_in_place(server: Sandbox, http: httpx.Client) -> None:
    dry = execute(server.url, r"\alter Article --property-description 'title=The headline' "
                              "--dry-run")
    diff = next(t for t in dry.results if isinstance(t, Table))
    assert diff.rows == (("properties.title.description", "(absent)", "The headline"),)
    assert mutating_requests(http) == []
    out = execute(server.url, r"\alter Article --property-description 'Title=The headline'")
    assert out.error is None and out.exit_code == 0, out.error
    read_back = next(t for t in out.results if isinstance(t, Table))
    assert read_back.rows == (("properties.title.description", "(absent)", "The headline"),)
    assert article(http)["properties"][0]["description"] == "The headline"
    bad = execute(server.url, r"\alter Article --property-description nope=x")
    assert bad.exit_code == 2 and "expected NAME=TEXT for a property of Article" in \
        bad.error.message
