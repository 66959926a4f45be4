"""Output off a terminal without rich: a piped run writes what rich wrote, byte for byte,
and imports rich only for what only rich draws (nested tables, JSON documents as tables).

The process tests compare each command with itself run where rich decides (``FORCE_COLOR``
set but empty: rich's Console, still no terminal), through the real entry point."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from inprocess_support import elysiactl_here

from commands.errors import ShellError, UsageError
from commands.results import Document, Level, Message, Outcome, Record, Table, Text
from sandbox import Sandbox
from shell import streams
from shell.console import ShellConsole
from shell.render import RICH_ROWS, Renderer
from shell.streams import PlainStream, consoles

ROOT = Path(__file__).resolve().parents[1]
AWKWARD = ("plain", "", "trailing  ", "crlf\r\nline", "bell\a and\bbackspace\v\f",
           "tab\there\tand\t\tthere", "wide 漢字\tthen a tab", "\ttab first\n\tand again",
           "not emoji :a: :smile: http://host:8080", "[bold]not markup[/bold]",
           "two\nlines", "\x1b[31mraw escape\x1b[0m")


def outcomes() -> list[tuple[Outcome, str, bool]]:
    """Every kind of result, with awkward text, in each format: (outcome, format, \\x)."""
    big = Table(("name", "n", "note"), tuple((f"C{i:04d}", i, AWKWARD[i % len(AWKWARD)])
                                             for i in range(RICH_ROWS + 5)), title="Big")
    small = Table(("name", "value", "flag"), tuple(
        (text or "x", {"k": [1, 2]} if i % 2 else None, i % 3 == 0)
        for i, text in enumerate(AWKWARD)), title="Small", note="a note\twith a tab")
    nested = Table(("name", "properties"), (("Article", [{"name": "title", "dataType": "text"},
                                                        {"name": "tab\tname", "x": None}]),))
    record = Record({"name": "Article", "description": "two\nlines\tand a tab", "count": 3,
                     "long": "word " * 40}, title="Record")
    nested_record = Record({"name": "Article", "vectors": [{"name": "v", "index": "hnsw"}]})
    results = [Message(t) for t in AWKWARD] + [Message(t, Level.WARNING) for t in AWKWARD]
    cases = [(Outcome("t", results), "table", False)]
    for result in (big, small, nested, record, nested_record,
                   Document({"class": "Article", "tab": "a\tb", "n": [1, None, True]}),
                   Text("\n".join(AWKWARD))):
        cases += [(Outcome("t", [result]), fmt, expanded) for fmt in ("table", "json", "yaml")
                  for expanded in (False, True)]
    cases.append((Outcome("t", [Table(("a",), ())]), "table", False))  # "(0 rows)"
    for error in (ShellError("no collection named ':a:'", "hint\twith a tab"),
                  UsageError("bad", "usage: \\ls [PATTERN]"), ValueError("plain\rerror")):
        cases.append((Outcome("t", [small], error=error), "table", False))
    return cases


def written(make_console, outcome: Outcome, fmt: str, expanded: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    Renderer(make_console(file=out, width=4096), make_console(stderr=True, file=err)).render(
        outcome, fmt, expanded, prefix="-c: ")
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("outcome", "fmt", "expanded"), outcomes())
def test_a_plain_stream_writes_what_rich_wrote(outcome, fmt, expanded) -> None:
    plain = written(PlainStream, outcome, fmt, expanded)
    assert plain == written(ShellConsole, outcome, fmt, expanded)
    assert plain != ("", "")


def test_a_plain_stream_goes_quiet_when_its_reader_goes_away() -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    stream = PlainStream(file=Gone())
    with pytest.raises(BrokenPipeError):
        stream.line("x")
    assert stream.quiet
    stream.line("nothing is written, nothing raised")


def test_consoles_are_plain_only_where_rich_would_see_no_terminal(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    out, err = consoles()
    assert isinstance(out, PlainStream) and isinstance(err, PlainStream)
    assert out.width == 4096 and out.file is sys.stdout and err.file is sys.stderr
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich takes any file for a terminal then
    out, err = consoles()
    assert isinstance(out, ShellConsole) and out.is_terminal and isinstance(err, ShellConsole)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with Sandbox(seed="demo") as server:
        yield server.url


def environment(tmp_path: Path, rich_decides: bool = False) -> dict[str, str]:
    """The environment of a run; with ``rich_decides`` rich's Console is used, which still
    sees no terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(XDG_STATE_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT))
    if rich_decides:
        env["FORCE_COLOR"] = ""
    return env


def piped(url: str, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``python -X importtime -m shell --url URL ARGS`` with stdout and stderr piped;
    returns the result (import lines removed) and every module it loaded."""
    env = environment(tmp_path)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "shell", "--url", url,
                             *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    loaded = set(re.findall(r"^import time:.*\|\s*(\S+)$", result.stderr, re.M))
    result.stderr = re.sub(r"^import time:.*\n", "", result.stderr, flags=re.M)
    return result, loaded


@pytest.mark.parametrize(("args", "needs"), [
    (("-c", r"\ls"), None), (("-c", r"\ls --verbose"), None),
    (("-c", r"\ls --format json"), None), (("-c", r"\ls --verbose --format yaml"), None),
    (("--format", "json", "col", "ls"), None), (("-c", r"\tenants SupportTicket"), None),
    (("-c", r"\nodes"), None), (("-c", r"\show :a:"), None), (("-c", r"\help ls"), None),
    (("-c", r"\show Article"), "rich.table"),  # its properties are a nested table
    (("-c", r"\show Article --schema"), "rich.json"),  # a JSON document as a table
])
def test_piped_output_is_what_rich_wrote_and_needs_rich_only_for_rich(url, tmp_path, args,
                                                                      needs, monkeypatch) -> None:
    plain, loaded = piped(url, tmp_path, *args)
    assert "shell.render" in loaded  # the hook saw the run's imports
    if needs:
        assert needs in loaded
    else:
        assert not {name for name in loaded if name.split(".")[0] == "rich"}
    # What rich writes: the same run in-process, where rich's Consoles are built for both
    # streams (the consoles they stand for, which a PlainStream builds, get a width or file).
    built: list[dict] = []
    console = streams.shell_console
    monkeypatch.setattr(streams, "shell_console", lambda **kw: built.append(kw) or console(**kw))
    by_rich = elysiactl_here(["--url", url, *args], environment(tmp_path, rich_decides=True))
    assert {} in built and {"stderr": True} in built
    assert (plain.returncode, plain.stdout, plain.stderr) == \
        (by_rich.returncode, by_rich.stdout, by_rich.stderr)
    assert plain.stdout or plain.stderr
