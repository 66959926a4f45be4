"""Start-up as a user meets it. The cheap path: --version, --help and argument errors answer
without loading prompt_toolkit, httpx or rich (proved with ``-X importtime``, not timings).
The REPL draws its prompt while the connection is under way, and says so."""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import io
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest
from prompt_toolkit.application import Application
from prompt_toolkit.history import FileHistory
from rich.console import Console

from commands.context import Connection, Session
from commands.errors import ConnectionFailed
from commands.meta import MODULES
from commands.registry import Registry
from sandbox import Sandbox
from sandbox.app import WEAVIATE_VERSION
from shell.connecting import Connecting
from shell.history import RedactingFileHistory
from shell.render import Renderer
from shell.version import installed_version

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("prompt_toolkit", "httpx", "rich", "commands.meta", "commands.context", "pyarrow")


def elysiactl(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``python -X importtime -m shell ARGS``; returns the result and every module loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "shell", *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    loaded = set(re.findall(r"^import time:.*\|\s*(\S+)$", result.stderr, re.M))
    result.stderr = re.sub(r"^import time:.*\n", "", result.stderr, flags=re.M)
    return result, loaded


def assert_light(loaded: set[str]) -> None:
    assert "shell" in loaded  # the hook saw this process's imports at all
    assert not {name for name in loaded if name.split(".")[0] in HEAVY or name in HEAVY}


@pytest.mark.parametrize("args", [("--version",), ("--url", "http://x:1", "--version")])
def test_version_comes_from_the_package_metadata_and_loads_nothing_heavy(args) -> None:
    result, loaded = elysiactl(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"elysiactl {importlib.metadata.version('elysiactl')}\n"
    assert_light(loaded)
    if args == ("--version",):
        assert "argparse" not in loaded and "importlib.metadata" not in loaded


def test_help_loads_nothing_heavy() -> None:
    result, loaded = elysiactl("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: elysiactl")
    assert "--version" in result.stdout and "exit codes: 0 success" in result.stdout
    assert_light(loaded)


@pytest.mark.parametrize(("args", "message"), [
    (("--nope",), "unrecognized arguments: --nope"),
    (("--url",), "argument --url: expected one argument"),
    (("--format", "xml"), "argument --format: invalid choice: 'xml'"),
    (("--header", "novalue", "-c", r"\ls"), "--header 'novalue': expected NAME=VALUE"),
    (("frobnicate",), "unknown word 'frobnicate' (use: elysiactl col COMMAND [ARGS]"),
    (("col",), "elysiactl col needs a command, e.g. col ls"),
])
def test_argument_errors_load_nothing_heavy(args, message) -> None:
    result, loaded = elysiactl(*args)
    assert result.returncode == 2
    assert f"elysiactl: error: {message}" in result.stderr
    assert result.stdout == ""
    assert_light(loaded)


def test_a_real_run_does_load_the_shell() -> None:
    """The other side of the hook: past the cheap path, the command registry is loaded."""
    result, loaded = elysiactl("-c", r"\help")
    assert result.returncode == 0, result.stderr
    assert {"commands.meta", "shell.start"} <= loaded


# What a piped run no longer loads: rich (shell.streams), pyarrow (Parquet backups only), the
# backup file format with orjson (commands.ops.backup.settings holds what \backup's declaration
# needs), and the ops modules the declarations used to import for one function each.
NOT_FOR_A_PIPED_LS = ("rich", "orjson", "gzip", "pyarrow", "commands.ops.backup.format",
                      "commands.ops.references", "commands.ops.class_paths",
                      "commands.ops.versions")


@pytest.mark.parametrize("line", [r"\ls", r"\ls --verbose"])
def test_a_piped_listing_loads_neither_rich_nor_unused_operations(line, tmp_path) -> None:
    with Sandbox(seed="demo") as server:
        result, loaded = elysiactl("--url", server.url, "-c", line)
    assert result.returncode == 0, result.stderr
    assert "Article" in result.stdout and "(5 rows)" in result.stderr
    assert {"commands.meta", "shell.render", "httpx"} <= loaded
    assert not {name for name in loaded
                if name in NOT_FOR_A_PIPED_LS or name.split(".")[0] in NOT_FOR_A_PIPED_LS}


def test_version_reads_the_first_dist_info_on_the_path(tmp_path: Path, monkeypatch) -> None:
    for folder, version in (("a", "9.8.7"), ("b", "1.0.0")):
        info = tmp_path / folder / f"elysiactl-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: elysiactl\n"
                                       f"Version: {version}\n\nVersion: 0.0.0 (body)\n")
    (tmp_path / "elysiactl_other-5.0.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path),
                                      str(tmp_path / "a"), str(tmp_path / "b")])
    assert installed_version() == "9.8.7"


def test_version_without_a_dist_info_asks_importlib_metadata(tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    monkeypatch.setattr(importlib.metadata, "version", lambda name: f"{name} 4.5.6 (egg)")
    assert installed_version() == "elysiactl 4.5.6 (egg)"
    monkeypatch.setattr(importlib.metadata, "version", _not_found)
    assert installed_version().startswith("(unknown: not installed")


def _not_found(name: str) -> str:
    raise importlib.metadata.PackageNotFoundError(name)


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[Sandbox, httpx.Client]]:
    """A sandbox whose every /v1 request waits a second (its own fault knob)."""
    with Sandbox(seed="none") as server, httpx.Client(base_url=server.url) as http:
        http.put("/__sandbox/faults", json={"latency_ms": 1000}).raise_for_status()
        yield server, http


def repl_in_terminal(url: str, tmp_path: Path, cpr: bool = False) -> pexpect.spawn:
    """``elysiactl --url URL`` in a pseudo-terminal. With ``cpr`` the terminal answers
    prompt_toolkit's cursor-position request, without which it never draws the toolbar."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    if not cpr:
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", url], cwd=str(ROOT),
                          env=env, dimensions=(30, 160), timeout=20, encoding="utf-8")
    if cpr:
        child.expect(r"\x1b\[6n")
        child.send("\x1b[5;1R")
    return child


def test_the_prompt_does_not_wait_for_the_connection_and_says_so(slow, tmp_path) -> None:
    server, http = slow
    child = repl_in_terminal(server.url, tmp_path, cpr=True)
    try:
        child.expect(r"\(connecting\)> ")
        child.expect(f"connecting to {server.url} ")  # the toolbar: no version, no nodes yet
        assert "Weaviate" not in child.before
        # then connected: the toolbar is redrawn by differences (characters already on the
        # screen are skipped), so its text cannot be matched reliably; the session can.
        child.sendline(r"\conninfo --format json")
        child.expect(f'"server_version": "{WEAVIATE_VERSION}"')
        child.expect(f"{server.url.removeprefix('http://')}> ")
        child.sendline(r"\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    assert [r["path"] for r in http.get("/__sandbox/requests").json()][:1] == ["/v1/meta"]


def test_lines_entered_while_connecting_wait_for_it_and_ctrl_c_drops_one(slow, tmp_path) -> None:
    server, http = slow
    http.put("/__sandbox/faults", json={"latency_ms": 2500}).raise_for_status()
    child = repl_in_terminal(server.url, tmp_path)
    child.logfile_read = transcript = io.StringIO()
    try:
        child.expect(r"\(connecting\)> ")
        child.send("\\conninfo --format json\r")
        child.expect(r"\x1b\[\?2004l")  # the prompt has returned the line: it waits now
        time.sleep(0.5)  # and has given the terminal back (^C is a signal again, not a key)
        child.sendintr()
        child.expect(r"\(connecting\)> ")  # the shell stays, still connecting
        child.send("\\conninfo --format json\r")
        child.expect(f'"server_version": "{WEAVIATE_VERSION}"')
        child.sendline(r"\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    assert transcript.getvalue().count('"server_version"') == 1  # the first line never ran
    assert "not connected" not in transcript.getvalue()


def test_a_late_failure_is_printed_above_the_prompt_and_keeps_the_line(slow, tmp_path) -> None:
    server, http = slow
    # every attempt of the start-up connection's retries dropped, after 0.3 s each
    http.put("/__sandbox/faults", json={"fail_rate": 1, "kinds": ["drop"], "latency_ms": 300}
             ).raise_for_status()
    child = repl_in_terminal(server.url, tmp_path)
    try:
        child.expect(r"\(connecting\)> ")
        child.send(r"\format js")  # typed before the answer, entered after it
        child.expect(f"error: cannot reach {server.url}: connection dropped")
        child.expect(r"starting disconnected: \\connect URL\|PROFILE")
        child.expect(r"\(disconnected\)> .*\\format.*js")
        child.send("on\r")
        child.expect("output format: json")
        child.sendline(r"\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)


def test_a_long_history_is_read_in_a_thread_and_recalled_newest_first(tmp_path: Path,
                                                                        monkeypatch) -> None:
    path = tmp_path / "history"
    registry = Registry.from_modules(MODULES)
    first = RedactingFileHistory(str(path), registry)
    for i in range(10_000):
        first.store_string(rf"\show Collection{i}")
    first.store_string(r"\connect http://h --api-key xyz")  # never reaches the file
    readers = []
    read = FileHistory.load_history_strings

    def spy(self: FileHistory) -> Iterator[str]:
        readers.append(threading.current_thread())
        return read(self)

    monkeypatch.setattr(FileHistory, "load_history_strings", spy)

    async def recall() -> list[str]:
        return [line async for line in RedactingFileHistory(str(path), registry).load()]

    lines = asyncio.run(recall())
    assert len(lines) == 10_000
    assert lines[0] == r"\show Collection9999" and lines[-1] == r"\show Collection0"
    assert readers and threading.main_thread() not in readers  # the prompt's loop never waits


def test_an_outcome_is_reported_once_and_never_as_an_unhandled_error() -> None:
    """The prompt's loop may look at a connection already settled (a refused port is known
    before the first paint): it must neither report it again nor leave asyncio an
    unretrieved exception (prompt_toolkit shows those as 'Press ENTER to continue')."""
    def refused() -> Connection:
        raise ConnectionFailed("cannot reach http://x:9", "check the URL")

    connecting = Connecting("http://x:9", refused)
    err = io.StringIO()
    renderer = Renderer(Console(file=io.StringIO()), Console(file=err))
    assert connecting.settle(Session(), lambda: renderer)

    async def in_the_prompts_loop() -> list[dict]:
        unhandled: list[dict] = []
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: unhandled.append(ctx))
        await connecting.settle_when_done(Session(), lambda: renderer, Application())
        gc.collect()
        await asyncio.sleep(0)
        return unhandled

    assert asyncio.run(in_the_prompts_loop()) == []
    assert err.getvalue().count("cannot reach http://x:9") == 1
    assert "starting disconnected" in err.getvalue()
