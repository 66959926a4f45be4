"""Records holding a nested table (``\\health``'s checks, ``\\show``'s properties and vectors)
drawn at 80 columns: long evidence, hints and names fold onto more lines, never cut with
an ellipsis, and no column is dropped.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from conftest import REGISTRY, make_session
from rich.console import Console

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.results import Outcome, Record
from sandbox import Sandbox
from shell.render import Renderer


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The demo cluster on three nodes, node2 down: \\health has long evidence and hints."""
    with Sandbox(nodes=3, seed="demo") as server:
        httpx.put(f"{server.url}/__sandbox/nodes/node2",
                  json={"status": "UNAVAILABLE"}).raise_for_status()
        yield server.url


def drawn(url: str, line: str, width: int) -> tuple[Outcome, str]:
    """The outcome of ``line`` and its table as a terminal ``width`` columns wide shows it."""
    outcome = Dispatcher(REGISTRY, make_session(url), MemoryAuditLog()).execute(line, "repl")
    assert outcome.error is None, outcome.error
    out = io.StringIO()
    Renderer(Console(file=out, width=width), Console(file=io.StringIO())).render(
        outcome, "table")
    return outcome, out.getvalue()


def characters(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace())


@pytest.mark.parametrize("width", [80, 60])
def test_health_checks_fold_instead_of_being_cut(url: str, width: int) -> None:
    outcome, text = drawn(url, r"\health --detailed", width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    [record] = outcome.results
    assert isinstance(record, Record)
    shown = "".join(f"{c['check']}{c['status']}{c['evidence']}{c['hint'] or ''}"
                    for c in record.fields["checks"])
    assert "UNAVAILABLE" in shown and "REPLICA_MOVEMENT_ENABLED" in shown
    # Every character of every cell is on the screen (a cut cell would lose some).
    assert not characters(shown) - characters(text)


def test_show_keeps_every_property_name_and_column(url: str) -> None:
    outcome, text = drawn(url, r"\show Article", 80)
    assert "…" not in text
    [record] = outcome.results
    assert isinstance(record, Record)
    for rows in (record.fields["properties"], record.fields["vectors"]):
        headers = "".join(dict.fromkeys(key for row in rows for key in row))
        cells = "".join(str(v) for row in rows for v in row.values() if v is not None)
        assert not characters(headers + cells) - characters(text)
