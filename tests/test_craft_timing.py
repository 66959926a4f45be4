"""\\timing: each command's elapsed time on stderr after its output, in the REPL and in
scripts, never on stdout (``| jq`` stays clean)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from craft_support import repl_in
from rich.console import Console
from test_shell_modes import env, run  # noqa: F401 - env: the private-XDG fixture

from sandbox import Sandbox
from shell.render import Renderer

TIME = re.compile(r"^Time: \d+\.\d{3} ms$", re.M)


def test_repl_timing_toggles(tmp_path: Path, demo: Sandbox) -> None:
    keys = "\\count Article\r\\timing\r\\count Article\r\\ls\r\\timing off\r\\count Article\r\\q\r"
    _, out, err = repl_in(tmp_path, demo.url, keys)
    assert "Timing is on." in err and "Timing is off." in err
    assert len(TIME.findall(err)) == 2  # \count and \ls; not the \timing lines themselves
    assert err.index("Timing is on.") < TIME.search(err).start() < err.index("Timing is off.")
    assert "Time:" not in out


def test_script_timing_goes_to_stderr(env, demo: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    result = run(env, "--url", demo.url, "-c", r"\timing on", "-c",
                 r"\count Article --format json", "-c", r"\show Nope")
    assert result.returncode == 1
    assert json.loads(result.stdout)["count"] == 250  # stdout is only the result
    lines = result.stderr.splitlines()
    assert len(TIME.findall(result.stderr)) == 2  # after a failed command too, as psql
    assert TIME.match(lines[-1]) and lines[-2].startswith("hint:")
    script = tmp_path / "t.txt"
    script.write_text("\\timing\n\\nodes\n")
    result = run(env, "--url", demo.url, "-f", str(script))
    assert result.returncode == 0 and len(TIME.findall(result.stderr)) == 1


def test_long_times_read_as_psql_writes_them() -> None:
    err = io.StringIO()
    renderer = Renderer(Console(file=io.StringIO()), Console(file=err))
    for seconds in (0.0123, 75.5, 3725.25):
        renderer.elapsed(seconds)
    assert err.getvalue().splitlines() == [
        "Time: 12.300 ms", "Time: 75500.000 ms (01:15.500)",
        "Time: 3725250.000 ms (01:02:05.250)"]
