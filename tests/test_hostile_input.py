"""Hostile input found by the issue-14 tour: each class of bad argument is a usage error
(exit 2) naming the argument, never an internal error and never a request elsewhere."""

from __future__ import annotations

import random
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from admin_support import ROOT, elysiactl, process_env
from conftest import REGISTRY, make_session, mutating_requests
from test_shell_repl import repl

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.errors import UsageError, excerpt
from commands.shellwords import split
from sandbox import Sandbox
from sandbox.__main__ import main as sandbox_main
from shell.cli_help import one_shot_line


def execute(line: str, session: Session | None = None):
    return Dispatcher(REGISTRY, session or Session(), MemoryAuditLog()).execute(line, "argv")


@pytest.mark.parametrize(("line", "message"), [
    # were httpx.InvalidURL and "embedded null byte" internal errors
    ("\\replicate show 'a\x01b'", "the line holds a control character ('\\x01' at column 19)"),
    ("\\backups --native 'x\x00'", "the line holds a control character ('\\x00' at column 21)"),
    ("\\create Article --schema-file='\x00'",
     "the line holds a control character ('\\x00' at column 32)"),
    ("\\show 'Art\x1bicle'", "the line holds a control character ('\\x1b' at column 11)"),
    # a tab or newline in a name: was httpx.InvalidURL
    ("\\alias rm '\t'", "ALIAS: '\\t' holds the control character '\\t'"),
    ("\\count 'Art\nicle'", "COLLECTION: 'Art\\nicle' holds the control character '\\n'"),
    # was AttributeError: GET /v1/users/db/ lists every user
    (r"\user rm ''", "NAME is empty: it names a user"),
    (r"\count --tenant ''", "--tenant is empty: it names a tenant"),
    # was OSError: [Errno 36] File name too long
    ("\\backups " + "A" * 300,
     "DIRECTORY: a file name in '" + "A" * 40 + "...' is 300 bytes long; file systems allow 255"),
    (r"\user rotate-key bob --key-file=/tmp/" + "é" * 200,
     "--key-file: a file name in '/tmp/" + "é" * 35 + "...' is 400 bytes long; file systems "
     "allow 255"),
])
def test_bad_arguments_are_usage_errors(line: str, message: str) -> None:
    outcome = execute(line)
    assert (outcome.exit_code, outcome.status) == (2, "usage-error")
    assert outcome.error.message == message


@pytest.mark.parametrize(("line", "message"), [
    (r"\audit --limit -1", "--limit must be at least 1, got -1"),  # were an empty table
    (r"\history --limit 0", "--limit must be at least 1, got 0"),
    (r"\watch 1 --count 0 \history", "--count must be at least 1, got 0"),
    (r"\stats --limit -1", "--limit must be at least 0, got -1"),
])
def test_a_count_below_its_least_value_is_a_usage_error(line: str, message: str) -> None:
    outcome = execute(line)
    assert (outcome.exit_code, outcome.error.message) == (2, message)


LONG = "a" * 100_000
CUT = "a" * 40 + "..."


@pytest.mark.parametrize(("line", "message"), [  # each quoted the whole 100 kB value
    (rf"\show Article {LONG}", f"\\show: unexpected argument '{CUT}'"),
    (rf"\objects --limit {LONG}", f"--limit expects a whole number, got '{CUT}'"),
    (rf"\watch 1 --timeout {LONG} \ls", f"--timeout expects a number, got '{CUT}'"),
    (rf"\format {LONG}", f"FORMAT: '{CUT}' is not one of table, json, yaml"),
    (f"\\show 'Art{LONG}\t'", f"COLLECTION: 'Art{'a' * 37}...' holds the control character "
     "'\\t'"),
    (rf"\{LONG}", f"unknown command \\{CUT}"),
    (rf"\tenant {LONG}", f"unknown subcommand \\tenant {CUT}"),
])
def test_a_pasted_long_value_is_cut_in_the_message(line: str, message: str) -> None:
    outcome = execute(line)
    assert (outcome.exit_code, outcome.error.message) == (2, message)


@pytest.mark.parametrize("value", ["1_000", "١٢٣", " 12", "+3"])
def test_a_whole_number_is_plain_ascii_digits(value: str) -> None:
    outcome = execute(rf"\audit --limit '{value}'")  # int() took the first four
    assert (outcome.exit_code, outcome.error.message) == (
        2, f"--limit expects a whole number, got {excerpt(value)!r}")


@pytest.mark.parametrize("value", ["١", "1_0", "+1"])
def test_a_number_is_plain_ascii_digits(value: str) -> None:
    outcome = execute(rf"\watch 1 --timeout '{value}' \ls")  # '١' was 1.0
    assert (outcome.exit_code, outcome.error.message) == (
        2, f"--timeout expects a number, got {value!r}")


def test_a_replication_id_that_is_not_a_uuid_is_a_usage_error(sandbox: Sandbox) -> None:
    outcome = execute(r"\replicate show 123", make_session(sandbox.url))  # was Weaviate's 422
    assert (outcome.exit_code, outcome.error.message) == (2, "ID: '123' is not a UUID")



def test_a_backup_id_too_long_for_a_file_name_is_a_usage_error(sandbox: Sandbox) -> None:
    outcome = execute(r"\backup Article --id " + "a" * 300, make_session(sandbox.url))
    assert (outcome.exit_code, outcome.error.message) == (  # was OSError: File name too long
        2, "--id '" + "a" * 40 + "...': use up to 100 letters, digits, _ and - (it is part of "
        "file names)")

def test_text_values_keep_tabs_newlines_and_may_be_empty() -> None:
    session = Session()
    assert execute("\\set NOTE 'a\tb\nc'", session).exit_code == 0
    assert execute(r"\set EMPTY ''", session).exit_code == 0
    assert session.variables["NOTE"] == "a\tb\nc" and session.variables["EMPTY"] == ""


@pytest.mark.parametrize("name", ["../schema/Article", "..", "A?b", "A#b"])
def test_a_name_that_would_change_the_endpoint_is_never_sent(sandbox: Sandbox, name: str) -> None:
    with httpx.Client(base_url=sandbox.url) as http:
        http.post("/v1/schema", json={"class": "Article"}).raise_for_status()
        outcome = execute(f"\\alias rm '{name}' --force", make_session(sandbox.url))
        assert (outcome.exit_code, outcome.status) == (2, "usage-error")
        assert outcome.error.message.endswith(
            "which would send the request to another endpoint")
        assert [e["path"] for e in mutating_requests(http)] == ["/v1/schema"]  # the create
        assert http.get("/v1/schema/Article").status_code == 200


def test_a_value_that_cannot_be_in_a_url_is_never_sent(sandbox: Sandbox) -> None:
    outcome = execute("\\backups --native 'file\tsystem'", make_session(sandbox.url))
    assert (outcome.exit_code, outcome.status) == (2, "usage-error")  # was httpx.InvalidURL
    assert outcome.error.message.startswith("GET '/v1/backups/file\\tsystem' cannot be sent: ")


@pytest.mark.parametrize(("words", "message"), [
    # the control character's escape was 'acol x01': every backslash became "col "
    (["ls", "a\x01"], "the line holds a control character ('\\x01' at column "),
    (["lss"], "unknown command col lss (did you mean col ls?)"),
    (["show", "--x"], "col show: unknown option --x (usage: col show [COLLECTION]"),
])
def test_a_one_shot_usage_error_names_commands_as_typed(words, message, capsys) -> None:
    with pytest.raises(SystemExit):
        one_shot_line("col", words)
    assert capsys.readouterr().err.startswith(f"elysiactl: error: {message}")


def test_a_pasted_long_line_is_split_at_once() -> None:
    session = Session()  # shlex took 6 s for 300 kB (quadratic), 70 s for 1 MB
    assert execute(r"\set BLOB '" + "a" * 300_000 + "'", session).exit_code == 0
    assert len(session.variables["BLOB"]) == 300_000


def test_lines_split_as_shlex_splits_them() -> None:
    def words(split_line, line: str):
        try:
            return split_line(line)
        except ValueError as exc:
            return str(exc)

    pieces = ["a", "b", " ", "\t", "\n", "'", '"', "\\", "#", "é", "x y"]
    rnd = random.Random(14)
    for _ in range(3000):
        line = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert words(split, line) == words(shlex.split, line), line


def test_a_value_from_the_cluster_cannot_drive_the_terminal(sandbox: Sandbox) -> None:
    title = "\x1b[2J\x1b]0;pwned\x07\rOVER [/b]"  # clear screen, retitle, overwrite, markup
    with httpx.Client(base_url=sandbox.url) as http:
        http.post("/v1/schema", json={"class": "Hostile", "description": title}).raise_for_status()
        http.post("/v1/objects", json={"class": "Hostile", "properties": {"title": title}}
                  ).raise_for_status()
    _, out, err = repl(sandbox.url, "\\objects Hostile\r\\x\r\\objects Hostile\r\\x\r"
                                 "\\ls\r\\show Hostile\r\\q\r")
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out, out
    assert out.count(r"\x1b[2J\x1b]0;pwned\x07\rOVER [/b]") == 4 and "error" not in err


def test_an_output_file_that_fills_up_is_one_error_and_output_goes_back(sandbox: Sandbox) -> None:
    _, out, err = repl(sandbox.url, "\\o /dev/full\r\\conninfo\r\\conninfo\r\\q\r")
    assert err.count("error: \\o: cannot write /dev/full: No space left on device") == 1, err
    assert "internal error" not in err and out.count("server_version") == 1  # the second


def test_a_full_standard_output_is_one_error(sandbox: Sandbox, tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:  # was 'internal error: OSError', exit 1
        result = subprocess.run([sys.executable, "-m", "shell", "-c", "\\conninfo"], cwd=ROOT,
                                env=process_env(tmp_path, sandbox.url), stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (1, "error: cannot write to standard output: "
                                                  "No space left on device\nhint: free space, "
                                                  "or redirect the output elsewhere\n")


def test_a_runbook_that_cannot_be_written_is_one_error() -> None:
    session = Session()
    outcome = execute(r"\record /dev/full --append", session)  # was 'internal error: OSError'
    assert (outcome.exit_code, outcome.error.message) == (
        1, "\\record /dev/full: cannot write: No space left on device")
    assert session.recorder is None


@pytest.mark.parametrize(("headers", "api_key", "message"), [  # were internal errors
    ({"A": "é"}, None, "the value of header A holds a non-ASCII character, which HTTP headers "
                       "cannot carry"),
    ({"A B": "c"}, None, "header 'A B' is not an HTTP header name"),  # was 'connection dropped'
    ({"Content-Length": "5"}, None, "header Content-Length is set by the client for each "
                                    "request"),
    ({}, "key\n", "the API key holds a control character, which HTTP headers cannot carry"),
])
def test_a_header_no_request_can_carry_is_a_usage_error(headers, api_key, message) -> None:
    with pytest.raises(UsageError) as raised:
        RestClient("http://127.0.0.1:1", api_key=api_key, headers=headers)
    assert raised.value.message == message and "key\n" not in str(raised.value.hint)


def test_a_bad_header_stops_the_start_with_exit_2(sandbox: Sandbox, tmp_path: Path) -> None:
    result = elysiactl(tmp_path, sandbox.url, "--header", "X-Key=é", "-c", "\\conninfo")
    assert result.returncode == 2 and result.stderr.startswith(
        "error: the value of header X-Key holds a non-ASCII character"), result.stderr


@pytest.mark.parametrize("port", ["-1", "99999", "http"])
def test_a_sandbox_port_out_of_range_is_a_usage_error(port: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:  # was OverflowError: bind(): port must be 0-65535
        sandbox_main(["--port", port])
    assert exited.value.code == 2
    assert f"argument --port: {port!r} is not a port (0 to 65535)" in capsys.readouterr().err


@pytest.mark.parametrize(("line", "message"), [  # each quoted the whole name the server refused
    (r"\show A" + "a" * 999, "no collection named 'A" + "a" * 39 + "...'"),
    (r"\create T --from-template " + "t" * 1000, "no template named '" + "t" * 40 + "...'"),
    (r"\objects Article --properties " + "p" * 1000,
     "Article has no property '" + "p" * 40 + "...'"),
])
def test_a_long_name_that_is_not_there_is_cut_in_the_message(demo: Sandbox, line: str,
                                                            message: str) -> None:
    outcome = execute(line, make_session(demo.url))
    assert (outcome.exit_code, outcome.error.message) == (1, message)


@pytest.mark.parametrize("condition", ["(" * 5000 + "count > 1" + ")" * 5000,
                                       "not " * 5000 + "count > 1",
                                       "any(" * 2000 + "x" + ")" * 2000])
def test_a_condition_nested_too_deep_is_a_usage_error(condition: str) -> None:
    outcome = execute(rf"\watch 1 --until '{condition}' \count Article")  # was RecursionError
    assert outcome.exit_code == 2
    assert "more than 64 levels of not, ( and functions" in outcome.error.message
    assert len(outcome.error.message) < 200


def test_a_set_value_nested_deeper_than_the_stack_is_text(demo: Sandbox) -> None:
    outcome = execute(r"\alter Article --set vectorIndexConfig.ef=" + "[" * 100_000 + " --dry-run",
                      make_session(demo.url))  # was 'internal error: RecursionError'
    assert (outcome.exit_code, outcome.error) == (0, None)
