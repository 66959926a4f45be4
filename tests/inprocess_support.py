"""``elysiactl ARGS`` run inside the test process: the entry point (``shell.__main__.main``)
with the environment, standard streams and exit status a process gets, without starting
one (a process costs 0.25 s of CPU, 0.5 s under ``make test``'s coverage).

For tests about what commands print and the status they end with. What only a process
shows (signals, kill -9, terminals, start-up imports, the real stdout and stderr files, the
one subprocess test each mode keeps) stays a process.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

from shell import start
from shell.__main__ import main


def elysiactl_here(args: Sequence[str], env: Mapping[str, str], stdin: str = "",
                   cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """What ``subprocess.run([python, -m, shell, *args], env=env, capture_output=True,
    text=True)`` returns, run in this process; ``cwd`` is the working directory during the
    run."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    start.renderer.cache_clear()  # it holds the consoles of the streams of its first run
    here = Path.cwd()
    try:
        with mock.patch.dict(os.environ, env, clear=True), \
                mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()))), \
                redirect_stdout(out), redirect_stderr(err):
            if cwd is not None:
                os.chdir(cwd)
            try:
                code = main(list(args))
            except SystemExit as leaving:  # argparse's usage errors and --help exit
                code = exit_status(leaving)
    finally:
        os.chdir(here)
        for handler in root.handlers:  # the run's log file
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        start.renderer.cache_clear()
    return subprocess.CompletedProcess(["elysiactl", *args], code, out.getvalue(),
                                       err.getvalue())


def exit_status(leaving: SystemExit) -> int:
    """The status a process leaving with ``leaving`` has (a text is printed, status 1)."""
    if leaving.code is None or isinstance(leaving.code, int):
        return leaving.code or 0
    sys.stderr.write(f"{leaving.code}\n")
    return 1
