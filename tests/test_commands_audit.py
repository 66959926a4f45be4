"""The audit log's hash chain and ``\\audit`` on a damaged log: tampering of every kind is
named by ``\\audit --verify``, unreadable lines are reported and skipped, concurrent shells
keep one chain, and no content of the file reaches the dispatcher's catch-all."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from commands.audit import JsonlAuditLog, MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry
from commands.results import Outcome
from sandbox import Sandbox
from shell.render import Renderer
from shell.runner import LineRunner

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = Registry.from_modules(MODULES)
OLD_ENTRY = b'{"time":"2025-01-01T00:00:00.000Z","source":"repl","command":"ls","status":"ok"}\n'


def shell(log: JsonlAuditLog | MemoryAuditLog, *lines: str,
          url: str | None = None) -> tuple[Outcome, str, str]:
    """Run ``lines`` as typed at the REPL (connected to ``url`` if given); the last outcome,
    stdout and stderr as drawn."""
    out, err = io.StringIO(), io.StringIO()
    renderer = Renderer(Console(file=out, width=200), Console(file=err, width=200))
    runner = LineRunner(Dispatcher(REGISTRY, Session(), log), lambda: renderer)
    if url:
        runner.dispatcher.session.connection = open_connection(url)
    outcome = Outcome(command=None)
    for line in lines:
        outcome = runner.run(line, "repl")
    return outcome, out.getvalue(), err.getvalue()


def verify(log: JsonlAuditLog) -> tuple[Outcome, dict, str]:
    outcome, out, err = shell(log, r"\audit --verify --format json")
    return outcome, json.loads(out), err


def written(tmp_path: Path, commands: int = 5) -> JsonlAuditLog:
    """A log that ``commands`` commands wrote, one entry each."""
    log = JsonlAuditLog(tmp_path / "audit.jsonl")
    shell(log, *[r"\x"] * commands)
    return log


def test_each_entry_carries_its_seq_and_the_hash_of_the_line_before(tmp_path: Path) -> None:
    log = written(tmp_path, 3)
    lines = log.path.read_bytes().splitlines(keepends=True)
    entries = [json.loads(line) for line in lines]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert [e["prev"] for e in entries] == [None] + [hashlib.sha256(line).hexdigest()
                                                     for line in lines[:2]]
    assert entries[0]["command"] == "x" and entries[0]["status"] == "ok"
    outcome, report, err = verify(log)
    assert outcome.exit_code == 0 and outcome.status == "ok"
    assert "audit log intact: 3 chained entries (seq 1 to 3)" in err
    assert report["verdict"] == "intact" and report["entries"] == 3
    assert report["head"] == hashlib.sha256(lines[-1]).hexdigest()


def _delete(lines: list[bytes]) -> None:
    del lines[2]


def _edit(lines: list[bytes]) -> None:
    lines[2] = lines[2].replace(b'"status":"ok"', b'"status":"error"')


def _insert(lines: list[bytes]) -> None:
    lines.insert(2, OLD_ENTRY)


def _forge(lines: list[bytes]) -> None:
    """An inserted copy of a real entry, seq and hash included."""
    lines.insert(2, lines[1])


def _reorder(lines: list[bytes]) -> None:
    lines[2], lines[3] = lines[3], lines[2]


def _behead(lines: list[bytes]) -> None:
    del lines[:2]


def _tear(lines: list[bytes]) -> None:
    lines[-1] = lines[-1][:30]


@pytest.mark.parametrize(("tamper", "line", "problem"), [
    (_delete, 3, "line 3 has seq 4 after seq 2: entry 3 is missing here (deleted or moved)"),
    (_edit, 3, "line 3 was changed after it was written: line 4 (seq 4) holds another hash"),
    (_insert, 3, "line 3 has no sequence number: inserted"),
    (_forge, 3, "line 3 has seq 2 after seq 2: a line inserted, copied or moved"),
    (_reorder, 3, "line 3 has seq 4 after seq 2: entry 3 is missing here (deleted or moved)"),
    (_behead, 1, "the chain begins at line 1 with seq 3: entries 1 to 2 are missing (deleted"),
    (_tear, 5, "line 5 is torn (no newline at the end of the file)"),
])
def test_verify_names_the_first_broken_link(tmp_path: Path, tamper: Callable, line: int,
                                            problem: str) -> None:
    log = written(tmp_path)
    lines = log.path.read_bytes().splitlines(keepends=True)
    tamper(lines)
    log.path.write_bytes(b"".join(lines))
    outcome, report, err = verify(log)
    assert (outcome.exit_code, outcome.status) == (1, "error")
    assert report["verdict"] == "broken" and report["broken_at_line"] == line
    assert report["problem"].startswith(problem), report["problem"]
    assert f"audit log broken: {report['problem']}" in err


def test_a_tail_cut_at_a_line_boundary_is_caught_with_the_head(tmp_path: Path) -> None:
    log = written(tmp_path)
    _, report, _ = verify(log)
    assert verify(log)[0].exit_code == 0  # appends an entry: the head is still held
    head = report["head"]
    assert shell(log, rf"\audit --verify --head {head}")[0].exit_code == 0
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(lines[:4]))  # the entry the head names, and those after
    outcome, err = shell(log, rf"\audit --verify --head {head.upper()}")[::2]
    assert outcome.exit_code == 1
    assert f"audit log broken: no line has the head hash {head}: the entries up to it were " \
           "cut from the tail" in err
    assert verify(log)[0].exit_code == 0  # without the head, nothing shows


def test_a_log_from_before_the_chain_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    removal = OLD_ENTRY.replace(b'"ls"', b'"rm"')
    path.write_bytes(OLD_ENTRY + removal)
    log = JsonlAuditLog(path)
    outcome, out, _ = shell(log, r"\x", r"\audit --format json")
    assert [e["command"] for e in json.loads(out)] == ["ls", "rm", "x"]
    first = json.loads(path.read_bytes().splitlines()[2])
    assert first["seq"] == 1 and first["prev"] == hashlib.sha256(removal).hexdigest()
    _, report, err = verify(log)
    assert report["chain_begins_at_line"] == 3 and report["lines_before_chain"] == 2
    assert "audit log intact: 2 chained entries (seq 1 to 2); the chain begins at line 3 " \
           "(the lines before it were written without one)" in err
    path.write_bytes(OLD_ENTRY + path.read_bytes()[len(OLD_ENTRY + removal):])  # rm is gone
    assert verify(log)[1]["problem"].startswith("line 1 was changed after it was written")


def test_a_non_utf8_byte_is_reported_and_skipped(tmp_path: Path) -> None:
    log = written(tmp_path, 3)
    lines = log.path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"x"', b'"\xff"')
    log.path.write_bytes(b"".join(lines))
    outcome, out, err = shell(log, r"\audit --format json")
    assert outcome.exit_code == 0 and [e["seq"] for e in json.loads(out)] == [1, 3]
    assert f"skipped 1 unreadable line of {log.path} (line 2); \\audit --verify checks the " \
           "log" in err
    assert verify(log)[1]["problem"] == ("line 2 is unreadable (not UTF-8): changed or cut "
                                         "after it was written")


def test_a_torn_last_line_is_skipped_and_the_next_entry_starts_a_line(tmp_path: Path) -> None:
    log = written(tmp_path, 2)
    with log.path.open("ab") as torn:
        torn.write(b'{"time":"2026-')  # a write cut short (disk full, power lost)
    outcome, out, err = shell(log, r"\audit --format json")
    assert [e["seq"] for e in json.loads(out)] == [1, 2]
    assert "skipped 1 unreadable line" in err and "(line 3)" in err
    lines = log.path.read_bytes().splitlines(keepends=True)
    assert lines[2] == b'{"time":"2026-\n'  # the append ended the torn line before its own
    assert json.loads(lines[3])["seq"] == 3
    assert json.loads(lines[3])["prev"] == hashlib.sha256(lines[2]).hexdigest()
    _, report, _ = verify(log)
    assert report["broken_at_line"] == 3 and report["problems"] == 1
    assert report["problem"].startswith("line 3 is unreadable (not JSON)")


def test_concurrent_shells_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    code = ("import sys; from pathlib import Path; from commands.audit import JsonlAuditLog; "
            "log = JsonlAuditLog(Path(sys.argv[1])); "
            "[log.record({'writer': sys.argv[2], 'n': n}) for n in range(100)]")
    writers = [subprocess.Popen([sys.executable, "-c", code, str(path), str(w)], cwd=ROOT)
               for w in range(4)]
    assert [w.wait(timeout=60) for w in writers] == [0] * 4
    _, report, _ = verify(JsonlAuditLog(path))
    assert report["verdict"] == "intact" and report["last_seq"] == 400, report["problem"]


def test_bad_options_and_a_log_kept_in_memory(tmp_path: Path) -> None:
    log = written(tmp_path, 1)
    cases = {r"\audit --verify --since 2h": r"\audit --verify checks the whole log",
             r"\audit --verify --head abc": "--head: 'abc' is not a sha256 hash",
             rf"\audit --head {'0' * 64}": "--head goes with --verify",
             rf"\audit --file {tmp_path / 'gone.jsonl'}": "does not exist",
             rf"\audit --verify --file {tmp_path}": "is not a file"}
    for line, message in cases.items():
        outcome = shell(log, line)[0]
        assert outcome.exit_code == 2 and message in outcome.error.message, line
    rotated = tmp_path / "audit.jsonl.1"
    log.path.rename(rotated)
    assert shell(log, rf"\audit --verify --file {rotated}")[0].exit_code == 0
    memory = shell(MemoryAuditLog(), r"\audit --verify")[0]
    assert memory.exit_code == 1 and "no file to verify" in memory.error.message


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    """An empty cluster with one collection, Article, which the tests only read."""
    with Sandbox() as server:
        httpx.post(f"{server.url}/v1/schema", json={"class": "Article"}).raise_for_status()
        yield server


def test_cron_gets_exit_status_1_without_a_cluster(tmp_path: Path) -> None:
    log = written(tmp_path / "elysiactl", 3)
    log.path.write_bytes(b"".join(log.path.read_bytes().splitlines(keepends=True)[1:]))
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    broken = subprocess.run([sys.executable, "-m", "shell", "--url", "http://127.0.0.1:9",
                             "-c", r"\audit --verify"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1, broken.stderr  # not 3: nothing tried to connect
    assert "audit log broken: the chain begins at line 1 with seq 2: entry 1 is missing " \
           "(deleted from the head of the log)" in broken.stderr


def test_rm_reads_the_creation_time_past_hand_edited_entries(tmp_path: Path,
                                                             cluster: Sandbox) -> None:
    log = JsonlAuditLog(tmp_path / "audit.jsonl")
    log.path.write_bytes(b'{"status":"ok","cluster":5,"command":"create"}\n'
                         b'{"status":"ok","command":"create","arguments":[1]}\n\xff\n')
    outcome, out, _ = shell(log, r"\rm Article --dry-run", url=cluster.url)
    assert outcome.error is None and "DELETE   /v1/schema/Article" in out


_FIELDS = st.sampled_from(["time", "seq", "prev", "status", "command", "source", "identity",
                           "error", "arguments"])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                       | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
_LINES = st.one_of(st.binary(max_size=60),
                   st.dictionaries(_FIELDS, _VALUES, max_size=6).map(
                       lambda entry: json.dumps(entry).encode()),
                   st.just(OLD_ENTRY.rstrip()), st.just(b"[" * 3000))


@pytest.fixture(scope="module")
def fuzz_log(tmp_path_factory: pytest.TempPathFactory) -> JsonlAuditLog:
    return JsonlAuditLog(tmp_path_factory.mktemp("fuzz") / "audit.jsonl")


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINES, max_size=6), ending=st.sampled_from([b"", b"\n"]),
       fmt=st.sampled_from(["table", "json"]))
def test_no_log_content_reaches_the_catch_all(fuzz_log: JsonlAuditLog, lines: list[bytes],
                                              ending: bytes, fmt: str) -> None:
    log = fuzz_log
    log.path.write_bytes(b"\n".join(lines) + ending)
    for line in (rf"\audit --since 1d --format {fmt}", r"\audit --command ls --status ok",
                 rf"\audit --verify --format {fmt}"):
        outcome = shell(log, line)[0]
        assert outcome.error is None and outcome.exit_code in (0, 1), outcome.error
    *_, last = log.entries()  # each run appended an entry, readable whatever came before
    assert last["command"] == "audit" and last["seq"] >= 3
