"""``\\watch`` as a user runs it: script mode (exit statuses asserted; in-process, and in a
subprocess for the timeout's 124 and the runs read while they come), the REPL
through pipe input and a pseudo-terminal, completion of the watched command, and the
``--until`` condition language, all against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pexpect
import pytest
from conftest import REGISTRY, mutating_requests
from inprocess_support import elysiactl_here
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from test_shell_repl import repl, terminal  # noqa: F401 - terminal: the shell in a pty

from commands.condition import ConditionError, parse_condition
from commands.results import Document as Doc
from commands.results import Record, Table
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
PROMPT = r"127\.0\.0\.1:\d+> "


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    return {**clean, "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}


@pytest.fixture
def tickets(sandbox: Sandbox, client: httpx.Client) -> Sandbox:
    """The empty sandbox with a collection Ticket of 10 objects."""
    client.post("/v1/schema", json={"class": "Ticket", "vectorizer": "none", "properties": [
        {"name": "n", "dataType": ["int"]}]}).raise_for_status()
    insert(client, range(10))
    return sandbox


def insert(client: httpx.Client, numbers: range) -> None:
    answer = client.post("/v1/batch/objects", json={"objects": [
        {"class": "Ticket", "properties": {"n": n}} for n in numbers]})
    answer.raise_for_status()
    assert not any(o.get("result", {}).get("errors") for o in answer.json())


def run(env: dict[str, str], url: str, *lines: str,
        process: bool = False) -> subprocess.CompletedProcess:
    """``elysiactl --url URL -f SCRIPT`` with ``lines`` as the script: in-process, or as a
    process (the exit status 124 as a shell sees it)."""
    script = Path(env["XDG_STATE_HOME"]).parent / "script.txt"
    script.write_text("\n".join(lines) + "\n")
    args = ["--url", url, "-f", str(script)]
    if not process:
        return elysiactl_here(args, env)
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def audit(env: dict[str, str]) -> list[dict]:
    path = Path(env["XDG_STATE_HOME"]) / "elysiactl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def watching(env: dict[str, str], url: str, line: str) -> subprocess.Popen:
    """The script ``line`` running in the background, its stderr read line by line."""
    script = Path(env["XDG_STATE_HOME"]).parent / "watch.txt"
    script.write_text(line + "\n")
    return subprocess.Popen([sys.executable, "-m", "shell", "--url", url, "-f", str(script)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


# --- script mode: the runbook gates and their exit statuses ------------------------------------

def test_until_holds_once_another_thread_has_inserted(env, tickets: Sandbox,
                                                       client: httpx.Client) -> None:
    child = watching(env, tickets.url,
                     r"\watch 0.2 --until 'count >= 30' --timeout 50 \count Ticket --format json")
    try:
        seen = [child.stdout.readline(), child.stdout.readline()]  # two runs: now insert
        writer = threading.Thread(target=insert, args=(client, range(10, 40)))
        writer.start()
        out, err = child.communicate(timeout=50)
        writer.join()
    finally:
        child.kill()
    assert child.returncode == 0, err
    counts = [json.loads(line)["count"] for line in [*seen, *out.splitlines()]]
    assert counts[:2] == [10, 10] and counts[-1] == 40 and len(counts) >= 3
    assert re.search(r"count >= 30 held at run \d+", err)
    entries = audit(env)
    assert [e["command"] for e in entries] == ["count"] * len(counts) + ["watch"]
    assert {e["status"] for e in entries} == {"ok"}
    assert all(e["source"].startswith("script:") for e in entries)


def test_until_waits_for_a_native_backup_to_succeed(env, sandbox: Sandbox,
                                                    client: httpx.Client) -> None:
    """The issue's runbook step: on an empty backend no row holds; once the backup is
    listed, the watch waits until every backup listed is SUCCESS."""
    client.post("/v1/schema", json={"class": "Ticket", "vectorizer": "none"}).raise_for_status()
    child = watching(env, sandbox.url, "\\watch 0.2 --until 'status == \"SUCCESS\"' "
                                       "--timeout 50 \\backups --native filesystem --format json")
    try:
        first = child.stdout.readline()
        assert json.loads(first) == []
        client.post("/v1/backups/filesystem", json={"id": "nightly"}).raise_for_status()
        out, err = child.communicate(timeout=50)
    finally:
        child.kill()
    assert child.returncode == 0, err
    frames = [json.loads(line) for line in [first, *out.splitlines()]]
    assert [b["status"] for b in frames[-1]] == ["SUCCESS"]
    assert 'status == "SUCCESS" held at run' in err


def test_timeout_exits_124(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch 0.2 --until 'count > 100' --timeout 1 \count Ticket",
                 r"\conninfo", process=True)
    assert result.returncode == 124, result.stderr
    assert "error: \\watch gave up after 1 s" in result.stderr
    assert "--until count > 100 did not hold" in result.stderr
    entries = audit(env)
    assert entries[-1]["command"] == "watch" and entries[-1]["status"] == "timeout"
    assert "conninfo" not in [e["command"] for e in entries]  # the script stopped there
    assert result.stdout.count("Count of Ticket") >= 2  # frames appended off a terminal


def test_count_runs_out_before_until_held_exits_124(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch 0.2 --count 2 --until 'count > 100' \count Ticket")
    assert result.returncode == 124
    assert "--until count > 100 did not hold in 2 runs" in result.stderr
    assert result.stdout.count("Count of Ticket") == 2


def test_a_failing_command_stops_the_watch_with_its_error(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch 0.2 --until 'count > 1' \count Tikcet")
    assert result.returncode == 1
    assert "error: \\count Tikcet failed at run 1: no collection named 'Tikcet'" in result.stderr
    assert "hint: did you mean Ticket?" in result.stderr
    assert [(e["command"], e["status"]) for e in audit(env)] == [("count", "error"),
                                                                 ("watch", "error")]


def test_a_bad_condition_is_a_usage_error_before_any_run(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch --until 'count >= ' \count Ticket")
    assert result.returncode == 2
    assert "error: --until 'count >= ': expected a field, a number" in result.stderr
    assert "got the end (column 10)" in result.stderr
    assert [e["command"] for e in audit(env)] == ["watch"]  # \count never ran
    equals = run(env, tickets.url, r"\watch --until 'count = 3' \count Ticket")
    assert equals.returncode == 2 and "hint: use == to compare" in equals.stderr


def test_an_unknown_field_names_the_fields_of_the_result(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch 0.2 --until 'cuont >= 10' \count Ticket")
    assert result.returncode == 2
    assert "error: --until: the result of \\count has no field 'cuont'" in result.stderr
    assert "hint: did you mean count? its fields: collection, tenant, count" in result.stderr


def test_only_commands_that_read_are_rerun(env, tickets: Sandbox, client: httpx.Client) -> None:
    before = len(mutating_requests(client))
    removal = run(env, tickets.url, r"\watch \rm Ticket --force")
    assert removal.returncode == 2
    assert "error: \\watch does not rerun \\rm: it is destructive" in removal.stderr
    backup = run(env, tickets.url, r"\watch 0.2 --count 3 \backup --native filesystem")
    assert backup.returncode == 4
    assert ("\\watch reruns only commands that read: POST /v1/backups/filesystem was not sent"
            in backup.stderr)
    assert len(mutating_requests(client)) == before
    assert client.get("/v1/schema/Ticket").status_code == 200


def test_own_options_after_the_command_get_a_hint(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch \count Ticket --until 'count > 1'")
    assert result.returncode == 2
    assert "hint: \\watch's own options go before the command" in result.stderr


def test_without_until_it_ends_after_count_runs(env, tickets: Sandbox) -> None:
    result = run(env, tickets.url, r"\watch 0.2 --count 3 --format json \count Ticket")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["count"] for line in result.stdout.splitlines()] == [10] * 3
    assert result.stderr == ""  # NDJSON: no frame headers on stderr


# --- the REPL -------------------------------------------------------------------------------

def test_repl_appends_frames_and_keeps_only_the_watch_in_history(tickets: Sandbox) -> None:
    dispatcher, out, err = repl(tickets.url, "\\watch 0.2 --count 2 \\count Ticket\r"
                                             "\\watch --until 'count = 1' \\count Ticket\r"
                                             "\\watch 0.2 --until 'count >= 10' \\count Ticket\r"
                                             "\\history\r\\q\r")
    assert out.count("Count of Ticket") == 3
    assert "run 2 at" in err and "hint: use == to compare" in err
    assert "count >= 10 held at run 1" in err
    assert [(e["command"], e["status"]) for e in dispatcher.audit.entries()] == [
        ("count", "ok"), ("count", "ok"), ("watch", "ok"), ("watch", "usage-error"),
        ("count", "ok"), ("watch", "ok"), ("history", "ok"), ("q", "ok")]
    assert [line for line in dispatcher.session.history if "count" in line] == [
        r"\watch 0.2 --count 2 \count Ticket", r"\watch --until 'count = 1' \count Ticket",
        r"\watch 0.2 --until 'count >= 10' \count Ticket"]


def test_pty_redraws_in_place_until_q(terminal: pexpect.spawn) -> None:  # noqa: F811
    terminal.sendline(r"\watch 0.3 \count Article")
    terminal.expect("Count of Article")
    terminal.expect("run 3 at")
    terminal.send("q")
    terminal.expect(PROMPT)
    terminal.sendline(r"\watch 0.2 --until 'count >= 250' \count Article")
    terminal.expect("count >= 250 held at run 1")
    terminal.expect(PROMPT)
    terminal.sendline(r"\watch 0.2 --until 'count > 1000' \count Article")
    terminal.expect("run 2 at")
    terminal.sendcontrol("c")  # before the condition held: an interruption, not a success
    terminal.expect(r"error: \\watch stopped after \d+ runs, before --until count > 1000 held")
    terminal.expect(PROMPT)
    terminal.send(r"\watch 0.2 --count 1 \count Artic")
    terminal.expect("250")  # the completion menu's entry: Article, 250 objects
    terminal.send("\t")  # selects it
    terminal.send("\r")  # accepts it
    terminal.send("\r")  # runs the line
    terminal.expect(r"\\count Article, run 1 at")
    terminal.expect(PROMPT)
    terminal.sendline(r"\q")
    terminal.expect(pexpect.EOF)


# --- completion -----------------------------------------------------------------------------

SNAPSHOT = MetadataSnapshot.from_schema([{"class": "Article", "properties": [
    {"name": "title", "dataType": ["text"]}]}, {"class": "Product"}], fetched_at=1.0)


@pytest.mark.parametrize(("text", "offered"), [
    ("\\watch \\cou", ["\\count"]),
    ("\\watch 5 --until 'count > 1' \\cou", ["\\count"]),
    ("\\watch 5 \\count Ar", ["Article"]),
    ("\\watch 5 --count 3 \\shards Pro", ["Product"]),
    ("\\watch 5 \\count Article --form", ["--format"]),
    ("\\watch --unt", ["--until"]),
])
def test_completion_after_watch_is_the_watched_commands(text: str, offered: list[str]) -> None:
    completer = MetaCommandCompleter(REGISTRY, MetadataCache(SNAPSHOT))
    found = [c.text for c in completer.get_completions(Document(text), CompleteEvent())]
    assert found[:len(offered)] == offered


# --- the condition language -----------------------------------------------------------------

SHARDS = Table(("shard", "status", "objects"), (("a", "READY", 5), ("b", "READONLY", 0)))
COUNT = Record({"collection": "Ticket", "tenant": None, "count": 250})
CLASS = Doc({"class": "Article", "shards": [{"status": "READY"}, {"status": "READY"}],
             "base": None})


@pytest.mark.parametrize(("condition", "result", "holds"), [
    ('status == "READY"', SHARDS, False),  # every row
    ('any(status == "READY")', SHARDS, True),
    ('all(status == "READY" or objects == 0)', SHARDS, True),
    ('count(status != "READY") == 1', SHARDS, True),
    ("count() == 0", Table(("status",), ()), True),
    ('status == "READY"', Table(("status",), ()), False),  # no row: nothing held yet
    ("count >= 250 and tenant == null", COUNT, True),
    ("not (count > 250)", COUNT, True),
    ("count == 250.0 and collection != 250", COUNT, True),
    ('collection < "U"', COUNT, True),
    ('shards.status == "READY"', CLASS, True),
    ("base.id == null", CLASS, True),
    ("-1 < 0 and 1e3 == 1000 and true != false", COUNT, True),
])
def test_conditions(condition: str, result: Table | Record | Doc, holds: bool) -> None:
    assert parse_condition(condition).holds("x", [result]) is holds


@pytest.mark.parametrize(("condition", "message"), [
    ("status ==", "got the end (column 10)"),
    ('status == "READY', "this text is not closed (column 11)"),
    ("(a == 1", "expected ')', got the end"),
    ("a == 1 b == 2", "expected and, or or the end, got 'b' (column 8)"),
    ("a && b", "'&&' is not an operator here"),
    ("len(a) > 1", "unknown function len()"),
    ("__import__('os')", "unknown function __import__()"),
    ("any()", "any() needs a condition"),
    ("", "--until needs a condition"),
])
def test_bad_conditions_name_the_column(condition: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(condition)
    assert message in caught.value.message


def test_ordering_texts_and_numbers_is_an_error_not_a_silent_false() -> None:
    with pytest.raises(ConditionError, match="cannot order 250"):
        parse_condition('count > "100"').holds("count", [COUNT])
    with pytest.raises(ConditionError, match="shards has no field 'stats'") as caught:
        parse_condition('shards.stats == "READY"').holds("show", [CLASS])
    assert caught.value.hint == "did you mean status? its fields: status"
