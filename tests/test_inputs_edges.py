"""Issue 14: every input validated at its edge, with bounded reads. Each bad input (script
files and stdin in any encoding, schema files, config files and profile values, URLs, the
history file) is one line naming the file or argument, exit status 2, nothing sent."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from admin_support import ROOT, execute, process_env
from conftest import REGISTRY, make_session, mutating_requests
from craft_support import repl_in

from commands import inputs
from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.errors import ConfigError, UsageError
from sandbox import Sandbox
from shell.config import Settings, load_settings, resolve
from shell.script import read_lines
from shell.start import _connector

UTF16_SCRIPT = "\\conninfo\n".encode("utf-16")  # with its byte-order mark


@pytest.fixture(scope="module")
def small() -> Iterator[Sandbox]:
    """One cluster for the module, with one empty collection: Article."""
    with Sandbox() as server:
        assert execute(server.url, r"\create Article --property title:text").exit_code == 0
        yield server


def elysiactl(tmp_path: Path, url: str, *args: str, stdin: bytes | None = None
              ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, input=stdin,
                          env=process_env(tmp_path, url), capture_output=True, timeout=60)


# --- scripts and standard input ----------------------------------------------------------

def test_a_script_that_is_not_utf8_runs_no_line_and_names_the_byte(tmp_path: Path) -> None:
    script = tmp_path / "ops.txt"
    script.write_bytes(b"\\conninfo\n\\use Article\n\\ls caf\xe9\n")
    # read before connecting: the answer is the file's, whatever the cluster (none here)
    result = elysiactl(tmp_path, "http://127.0.0.1:9", "-f", str(script))
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        f"error: {script}:3:8: not valid UTF-8 (byte 0xe9)",
        "hint: save it as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8"]
    assert "internal error" not in result.stderr.decode()


def test_piped_stdin_stops_at_its_first_line_that_is_not_utf8(small: Sandbox,
                                                               tmp_path: Path) -> None:
    result = elysiactl(tmp_path, small.url, "--format", "json",
                       stdin=b"\xef\xbb\xbf\\conninfo\n\xff\xfe\\ls\n\\conninfo\n")
    assert result.returncode == 2
    assert result.stdout.count(b'"cluster"') == 1  # the line before it ran, none after
    assert "error: stdin:2:1: not valid UTF-8 (byte 0xff)" in result.stderr.decode()


def test_a_closed_stdin_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "shell"], cwd=ROOT, capture_output=True,
                            timeout=60, env=process_env(tmp_path, "http://127.0.0.1:9"),
                            preexec_fn=lambda: os.close(0))  # elysiactl <&-
    assert result.returncode == 2  # was a traceback: sys.stdin is None
    assert result.stderr.decode().startswith("error: standard input is closed")


def test_a_closed_stdout_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "shell", "-c", r"\ls"], cwd=ROOT,
                            stderr=subprocess.PIPE, timeout=60,
                            env=process_env(tmp_path, "http://127.0.0.1:9"),
                            preexec_fn=lambda: os.close(1))  # elysiactl >&-
    assert result.returncode == 2  # was "internal error: AttributeError" (sys.stdout is None)
    assert result.stderr.decode().startswith("error: standard output is closed")


def test_script_files_in_utf16_and_with_a_bom_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(UTF16_SCRIPT)
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbf\\conninfo\r\n")
    assert read_lines(str(tmp_path / "a.txt")) == read_lines(str(tmp_path / "b.txt")) == [
        "\\conninfo"]


def test_a_script_that_never_ends_or_never_comes_is_refused(tmp_path: Path,
                                                            monkeypatch) -> None:
    with pytest.raises(UsageError, match=r"^\\i: cannot read /dev/zero: larger than 16 MiB$"):
        read_lines("/dev/zero", "\\i: ")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(inputs, "IDLE_TIMEOUT_S", 0.2)
    with pytest.raises(UsageError, match=f"cannot read {fifo}: nothing came from it in 0.2 s"):
        read_lines(str(fifo))
    with pytest.raises(UsageError, match=f"cannot read {tmp_path}: Is a directory"):
        read_lines(str(tmp_path))


# --- schema files -------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "suffix", "message"), [
    ('{"vectorIndexConfig": {"ef": 1e999}}', ".json", "{path}: the number 1e999 is out of range"),
    ('{"vectorIndexConfig": {"ef": NaN}}', ".json", "{path}: NaN is not a JSON number"),
    ('{"vectorIndexConfig": {"ef": ' + "9" * 5000 + "}}", ".json",
     "{path}: the integer 999999999999...(5000 digits) is out of range"),
    ("vectorIndexConfig: {ef: .inf}", ".yaml", "{path}: the number inf is out of range"),
    ("ef: " + "9" * 5000, ".yaml", "invalid YAML in {path}: nested too deeply or a number"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)), ".yaml",
     "{path}: more than 100,000 values once its aliases are expanded"),
    ('{"properties": "title"}', ".json", "{path}: properties must be a list"),
    ('{"properties": [{"name": 5}]}', ".json", "{path}: property 1 must be an object with a"),
    ('{"vectorIndexConfig": [1]}', ".json", "{path}: vectorIndexConfig must be an object"),
    ('{"class": "A"}\xff', ".json", "schema file {path}:1:15: not valid UTF-8 (byte 0xff)"),
])
def test_a_bad_schema_file_is_one_usage_error_and_sends_nothing(
        small: Sandbox, tmp_path: Path, content: str, suffix: str, message: str) -> None:
    path = tmp_path / f"schema{suffix}"
    path.write_bytes(content.encode("latin-1") if "\xff" in content else content.encode())
    with httpx.Client(base_url=small.url) as http:
        before = len(mutating_requests(http))
        outcome = execute(small.url, rf"\create Fuzzed --schema-file {path}")
        assert len(mutating_requests(http)) == before
    assert outcome.exit_code == 2
    assert outcome.error.message.startswith(message.format(path=path))


def test_a_schema_file_from_a_fifo_nobody_writes_gives_up(small: Sandbox, tmp_path: Path,
                                                          monkeypatch) -> None:
    fifo = tmp_path / "schema.json"
    os.mkfifo(fifo)
    monkeypatch.setattr(inputs, "IDLE_TIMEOUT_S", 0.2)
    outcome = execute(small.url, rf"\create Fuzzed --schema-file {fifo}")
    assert (outcome.exit_code, outcome.error.hint) == (2, "is it a FIFO that nothing writes to?")


def test_a_user_template_with_a_bad_number_is_one_warning(small: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "huge.yaml").write_text("vectorIndexConfig: {ef: " + "9" * 5000 + "}\n")
    (tmp_path / "inf.yaml").write_text("vectorIndexConfig: {ef: -.inf}\n")
    session = make_session(small.url)
    session.template_dirs = (tmp_path,)
    run = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute
    listed = run(r"\templates", "argv")
    assert listed.exit_code == 0
    warnings = [r.text for r in listed.results[:-1]]
    assert any(f"invalid template {tmp_path / 'huge.yaml'}: nested too deeply or a number out "
               "of range" in w for w in warnings), warnings
    used = run(r"\create Fuzzed --from-template inf --dry-run", "argv")
    assert used.exit_code == 2
    assert used.error.message == f"{tmp_path / 'inf.yaml'}: the number -inf is out of range"


# --- URLs ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "message"), [
    (r"\connect http://[::1:8080", "'http://[::1:8080' is not a valid URL: an unclosed ["),
    (r"\connect http://localhost:99999",
     "'http://localhost:99999' is not a valid URL: port out of range 0-65535"),
    (r"\connect http://localhost:0", "port 0 is not a port a server listens on"),
    (r"\connect gopher://localhost:70", "'gopher://localhost:70' is not an http(s) URL"),
    (r"\stats --metrics-url http://[::1", "--metrics-url 'http://[::1' is not a valid URL"),
    (r"\migrate Article --target http://[::1:8080", "'http://[::1:8080' is not a valid URL"),
])
def test_a_bad_url_is_a_usage_error(small: Sandbox, tmp_path: Path, line: str,
                                    message: str) -> None:
    session = make_session(small.url)
    session.connector, session.state_dir = _connector(Settings(), {}), tmp_path
    outcome = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(line, "repl")
    assert outcome.exit_code == 2, outcome.error
    assert message in outcome.error.message


def test_a_bad_url_flag_or_config_is_a_usage_error_not_a_connection_error(tmp_path: Path) -> None:
    result = elysiactl(tmp_path, "http://unused", "--url", "http://[::1:8080", "-c", r"\ls")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: 'http://[::1:8080' is not a valid URL")
    with pytest.raises(UsageError, match="^WEAVIATE_URL 'http://a b' is not a valid URL"):
        resolve(Settings(), {"WEAVIATE_URL": "http://a b"})
    (tmp_path / "config" / "elysiactl").mkdir(parents=True)
    (tmp_path / "config" / "elysiactl" / "config.yaml").write_bytes(b"profiles: [a]\n")
    result = elysiactl(tmp_path, "http://127.0.0.1:9", "-c", r"\ls")
    assert result.returncode == 2 and b"profiles must be a mapping" in result.stderr


@pytest.mark.parametrize(("headers", "env", "message"), [
    ({"X-Key": "caf\xe9"}, {}, "the value of header X-Key holds a non-ASCII character"),
    ({"X-Key": "a\r\nHost: evil"}, {}, "the value of header X-Key holds a control character"),
    ({"X Key": "v"}, {}, "header 'X Key' is not an HTTP header name"),
    ({}, {"WEAVIATE_API_KEY": "k\xe9y"}, "the API key holds a non-ASCII character"),
    ({}, {"WEAVIATE_API_KEY": "key\n"}, "the API key holds a control character"),
    ({}, {"WEAVIATE_API_KEY": " key"}, "the API key has a space at an end"),
])
def test_a_header_or_key_that_cannot_be_sent_is_a_usage_error(headers: dict[str, str],
                                                              env: dict[str, str],
                                                              message: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve(Settings(), env, url="http://localhost:8080", headers=headers)
    assert caught.value.message.startswith(message)
    assert "evil" not in caught.value.message and "k\xe9y" not in caught.value.message


# --- the config file ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("profiles: [local]", "profiles must be a mapping"),
    ("profiles: {p: {url: 5}}", "profile 'p': url 5 is not a URL (it is int)"),
    ("profiles: {p: {url: 'http://[::1'}}", "profile 'p': url 'http://[::1' is not a valid URL"),
    ("profiles: {p: {metrics_url: 'http://h:x/metrics'}}", "profile 'p': metrics_url "),
    ("profiles: {p: {verify_tls: 'no'}}", "profile 'p': verify_tls must be true or false"),
    ("profiles: {p: {tier: [prod]}}", "profile 'p': tier must be text"),
    ("profiles: {p: {headers: {X-A: [1]}}}", "profile 'p': headers must be a mapping"),
    ("profiles: {p: {format: xml}}", "profile 'p': format 'xml' is not one of"),
    ("profiles: {1: {}}", "profile name 1 must be text"),
    ("default_profile: [a]", "default_profile ['a'] is not a profile"),
    ("format: 9", "format 9 is not one of table, json, yaml"),
    ("protected: [.inf]", "the number inf is out of range"),
    ("format: caf\xe9", ":1:12: not valid UTF-8 (byte 0xe9)"),
])
def test_a_bad_config_file_names_the_file_and_the_key(tmp_path: Path, text: str,
                                                      message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.message.startswith(str(config))
    assert message in caught.value.message


# --- numbers on the command line ----------------------------------------------------------

@pytest.mark.parametrize(("line", "message"), [
    (r"\create X --dry-run --shards " + "9" * 30, "--shards: 99999999999999999999... is out of"),
    (r"\create X --dry-run --shards " + "9" * 5000, "--shards: 99999999999999999999... is out of"),
    (r"\stats --watch " + "9" * 400, "--watch: 99999999999999999999... is out of range"),
])
def test_numbers_past_64_bits_are_usage_errors(small: Sandbox, line: str, message: str) -> None:
    outcome = execute(small.url, line)
    assert outcome.exit_code == 2 and outcome.error.message.startswith(message)


# --- the history file ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["directory", "not utf-8", "state dir is a file"])
def test_a_broken_history_file_does_not_break_the_repl(small: Sandbox, tmp_path: Path,
                                                       kind: str) -> None:
    history = tmp_path / "state" / "elysiactl" / "history"
    history.mkdir(parents=True)
    path = history / re.sub(r"\W+", "_", small.url)  # shell.app.history_file
    if kind == "directory":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(b"\n# 2026\n+\\ls caf\xe9\n")
    else:
        history.rmdir()
        history.write_text("")
    _, out, err = repl_in(tmp_path, small.url, "\\count Article\r\\q\r")
    assert "count        0" in out
    if kind != "not utf-8":
        assert f"history file {path}: " in err and "this session's lines are not kept" in err


@pytest.mark.parametrize("line", ["\\conninfo\x00", "\\replicate rm 'a\x19b'",
                                  "\\ls \x1b[2Jcleared", "\\count Article\x9b"])
def test_a_control_character_on_the_line_is_a_usage_error(small: Sandbox, line: str) -> None:
    """Found by the fuzz suite: a name with one went into a request path that httpx refused,
    and a terminal escape would reach the error message as typed."""
    outcome = execute(small.url, line)
    assert outcome.exit_code == 2
    assert outcome.error.message.startswith("the line holds a control character (")


def test_a_request_that_cannot_be_built_is_a_usage_error(small: Sandbox) -> None:
    """A name from a file (a backup manifest) reaches a request path without the line's
    check."""
    with pytest.raises(UsageError, match=r"^GET '/v1/schema/a\\x19b' cannot be sent: Invalid"):
        RestClient(small.url).request("GET", "/v1/schema/a\x19b")
