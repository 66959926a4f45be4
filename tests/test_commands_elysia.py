"""Elysia's collections: ``\\elysia`` (preprocessed, when, stale, missing), their default
protection, ``\\rm --with-elysia`` and the ``\\health`` row, against a sandbox holding them
as Elysia writes them (tests/elysia_support.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session, mutating_requests, run

pytest.importorskip("weaviate", reason="the fixture writes with the official client")

from elysia_support import chunk, preprocess, settings_and_feedback  # noqa: E402

from commands.audit import MemoryAuditLog  # noqa: E402
from commands.dispatch import Dispatcher  # noqa: E402
from commands.errors import ApiError, Refused  # noqa: E402
from commands.ops import elysia as elysia_ops  # noqa: E402
from commands.ops.health import elysia as elysia_health  # noqa: E402
from commands.ops.health.model import Evidence, Status, Unread  # noqa: E402
from commands.results import Message, Table  # noqa: E402
from sandbox import Sandbox  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def with_elysia(server: Sandbox) -> dict[str, str]:
    """Article and Product preprocessed, Article chunked, Elysia's settings and feedback."""
    ids = {"Article": preprocess(server.url, "Article"),
           "Product": preprocess(server.url, "Product")}
    chunk(server.url, "Article", "body")
    settings_and_feedback(server.url)
    return ids


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    """Read-only tests: Product changed since (a property and an object added), and a
    collection preprocessed then removed."""
    with Sandbox(seed="demo") as server:
        with_elysia(server)
        httpx.post(f"{server.url}/v1/schema", json={"class": "Scratch"}).raise_for_status()
        httpx.post(f"{server.url}/v1/objects", json={"class": "Scratch", "properties": {
            "note": "x"}}).raise_for_status()
        preprocess(server.url, "Scratch")
        httpx.delete(f"{server.url}/v1/schema/Scratch").raise_for_status()
        httpx.post(f"{server.url}/v1/schema/Product/properties",
                   json={"name": "rating", "dataType": ["number"]}).raise_for_status()
        httpx.post(f"{server.url}/v1/objects", json={"class": "Product", "properties": {
            "name": "new"}}).raise_for_status()
        yield server


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    with Sandbox(seed="demo") as server:
        with_elysia(server)
        yield server


@pytest.fixture
def web(fresh: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        client.delete("/__sandbox/requests")
        yield client


def classes(url: str) -> set[str]:
    return {c["class"] for c in httpx.get(f"{url}/v1/schema").json()["classes"]}


def test_elysia_shows_current_stale_and_missing(cluster: Sandbox) -> None:
    preprocessed, own, warning = run(make_session(cluster.url), r"\elysia")
    rows = {r["collection"]: r for r in preprocessed.to_data()}
    assert rows["Article"]["status"] == "current" and rows["Article"]["changes"] is None
    assert rows["Article"]["objects_then"] == rows["Article"]["objects_now"] == 250
    assert rows["Article"]["chunked"] == "ELYSIA_CHUNKED_article__"
    assert rows["Article"]["preprocessed"].endswith("Z")
    assert rows["Product"]["status"] == "stale"
    assert rows["Product"]["changes"] == "objects 120 -> 121; property rating added"
    assert rows["Scratch"]["status"] == "missing"
    assert rows["Scratch"]["objects_now"] is None
    assert own.rows == (("ELYSIA_CHUNKED_article__", "chunks", "Article"),
                        ("ELYSIA_CONFIG__", "config", None),
                        ("ELYSIA_FEEDBACK__", "feedback", None),
                        ("ELYSIA_METADATA__", "metadata", None))
    assert "2 of 3 preprocessed collections are stale or gone" in warning.text
    only = run(make_session(cluster.url), r"\elysia --stale")
    assert [r["collection"] for r in only[0].to_data()] == ["Product", "Scratch"]


def test_elysia_without_elysia_says_so(demo: Sandbox) -> None:
    (message,) = run(make_session(demo.url), r"\elysia")
    assert isinstance(message, Message) and "no ELYSIA_* collection" in message.text


def test_elysia_collections_are_protected(cluster: Sandbox) -> None:
    rows = dict(run(make_session(cluster.url), r"\protected").rows)
    assert rows["ELYSIA_METADATA__"] == ["ELYSIA_METADATA__"]
    assert rows["ELYSIA_CHUNKED_*__"] == ["ELYSIA_CHUNKED_article__"]
    assert rows["ELYSIA_CONFIG_*"] == ["ELYSIA_CONFIG__"]
    for line in (r"\rm ELYSIA_METADATA__ --force", r"\clear ELYSIA_FEEDBACK__ --force",
                 r"\rm ELYSIA_CHUNKED_article__ --force"):
        with pytest.raises(Refused, match="is protected"):
            run(make_session(cluster.url), line)


def test_rm_dry_run_lists_elysia_data(fresh: Sandbox, web: httpx.Client) -> None:
    session = make_session(fresh.url)
    plain = run(session, r"\rm Article --dry-run")
    table = next(r for r in plain if isinstance(r, Table) and r.title.startswith("Elysia"))
    assert [(r["elysia"], r["fate"]) for r in table.to_data()] == [
        ("metadata", "kept, stale (add --with-elysia)"),
        ("chunks", "kept, stale (add --with-elysia)")]
    assert plain[-1].rows == (("DELETE", "/v1/schema/Article"),)
    both = run(session, r"\rm Article --with-elysia --dry-run")
    requests = [" ".join(r) for r in both[-1].rows]
    assert requests[0] == "DELETE /v1/schema/Article"
    assert requests[1].startswith("DELETE /v1/objects/ELYSIA_METADATA__/")
    assert requests[2] == "DELETE /v1/schema/ELYSIA_CHUNKED_article__"
    assert mutating_requests(web) == []


def test_rm_with_elysia_removes_its_data(fresh: Sandbox, web: httpx.Client) -> None:
    results = run(make_session(fresh.url), r"\rm Article --with-elysia --force")
    assert results[0].text == "deleted collection Article (250 objects)"
    assert results[1].text.startswith("deleted Elysia's metadata ELYSIA_METADATA__/")
    assert results[2].text == "deleted Elysia's chunks ELYSIA_CHUNKED_article__"
    sent = [(e["method"], e["path"]) for e in mutating_requests(web)]
    assert sent[0] == ("DELETE", "/v1/schema/Article")
    assert sent[1][0] == "DELETE" and sent[1][1].startswith("/v1/objects/ELYSIA_METADATA__/")
    assert sent[2] == ("DELETE", "/v1/schema/ELYSIA_CHUNKED_article__") and len(sent) == 3
    assert {"Article", "ELYSIA_CHUNKED_article__"}.isdisjoint(classes(fresh.url))
    rows = run(make_session(fresh.url), r"\elysia")[0].to_data()
    assert [r["collection"] for r in rows] == ["Product"]


def test_rm_without_elysia_keeps_its_data(fresh: Sandbox, web: httpx.Client) -> None:
    results = run(make_session(fresh.url), r"\rm Article --force")
    assert "Elysia's data for Article was kept" in results[-1].text
    assert [e["path"] for e in mutating_requests(web)] == ["/v1/schema/Article"]
    preprocessed, own, _ = run(make_session(fresh.url), r"\elysia")
    rows = {r["collection"]: (r["status"], r["chunked"]) for r in preprocessed.to_data()}
    assert rows == {"Article": ("missing", "ELYSIA_CHUNKED_article__"),
                    "Product": ("current", None)}
    assert ("ELYSIA_CHUNKED_article__", "chunks", "(gone)") in own.rows


def test_rm_goes_on_when_elysia_metadata_cannot_be_read(fresh: Sandbox, web: httpx.Client,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> None:
        raise ApiError(403, "GET", "/v1/objects", "forbidden")

    monkeypatch.setattr(elysia_ops, "read_state", refused)
    results = run(make_session(fresh.url), r"\rm Article --dry-run")
    warning = next(r for r in results if isinstance(r, Message) and "Elysia" in r.text)
    assert warning.text == ("Elysia's metadata could not be read (forbidden): its data for "
                            "these collections is not listed")
    assert results[-1].rows == (("DELETE", "/v1/schema/Article"),)


def test_health_reads_elysia_collections(cluster: Sandbox) -> None:
    dispatcher = Dispatcher(REGISTRY, make_session(cluster.url), MemoryAuditLog())
    outcome = dispatcher.execute(r"\health --format json", "test")
    checks = {c["check"]: c for c in outcome.results[0].to_data()["checks"]}
    assert checks["elysia collections"]["status"] == "ok"
    assert checks["elysia collections"]["evidence"] == "4 Elysia collections readable"


def test_health_elysia_row_when_one_cannot_be_read() -> None:
    evidence = Evidence(elysia=["ELYSIA_CONFIG__", "ELYSIA_METADATA__"], errors={
        "elysia ELYSIA_METADATA__": Unread(500, "GET /v1/objects answered 500: shard gone")})
    (row,) = elysia_health.checks(evidence)
    assert row.status is Status.CRIT
    assert row.evidence == ("1 of 2 unreadable: ELYSIA_METADATA__ (GET /v1/objects answered "
                            "500: shard gone)")
    assert [i.status for i in row.items] == [Status.OK, Status.CRIT]
    refused = Evidence(elysia=["ELYSIA_CONFIG__"], errors={
        "elysia ELYSIA_CONFIG__": Unread(403, "forbidden")})
    assert elysia_health.checks(refused)[0].status is Status.WARN
    assert elysia_health.checks(Evidence()) == []


def test_elysia_as_a_process(cluster: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "WEAVIATE_URL": cluster.url, "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s")}
    done = subprocess.run([sys.executable, "-m", "shell", "col", "elysia", "--stale",
                           "--format", "json"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["collection"], r["status"]) for r in rows] == [("Product", "stale"),
                                                             ("Scratch", "missing")]
