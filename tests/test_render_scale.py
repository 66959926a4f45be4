"""Tables that scale: the plain layout (``shell.grid``) off a terminal and for big tables,
rich's look for small tables on a terminal, no trailing padding off one, JSON/YAML as before."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml
from rich.cells import cell_len
from rich.console import Console

from commands.results import Outcome, Record, Table
from shell import grid
from shell.render import MAX_CELL, RICH_ROWS, Renderer

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLUMNS = ("name", "objects", "tenants", "description", "multi_tenancy")


def _rows(count: int) -> tuple[tuple, ...]:
    return tuple((f"Coll{i:05d}", i * 7, None if i % 3 else i % 5,
                  "" if i % 4 == 0 else "ünïcödé 漢字 team" if i % 4 == 1 else "d" * (i % MAX_CELL),
                  i % 2 == 0) for i in range(count))


def drawn(result, *, width: int = 4096, terminal: bool = False,
          fmt: str = "table", expanded: bool = False) -> tuple[str, str]:
    """What a renderer writes to stdout and stderr for one result."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal,
                      color_system="standard" if terminal else None)
    Renderer(console, Console(file=err, width=width)).render(
        Outcome("t", [result]), fmt, expanded)
    return out.getvalue(), err.getvalue()


def rich_drawing(result, width: int = 4096) -> str:
    """The same result drawn by rich itself (a colourless terminal console, few rows)."""
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    Renderer(console, Console(file=io.StringIO())).render(Outcome("t", [result]), "table")
    return out.getvalue()


def by_column(line: str, starts: list[int]) -> list[str]:
    """A row line cut at display columns ``starts`` (a wide character fills two)."""
    cells = [c for ch in line for c in (ch, "") if c or cell_len(ch) == 2]
    bounds = [*starts, len(cells)]
    return ["".join(cells[bounds[i]:bounds[i + 1]]) for i in range(len(starts))]


def test_a_big_table_has_every_row_aligned_under_its_header() -> None:
    table = Table(COLUMNS, _rows(2_500), title="Collections")
    out, err = drawn(table)
    lines = out.splitlines()
    assert lines[0].strip() == "Collections" and lines[1] == ""
    header, rule, body = lines[2], lines[3], lines[4:-1]
    assert set(rule.strip()) == {"─"} and lines[-1] == ""
    assert len(body) == 2_500 and "(2500 rows)" in err
    starts = [header.index(c) for c in COLUMNS]
    for line, row in zip(body, table.rows, strict=True):
        cut = by_column(line, starts)
        assert [c.strip() for c in cut] == ["" if v is None else str(v) for v in row]
        assert all(not c.strip() or c[0] != " " for c in cut)  # each cell starts under its header


@pytest.mark.parametrize("rows", [0, 1, 7, RICH_ROWS])
def test_off_a_terminal_the_look_is_richs_without_its_padding(rows: int) -> None:
    table = Table(COLUMNS, _rows(rows), title="Collections")
    out, _ = drawn(table)
    expected = rich_drawing(table)
    assert any(line.endswith(" ") for line in expected.splitlines())  # rich pads every line
    assert out.splitlines() == [line.rstrip() for line in expected.splitlines()]


def test_no_line_off_a_terminal_ends_in_spaces() -> None:
    record = Record({"name": "Article", "description": "two\nlines", "objects": 3,
                     "properties": [{"name": "title", "data_type": "text"},
                                    {"name": "body", "data_type": "text"}]}, title="Article")
    for result, expanded in ((Table(COLUMNS, _rows(300), title="T"), False),
                             (Table(COLUMNS, _rows(5), title="T"), True), (record, False),
                             (Record({"name": "x", "long": "word " * 30}, title="x"), False)):
        out, _ = drawn(result, expanded=expanded)
        assert out.strip() and not [line for line in out.splitlines() if line != line.rstrip()]
    out, _ = drawn(record)
    assert "title" in out and "  description   two\n                lines\n" in out


def test_records_off_a_terminal_keep_richs_look() -> None:
    record = Record({"name": "Article", "description": "long words " * 12, "objects": 3},
                    title="Article")
    for width in (4096, 50):
        out, _ = drawn(record, width=width)
        assert out.splitlines() == [line.rstrip() for line in
                                    rich_drawing(record, width).splitlines()]
        assert max(map(len, out.splitlines())) <= width


def test_on_a_terminal_a_small_table_is_richs_and_a_big_one_plain() -> None:
    small, _ = drawn(Table(COLUMNS, _rows(3), title="Collections"), width=120, terminal=True)
    assert "\x1b[1m" in small  # rich's bold header, highlighted numbers
    assert any(line.endswith(" ") for line in ANSI.sub("", small).splitlines())
    big = Table(COLUMNS, _rows(RICH_ROWS + 1), title="Collections")
    out, _ = drawn(big, width=120, terminal=True)
    plain = ANSI.sub("", out).splitlines()
    assert "\x1b[1m" in out and "\x1b[3m" in out  # bold header, italic title, as rich's
    assert plain == [line.rstrip() for line in rich_drawing(big, 120).splitlines()]


def test_a_big_table_folds_to_the_terminal_width_and_keeps_every_character() -> None:
    rows = tuple((f"Coll{i:04d}", "words of a longer description " * (1 + i % 2), i)
                 for i in range(RICH_ROWS + 50))
    table = Table(("name", "description", "objects"), rows, title="Collections")
    out, _ = drawn(table, width=60, terminal=True)
    lines = ANSI.sub("", out).splitlines()
    assert max(cell_len(line) for line in lines) <= 60
    names = [line.split()[0] for line in lines[4:-1] if line.startswith("  C")]
    assert names == [r[0] for r in rows]  # name is never folded; every row is there
    text = "".join(lines)
    for _, description, _ in rows[:3]:
        for word in description[:MAX_CELL].split():
            assert word.rstrip("…") in text


def test_folding_matches_rich_where_rich_folds() -> None:
    table = Table(("id", "description", "other"),
                  (("abc-123-def", "word " * 11, "x y z " * 9),) * 3, title="T")
    out, _ = drawn(table, width=50)
    assert out.splitlines() == [line.rstrip() for line in
                                rich_drawing(table, 50).splitlines()]


def test_narrowed_takes_from_the_widest_first() -> None:
    assert grid.narrowed([10, 40, 30], [10, 5, 5], 60) == [10, 25, 25]
    assert grid.narrowed([10, 40, 30], [10, 38, 5], 60) == [10, 38, 12]
    assert grid.narrowed([10, 20], [10, 20], 5) == [10, 20]  # nothing may fold: as it is


PAYLOAD = [{"name": "Ärtïcle 漢字", "objects": 12, "ratio": 1e-05, "big": 1e16, "none": None,
            "nested": {"list": [1, 2.5, "x"], "flag": True}, "quote": 'say "hi"\n',
            "control": "a\x1bb", "long": "word " * 40}] * 3


def test_json_is_what_json_dumps_writes() -> None:
    out, _ = drawn(Table(tuple(PAYLOAD[0]), tuple(tuple(r.values()) for r in PAYLOAD)),
                   fmt="json")
    assert out == json.dumps(PAYLOAD, indent=2, default=str, ensure_ascii=False) + "\n"
    assert json.loads(out) == PAYLOAD
    odd = {"nan": float("nan"), "inf": float("inf"), 1: -0.0, "huge": 2**70, "set": {1}}
    out, _ = drawn(Record(odd), fmt="json")
    assert out == json.dumps(odd, indent=2, default=str, ensure_ascii=False) + "\n"


def test_yaml_is_what_the_python_emitter_writes() -> None:
    out, _ = drawn(Record(PAYLOAD[0]), fmt="yaml")
    assert out == yaml.safe_dump(PAYLOAD[0], sort_keys=False, allow_unicode=True)
    big = tuple(tuple(r.values()) for r in PAYLOAD * 100)
    out, _ = drawn(Table(tuple(PAYLOAD[0]), big), fmt="yaml")
    assert yaml.safe_load(out) == PAYLOAD * 100
    assert out == yaml.safe_dump([dict(r) for r in PAYLOAD * 100], sort_keys=False,
                                 allow_unicode=True)
    for scalar in ("plain", 3.5, None):
        assert Renderer.dump(scalar, "yaml") == yaml.safe_dump(
            scalar, allow_unicode=True).rstrip()


def test_expanded_big_tables_are_plain_records_on_a_terminal_too() -> None:
    small, _ = drawn(Table(COLUMNS, _rows(2)), width=120, terminal=True, expanded=True)
    assert any(line.endswith(" ") for line in ANSI.sub("", small).splitlines())  # rich's
    out, _ = drawn(Table(COLUMNS, _rows(RICH_ROWS + 1)), width=120, terminal=True,
                   expanded=True)
    plain = ANSI.sub("", out)
    assert plain.count("\n  name ") == RICH_ROWS + 1
    assert f"record {RICH_ROWS + 1}\n" in plain and "\x1b[3mrecord 1" in out
    assert all(line == line.rstrip() for line in plain.splitlines())


@pytest.mark.parametrize("terminal", [False, True])
def test_cells_are_never_read_as_markup(terminal: bool) -> None:
    rows = (("A", "docs [internal]"), ("B", "a [/b] c"), ("C", "[bold]x[/bold]"))
    for result in (Table(("name", "description"), rows),
                   Record({"name": "A", "description": "a [/b] c",
                           "nested": [{"k": "[red]v[/red]"}]})):
        out, _ = drawn(result, width=100, terminal=terminal)
        for text in ("docs [internal]", "a [/b] c", "[bold]x[/bold]", "[red]v[/red]"):
            if text in str(result):
                assert text in ANSI.sub("", out)


def test_wide_characters_fold_by_terminal_cells() -> None:
    rows = tuple((f"C{i:03d}", "漢字かな" * 8, "x") for i in range(RICH_ROWS + 1))
    out, _ = drawn(Table(("name", "description", "n"), rows), width=40, terminal=True)
    lines = ANSI.sub("", out).splitlines()
    assert max(cell_len(line) for line in lines) <= 40
    assert "".join(lines).count("漢字かな") >= 8 * (RICH_ROWS + 1) - (RICH_ROWS + 1)


def test_control_characters_are_dropped_as_rich_drops_them() -> None:
    table = Table(("name", "description"), (("A", "crlf\r\nline"), ("B", "bell\a here")))
    out, _ = drawn(table)
    assert "\r" not in out and "\a" not in out
    assert out.splitlines() == [line.rstrip() for line in rich_drawing(table).splitlines()]
