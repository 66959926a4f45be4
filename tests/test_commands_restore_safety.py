"""``\\restore`` and the safety gate: restoring onto a collection that has objects needs a
confirmation (refused without one outside a terminal, nothing sent), ``--dry-run`` sends
nothing, protected names need ``--allow-protected``; objects the server refuses go to the
error report; the declaration follows the project's rules.
"""

from __future__ import annotations

import inspect

import orjson
import pytest
from test_commands_restore import ids, make_article, post_objects, schema
from test_commands_restore_support import (
    REGISTRY,
    comparable,
    read_state,
    recording,
    restore_file,
    run,
    snapshot,
)

from commands.context import CommandContext
from commands.errors import Refused, ShellError
from commands.results import Message, Record, Table
from commands.safety import Decision, Plan
from sandbox import Sandbox
from tests.conftest import make_session


@pytest.fixture
def session(sandbox: Sandbox):
    return make_session(sandbox.url)


class Answer:
    """A confirmer that answers ``yes`` or not, remembering what it was shown."""

    interactive = True

    def __init__(self, yes: bool) -> None:
        self.yes, self.plans = yes, []

    def confirm(self, plan: Plan, word: str) -> bool:
        self.plans.append((plan, word))
        return self.yes


@pytest.fixture
def nonempty(client, tmp_path):
    """A backup of Article with 30 objects; Article now holds 10 of them, changed."""
    make_article(client, n=30)
    path, state = snapshot(client, "Article", tmp_path, "b1")
    for oid in ids(30)[10:]:
        client.delete(f"/v1/objects/Article/{oid}").raise_for_status()
    post_objects(client, [{"class": "Article", "id": oid, "properties": {"title": "local"}}
                          for oid in ids(10)])
    return tmp_path / "Article.json", state


def test_onto_a_nonempty_collection_is_refused_without_confirmation(client, session,
                                                                     nonempty) -> None:
    path, _ = nonempty
    with recording(client) as mutating, pytest.raises(Refused) as refused:
        run(session, f"\\restore {path} --skip-schema")
    assert "restore 30 objects onto Article (which has 10 objects)" in refused.value.message
    assert mutating() == []
    assert len(read_state(client, "Article")) == 10


def test_dry_run_sends_nothing(client, session, nonempty) -> None:
    path, _ = nonempty
    contexts: list[CommandContext] = []
    with recording(client) as mutating:
        out = run(session, f"\\restore {path} --skip-schema --dry-run --batch-size 7", contexts)
    assert mutating() == []
    assert contexts[0].decision is Decision.DRY_RUN
    assert out[0].text.startswith("dry run: would restore 30 objects onto Article (which has "
                                  "10 objects)")
    requests = next(r for r in out if isinstance(r, Table) and r.title.startswith("requests"))
    assert ("POST", "/v1/batch/objects (x5, up to 7 objects each, 4 in flight)") in \
        requests.rows
    assert not any(row[1] == "/v1/schema" for row in requests.rows)


def test_force_restores_onto_it(client, session, nonempty) -> None:
    path, state = nonempty
    contexts: list[CommandContext] = []
    out = run(session, f"\\restore {path} --skip-schema --force", contexts)
    assert contexts[0].decision is Decision.FORCED
    assert contexts[0].objects_affected == 30
    assert comparable(read_state(client, "Article")) == comparable(state)
    assert not any(isinstance(m, Message) and "count checked" in m.text for m in out)


@pytest.mark.parametrize("yes", [True, False])
def test_a_person_confirms(client, session, nonempty, yes) -> None:
    path, state = nonempty
    session.confirmer = Answer(yes)
    if yes:
        run(session, f"\\restore {path} --skip-schema")
        assert comparable(read_state(client, "Article")) == comparable(state)
    else:
        with recording(client) as mutating, pytest.raises(Refused, match="not confirmed"):
            run(session, f"\\restore {path} --skip-schema")
        assert mutating() == []
    plan, word = session.confirmer.plans[0]
    assert word == "yes" and plan.targets == ("Article",) and plan.objects == 30


def test_protected_names_need_allow_protected(client, session, tmp_path) -> None:
    make_article(client, "ELYSIACTL_Audit", n=5)
    path, _ = snapshot(client, "ELYSIACTL_Audit", tmp_path, "b1")
    with recording(client) as mutating, pytest.raises(Refused, match="is protected"):
        run(session, f"\\restore {path} --skip-schema --force")
    assert mutating() == []
    run(session, f"\\restore {path} --skip-schema --force --allow-protected")


def test_new_or_empty_collections_need_no_confirmation(client, session, tmp_path) -> None:
    make_article(client, n=12)
    path, state = snapshot(client, "Article", tmp_path, "b1")
    client.post("/v1/schema", json={**schema(client, "Article"), "class": "Empty"})
    out = run(session, f"\\restore {path} --skip-schema --as Empty")
    assert any(isinstance(m, Message) and "count checked" in m.text for m in out)
    assert len(read_state(client, "Empty")) == 12
    with recording(client) as mutating:
        out = run(session, f"\\restore {path} --as Fresh --dry-run")
    assert mutating() == []
    assert out[0].text.startswith("dry run: would restore 12 objects into new collection Fresh")
    requests = next(r for r in out if isinstance(r, Table) and r.title.startswith("requests"))
    assert ("POST", "/v1/schema") in requests.rows
    session.dry_run = True  # elysiactl --dry-run: the whole run only shows plans
    with recording(client) as mutating:
        run(session, f"\\restore {path} --as Fresh")
    assert mutating() == []
    assert client.get("/v1/schema/Fresh").status_code == 404


def test_objects_the_server_refuses_go_to_the_error_report(client, session, tmp_path) -> None:
    """A property type conflict: the class is created again with ``count`` as text."""
    objects = [{"class": "Article", "id": oid, "properties": {"title": f"t{i}", **(
        {"count": i} if i % 2 else {})}} for i, oid in enumerate(ids(20))]
    client.post("/v1/schema", json={"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "count", "dataType": ["int"]}]})
    post_objects(client, objects)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    client.delete("/v1/schema/Article")
    client.post("/v1/schema", json={"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "count", "dataType": ["text"]}]})
    out = run(session, f"\\restore {path} --skip-schema --batch-size 3")
    report = restore_file(tmp_path, "Article", "b1", ".restore-errors.jsonl")
    record = next(r for r in out if isinstance(r, Record))
    assert record.fields["failed"] == 10 and record.fields["objects"] == 10
    assert record.fields["error_report"] == str(report)
    assert any(m.text == f"10 of the backup's objects were refused by the server; each is "
               f"listed (id, tenant, message) in {report}" for m in out
               if isinstance(m, Message))
    lines = [orjson.loads(line) for line in report.read_bytes().splitlines()]
    assert sorted(e["id"] for e in lines) == sorted(o["id"] for o in objects
                                                     if "count" in o["properties"])
    assert all(e["tenant"] is None and "count" in e["message"] for e in lines)
    assert len(read_state(client, "Article")) == 10  # and the count check agreed
    assert not list(tmp_path.glob("Article.b1.*.restore.json"))


def test_an_alias_is_not_a_target(client, session, tmp_path) -> None:
    make_article(client, n=3)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    client.post("/v1/aliases", json={"alias": "Docs", "class": "Article"}).raise_for_status()
    with pytest.raises(ShellError, match="Docs is an alias of Article"):
        run(session, f"\\restore {path} --as Docs --skip-schema")


def test_the_declaration() -> None:
    spec = REGISTRY.find("restore")
    assert spec.summary.endswith(".") and spec.group == "backup"
    assert spec.destructive and spec.changes_schema
    params = inspect.signature(spec.handler).parameters
    keyword = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keyword == {a.name for a in spec.args} | {o.dest for o in spec.opts}
    assert "[--as TEXT]" in spec.usage and "--rename-property" in spec.usage
    assert all(o.help for o in spec.opts)
