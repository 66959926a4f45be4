"""The only writer: results to stdout as a table, JSON or YAML; messages and errors to stderr.

A row of a table keeps to one screen line's worth per cell: values longer than
``MAX_CELL`` are shortened with "…" (``--format json|yaml`` and ``\\x`` show them whole).
A Record's fields, and the tables nested in them, fold long text instead of cutting it:
reports whose every word matters (``\\health``, ``\\migrate``) are Records. When stdout is
not a terminal rich emits no colour, and JSON is plain ``json.dumps``, so ``jq`` always
gets parseable output.

Tables and Records of plain cells are drawn by ``shell.grid`` (widths computed once, rows
written in one piece, the same look as rich's) off a terminal, and on one above
``RICH_ROWS`` rows; rich draws the rest (small tables on a terminal, nested tables), off a
terminal without the trailing spaces it pads every line with. Machine output bypasses rich.
Off a terminal the consoles are ``shell.streams.PlainStream``s, so rich is imported only
for what only rich draws (hence the imports inside functions).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from commands.errors import ShellError, UsageError
from commands.results import Document, Level, Message, Outcome, Record, Result, Table, Text
from commands.safety import Plan
from commands.url_credentials import hide
from shell import grid
from shell.streams import PlainStream, as_rich

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table as RichTable

MAX_CELL = 60  # characters of a table cell; JSON and YAML are never shortened
# Rows above which a terminal gets the plain layout too: rich's costs about 0.7 ms a row.
RICH_ROWS = 100
# C0 and C1 control characters but tab and newline: a terminal obeys them (ESC [2J clears the
# screen, ESC ] 0 retitles the window, CR overwrites the line), and a value is data.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with each control character a terminal would obey shown as its escape
    (``\\x1b``), so that a value read from the cluster is drawn, never executed."""
    return text if text.isprintable() else UNSAFE.sub(lambda m: repr(m[0])[1:-1], text)


def _cell(value: Any, limit: int | None = None) -> Any:
    kind = type(value)
    if kind is str and (not limit or len(value) <= limit):
        return visible(value)  # the common cases, first (a big table has many cells)
    if kind is int or kind is bool:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return _nested(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)
    else:
        text = str(value)
    text = visible(text)
    if limit and len(text) > limit:
        text = " ".join(text.split())
        return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
    return text


def _nested(rows: list[dict[str, Any]]) -> RichTable:
    from rich import box
    from rich.table import Table as RichTable  # only where the plain layout cannot go

    columns = list(dict.fromkeys(k for row in rows for k in row))
    table = RichTable(*columns, box=box.SIMPLE, show_edge=False, pad_edge=False)
    for column in table.columns:
        column.overflow = "fold"  # nothing is cut, at any width
    for row in rows:
        table.add_row(*(_literal(_cell(row.get(c))) for c in columns))
    return table


def _literal(cell: Any) -> Any:
    """A cell rich draws as it is: a string would be read as markup (``[x]`` vanishes,
    a stray ``[/b]`` raises)."""
    if type(cell) is not str:
        return cell
    from rich.text import Text

    return Text(cell)


def say(console: Console | PlainStream, text: str, style: str | None = None) -> None:
    """One plain line: no markup, no emoji codes, no highlighting, never wrapped (scripts
    grep these); the style only at a terminal."""
    text = visible(text)
    if isinstance(console, PlainStream):
        console.line(text)
    else:
        console.print(text, style=style, highlight=False, markup=False, emoji=False,
                      soft_wrap=True)


class Renderer:
    """Turns outcomes into output; constructed with its two consoles (``shell.streams``)."""

    def __init__(self, out: Console | PlainStream, err: Console | PlainStream) -> None:
        self.out = out
        self.err = err

    def render(self, outcome: Outcome, fmt: str, expanded: bool = False,
               prefix: str = "") -> None:
        """Write an outcome's results, then its error if any."""
        data = [r for r in outcome.results if not isinstance(r, Message)]
        for result in outcome.results:
            if isinstance(result, Message):
                self.message(result)
        if data:
            if fmt == "table" or all(isinstance(r, Text) for r in data):
                for result in data:
                    self._table(result, expanded)
            else:
                payload = data[0].to_data() if len(data) == 1 else [r.to_data() for r in data]
                self._write(self.dump(payload, fmt) + "\n")  # not through rich: 10x faster
        if outcome.error is not None:
            self.error(outcome.error, prefix)

    @staticmethod
    def dump(payload: Any, fmt: str) -> str:
        """Machine output: JSON (2-space indent) or YAML."""
        if fmt == "yaml":
            import yaml  # loaded on first use: start-up stays fast

            # libyaml's emitter when PyYAML has it: the same text, four times faster, except
            # that it ends a lone scalar without the Python emitter's "..." line
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper) \
                if isinstance(payload, dict | list) else yaml.SafeDumper
            return yaml.dump(payload, Dumper=dumper, sort_keys=False, allow_unicode=True).rstrip()
        import msgspec

        # json.dumps encodes in C only without an indent; msgspec then indents that text
        # as json.dumps(indent=2) would, keeping every token as written (3x faster on big
        # results). NaN and Infinity are not JSON to msgspec: those take the slow path.
        compact = json.dumps(payload, default=str, ensure_ascii=False)
        try:
            return msgspec.json.format(compact, indent=2)
        except msgspec.DecodeError:
            return json.dumps(payload, indent=2, default=str, ensure_ascii=False)

    def warn_plan(self, plan: Plan) -> None:
        """What a destructive command is about to do, before the question (on stderr)."""
        say(self.err, f"WARNING: this will {plan.action}", "bold yellow")
        for result in plan.preview:
            if isinstance(result, Message):
                self.message(result)
            else:
                Renderer(self.err, self.err)._table(result, expanded=False)

    def note(self, text: str) -> None:
        """A warning-coloured line on stderr (start-up notices)."""
        say(self.err, text, "yellow")

    def message(self, message: Message) -> None:
        """A sentence for the user, on stderr."""
        style = "yellow" if message.level is Level.WARNING else "dim"
        say(self.err, message.text, style)

    def elapsed(self, seconds: float) -> None:
        """``\\timing``'s line on stderr, as psql writes it: ``Time: 1234.567 ms (00:01.235)``."""
        text = f"Time: {seconds * 1000:.3f} ms"
        if seconds >= 1:
            minutes, rest = divmod(seconds, 60)
            hours, minutes = divmod(int(minutes), 60)
            text += f" ({hours:02d}:{minutes:02d}:{rest:06.3f})" if hours else \
                f" ({minutes:02d}:{rest:06.3f})"
        say(self.err, text)

    def error(self, error: BaseException, prefix: str = "") -> None:
        """One line, plus the hint (and the synopsis for usage errors) on the next; credentials
        written into a URL the message repeats are hidden."""
        text = hide(error.message if isinstance(error, ShellError) else str(error))
        for line in text.split("\n"):  # several errors (GraphQL's): one line each
            say(self.err, f"{prefix}error: {line}", "bold red")
        hint = error.hint if isinstance(error, ShellError) else None
        if hint:
            label = "" if isinstance(error, UsageError) and hint.startswith("usage:") else "hint: "
            say(self.err, f"{label}{hide(hint)}", "yellow")

    def _table(self, result: Result, expanded: bool) -> None:
        if isinstance(result, Text):
            say(self.out, result.text)
        elif isinstance(result, Document):
            from rich.json import JSON

            as_rich(self.out).print(JSON.from_data(result.data, default=str), soft_wrap=True)
        elif isinstance(result, Record):
            self._record(result.fields, result.title)
        elif isinstance(result, Table):
            if expanded:
                big = len(result.rows) > RICH_ROWS
                for i, row in enumerate(result.rows, 1):
                    self._record(dict(zip(result.columns, row, strict=True)), f"record {i}", big)
            else:
                self._rows(result)
                count = len(result.rows)
                say(self.err, f"({count} row{'s' if count != 1 else ''})", "dim")
            if result.note:
                say(self.err, result.note, "dim")

    def _rows(self, result: Table) -> None:
        cells = [[_cell(v, MAX_CELL) for v in row] for row in result.rows]
        plain = all(type(c) is str for row in cells for c in row)
        if plain and (not self.out.is_terminal or len(cells) > RICH_ROWS):
            self._grid(result.title, result.columns, cells, False,
                       [c in ("id", "name") for c in result.columns])
            return
        from rich import box
        from rich.table import Table as RichTable

        table = RichTable(*result.columns, title=result.title, box=box.SIMPLE_HEAD)
        for column in table.columns:
            column.overflow = "fold"
            column.min_width = len(str(column.header))
            column.no_wrap = column.header in ("id", "name")
        for row in cells:
            table.add_row(*map(_literal, row))
        self._rich(table)

    def _record(self, fields: dict[str, Any], title: str | None, big: bool = False) -> None:
        values = [_cell(value) for value in fields.values()]
        if (big or not self.out.is_terminal) and all(type(v) is str for v in values):
            self._grid(title, None, list(zip(map(str, fields), values, strict=True)), True, ())
            return
        from rich import box
        from rich.table import Table as RichTable

        table = RichTable(show_header=False, title=title, box=box.SIMPLE, title_justify="left")
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in zip(fields, values, strict=True):
            table.add_row(_literal(key), _literal(value))
        self._rich(table)

    def _grid(self, title: str | None, header: tuple[str, ...] | None,
              rows: list[Any], title_left: bool, no_wrap: list[bool] | tuple[()]) -> None:
        """The plain layout (``shell.grid``): written in one piece; on a terminal fitted to
        its width, with rich's title and header styles."""
        drawn = grid.layout(title, header, rows, title_left=title_left,
                            max_width=self.out.width, no_wrap=no_wrap)
        if not self.out.is_terminal:
            self._write("".join(line + "\n" for line in drawn.lines()))
            return
        for line in drawn.title:
            say(self.out, line, "table.title")
        say(self.out, drawn.body[0])
        for k, line in enumerate(drawn.header):
            say(self.out, line, "table.header" if k < len(drawn.header) - 1 else None)
        self._write("".join(line + "\n" for line in drawn.body[1:]))

    def _rich(self, table: RichTable) -> None:
        """A rich table; off a terminal without the padding rich adds to every line."""
        if self.out.is_terminal:
            self.out.print(table)
            return
        console = as_rich(self.out)
        with console.capture() as captured:
            console.print(table)
        self._write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))

    def _write(self, text: str) -> None:
        """Text straight to stdout's file, as rich would write it (not at all when quiet)."""
        if isinstance(self.out, PlainStream):
            self.out.write(text)
        elif not self.out.quiet:
            self.out.file.write(text)
            self.out.file.flush()
