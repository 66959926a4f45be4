"""``\\restore`` interrupted and resumed, in parallel or not, through faults; and native
restores through the sandbox's filesystem backups.

An interruption (an exception while batches are in flight, or every request dropped)
leaves the checkpoint; running the same command again resumes after it and gives the
same collection as an uninterrupted restore, with every failure reported once.
"""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from test_commands_restore import ids, make_article, make_tickets, post_objects
from test_commands_restore_support import (
    comparable,
    progress_factory,
    read_state,
    recording,
    restore_file,
    run,
    snapshot,
    tenants_of,
)

from commands.api.client import RestClient
from commands.context import Connection, Session
from commands.errors import ShellError, UsageError
from commands.results import Message, Record
from sandbox import Sandbox
from tests.conftest import make_session


class Boom(Exception):
    """Stands for Ctrl-C or a crash in the middle of a restore."""


@pytest.fixture
def session(sandbox: Sandbox):
    return make_session(sandbox.url)


def checkpoint(tmp_path, name: str = "Article", backup: str = "b1") -> dict:
    return orjson.loads(restore_file(tmp_path, name, backup).read_bytes())


def batch_posts(client: httpx.Client) -> int:
    return sum(1 for e in client.get("/__sandbox/requests").json()
               if e["method"] == "POST" and e["path"] == "/v1/batch/objects")


def interrupt_after(limit: int, error: BaseException):
    def check(done: int) -> None:
        if done >= limit:
            raise error
    return check


@pytest.mark.parametrize("parallel", [1, 4])
def test_interrupted_restore_resumes_without_duplicates(client, session, tmp_path,
                                                        parallel) -> None:
    make_article(client, n=120)
    path, state = snapshot(client, "Article", tmp_path, "b1", chunk=25)
    client.delete("/v1/schema/Article")
    calls: list = []
    session.progress = progress_factory(calls, interrupt_after(40, Boom()))
    with pytest.raises(Boom):
        run(session, f"\\restore {path} --batch-size 10 --parallel {parallel}")
    saved = checkpoint(tmp_path)
    assert saved["created_class"] and saved["pre_existing"] == 0
    assert 40 <= saved["written"] < 120 and saved["done"][""] == sorted(ids(120))[
        saved["written"] - 1]
    assert len(read_state(client, "Article")) >= saved["written"]
    session.progress = progress_factory(calls := [])
    with recording(client):
        out = run(session, f"\\restore {path} --batch-size 10 --parallel {parallel}")
        assert batch_posts(client) == -(-(120 - saved["written"]) // 10)
    assert out[0].text == "resumed the interrupted restore of Article"
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 120
    assert ("restoring Article", 120 - saved["written"]) in calls
    assert comparable(read_state(client, "Article")) == comparable(state)
    assert not list(tmp_path.glob("Article.b1.*.restore.json"))


def test_dropped_connections_stop_it_and_a_rerun_finishes(client, session, tmp_path) -> None:
    make_article(client, n=90)
    path, state = snapshot(client, "Article", tmp_path, "b1")
    client.delete("/v1/schema/Article")

    def drop_everything(done: int) -> None:
        if done >= 30:
            client.put("/__sandbox/faults", json={"fail_rate": 1, "kinds": ["drop"]})

    session.progress = progress_factory([], drop_everything)
    with pytest.raises(ShellError, match="restore into Article stopped: cannot reach") as err:
        run(session, f"\\restore {path} --batch-size 10 --parallel 2")
    assert err.value.hint == ("run the same \\restore again to resume; or \\restore "
                              f"--rollback {path} removes what it wrote")
    client.put("/__sandbox/faults", json={"fail_rate": 0})
    written = checkpoint(tmp_path)["written"]  # batches complete out of order: a prefix
    assert written < 90 and written % 10 == 0
    assert f"({written:,} objects restored so far are checkpointed)" in err.value.message
    session.progress = None
    run(session, f"\\restore {path} --batch-size 10 --parallel 2")
    assert comparable(read_state(client, "Article")) == comparable(state)


def test_multi_tenant_restore_resumes(client, session, tmp_path) -> None:
    make_tickets(client)
    path, state = snapshot(client, "Ticket", tmp_path, "t1", statuses={"initech": "INACTIVE",
                                                                       "empty": "INACTIVE"})
    client.delete("/v1/schema/Ticket")
    session.progress = progress_factory([], interrupt_after(10, Boom()))
    with pytest.raises(Boom):
        run(session, f"\\restore {path} --batch-size 5 --parallel 2")
    saved = checkpoint(tmp_path, "Ticket", "t1")
    assert 10 <= saved["written"] <= 30 and "initech" not in saved["done"]
    assert saved["done"]["acme"] == sorted(ids(30, "acme"))[saved["written"] - 1]
    session.progress = None
    run(session, f"\\restore {path} --batch-size 5 --parallel 3")
    assert tenants_of(client, "Ticket") == {"acme": "HOT", "globex": "HOT", "initech": "COLD",
                                            "empty": "COLD"}
    client.put("/v1/schema/Ticket/tenants", json=[{"name": "initech",
                                                   "activityStatus": "ACTIVE"}])
    assert comparable(read_state(client, "Ticket", ["acme", "globex", "initech"])) == \
        comparable(state)


def test_failures_are_reported_once_across_a_resume(client, session, tmp_path) -> None:
    client.post("/v1/schema", json={"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "count", "dataType": ["int"]}]})
    post_objects(client, [{"class": "Article", "id": oid, "properties": {
        "title": f"t{i}", **({"count": i} if i % 4 == 0 else {})}}
        for i, oid in enumerate(ids(100))])
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    client.delete("/v1/schema/Article")
    client.post("/v1/schema", json={"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "count", "dataType": ["text"]}]})
    session.progress = progress_factory([], interrupt_after(50, Boom()))
    with pytest.raises(Boom):
        run(session, f"\\restore {path} --skip-schema --batch-size 6 --parallel 4")
    assert checkpoint(tmp_path)["pre_existing"] == 0
    session.progress = None
    out = run(session, f"\\restore {path} --skip-schema --batch-size 6 --parallel 4")
    record = next(r for r in out if isinstance(r, Record))
    assert (record.fields["objects"], record.fields["failed"]) == (75, 25)
    report = restore_file(tmp_path, "Article", "b1", ".restore-errors.jsonl")
    lines = [orjson.loads(x) for x in report.read_bytes().splitlines()]
    assert sorted(e["id"] for e in lines) == sorted(ids(100)[::4])


def test_parallel_and_sequential_give_the_same_collection(client, session, tmp_path) -> None:
    make_article(client, n=77)
    path, state = snapshot(client, "Article", tmp_path, "b1", chunk=9)
    run(session, f"\\restore {path} --as One --parallel 1 --batch-size 200")
    run(session, f"\\restore {path} --as Four --parallel 4 --batch-size 6")
    one, four = read_state(client, "One"), read_state(client, "Four")
    assert comparable(one) == comparable(four) == comparable(state)


def test_restore_through_faults(client, sandbox, tmp_path) -> None:
    """503s, drops and cut-off answers on 10% of requests: the retries make it whole."""
    make_article(client, n=300)
    path, state = snapshot(client, "Article", tmp_path, "b1", chunk=64)
    client.delete("/v1/schema/Article")
    client.put("/__sandbox/faults", json={"fail_rate": 0.1, "seed": 3}).raise_for_status()
    url = sandbox.url
    session = Session(connection=Connection(api=RestClient(url, retries=8, backoff=0.001),
                                            url=url))
    out = run(session, f"\\restore {path} --batch-size 20 --parallel 4")
    client.put("/__sandbox/faults", json={"fail_rate": 0})
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 300
    faults = [e for e in client.get("/__sandbox/requests").json() if e["fault"]]
    assert faults
    assert comparable(read_state(client, "Article")) == comparable(state)


def wait_for(client: httpx.Client, path: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = client.get(path).json()
        if body["status"] in ("SUCCESS", "FAILED", "CANCELED"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"{path} never finished")


@pytest.fixture
def native_backup(client):
    make_article(client, n=40)
    state = read_state(client, "Article")
    client.post("/v1/backups/filesystem", json={"id": "nb1", "include": ["Article"]}
                ).raise_for_status()
    assert wait_for(client, "/v1/backups/filesystem/nb1")["status"] == "SUCCESS"
    return state


def test_native_restore(client, session, native_backup) -> None:
    client.delete("/v1/schema/Article")
    calls: list = []
    session.progress = progress_factory(calls)
    out = run(session, "\\restore nb1 --native filesystem")
    assert out[0].text == "restored native backup nb1 from filesystem: Article"
    record = next(r for r in out if isinstance(r, Record))
    assert record.fields["status"] == "SUCCESS" and record.fields["classes"] == ["Article"]
    assert calls == [("restoring backup nb1 (filesystem)", None)]
    assert comparable(read_state(client, "Article")) == comparable(native_backup)


def test_native_restore_dry_run_and_failures(client, session, native_backup) -> None:
    with recording(client) as mutating:
        out = run(session, "\\restore nb1 --native filesystem --dry-run --include Article")
    assert mutating() == [] and isinstance(out[0], Message)
    with pytest.raises(ShellError, match="native restore of backup nb1 .* failed") as err:
        run(session, "\\restore nb1 --native filesystem")  # Article still exists
    assert "\\rm it first" in err.value.hint
    with pytest.raises(UsageError, match="--as, --tenant cannot be used with --native"):
        run(session, "\\restore nb1 --native filesystem --as X --tenant t")
    with pytest.raises(ShellError, match="does not exist"):
        run(session, "\\restore nope --native filesystem")


def test_native_restore_is_canceled_on_ctrl_c(client, session, native_backup) -> None:
    client.delete("/v1/schema/Article")

    def ctrl_c(description: str, total: int | None, unit: str = "objects"):
        raise KeyboardInterrupt

    session.progress = ctrl_c
    with recording(client), pytest.raises(KeyboardInterrupt):
        run(session, "\\restore nb1 --native filesystem")
    log = client.get("/__sandbox/requests").json()
    assert [(e["method"], e["path"]) for e in log if e["mutating"]] == [
        ("POST", "/v1/backups/filesystem/nb1/restore"),
        ("DELETE", "/v1/backups/filesystem/nb1/restore")]
    assert wait_for(client, "/v1/backups/filesystem/nb1/restore")["status"] == "CANCELED"
