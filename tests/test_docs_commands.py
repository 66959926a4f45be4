"""The guides (troubleshooting, best practices, contributing) name only real commands, and
every command line they show parses: a renamed command or option fails here, not for a
reader. In-process, no cluster."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import REGISTRY

from commands.parse import parse

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("docs/troubleshooting.md", "docs/best-practices.md", "CONTRIBUTING.md")
FAILS_ON_PURPOSE = {r"\nodez"}  # troubleshooting shows what a mistyped command answers
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# a command's name, not an escape quoted in a message ('\t')
NAME = re.compile(r"(?<![\\\w'])\\([a-z][a-z-]*)(?![\w\\])")


def command_lines(text: str) -> list[str]:
    """The command lines of the non-Python code blocks: lines starting with a backslash, and
    the ``-c`` argument of ``elysiactl`` lines."""
    lines = []
    for language, body in BLOCK.findall(text):
        if language == "python":
            continue
        for line in body.splitlines():
            line = line.removeprefix("$ ").strip()
            if line.startswith("\\"):
                lines.append(line)
            elif "elysiactl" in line and " -c " in line:
                words = shlex.split(line)
                lines.append(words[words.index("-c") + 1])
    return lines


@pytest.mark.parametrize("guide", GUIDES)
def test_every_command_line_shown_parses(guide: str) -> None:
    lines = command_lines((ROOT / guide).read_text(encoding="utf-8"))
    assert lines or guide == "CONTRIBUTING.md"
    for line in lines:
        if line not in FAILS_ON_PURPOSE:
            parse(line, REGISTRY)  # raises UsageError naming the command or option


@pytest.mark.parametrize("guide", GUIDES)
def test_every_command_named_exists(guide: str) -> None:
    text = BLOCK.sub(lambda m: "" if m[1] == "python" else m[0],
                     (ROOT / guide).read_text(encoding="utf-8"))
    named = {m[1] for m in NAME.finditer(text)} - {n.lstrip("\\") for n in FAILS_ON_PURPOSE}
    assert named and named <= set(REGISTRY.heads), sorted(named - set(REGISTRY.heads))


def test_the_readme_links_every_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"]({guide})" in readme for guide in GUIDES)
