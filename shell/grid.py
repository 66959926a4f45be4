"""Plain-text tables laid out in one pass: the fast path of ``shell.render``.

rich lays out a table cell by cell (measure, wrap, pad, crop, style: about 0.7 ms a row
of nine columns here), so drawing 1,000 rows cost ten times the requests behind them.
``layout`` computes every column's width once from the cell strings and writes each row
with ``str.ljust``. Where nothing needs folding it draws exactly what rich draws for the
same ``box.SIMPLE_HEAD`` table (a ``box.SIMPLE`` one without header for Records): a title
centred over the table (left for Records), a blank edge line, the header, a rule, the rows,
a blank edge line; two spaces before the first column and three between columns. Lines
carry no trailing spaces. Given a ``max_width`` (a terminal's), columns too wide for it are
narrowed widest first, as rich does, and their cells folded onto more lines.

``printable`` is a plain line as rich prints it. ASCII text is measured with ``len``; rich's
table of character widths is imported only for other text (``shell.streams`` says why).
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

EDGE = " "  # the left and right edge of box.SIMPLE_HEAD and box.SIMPLE
PAD = " "  # rich's default cell padding, each side
GAP = PAD + " " + PAD  # padding, the (blank) vertical divider, padding
RULE = "─"
# What rich's Text strips from every string (bell, backspace, vertical tab, form feed,
# carriage return): a "\r" from a CRLF description would send the rest of its row back
# to the first column.
CONTROLS = dict.fromkeys(map(ord, "\a\b\v\f\r"))
TAB_STOP = 8  # rich's default tab size


@functools.cache
def _cells() -> ModuleType:
    """``rich.cells``, imported once on first need (an import statement in ``_width`` would
    cost more than measuring)."""
    import rich.cells

    return rich.cells


def _width(text: str) -> int:
    """Terminal cells of a line: ``len`` for ASCII, rich's table for wide characters."""
    return len(text) if text.isascii() else _cells().cell_len(text)


def printable(text: str) -> str:
    """``text`` as rich prints a plain string off a terminal: without the control codes rich
    strips, each tab widened to the next stop every ``TAB_STOP`` cells (rich's rule)."""
    text = text.translate(CONTROLS)
    if "\t" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        parts = line.split("\t")
        out, cells = [], 0
        for part in parts[:-1]:
            cells += _width(part) + 1
            pad = -cells % TAB_STOP
            out.append(part + " " * (1 + pad))
            cells += pad
        lines.append("".join(out) + parts[-1])
    return "\n".join(lines)


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _fold(text: str, width: int) -> list[str]:
    """A cell's lines at ``width``: words wrapped, words longer than a line cut."""
    out: list[str] = []
    for line in text.split("\n"):
        if _width(line) <= width:
            out.append(line)
        elif line.isascii():
            out += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
        else:  # textwrap counts characters, not cells: cut by cells, words or not
            out += _cells().chop_cells(line, width)
    return out


def _cell_width(cell: str) -> int:
    return max(map(_width, cell.split("\n"))) if "\n" in cell else _width(cell)


def natural_widths(header: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width: its widest cell line (the header included)."""
    count = len(header) if header is not None else len(rows[0]) if rows else 0
    widths = [_width(h) for h in header] if header is not None else [0] * count
    for i, column in enumerate(zip(*rows, strict=True)):
        joined = "".join(column)
        if joined.isascii() and "\n" not in joined:  # the common case, at C speed
            width = max(map(len, column))
        else:
            width = max(map(_cell_width, column))
        widths[i] = max(widths[i], width)
    return widths


def narrowed(widths: list[int], floors: Sequence[int], budget: int) -> list[int]:
    """``widths`` reduced to fit ``budget`` cells: the widest columns that may fold (floor
    below width) first, down to the next widest, never below their floor."""
    widths = list(widths)
    excess = sum(widths) - budget
    while excess > 0:
        foldable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not foldable:
            break
        top = max(widths[i] for i in foldable)
        tops = [i for i in foldable if widths[i] == top]
        below = max([widths[i] for i in foldable if widths[i] < top]
                    + [max(floors[i] for i in tops)])
        cut = min(excess, (top - below) * len(tops))
        share, extra = divmod(cut, len(tops))
        for k, i in enumerate(tops):
            widths[i] -= share + (1 if k < extra else 0)
        excess -= cut
    return widths


def _row_lines(cells: Sequence[str], widths: Sequence[int], folded: bool,
               template: str) -> list[str]:
    if not folded:
        joined = "".join(cells)
        if joined.isascii() and "\n" not in joined:  # one C call pads the whole row
            return [template.format(*cells).rstrip()]
        if "\n" not in joined:
            return [(EDGE + PAD + GAP.join(map(_ljust, cells, widths))).rstrip()]
    parts = [_fold(cell, width) for cell, width in zip(cells, widths, strict=True)]
    height = max(len(p) for p in parts)
    return [(EDGE + PAD + GAP.join(_ljust(p[k] if k < len(p) else "", w)
                                   for p, w in zip(parts, widths, strict=True))).rstrip()
            for k in range(height)]


@dataclass(frozen=True, slots=True)
class Layout:
    """A laid-out table: title lines, header lines (header row(s), then the rule) and the
    rest (the top edge, the rows and the bottom edge), each without trailing spaces."""

    title: list[str]
    header: list[str]
    body: list[str]

    def lines(self) -> list[str]:
        """Every line in order: title, top edge, header, rows, bottom edge."""
        return [*self.title, self.body[0], *self.header, *self.body[1:]]


def layout(title: str | None, header: Sequence[str] | None, rows: Sequence[Sequence[str]],
           *, title_left: bool = False, max_width: int | None = None,
           no_wrap: Sequence[bool] = ()) -> Layout:
    """The table as rich would draw it (see the module docstring); ``no_wrap`` marks
    columns that are never narrowed (``name``, ``id``)."""
    every = "".join(map("".join, rows))
    if any(chr(code) in every for code in CONTROLS):
        rows = [[cell.translate(CONTROLS) for cell in row] for row in rows]
    widths = natural_widths(header, rows)
    frame = 2 * len(EDGE) + len(widths) * 2 * len(PAD) + max(len(widths) - 1, 0)
    folded = False
    if max_width is not None and sum(widths) + frame > max_width:
        keep = [i < len(no_wrap) and no_wrap[i] for i in range(len(widths))]
        # headers stay whole while they can; past that they fold too, as rich's do
        for floor in ((_width(header[i]) if header else 1 for i in range(len(widths))),
                      (1 for _ in widths)):
            floors = [w if k else max(f, 1) for w, k, f in zip(widths, keep, floor, strict=True)]
            widths = narrowed(widths, floors, max_width - frame)
        folded = True
    total = sum(widths) + frame
    titles = []
    for part in textwrap.wrap(title or "", max(total, 1)):
        indent = 0 if title_left else (total - _width(part)) // 2
        titles.append((" " * indent + part).rstrip())
    template = EDGE + PAD + GAP.join(f"{{:<{w}}}" for w in widths)
    heading = []
    if header is not None:
        heading = [*_row_lines(header, widths, folded, template),
                   (EDGE + RULE * (total - 2 * len(EDGE))).rstrip()]
    body = [""]
    for row in rows:
        body += _row_lines(row, widths, folded, template)
    body.append("")
    return Layout(titles, heading, body)
