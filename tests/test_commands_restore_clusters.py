"""One backup restored into two clusters: each restore keeps its own checkpoint, error
report and rollback record (named by a digest of the target cluster and collection), so
an interrupted restore into one cluster is never resumed into another, and a rollback on
one cluster removes only what the restore into that cluster wrote."""

from __future__ import annotations

import httpx
import pytest
from test_commands_restore import make_article
from test_commands_restore_support import (
    comparable,
    progress_factory,
    read_state,
    run,
    snapshot,
)

from commands.errors import ShellError, UsageError
from commands.results import Message, Table
from sandbox import Sandbox
from tests.conftest import make_session


class Boom(Exception):
    """Stands for Ctrl-C or a crash in the middle of a restore."""


def interrupted(session, line: str, after: int) -> None:
    """Run ``line`` until the restore bar passed ``after`` objects."""
    def check(done: int) -> None:
        if done >= after:
            raise Boom
    session.progress = progress_factory([], check)
    with pytest.raises(Boom):
        run(session, line)
    session.progress = progress_factory([])


@pytest.fixture
def other(target: Sandbox):
    """A second, empty cluster and a client for it."""
    with httpx.Client(base_url=target.url, timeout=10) as http:
        yield target, http


def test_an_interrupted_restore_is_not_resumed_into_another_cluster(
        client, sandbox, other, tmp_path) -> None:
    make_article(client, n=120)
    path, state = snapshot(client, "Article", tmp_path, "b1", chunk=25)
    client.delete("/v1/schema/Article")
    interrupted(make_session(sandbox.url), f"\\restore {path} --batch-size 10", after=60)
    y, y_http = other
    make_article(y_http, n=0)  # an earlier partial load left the collection on Y
    out = run(make_session(y.url), f"\\restore {path} --batch-size 10 --skip-schema")
    assert "resumed the interrupted restore of Article" not in [
        m.text for m in out if isinstance(m, Message)]
    assert comparable(read_state(y_http, "Article")) == comparable(state)
    # an old-style checkpoint (before the cluster was in the name) is never resumed
    [new] = tmp_path.glob("Article.b1.*.restore.json")
    new.rename(tmp_path / "Article.b1.restore.json")
    client.delete("/v1/schema/Article")
    run(make_session(sandbox.url), f"\\restore {path} --batch-size 10")
    assert comparable(read_state(client, "Article")) == comparable(state)


def test_restores_into_two_clusters_keep_their_own_files(client, sandbox, other,
                                                        tmp_path) -> None:
    make_article(client, n=120)
    path, state = snapshot(client, "Article", tmp_path, "b1", chunk=25)
    client.delete("/v1/schema/Article")
    y, y_http = other
    x_session, y_session = make_session(sandbox.url), make_session(y.url)
    interrupted(x_session, f"\\restore {path} --batch-size 10", after=40)
    with pytest.raises(ShellError, match="no unfinished restore of .* on this cluster") as err:
        run(y_session, f"\\restore {path} --rollback --force")
    assert f"{sandbox.url.replace('127.0.0.1', 'localhost')}" in err.value.hint
    interrupted(y_session, f"\\restore {path} --batch-size 10", after=80)
    assert len(list(tmp_path.glob("Article.b1.*.restore.json"))) == 2
    assert len(list(tmp_path.glob("Article.b1.*.rollback.json"))) == 2
    listed = run(x_session, f"\\backups {tmp_path}")  # the catalog skips them quietly
    assert [r.level for r in listed if isinstance(r, Message)] == []
    assert [row[0] for row in next(r for r in listed if isinstance(r, Table)).rows] == ["b1"]
    out = run(x_session, f"\\restore {path} --batch-size 10")
    assert out[0].text == "resumed the interrupted restore of Article"
    assert comparable(read_state(client, "Article")) == comparable(state)
    out = run(y_session, f"\\restore {path} --rollback --force")
    assert out[0].text == f"rolled back the restore of {path}: removed collection Article"
    assert y_http.get("/v1/schema/Article").status_code == 404
    assert comparable(read_state(client, "Article")) == comparable(state)
    assert not list(tmp_path.glob("Article.b1.*.r*.json"))


def test_rollback_chooses_among_restores_into_several_collections(client, sandbox,
                                                                  tmp_path) -> None:
    make_article(client, n=30)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    session = make_session(sandbox.url)
    for name in ("Copy1", "Copy2"):
        interrupted(session, f"\\restore {path} --as {name} --batch-size 10 --parallel 1",
                    after=10)
    with pytest.raises(UsageError, match="2 unfinished restores of .* into Copy1, Copy2"):
        run(session, f"\\restore {path} --rollback --force")
    run(session, f"\\restore {path} --rollback --as copy1 --force")
    assert client.get("/v1/schema/Copy1").status_code == 404
    assert client.get("/v1/schema/Copy2").status_code == 200
    [record] = tmp_path.glob("Article.b1.*.rollback.json")
    record.rename(tmp_path / "Article.b1.rollback.json")  # as an earlier version named it
    with pytest.raises(ShellError, match="no unfinished restore") as err:
        run(session, f"\\restore {path} --rollback --force")
    assert "Article.b1.rollback.json, left by an earlier version, names no cluster" \
        in err.value.hint
    assert client.get("/v1/schema/Copy2").status_code == 200
