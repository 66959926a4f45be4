"""``\\o FILE`` and ``\\record FILE`` on a FIFO: one that no process reads is refused at once
(opening it for writing would block the shell forever), one with a reader is written."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from craft_support import repl_in
from test_shell_modes import env, run  # noqa: F401 - env: the private-XDG fixture

from sandbox import Sandbox


def _reader(fifo: Path, into: list[str]) -> threading.Thread:
    """A thread that reads ``fifo`` to its end (it opens it, so the FIFO has a reader)."""
    def read() -> None:
        with open(fifo, encoding="utf-8") as file:
            into.append(file.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_fifo_without_a_reader_is_refused_and_the_repl_goes_on(tmp_path: Path,
                                                                 sandbox: Sandbox) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    keys = f"\\o {fifo}\r\\record --append {fifo}\r\\conninfo\r\\q\r"
    _, out, err = repl_in(tmp_path, sandbox.url, keys)
    assert err.count(f"error: no process is reading the FIFO {fifo}") == 2, err
    assert "hint: start its reader first" in err
    assert "server_version" in out  # results still go to stdout: nothing was redirected


def test_a_fifo_with_a_reader_gets_the_results(tmp_path: Path, sandbox: Sandbox) -> None:
    fifo, got = tmp_path / "out.fifo", []
    os.mkfifo(fifo)
    thread = _reader(fifo, got)
    _, out, err = repl_in(tmp_path, sandbox.url, f"\\o {fifo}\r\\conninfo\r\\o\r\\q\r")
    thread.join(timeout=20)
    assert got and "server_version" in got[0], err
    assert "server_version" not in out


def test_script_mode_stops_with_status_2(env, sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = run(env, "--url", sandbox.url, "-c", f"\\o {fifo}", "-c", r"\conninfo")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"error: no process is reading the FIFO {fifo}"
    assert result.stdout == ""  # the script stopped at the failure
