"""The cheap path of ``elysiactl``: --version, --help and argument errors answer without
loading prompt_toolkit, httpx or rich (proved with ``-X importtime``, not timings)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shell.version import installed_version

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("prompt_toolkit", "httpx", "rich", "commands.meta", "commands.context")


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
    assert {"commands.meta", "httpx"} <= loaded


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
