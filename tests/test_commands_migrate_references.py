"""``\\migrate`` of a class with references (OPERATIONS.md §3.1.5): a target without a class
the definition refers to is refused before anything is written, and objects refused
for missing referenced objects get the same hint."""

from __future__ import annotations

import httpx
import pytest
from migrate_support import clear_log, dispatcher, mutating
from test_commands_restore_references import make_books

from commands.results import Message, Record
from sandbox import Sandbox


@pytest.fixture(scope="module")
def source():
    """Book (5 sequels, each written by Author Ann) and Author; only read by these tests."""
    with Sandbox() as server, httpx.Client(base_url=server.url) as http:
        make_books(http, author=True)
        yield server


@pytest.fixture
def target():
    with Sandbox() as server:
        yield server


def texts(outcome) -> str:
    return "\n".join(r.text for r in outcome.results if isinstance(r, Message))


def test_a_missing_referenced_class_is_refused_before_anything_is_written(
        source, target, tmp_path) -> None:
    clear_log(target.url)
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate Book --target {target.url}", "test")
    assert outcome.exit_code != 0
    assert str(outcome.error) == f"Book refers to Author, which {target.url} does not have"
    assert outcome.error.hint == f"migrate Author first (\\migrate Author --target {target.url})"
    assert mutating(target.url) == []


def test_objects_refused_for_missing_referenced_objects_get_the_hint(source, target,
                                                                     tmp_path) -> None:
    httpx.post(f"{target.url}/v1/schema", json={"class": "Author", "properties": [
        {"name": "name", "dataType": ["text"]}]}).raise_for_status()  # the class, no objects
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate Book --target {target.url}", "test")
    assert outcome.exit_code == 1, outcome.error
    record = next(r for r in outcome.results if isinstance(r, Record))
    assert record.fields["failed"] == 5
    assert (f"5 of them refer to objects {target.url} does not have: Book refers to Author: "
            f"migrate Author first (\\migrate Author --target {target.url}), then run this "
            "\\migrate again") in texts(outcome)
