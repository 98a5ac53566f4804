"""The cells of a real table row (HTML, DOCX, PDF, XLSX grids) to the right of a row label.

Grids come with spanned cells filled in (a figure printed over two columns appears twice). A
repeat is a span, not two cells, only where the header row above repeats the same way: two
columns under one header cell, with the same text in the row. So the row's cells are read with
the header's spans folded, and every other cell (blank ones too) keeps its place.
"""
from __future__ import annotations

from bisect import bisect_right

from transforms.cell_tokens import Token, cell_token
from transforms.document import Cell, Grid
from transforms.numbers import parse_cell


def _has_figure(row: list[Cell]) -> bool:
    return any(parse_cell(c.text)[0] == "num" for c in row if c.text)


def grid_at(grids: list[Grid], pos: int) -> tuple[Grid, int, int] | None:
    """The grid, row and cell that hold text offset `pos`, if a grid does."""
    starts = [g.start for g in grids]
    i = bisect_right(starts, pos) - 1
    if i < 0 or pos > grids[i].end:
        return None
    g = grids[i]
    rows = [row[0].start if row else g.start for row in g.rows]
    r = max(0, bisect_right(rows, pos) - 1)  # rows are laid out one line each, in order
    for c, cell in enumerate(g.rows[r]):
        if cell.start <= pos <= cell.end and cell.end > cell.start:
            return g, r, c
    return None


def _header_above(g: Grid, r: int) -> list[Cell] | None:
    figures = _figure_rows(g)
    for k in range(r - 1, -1, -1):
        if not figures[k]:
            return g.rows[k]
    return None


_FIGURE_ROWS: dict[int, tuple[Grid, list[bool]]] = {}


def _figure_rows(g: Grid) -> list[bool]:
    """Which rows of a grid hold a figure; kept for the last grids asked about (each row of a
    table asks about the rows above it)."""
    hit = _FIGURE_ROWS.get(id(g))
    if hit is None or hit[0] is not g:
        if len(_FIGURE_ROWS) > 64:
            _FIGURE_ROWS.clear()
        hit = _FIGURE_ROWS[id(g)] = (g, [_has_figure(row) for row in g.rows])
    return hit[1]


def row_tokens(g: Grid, r: int, c: int) -> list[Token]:
    """Tokens of the cells right of cell c in row r, spans folded by the header above."""
    row = g.rows[r]
    # the label's own spanned copies come first: skip them
    while c + 1 < len(row) and row[c + 1].text == row[c].text:
        c += 1
    header = _header_above(g, r)
    out: list[Token] = []
    j = c + 1
    while j < len(row):
        cell = row[j]
        token = cell_token(cell.text, cell.start, cell.end)
        if token.kind == "text":
            # another label: a group heading's row belongs to the label right of it
            break
        out.append(token)
        k = j + 1
        while (k < len(row) and header is not None and k < len(header) and
               header[k].text == header[j].text and header[j].text.strip() and
               row[k].text == cell.text):
            k += 1
        j = k
    return out


def first_figure_row(g: Grid, r: int) -> list[Token]:
    """Tokens of the first row at or below r that holds a figure (table 4's one row)."""
    for k in range(r, len(g.rows)):
        if _has_figure(g.rows[k]):
            return [cell_token(c.text, c.start, c.end) for c in g.rows[k]]
    return []
