"""``\\indexes``, ``\\reindex`` and ``\\tasks`` through the dispatcher and as processes,
against a two-node sandbox with runtime reindex on (reindex tasks take 200 ms there)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from admin_support import elysiactl, execute
from conftest import REGISTRY, make_session, mutating_requests

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.results import Message, Outcome, Table
from sandbox import Sandbox


@pytest.fixture
def server(tmp_path) -> Iterator[Sandbox]:
    with Sandbox(nodes=2, runtime_reindex=True, backup_dir=tmp_path / "b") as sb:
        httpx.put(f"{sb.url}/__sandbox/tasks", json={"duration_ms": 200}).raise_for_status()
        httpx.post(f"{sb.url}/v1/schema", json={"class": "Article", "properties": [
            {"name": "title", "dataType": ["text"]}, {"name": "views", "dataType": ["int"]},
            {"name": "photo", "dataType": ["blob"], "indexFilterable": False}]}).raise_for_status()
        httpx.delete(f"{sb.url}/__sandbox/requests")
        yield sb


@pytest.fixture
def http(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def table(out: Outcome) -> Table:
    assert out.error is None, out.error
    return next(r for r in out.results if isinstance(r, Table))


def text(out: Outcome) -> str:
    return " ".join(r.text for r in out.results if isinstance(r, Message))


def test_indexes_lists_every_property_and_index(server: Sandbox) -> None:
    rows = table(execute(server.url, r"\indexes Article")).to_data()
    assert [(r["property"], r["index"], r["status"]) for r in rows] == [
        ("title", "filterable", "ready"), ("title", "searchable", "ready"),
        ("views", "filterable", "ready"), ("photo", "(none)", None)]
    assert rows[1]["tokenization"] == "word" and rows[1]["algorithm"] == "blockmax"


def test_reindex_runs_a_task_that_indexes_shows_and_wait_follows(server: Sandbox,
                                                                 http: httpx.Client) -> None:
    started = execute(server.url, r"\reindex Article views rangeFilters")
    assert "reindex task Article:enable-rangeable:views:" in text(started)
    running = table(execute(server.url, r"\indexes Article"))
    views = [r for r in running.to_data() if r["property"] == "views"]
    assert views[1]["status"] in ("pending", "indexing") and views[1]["task"]
    assert running.note == r"a reindex is running: \tasks shows it per node"
    tasks = table(execute(server.url, r"\tasks --active")).to_data()
    assert [t["status"] for t in tasks] == ["STARTED"]
    assert tasks[0]["nodes"] == ["node1", "node2"] and tasks[0]["units_done"] == "0/2"
    waited = execute(server.url, r"\reindex Article title searchable --tokenization field "
                                 "--wait")
    final = table(waited).to_data()
    assert [(r["index"], r["status"], r["tokenization"]) for r in final] == [
        ("filterable", "ready", "field"), ("searchable", "ready", "field")]
    time.sleep(0.25)
    done = table(execute(server.url, r"\tasks")).to_data()
    assert {t["status"] for t in done} == {"FINISHED"} and len(done) == 2
    assert all(t["progress"] == "100%" and t["finished"] for t in done)
    units = table(execute(server.url, r"\tasks --units --namespace reindex")).to_data()
    assert {u["status"] for u in units} == {"COMPLETED"} and len(units) == 4  # 2 shards each
    noop = execute(server.url, r"\reindex Article views rangeFilters")
    assert "already in place" in text(noop)


def test_dry_run_sends_nothing_and_drop_asks(server: Sandbox, http: httpx.Client,
                                            tmp_path: Path) -> None:
    dry = execute(server.url, r"\reindex Article title searchable --drop --dry-run")
    assert dry.confirmation == "dry-run"
    requests = [t for t in dry.results if isinstance(t, Table)][-1]
    assert requests.rows == (("DELETE", "/v1/schema/Article/properties/title/index/searchable"),)
    execute(server.url, r"\reindex Article views rangeFilters --dry-run")
    assert mutating_requests(http) == []
    refused = elysiactl(tmp_path, server.url, "col", "reindex", "Article", "title", "searchable",
                        "--drop")
    assert refused.returncode == 4 and "without confirmation" in refused.stderr
    assert mutating_requests(http) == []
    dropped = elysiactl(tmp_path, server.url, "col", "reindex", "Article", "title", "searchable",
                        "--drop", "--force")
    assert dropped.returncode == 0, dropped.stderr
    assert "dropped the searchable index of Article.title" in dropped.stderr + dropped.stdout
    title = http.get("/v1/schema/Article").json()["properties"][0]
    assert title["indexSearchable"] is False


def test_cancel_and_conflicts(server: Sandbox, http: httpx.Client) -> None:
    http.put("/__sandbox/tasks", json={"duration_ms": 60000})
    execute(server.url, r"\reindex Article title filterable --rebuild")
    clash = execute(server.url, r"\reindex Article title searchable --tokenization field")
    assert clash.exit_code == 1 and "conflicts: already running repair-filterable" in \
        clash.error.message
    assert clash.error.hint == (r"\indexes Article and \tasks show what is running; --cancel "
                                "stops it")
    cancelled = execute(server.url, r"\reindex Article title filterable --cancel")
    assert "cancelled reindex task Article:repair-filterable:title:" in text(cancelled)
    again = execute(server.url, r"\reindex Article title filterable --cancel")
    assert "no reindex task was running" in text(again)
    rows = table(execute(server.url, r"\indexes Article")).to_data()
    assert rows[0]["status"] == "cancelled"


def test_server_refusals_and_floors_are_one_line(server: Sandbox, http: httpx.Client) -> None:
    http.put("/__sandbox/tasks", json={"runtime_reindex": False})
    off = execute(server.url, r"\reindex Article views rangeFilters")
    assert off.error.message == ("upsert Article.views rangeFilters: runtime reindex is disabled; "
                                 "enable with RUNTIME_REINDEX_ENABLED=true")
    assert "RUNTIME_REINDEX_ENABLED=true on every node" in off.error.hint
    http.put("/__sandbox/tasks", json={"runtime_reindex": True})
    not_text = execute(server.url, r"\reindex Article views searchable --tokenization word")
    assert 'property "views" is not a text type' in not_text.error.message
    old = execute(server.url, r"\indexes Article", version="1.37.4")
    assert old.error.message == ("per-property index status needs Weaviate >= 1.38; the server "
                                 "runs 1.37.4")
    old = execute(server.url, r"\reindex Article title filterable --drop --force",
                  version="1.35.0")
    assert "dropping a property index needs Weaviate >= 1.36" in old.error.message
    old = execute(server.url, r"\tasks", version="1.30.0")
    assert "listing distributed tasks needs Weaviate >= 1.31" in old.error.message
    for line, words in ((r"\reindex Article nope filterable", "Article has no property 'nope'"),
                        (r"\reindex Article title vector", "'vector' is not one of"),
                        (r"\reindex Article title filterable --drop --cancel",
                         "exclude each other"),
                        (r"\reindex Article title filterable --rebuild --tokenization word",
                         "not with --rebuild")):
        out = execute(server.url, line)
        assert out.exit_code in (1, 2) and words in out.error.message, out.error.message
    assert [e["path"] for e in mutating_requests(http)] == [
        "/v1/schema/Article/properties/views/index/rangeFilters",
        "/v1/schema/Article/properties/views/index/searchable"]


def test_one_shot_tasks_json(server: Sandbox, tmp_path: Path) -> None:
    done = elysiactl(tmp_path, server.url, "col", "tasks", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_tenants_go_as_one_comma_separated_parameter(server: Sandbox, http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Mt", "multiTenancyConfig": {"enabled": True},
                                  "properties": [{"name": "n", "dataType": ["int"]}]})
    http.post("/v1/schema/Mt/tenants", json=[{"name": "a"}, {"name": "b"}, {"name": "c"}])
    out = execute(server.url, r"\reindex Mt n rangeFilters --tenant a --tenant b")
    assert "reindex task Mt:enable-rangeable:n:" in text(out)
    sent = mutating_requests(http)[-1]
    assert sent["query"] == {"tenants": "a,b"}
    task = table(execute(server.url, r"\tasks --units")).to_data()
    assert sorted(u["unit"].split("__")[0] for u in task) == ["a", "b"]


def test_wait_advances_a_progress_bar_to_the_end(server: Sandbox) -> None:
    advanced: list[tuple[str, int]] = []

    @contextmanager
    def progress(description: str, total: int, unit: str = "objects"):
        advanced.append((description, total))
        yield lambda n: advanced.append(("advance", n))

    session = make_session(server.url)
    session.progress = progress
    out = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(
        r"\reindex Article views rangeFilters --wait", "argv")
    assert out.error is None
    assert advanced[0] == ("reindexing Article.views rangeFilters (%)", 100)
    assert sum(n for word, n in advanced[1:] if word == "advance") == 100
