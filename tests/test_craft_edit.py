"""\\e: the last line (or FILE) in $VISUAL/$EDITOR, then what was saved runs. The editor here
is a small script that records what it was given and writes a command into the file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

import pexpect
import pytest
from craft_support import repl_in, spawn
from test_shell_modes import env, run  # noqa: F401 - env: the private-XDG fixture

from sandbox import Sandbox


def editor(tmp_path: Path, body: str) -> str:
    """An executable 'editor': copies the file it edits to seen.txt, then runs ``body``."""
    script = tmp_path / "editor.sh"
    script.write_text(f'#!/bin/sh\ncat "$1" > {tmp_path}/seen.txt 2>/dev/null\n{body}\n')
    script.chmod(0o755)
    return str(script)


def test_repl_edits_the_last_line_and_runs_it(tmp_path: Path, demo: Sandbox) -> None:
    writes = editor(tmp_path,
                    r"""printf '\\count Article\n# a comment\n\\count Product\n' > "$1" """)
    with mock.patch.dict(os.environ, {"VISUAL": writes, "EDITOR": "false"}):
        dispatcher, out, err = repl_in(tmp_path, demo.url, "\\nodes\r\\e\r\\q\r")
    assert (tmp_path / "seen.txt").read_text() == "\\nodes\n"  # the last line, to edit
    assert "+ \\count Article" in err and "+ \\count Product" in err  # shown as they run
    assert "250" in out and "120" in out
    assert [e["command"] for e in dispatcher.audit.entries()] == [
        "nodes", "count", "count", "e", "q"]


@pytest.mark.parametrize(("body", "code", "says"), [
    (': > "$1"', 0, "nothing to run: the file is empty"),
    ("exit 3", 1, "error: \\e: the editor ({}) exited with status 3: nothing was run"),
])
def test_an_empty_file_or_a_failing_editor_runs_nothing(env, demo: Sandbox, tmp_path: Path,  # noqa: F811
                                                        body: str, code: int, says: str) -> None:
    env["EDITOR"] = editor(tmp_path, body)
    env.pop("VISUAL", None)
    result = run(env, "--url", demo.url, "-c", r"\count Article --format json", "-c", r"\e")
    assert result.returncode == code
    assert says.format(env["EDITOR"]) in result.stderr
    assert result.stdout.count('"count"') == 1  # the edited line did not run again


def test_script_edits_a_file_and_runs_it(env, demo: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    env["EDITOR"] = editor(
        tmp_path, r"""printf '\\count Article --format json\n\\show Nope\n' >> "$1" """)
    runbook = tmp_path / "runbook.txt"
    runbook.write_text("# saved\n")
    result = run(env, "--url", demo.url, "-c", f"\\e {runbook}", "-c", r"\nodes")
    assert result.returncode == 1
    assert json.loads(result.stdout)["count"] == 250
    assert f"{runbook}:3: error: no collection named 'Nope'" in result.stderr
    assert (tmp_path / "seen.txt").read_text() == "# saved\n"
    assert runbook.read_text().endswith("\\show Nope\n")  # the user's file is kept


def test_ctrl_x_ctrl_e_edits_the_line_being_typed(tmp_path: Path, demo: Sandbox) -> None:
    writes = editor(tmp_path, r"""printf '\\count Product\n' > "$1" """)
    child = spawn(tmp_path, "--url", demo.url, VISUAL=writes)
    try:
        child.send("\\count Artic")
        child.send("\x18\x05")  # Ctrl-X Ctrl-E: the editor gets the line, its text runs
        child.expect("120")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    assert (tmp_path / "seen.txt").read_text().startswith("\\count Artic")
