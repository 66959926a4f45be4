"""``\\restore`` of a class with references (OPERATIONS.md §3.1.5): objects whose references
point later in the backup come back whole (two passes), an interrupted second pass resumes,
``--dry-run`` sends nothing, refused objects exit 1 naming the error report, and ``--as``
renames self-references with the class."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from migrate_support import dispatcher
from test_commands_restore_support import (
    progress_factory,
    read_state,
    recording,
    restore_file,
    run,
    snapshot,
)

from commands.results import Message, Record
from sandbox import Sandbox
from tests.conftest import make_session

AUTHOR = "10000000-0000-4000-8000-000000000000"
BOOKS = [f"20000000-0000-4000-8000-0000000000{i:02d}" for i in range(12)]


class Boom(Exception):
    pass


@pytest.fixture
def session(sandbox: Sandbox):
    return make_session(sandbox.url)


def beacon(cls: str, oid: str) -> list[dict[str, str]]:
    return [{"beacon": f"weaviate://localhost/{cls}/{oid}"}]


def make_books(http: httpx.Client, n: int = 5, author: bool = False) -> None:
    """Book i is the sequel of book i+1: every reference points later in id order (and in
    the backup); with ``author``, each book was written by the one Author."""
    if author:
        http.post("/v1/schema", json={"class": "Author", "properties": [
            {"name": "name", "dataType": ["text"]}]}).raise_for_status()
        http.post("/v1/objects", json={"class": "Author", "id": AUTHOR,
                                       "properties": {"name": "Ann"}}).raise_for_status()
    props = [{"name": "title", "dataType": ["text"]}, {"name": "sequelOf", "dataType": ["Book"]}]
    if author:
        props.append({"name": "writtenBy", "dataType": ["Author"]})
    http.post("/v1/schema", json={"class": "Book", "properties": props}).raise_for_status()
    for i in reversed(range(n)):  # the target of each reference exists before it is written
        values: dict[str, Any] = {"title": f"Book {i}"}
        if i + 1 < n:
            values["sequelOf"] = beacon("Book", BOOKS[i + 1])
        if author:
            values["writtenBy"] = beacon("Author", AUTHOR)
        http.post("/v1/objects", json={"class": "Book", "id": BOOKS[i], "properties": values,
                                       "vector": [0.1 * i, 1.0]}).raise_for_status()


def references(state: dict, prop: str = "sequelOf") -> dict[str, Any]:
    return {oid: line["properties"].get(prop) for (_, oid), line in state.items()}


def test_references_to_objects_later_in_the_backup_come_back(client, sandbox,
                                                             tmp_path) -> None:
    make_books(client)
    path, state = snapshot(client, "Book", tmp_path, "b1")
    client.delete("/v1/schema/Book").raise_for_status()
    outcome = dispatcher(sandbox.url, tmp_path).execute(f"\\restore {path}", "test")
    assert outcome.exit_code == 0, outcome.error
    restored = read_state(client, "Book")
    assert len(restored) == 5
    assert references(restored) == references(state)
    assert references(restored)[BOOKS[0]] == [{
        "beacon": f"weaviate://localhost/Book/{BOOKS[1]}", "href": f"/v1/objects/Book/{BOOKS[1]}"}]
    record = next(r for r in outcome.results if isinstance(r, Record))
    assert record.fields["objects"] == 5 and record.fields["failed"] == 0
    assert not list(tmp_path.glob("Book.b1.*.restore-errors.jsonl"))


def test_the_second_pass_resumes_and_a_dry_run_sends_nothing(client, session,
                                                             tmp_path) -> None:
    make_books(client, n=12)
    path, state = snapshot(client, "Book", tmp_path, "b1")
    client.delete("/v1/schema/Book").raise_for_status()
    with recording(client) as mutating:
        out = run(session, f"\\restore {path} --dry-run")
    assert mutating() == []
    requests = next(r for r in out if getattr(r, "title", "").startswith("requests"))
    assert any("then again for the objects that hold them (sequelOf)" in str(row)
               for row in requests.rows)
    calls: list = []

    def interrupt(done: int) -> None:
        if calls[-1][0] == "restoring the references of Book" and done >= 4:
            raise Boom

    session.progress = progress_factory(calls, interrupt)
    with pytest.raises(Boom):
        run(session, f"\\restore {path} --batch-size 2 --parallel 1")
    saved = orjson.loads(restore_file(tmp_path, "Book", "b1").read_bytes())
    assert saved["phase"] == "references" and saved["copied"] == 12
    session.progress = progress_factory(calls := [])
    with recording(client) as mutating:
        out = run(session, f"\\restore {path} --batch-size 2 --parallel 1")
    # only the second pass is left: the books with a sequel after the checkpoint's id
    posted = [e for e in mutating() if e["path"] == "/v1/batch/objects"]
    assert [c[0] for c in calls] == ["verifying backup b1", "restoring the references of Book"]
    assert len(posted) == -(-(11 - (saved["written"] - 12)) // 2)
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 12
    assert references(read_state(client, "Book")) == references(state)


def test_refused_objects_exit_1_and_name_the_report(client, sandbox, tmp_path) -> None:
    make_books(client, author=True)
    path, _ = snapshot(client, "Book", tmp_path, "b1")
    client.delete("/v1/schema/Book").raise_for_status()
    client.delete(f"/v1/objects/Author/{AUTHOR}").raise_for_status()  # the target is gone
    outcome = dispatcher(sandbox.url, tmp_path).execute(f"\\restore {path}", "test")
    report = restore_file(tmp_path, "Book", "b1", ".restore-errors.jsonl")
    assert outcome.exit_code == 1
    texts = [m.text for m in outcome.results if isinstance(m, Message)]
    assert (f"5 of the backup's objects were refused by the server; each is listed (id, "
            f"tenant, message) in {report}") in texts
    lines = [orjson.loads(line) for line in report.read_bytes().splitlines()]
    assert sorted(e["id"] for e in lines) == BOOKS[:5]
    assert all(f"no object with id {AUTHOR} found" in e["message"] for e in lines)
    # the books are there, without the references that could not be stored
    assert len(read_state(client, "Book")) == 5


def test_as_renames_self_references(client, sandbox, tmp_path) -> None:
    make_books(client)
    path, _ = snapshot(client, "Book", tmp_path, "b1")
    outcome = dispatcher(sandbox.url, tmp_path).execute(f"\\restore {path} --as Novel",
                                                         "test")
    assert outcome.exit_code == 0, outcome.error
    cls = client.get("/v1/schema/Novel").json()
    assert {p["name"]: p["dataType"] for p in cls["properties"]}["sequelOf"] == ["Novel"]
    novels = references(read_state(client, "Novel"))
    assert novels[BOOKS[0]] == [{"beacon": f"weaviate://localhost/Novel/{BOOKS[1]}",
                                 "href": f"/v1/objects/Novel/{BOOKS[1]}"}]
