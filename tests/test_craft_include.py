"""\\i FILE: a script file run inside the session with script mode's rules; files include
others relative to themselves (psql's \\ir), 16 deep at most."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from craft_support import repl_in
from inprocess_support import elysiactl_here
from test_shell_modes import env  # noqa: F401 - env: the private-XDG fixture

from sandbox import Sandbox


def scripts(tmp_path: Path, failing: bool = False) -> Path:
    """main.txt includes sub/a.txt, which includes b.txt next to it."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.txt").write_text("\\set LIMIT 2\n\\i sub/a.txt\n\\count Product\n")
    (tmp_path / "sub" / "a.txt").write_text("# part a\n\n\\i b.txt\n\\count Article\n")
    (tmp_path / "sub" / "b.txt").write_text(
        "\\objects Article --limit :LIMIT --format json\n" + ("\\show Nope\n" if failing else ""))
    return tmp_path / "main.txt"


def elysiactl(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:  # noqa: F811
    """``elysiactl ARGS`` run in ``cwd``, in-process (``-f`` as a process: test_shell_modes)."""
    return elysiactl_here(args, env, cwd=cwd)


def test_repl_includes_nested_files(tmp_path: Path, demo: Sandbox) -> None:
    main = scripts(tmp_path)
    dispatcher, out, err = repl_in(tmp_path, demo.url, f"\\i {main}\r\\q\r")
    assert len(json.loads(out[out.index("["):out.index("]\n") + 1])) == 2
    assert "250" in out and "120" in out and "error" not in err
    sources = {e["command"]: e["source"] for e in dispatcher.audit.entries()}
    assert sources["set"] == f"script:{main}:1" and sources["i"] == "repl"
    assert sources["objects"] == f"script:{tmp_path}/sub/b.txt:1"  # found next to a.txt


def test_the_first_failure_stops_every_level(env, tmp_path: Path, demo: Sandbox) -> None:  # noqa: F811
    main = scripts(tmp_path, failing=True)
    result = elysiactl(env, tmp_path, "--url", demo.url, "-f", "main.txt")
    assert result.returncode == 1
    assert "sub/b.txt:2: error: no collection named 'Nope'" in result.stderr
    assert "exited with status" not in result.stderr  # said once, where it failed
    assert "250" not in result.stdout and "120" not in result.stdout
    _, out, err = repl_in(tmp_path, demo.url, f"\\i {main}\r\\count Product\r\\q\r")
    assert "sub/b.txt:2: error: no collection named 'Nope'" in err
    assert "120" in out  # the prompt goes on after the file stopped


def test_nesting_is_limited(env, tmp_path: Path, demo: Sandbox) -> None:  # noqa: F811
    (tmp_path / "loop.txt").write_text("\\nodes\n\\i loop.txt\n")
    result = elysiactl(env, tmp_path, "--url", demo.url, "-c", r"\i loop.txt")
    assert result.returncode == 2
    message = next(line for line in result.stderr.splitlines() if "error" in line)
    assert message.startswith("loop.txt:2: error: \\i loop.txt: files nested more than 16 deep")
    assert message.count("loop.txt ->") == 16


def test_a_missing_file_and_quit_inside(env, tmp_path: Path, demo: Sandbox) -> None:  # noqa: F811
    (tmp_path / "quits.txt").write_text("\\count Article\n\\q\n\\count Product\n")
    result = elysiactl(env, tmp_path, "--url", demo.url, "-c", r"\i quits.txt",
                       "-c", r"\nodes", "-c", r"\i nothing.txt")
    assert result.returncode == 2
    assert "250" in result.stdout and "120" not in result.stdout  # \q ends that file only
    assert "HEALTHY" in result.stdout
    assert "error: \\i: cannot read nothing.txt: No such file or directory" in result.stderr
