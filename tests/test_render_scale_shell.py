"""``\\ls`` over hundreds of collections as a user runs it: piped, in a terminal, cut short."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest
from rich.cells import cell_len

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
COUNT = 240  # above RICH_ROWS, so a terminal gets the plain layout too
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A sandbox with COUNT collections (read only by this module's tests)."""
    with Sandbox() as server, httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(COUNT):
            body = {"class": f"Team{i:04d}", "properties": [{"name": "title",
                                                             "dataType": ["text"]}]}
            if i % 2:
                body["description"] = f"documents of team {i} " + "x" * (i % 30)
            if i % 10 == 0:
                body["multiTenancyConfig"] = {"enabled": True}
            http.post("/v1/schema", json=body).raise_for_status()
        yield server.url


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    state = tmp_path_factory.mktemp("state")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    return {**clean, "XDG_CONFIG_HOME": str(state), "XDG_STATE_HOME": str(state),
            "PYTHONPATH": str(ROOT), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def in_terminal(env: dict[str, str], *args: str, columns: int) -> str:
    """Everything elysiactl writes to a pseudo-terminal ``columns`` wide."""
    child = pexpect.spawn(sys.executable, ["-m", "shell", *args], cwd=str(ROOT), env=env,
                          dimensions=(50, columns), timeout=60, encoding="utf-8")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before.replace("\r\n", "\n")


def test_piped_listing_has_every_row_aligned_without_padding(url: str, env) -> None:
    table = run(env, "--url", url, "-c", r"\ls --verbose").stdout
    data = json.loads(run(env, "--url", url, "-c", r"\ls --verbose", "--format", "json").stdout)
    lines = table.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert "\x1b[" not in table
    header = lines[2]
    starts = [header.index(c) for c in data[0]]
    body = lines[4:-1]
    assert len(body) == len(data) == COUNT
    for line, row in zip(body, data, strict=True):
        for i, (start, value) in enumerate(zip(starts, row.values(), strict=True)):
            end = starts[i + 1] if i + 1 < len(starts) else None
            cell = line[start:end]
            assert cell.strip() == ("" if value is None else str(value)), (line, row)
            assert not cell.strip() or not cell.startswith(" ")


def test_piped_record_has_no_padding(url: str, env) -> None:
    shown = run(env, "--url", url, "-c", r"\show Team0001").stdout
    assert "documents of team 1" in shown and "title" in shown  # nested properties table
    assert [line for line in shown.splitlines() if line != line.rstrip()] == []


def test_in_a_terminal_small_tables_are_richs_and_big_ones_plain(url: str, env) -> None:
    small = in_terminal(env, "--url", url, "-c", r"\ls Team000*", columns=140)
    rows = [line for line in ANSI.sub("", small).splitlines() if "Team000" in line]
    assert len(rows) == 10 and all(row.endswith(" ") for row in rows)  # rich pads every line
    assert "\x1b[1mname" in small  # and styles each header cell
    big = in_terminal(env, "--url", url, "-c", r"\ls --verbose", columns=100)
    plain = ANSI.sub("", big)
    names = re.findall(r"^  (Team\d{4}) ", plain, re.M)
    assert names == [f"Team{i:04d}" for i in range(COUNT)]
    assert f"({COUNT} rows)" in plain
    drawn = plain[:plain.index(f"({COUNT} rows)")].splitlines()
    assert max(cell_len(line) for line in drawn) <= 100  # folded to fit, headers too
    assert "\x1b[1m  name" in big  # the header line in rich's header style
    assert all(line == line.rstrip() for line in plain.splitlines() if "Team" in line)


def test_a_reader_that_goes_away_is_not_an_error(url: str, env) -> None:
    shell = subprocess.Popen([sys.executable, "-m", "shell", "--url", url, "-c",
                              r"\ls --verbose"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    shell.stdout.readline()
    shell.stdout.close()  # like `| head -1`
    assert shell.wait(timeout=60) == 0
    assert "Traceback" not in shell.stderr.read()
