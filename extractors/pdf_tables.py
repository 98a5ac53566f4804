"""Ruled PDF tables as filled cell grids, and tables continued across pages merged back.

pdfplumber reports merged cells as one cell bbox and `None` in the positions it covers. We
rebuild the grid from the distinct ruling positions instead, so a cell spanning two rows or
columns is repeated in each position it covers, as HTML and DOCX readers do.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dataclasses import dataclass

from extractors.base import Table
from extractors.textutil import clean_inline, normalize_grid, smart_join

_SNAP = 2.0  # points: ruling positions closer than this are the same edge

Box = tuple[float, ...]  # x0, top, x1, bottom


@dataclass
class Fragment:
    """One page's part of a ruled table: cell boxes and their text, kept to re-grid later."""

    box: Box
    cells: list[Box]
    texts: dict[Box, str]


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SNAP:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def fragment_from_pdfplumber(table: Any) -> Fragment:
    """Cell boxes and texts of a `pdfplumber.table.Table` (wrapped cell lines joined)."""
    cells = [tuple(float(v) for v in c) for c in table.cells]
    texts: dict[Box, str] = {}
    for row, values in zip(table.rows, table.extract()):
        for bbox, value in zip(row.cells, values):
            if bbox is not None:
                texts[tuple(float(v) for v in bbox)] = _join_cell(value or "")
    return Fragment(tuple(float(v) for v in table.bbox), cells, texts)


def fragment_from_cell_text(box: Box, cells: list[Box],
                            cell_text: Callable[[Box], str]) -> Fragment:
    """A fragment whose cell text comes from another engine (PDFium)."""
    return Fragment(box, cells, {c: _join_cell(cell_text(c)) for c in cells})


def _join_cell(text: str) -> str:
    return clean_inline(smart_join(text.replace("\r", "\n").split("\n"), soft_wrap=True))


def grid_of(fragment: Fragment, xs: list[float] | None = None) -> list[list[str]]:
    """Place cell boxes on the grid of distinct ruling positions, spans repeated.

    `xs` imposes column edges (the union over fragments of one table split across pages,
    where a page holding only header rows lacks the rulings of the label sub-columns).
    """
    cells = fragment.cells
    if not cells:
        return []
    xs = xs or _cluster([c[0] for c in cells] + [c[2] for c in cells])
    ys = _cluster([c[1] for c in cells] + [c[3] for c in cells])
    if len(xs) < 2 or len(ys) < 2:
        return []
    grid = [[""] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    filled = [[False] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for c in cells:
        c0, c1 = _index(xs, c[0]), _index(xs, c[2])
        r0, r1 = _index(ys, c[1]), _index(ys, c[3])
        text = fragment.texts.get(c, "")
        for r in range(r0, r1):
            for k in range(c0, c1):
                if not filled[r][k]:
                    grid[r][k] = text
                    filled[r][k] = True
    return grid


def same_columns(a: Fragment, b: Fragment) -> bool:
    """Do two fragments share the table's outer left and right rulings?"""
    return abs(a.box[0] - b.box[0]) <= 3 * _SNAP and abs(a.box[2] - b.box[2]) <= 3 * _SNAP


def merge_fragments(fragments: list[Fragment]) -> list[list[str]]:
    """One grid for a table continued over pages; header rows a page repeats are dropped."""
    xs = _cluster([v for f in fragments for c in f.cells for v in (c[0], c[2])])
    grids = [grid_of(f, xs) for f in fragments]
    rows = list(grids[0])
    for g in grids[1:]:
        repeated = 0
        for k in range(1, min(4, len(grids[0]), len(g)) + 1):
            if g[:k] == grids[0][:k]:
                repeated = k
        rows.extend(g[repeated:])
    return normalize_grid(rows)


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
