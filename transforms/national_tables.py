"""Tables 2 and 3 of the national template, read cell by cell from any layout (table 4: see
`table4.py`).

Rows are found by their printed labels in order (`label_scan`), a row's figures are the tokens
after its label (`cell_tokens`, or the grid's cells for a real table), and the columns are the
template's: readable headers choose between the template versions (table 2) and show where an
optional subtotal column stands; otherwise the fixed column order decides. When the printed
characters allow several readings (a missing cell, digits run together), the table's
arithmetic (`identities`) keeps the one that adds up; when none or several do, the cells in
doubt are reported, never guessed.
"""
from __future__ import annotations

from dataclasses import replace

from transforms.cell_tokens import Token, readings
from transforms.document import Document
from transforms.identities import Identity, choose, identities_for
from transforms.label_scan import Found, Squeezed, locate
from transforms.table4 import read_table4
from transforms.table_read import (TableRead, emit_row, is_collapsed, row_run, score, segments,
                                   settle)
from transforms.template_spec import ColumnSpec, RowSpec, TemplateSpec, template_spec

VERSIONS = ("gb2019", "gb2021")


def _locate_version(sq: Squeezed, spec: TemplateSpec, table: str, hint: str | None
                    ) -> tuple[str, list[Found]]:
    """The table's rows found in the text (both versions' rows at once), and the template
    version whose rows explain the most of them; a tie (the rows the versions share) goes to
    the version the report's headings name. A row the versions print alike but read apart
    (gb2019's one row 其他处理, gb2021's heading over three) is looked for once."""
    rows: dict[tuple[str, ...], RowSpec] = {}
    for r in spec.rows_of(table):
        seen = rows.get(r.keys)
        if seen is None:
            rows[r.keys] = r
        elif seen.kind != r.kind:
            # a row in one version, a heading in the other: weighed as a heading in the chain
            # (pdftotext prints a heading beside its second row), read when it has figures
            rows[r.keys] = replace(seen, kind="group")
    found = locate(sq, list(rows.values()))
    figures = [f for f in found if f.row.has_figures]
    version = max(VERSIONS, key=lambda v: (sum(1 for f in figures if v in f.row.versions),
                                           v == (hint or "gb2021")))
    return version, found


def _header_votes(text: str, spec: TemplateSpec, block: str) -> dict[str, int]:
    """How many of each version's table-2 column headers a block's header text names."""
    squeezed = "".join(text.split())
    return {v: sum(1 for c in spec.columns_of("table2", v, block)
                   if any(h in squeezed for h in c.headers)) for v in VERSIONS}


def _block_version(votes: dict[str, int], row: RowSpec, n_figures: int, collapsed: bool,
                   spec: TemplateSpec, default: str) -> str:
    """A table-2 block's version: its headers, else the one whose column count the figures fit,
    else the table's."""
    if votes["gb2019"] != votes["gb2021"]:
        return max(votes, key=lambda k: votes[k])
    fits = [v for v in VERSIONS if v in row.versions
            and len(spec.columns_of("table2", v, row.block)) == n_figures]
    if len(fits) == 1 and not collapsed:
        return fits[0]
    return default if default in row.versions else sorted(row.versions)[-1]


def _amount_units(head: str, cols: list[ColumnSpec]) -> dict[int, str]:
    """Column units: the template's, or 万元/元 where the block's header prints one."""
    units = {i: c.unit for i, c in enumerate(cols) if c.unit}
    for word in ("万元", "元"):
        if word in head:
            units.update({i: word for i, c in enumerate(cols) if c.column == "amount"})
            break
    return units


def _read_table2(doc: Document, sq: Squeezed, spec: TemplateSpec, hint: str | None
                 ) -> TableRead | None:
    version, found = _locate_version(sq, spec, "table2", hint)
    if not any(f.row.has_figures for f in found) or all(f.row.has_figures for f in found):
        return None  # no block title (第二十条第…项) found: these are words in prose
    collapsed = is_collapsed(doc.text, found)
    segs = segments(found, len(doc.text))
    heads: dict[str, str] = {}  # block -> the header printed above its first row
    rows = []
    layouts = set()
    for k, (f, a, b) in enumerate(segs):
        if not f.row.has_figures:
            continue
        if f.row.block not in heads:
            prev_end = segs[k - 1][0].end if k else max(0, f.start - 200)
            heads[f.row.block] = doc.text[prev_end:f.start][-300:]
        run, layout = row_run(doc, f, a, b, collapsed)
        layouts.add(layout)
        v = _block_version(_header_votes(heads[f.row.block], spec, f.row.block), f.row,
                           len(run), collapsed, spec, version)
        cols = spec.columns_of("table2", v, f.row.block)
        if not cols:
            continue
        opts = readings(run, len(cols), collapsed)
        rows.append((settle(tuple(spec.cell_key(f.row, c) for c in cols), opts), opts or [], f,
                     _amount_units(heads[f.row.block], cols)))
    choose([r[0] for r in rows], [], {})
    expected = sum(len(spec.columns_of("table2", version, r.block))
                   for r in spec.rows_of("table2") if r.has_figures and version in r.versions)
    read = TableRead("table2", version, "/".join(sorted(layouts)),
                     sum(1 for r in spec.rows_of("table2")
                         if r.has_figures and version in r.versions),
                     sum(1 for f in found if f.row.has_figures), expected,
                     start=found[0].start)
    for choice, opts, f, units in rows:
        read.cells.extend(emit_row(choice, opts, f, doc.text, units))
    read.close_range()
    return read


def _read_table3(doc: Document, sq: Squeezed, spec: TemplateSpec, hint: str | None
                 ) -> TableRead | None:
    version, found = _locate_version(sq, spec, "table3", hint)
    rows = [f for f in found if f.row.has_figures]
    distinctive = {"requests.received", "requests.carried_over", "requests.carried_forward"}
    if len(rows) < 3 and not (len(rows) == 2 and any(f.row.code in distinctive for f in rows)):
        return None  # a word or two of the table in prose is not the table
    collapsed = is_collapsed(doc.text, found)
    runs: list[tuple[Found, list[Token]]] = []
    layouts = set()
    for f, a, b in segments(found, len(doc.text)):
        if f.row.has_figures:
            run, layout = row_run(doc, f, a, b, collapsed)
            if f.row.kind == "group" and not run:
                continue  # a heading over its rows, as the template prints it
            layouts.add(layout)
            runs.append((f, run))
    cols = spec.columns_of("table3", version)
    subtotal = spec.optional_columns("table3", version)
    with_subtotal = sum(1 for _, r in runs if len(_trimmed(r)) == len(cols) + 1)
    candidates = [cols]
    if subtotal and with_subtotal > len(runs) / 2:
        # a subtotal column over the five organisation columns: before them or after them
        candidates = [cols[:1] + subtotal + cols[1:], cols[:-1] + subtotal + cols[-1:]]
    ids = identities_for(spec.version_cells("table3", version))
    rows_expected = sum(1 for r in spec.rows_of("table3")
                        if r.kind == "row" and version in r.versions)
    best: TableRead | None = None
    for layout_cols in candidates:
        read = TableRead("table3", version, "/".join(sorted(layouts)), rows_expected,
                         sum(1 for f, _ in runs if f.row.kind == "row"),
                         rows_expected * len(layout_cols), start=found[0].start)
        _solve(doc, runs, layout_cols, ids, collapsed, spec, read.cells)
        read.close_range()
        score(read, ids)
        if best is None or (read.identities_failed, -read.identities_held) < \
                (best.identities_failed, -best.identities_held):
            best = read
    return best


def _trimmed(run: list[Token]) -> list[Token]:
    """A row's tokens without the empty cells that pad its end."""
    end = len(run)
    while end and run[end - 1].kind == "empty":
        end -= 1
    return run[:end]


def _solve(doc: Document, runs: list[tuple[Found, list[Token]]], cols: list[ColumnSpec],
           ids: list[Identity], collapsed: bool, spec: TemplateSpec, out: list) -> list:
    rows = []
    for f, run in runs:
        opts = readings(run, len(cols), collapsed)
        rows.append((settle(tuple(spec.cell_key(f.row, c) for c in cols), opts), opts or [], f))
    choose([r[0] for r in rows], ids, {})
    for choice, opts, f in rows:
        out.extend(emit_row(choice, opts, f, doc.text, {}))
    return out


def read_national_tables(doc: Document, version_hint: str | None = None) -> list[TableRead]:
    """Tables 2, 3 and 4 of a report, as far as its text holds them."""
    text = doc.text
    # words no copy of each table can lack (most reports before 2019 have none of them)
    wanted = [reader for reader, words in ((_read_table2, ("第二十条",)),
                                           (_read_table3, ("新收", "上年结转", "结转下年")),
                                           (_read_table4, ("结果维持", "行政诉讼")))
              if any(w in text for w in words)]
    if not wanted:
        return []
    spec = template_spec()
    sq = Squeezed(text)
    out: list[TableRead] = []
    for reader in wanted:
        read = reader(doc, sq, spec, version_hint)
        if read is not None:
            out.append(read)
    return out


def _read_table4(doc: Document, sq: Squeezed, spec: TemplateSpec, hint: str | None
                 ) -> TableRead | None:
    return read_table4(doc, sq, spec, national=hint in VERSIONS)
