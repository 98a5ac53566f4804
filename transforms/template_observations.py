"""Observations from the tables the template and legacy readers settled, and their claim on
the cells they settled.

A cell the national-template reader (or the legacy-table reader) settled is theirs to give: read
(an observation with its code), in doubt (an observation without a code, saying why: no metric),
or printed blank (nothing). The header-driven reading of the same cell (`tables.py`) then keeps
no code, so that a reading the table's arithmetic refused cannot come back through the other
reader.
"""
from __future__ import annotations

from transforms.extract_types import Observation
from transforms.table_read import TableRead

TEMPLATE_TABLE_NO = 1000  # table numbers of the national template's tables 2-4 (1002-1004)


def template_observations(reads: list[TableRead]) -> list[Observation]:
    """An observation per template cell read or in doubt: a cell in doubt keeps no code (so it
    makes no metric) and says why."""
    out: list[Observation] = []
    for read in reads:
        table_no = TEMPLATE_TABLE_NO + (int(read.table[-1]) if read.table[-1].isdigit() else 0)
        for c in read.cells:
            if c.state not in ("read", "doubt"):
                continue
            code, breakdown = c.key
            if not code:  # a legacy row whose label names no indicator: kept, unmapped
                out.append(Observation(
                    c.label, c.period, c.value, c.unit_word, c.qualifier, "table", None, "",  # type: ignore[arg-type]
                    c.period, c.start, c.end, c.label_start, c.end, table_no=table_no,
                    row_label=c.label, note=c.note or None))
                continue
            column = breakdown or code.rsplit(".", 1)[-1]
            if c.state == "doubt":
                out.append(Observation(
                    c.label, column, None, None, "exact", "table", None, breakdown,  # type: ignore[arg-type]
                    c.period, c.start, c.end, c.label_start, c.end, table_no=table_no,
                    row_label=c.label, note=f"{code}: {c.note}"))
                continue
            out.append(Observation(
                c.label, column, c.value, c.unit_word, c.qualifier, "table", code, breakdown,
                c.period, c.start, c.end, c.label_start, c.end, table_no=table_no,
                row_label=c.label, note=c.note or None))
    return out


def prose_figures(prose: list[Observation]) -> dict[str, set[float]]:
    """The exact year figures the prose states per indicator: what a legacy table's reading
    may be checked against when its own arithmetic leaves a choice."""
    out: dict[str, set[float]] = {}
    for o in prose:
        if o.indicator_code and o.period == "year" and o.qualifier == "exact":
            out.setdefault(o.indicator_code, set()).add(o.value)
    return out


def defer_to_template(generic: list[Observation], reads: list[TableRead]) -> None:
    """A cell the template readers settled (read, blank or in doubt), and anything printed
    inside a table they read, is theirs to give: the header-driven reading keeps no code."""
    owned = {(c.key[0], c.key[1], c.period) for r in reads for c in r.cells
             if c.state in ("read", "blank", "doubt")}
    ranges = [(r.start, r.end) for r in reads]
    for o in generic:
        if not o.indicator_code:
            continue
        if (o.indicator_code, o.breakdown, o.period) in owned or \
                any(a <= o.span_start < b for a, b in ranges):
            o.indicator_code = None
            o.note = "left to the template reader"
