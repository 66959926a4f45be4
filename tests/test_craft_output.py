"""\\o: results to a file (emptied first, as psql does) or to a shell command until \\o
alone; messages and errors stay on stderr; plain text, even from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect
from craft_support import repl_in, spawn
from test_shell_modes import env, run  # noqa: F401 - env: the private-XDG fixture

from sandbox import Sandbox


def test_repl_output_to_a_file_then_back(tmp_path: Path, demo: Sandbox) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old content\n")
    keys = (f"\\o {target}\r\\ls\r\\count Article --format json\r\\show Nope\r\\o\r"
            "\\conninfo\r\\q\r")
    _, out, err = repl_in(tmp_path, demo.url, keys)
    written = target.read_text()
    assert "old content" not in written
    assert "DocumentChunk" in written and '"count": 250' in written
    assert "(5 rows)" in err and "no collection named 'Nope'" in err  # stderr stays
    assert "DocumentChunk" not in out and "server_version" in out  # back to stdout


def test_repl_output_to_a_command(tmp_path: Path, demo: Sandbox) -> None:
    counted, first = tmp_path / "count.txt", tmp_path / "first.txt"
    keys = (f"\\o |grep -c Chunk > {counted}\r\\ls\r\\o |head -1 > {first}\r"
            "\\objects DocumentChunk --limit 500\r\\o\r\\count Article\r\\q\r")
    _, out, err = repl_in(tmp_path, demo.url, keys)
    assert counted.read_text() == "1\n"  # the first command was waited for when \o moved on
    assert len(first.read_text().splitlines()) == 1  # head stopped reading: no error
    assert "error" not in err and "250" in out


def test_a_file_that_cannot_be_opened_is_one_line(env, demo: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    result = run(env, "--url", demo.url, "-c", f"\\o {tmp_path}/no/such/dir/x.txt",
                 "-c", r"\count Article")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"error: \\o: cannot open {tmp_path}/no/such/dir/x.txt: No such file or directory")
    assert result.stdout == ""  # the script stopped at the failure


def test_script_output_kept_at_exit(env, demo: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    target, piped = tmp_path / "counts.json", tmp_path / "piped.txt"
    script = tmp_path / "s.txt"
    script.write_text(f"\\o |tr a-z A-Z > {piped}\n\\nodes\n\\o {target}\n"
                      "\\count Article --format json\n")
    result = run(env, "--url", demo.url, "-f", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(target.read_text())["count"] == 250  # closed at exit, complete
    assert "HEALTHY" in piped.read_text()


def test_no_colour_into_a_file_from_a_terminal(tmp_path: Path, demo: Sandbox) -> None:
    target = tmp_path / "plain.txt"
    child = spawn(tmp_path, "--url", demo.url)
    try:
        child.sendline(f"\\o {target}")
        child.sendline("\\ls")
        child.expect(r"\(5 rows\)")  # stderr, on the terminal
        child.sendline("\\o")
        child.sendline("\\count Article")
        child.expect("250")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    written = target.read_text()
    assert "Article" in written and "\x1b[" not in written
