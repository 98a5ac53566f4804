"""What reading a template table gives: each cell read, printed blank, missing or in doubt,
and the shared steps that turn a found row into those cells.

Kept apart from the readers of each table so that tables 2-4 and legacy tables report the
same way, and the warehouse can say for every report how much of each table was read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transforms.cell_tokens import Piece, Token, figure_run, segment_tokens
from transforms.document import Document
from transforms.grid_rows import grid_at, row_tokens
from transforms.identities import Identity, RowChoice
from transforms.label_scan import Found
from transforms.numbers import canonical_unit, scaled
from transforms.template_spec import Key

LAST_ROW_REACH = 400  # characters after the last row's label where its figures may stand


@dataclass
class CellRead:
    """What the reader says about one template cell."""

    key: Key
    state: str  # read | blank | doubt | missing
    value: float | None = None
    unit_word: str | None = None
    qualifier: str = "exact"
    start: int = 0  # the printed figure
    end: int = 0
    label_start: int = 0  # the row's label (evidence runs from here to the figure)
    label: str = ""
    note: str = ""
    period: str = "year"


@dataclass
class TableRead:
    table: str
    version: str
    layout: str  # grid | separated | collapsed (several joined by '/')
    rows_expected: int
    rows_found: int
    cells_expected: int = 0
    cells: list[CellRead] = field(default_factory=list)
    identities_held: int = 0
    identities_failed: int = 0
    failed: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells if c.state == state)

    def close_range(self) -> None:
        """End the table's text range at the last figure or label it read: the text after it
        is not the table's (prose, another table)."""
        ends = [c.end for c in self.cells if c.state != "missing"] + \
            [c.label_start + len(c.label) for c in self.cells]
        self.end = max([self.start] + ends)


def is_collapsed(text: str, found: list[Found]) -> bool:
    """Crawler text with its blanks removed: fewer separators than two per row in the table."""
    if len(found) < 2:
        return False
    region = text[found[0].start:found[-1].end]
    seps = sum(region.count(c) for c in "\n|") + len(region.split()) - 1
    return seps < 2 * len(found)


def segments(found: list[Found], hi: int) -> list[tuple[Found, int, int]]:
    """Each found row with the stretch its figures may stand in: up to the next row's label."""
    out = []
    for k, f in enumerate(found):
        end = found[k + 1].start if k + 1 < len(found) else min(hi, f.end + LAST_ROW_REACH)
        out.append((f, f.end, max(f.end, end)))
    return out


def row_run(doc: Document, f: Found, a: int, b: int, collapsed: bool) -> tuple[list[Token], str]:
    """The row's cell tokens and the layout they came from: a real grid's row when the label
    stands in one, else the text after the label."""
    at = grid_at(doc.grids, f.end - 1) if doc.grids else None
    if at is not None:
        g, r, c = at
        return row_tokens(g, r, c), "grid"
    return figure_run(segment_tokens(doc.text, a, b, collapsed)), \
        "collapsed" if collapsed else "separated"


def emit_row(choice: RowChoice, pieces: list[tuple[Piece | None, ...]], f: Found, text: str,
             units: dict[int, str], periods: list[str] | None = None) -> list[CellRead]:
    """The cells of one settled row: read, printed blank, missing or in doubt (with why)."""
    out: list[CellRead] = []
    label = text[f.start:f.end]
    reading = pieces[choice.chosen] if choice.chosen is not None else None
    printed = [p for r in pieces for p in r if p is not None]
    run_start = min((p.start for p in printed), default=f.end)
    run_end = max((p.end for p in printed), default=f.end)
    for c, key in enumerate(choice.keys):
        period = periods[c] if periods else "year"
        if c in choice.doubt or reading is None:
            shown = " ".join(text[run_start:run_end].split())[:60]
            out.append(CellRead(key, "doubt", label_start=f.start, label=label,
                                start=run_start, end=run_end, period=period,
                                note=f"in doubt: printed '{shown}'; {choice.why}"))
            continue
        p = reading[c]
        if p is None:
            out.append(CellRead(key, "missing", label_start=f.start, label=label, period=period))
            continue
        if p.value is None:
            out.append(CellRead(key, "blank", start=p.start, end=p.end, label_start=f.start,
                                label=label, period=period))
            continue
        word = p.unit or units.get(c) or None
        mult = canonical_unit(word)[1] if word else 1.0
        if p.split_from:
            note = f"cut from run-together '{p.split_from}': {choice.why or 'one reading'}"
        else:
            note = choice.why if len(choice.kept) > 1 else ""
        out.append(CellRead(key, "read", scaled(p.value, mult), word, p.qualifier, p.start, p.end,
                            f.start, label, note, period))
    return out


def settle(keys: tuple[Key, ...], opts: list[tuple[Piece | None, ...]] | None) -> RowChoice:
    """A row's readings as values, for `identities.choose`, each marked when it cuts digits."""
    choice = RowChoice(keys, [tuple(p.value if p else None for p in r) for r in opts or []],
                       cut=[any(p is not None and p.split_from for p in r) for r in opts or []])
    if opts is None:
        choice.why = "too many readings of the printed figures"
    return choice


def score(read: TableRead, ids: list[Identity]) -> None:
    """Count the equations that hold and fail on what was read (doubt and blanks: unknown)."""
    values = {c.key: c.value for c in read.cells if c.state == "read"}
    for ident in ids:
        status = ident.evaluate(values.get)
        if status == "hold":
            read.identities_held += 1
        elif status == "fail":
            read.identities_failed += 1
            read.failed.append(f"{ident.rule}: {ident.describe(values.get)}")


def table_read_rows(reads: list[TableRead]) -> list[dict]:
    """One warehouse row per table read: how much of it was read and whether it adds up."""
    return [{
        "table_name": r.table, "template_version": r.version, "layout": r.layout,
        "rows_expected": r.rows_expected, "rows_found": r.rows_found,
        "cells_expected": r.cells_expected, "cells_read": r.count("read"),
        "cells_blank": r.count("blank"), "cells_in_doubt": r.count("doubt"),
        "identities_held": r.identities_held, "identities_failed": r.identities_failed,
        "detail": "; ".join(r.failed)[:1000] or None,
    } for r in reads]
