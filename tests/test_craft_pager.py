"""The pager at the prompt, in a pseudo-terminal: results taller than the terminal go to
$PAGER (here a script that records what it got), \\pset pager on|off|always; scripts and -c
never page, even at a terminal."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pexpect
from craft_support import spawn
from test_shell_repl import ROOT

from sandbox import Sandbox


def recording_pager(tmp_path: Path) -> tuple[str, Path]:
    """A pager that appends what it reads to paged.txt, with a marker line per run."""
    script, paged = tmp_path / "pager.sh", tmp_path / "paged.txt"
    script.write_text(f"#!/bin/sh\necho '--- paged' >> {paged}\ncat >> {paged}\n")
    script.chmod(0o755)
    return str(script), paged


def runs(paged: Path) -> list[str]:
    return paged.read_text().split("--- paged\n")[1:] if paged.exists() else []


def test_long_results_go_through_the_pager(tmp_path: Path, demo: Sandbox) -> None:
    pager, paged = recording_pager(tmp_path)
    child = spawn(tmp_path, "--url", demo.url, PAGER=pager)
    try:
        child.sendline("\\objects Article --limit 60")  # 60 rows on a 40-line terminal
        child.expect(r"\(60 rows\)")  # stderr, after the pager has finished
        child.sendline("\\count Article")  # fits: straight to the terminal
        child.expect("250")
        assert len(runs(paged)) == 1 and runs(paged)[0].count("Database") >= 1
        assert len(runs(paged)[0].splitlines()) > 60
        child.sendline("\\pset pager off")
        child.expect("Pager usage is off.")
        child.sendline("\\objects Article --limit 45 --format json")
        child.expect(r"\]\r\n")
        child.sendline("\\pset pager always")
        child.expect("Pager is always used.")
        child.sendline("\\conninfo")
        child.sendline("\\pset")
        child.sendline("\\q")  # runs after the two lines before it
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    assert len(runs(paged)) == 3  # the \objects, the \conninfo and the \pset listing
    assert "server_version" in runs(paged)[1] and "always" in runs(paged)[2]


def test_an_empty_pager_or_a_missing_one_shows_the_result(tmp_path: Path,
                                                          demo: Sandbox) -> None:
    for pager in ("no-such-pager-here", ""):
        child = spawn(tmp_path, "--url", demo.url, PAGER=pager)
        try:
            child.sendline("\\objects Article --limit 60")
            child.expect("Database")  # the rows, on the terminal
            child.expect(r"\(60 rows\)")
            assert ("could not run" in child.before) is bool(pager)  # said when it failed
            child.sendline("\\q")
            child.expect(pexpect.EOF)
        finally:
            child.terminate(force=True)


def test_scripts_never_page(tmp_path: Path, demo: Sandbox) -> None:
    pager, paged = recording_pager(tmp_path)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT),
           "PAGER": pager, "TERM": "xterm"}
    script = tmp_path / "long.txt"
    script.write_text("\\pset pager always\n\\objects Article --limit 60\n")
    for args in (["-f", str(script)], ["-c", r"\pset pager always",
                                       "-c", r"\objects Article --limit 60"]):
        command = shlex.join([sys.executable, "-m", "shell", "--url", demo.url, *args])
        output, status = pexpect.run(command, env=env, withexitstatus=True, timeout=60,
                                     encoding="utf-8", dimensions=(40, 160))
        assert status == 0, output
        assert "(60 rows)" in output
    assert not paged.exists()
