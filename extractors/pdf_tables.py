"""Ruled PDF tables as filled cell grids, and tables continued across pages merged back.

pdfplumber reports merged cells as one cell bbox and `None` in the positions it covers. We
rebuild the grid from the distinct ruling positions instead, so a cell spanning two rows or
columns is repeated in each position it covers, as HTML and DOCX readers do.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extractors.base import Table
from extractors.textutil import clean_inline, normalize_grid, smart_join

_SNAP = 2.0  # points: ruling positions closer than this are the same edge


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SNAP:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def grid_from_pdfplumber(table: Any) -> list[list[str]]:
    """Filled grid of a `pdfplumber.table.Table`: spans repeated, text of wrapped cells joined."""
    cells = [tuple(float(v) for v in c) for c in table.cells]
    text_of: dict[tuple[float, ...], str] = {}
    for row, values in zip(table.rows, table.extract()):
        for bbox, value in zip(row.cells, values):
            if bbox is not None:
                text_of[tuple(float(v) for v in bbox)] = _join_cell(value or "")
    return grid_from_cells(cells, text_of)


def grid_from_cell_text(cells: list[tuple[float, ...]],
                        cell_text: Callable[[tuple[float, ...]], str]) -> list[list[str]]:
    """Filled grid when another engine (PDFium) supplies the text inside each cell bbox."""
    return grid_from_cells(cells, {c: _join_cell(cell_text(c)) for c in cells})


def _join_cell(text: str) -> str:
    return clean_inline(smart_join(text.replace("\r", "\n").split("\n"), soft_wrap=True))


def grid_from_cells(cells: list[tuple[float, ...]],
                    text_of: dict[tuple[float, ...], str]) -> list[list[str]]:
    """Place cell bboxes (x0, top, x1, bottom) on the grid of distinct ruling positions."""
    if not cells:
        return []
    xs = _cluster([c[0] for c in cells] + [c[2] for c in cells])
    ys = _cluster([c[1] for c in cells] + [c[3] for c in cells])
    if len(xs) < 2 or len(ys) < 2:
        return []
    grid = [[""] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    filled = [[False] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for c in cells:
        c0, c1 = _index(xs, c[0]), _index(xs, c[2])
        r0, r1 = _index(ys, c[1]), _index(ys, c[3])
        text = text_of.get(c, "")
        for r in range(r0, r1):
            for k in range(c0, c1):
                if not filled[r][k]:
                    grid[r][k] = text
                    filled[r][k] = True
    return normalize_grid(grid)


def is_real_table(rows: list[list[str]]) -> bool:
    """At least 2x2 with some text: a lone frame around a paragraph is not a table."""
    return len(rows) >= 2 and len(rows[0]) >= 2 and sum(1 for r in rows for c in r if c) >= 3


def merge_continuation(prev: Table, new: Table) -> bool:
    """Append `new` to `prev` when it continues it on the next page; True if merged.

    Same number of columns is required; header rows that the new page repeats are dropped.
    """
    if not prev.rows or not new.rows or len(prev.rows[0]) != len(new.rows[0]):
        return False
    repeated = 0
    for k in range(1, min(4, len(prev.rows), len(new.rows)) + 1):
        if new.rows[:k] == prev.rows[:k]:
            repeated = k
    prev.rows.extend(new.rows[repeated:])
    return True
