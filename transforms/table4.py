"""Table 4 of the national template: reconsideration and litigation, one row of 15 figures.

The table has no row labels: its header (行政复议 / 行政诉讼, 结果维持 … 总计 three times) comes
first, then the 15 figures, in one row, in three markdown blocks of five, or run together in
crawler text (`10203120001200000`). The figures are read in template order from the header to
the end of the section; where digits run together, each block of five must add up
(维持 + 纠正 + 其他 + 尚未审结 = 总计), which is what cuts them.
"""
from __future__ import annotations

from transforms.cell_tokens import Piece, Token, readings, segment_tokens
from transforms.document import Document
from transforms.grid_rows import first_figure_row, grid_at
from transforms.identities import choose, identities_for
from transforms.label_scan import Found, Squeezed
from transforms.table_read import TableRead, emit_row, score, settle
from transforms.template_spec import RowSpec, TemplateSpec

# where section 四 ends: the next section's heading, whatever survived of it
_SECTION_ENDS = ("五、", "存在的主要问题", "主要问题及改进", "其他需要报告")
REACH = 3000
_ROW = RowSpec("table4", frozenset({"gb2019", "gb2021"}), "", "", "", False, ("结果维持",),
               "row", 0)


def _header_starts(sq: Squeezed) -> list[int]:
    return [i for i in sq.find_all("结果维持")
            if "尚未审结" in sq.text[i:i + 40] or "结果纠正" in sq.text[i:i + 20]]


def _section_starts(sq: Squeezed) -> list[int]:
    """Where section 四 (行政复议、行政诉讼) begins, for copies that lost the table's header."""
    return [i for i in sq.find_all("行政复议") if "行政诉讼" in sq.text[i:i + 12]]


def _blocks_add_up(acc: tuple[Piece | None, ...]) -> bool:
    """A partial reading is kept while every finished block of five adds up (or has a blank)."""
    if len(acc) % 5 or not acc:
        return True
    block = acc[-5:]
    if any(p is None or p.value is None for p in block):
        return True
    return abs(sum(p.value for p in block[:4]) - block[4].value) < 1e-6  # type: ignore[misc]


def _figures_by_line(doc: Document, tokens: list[Token]) -> list[Token]:
    """Figures and empty cells, the empties only from lines that print a figure (a header
    line's empty pipe cells are not table cells), up to the first long text after them."""
    lines: dict[int, list[Token]] = {}
    for t in tokens:
        lines.setdefault(doc.text.rfind("\n", 0, t.start), []).append(t)
    out: list[Token] = []
    for _, line in sorted(lines.items()):
        if out and any(t.kind == "text" and len(t.text) > 30 for t in line):
            break
        if any(t.kind == "num" for t in line):
            out.extend(t for t in line if t.kind != "text")
    return out


def read_table4(doc: Document, sq: Squeezed, spec: TemplateSpec, national: bool = True
                ) -> TableRead | None:
    """Table 4 from its header; in a national-template report whose copy lost the header, the
    row of 15 after the section's title, if its three blocks all add up."""
    starts = _header_starts(sq)
    if starts:
        return _read_from(doc, sq, spec, starts[0], headerless=False)
    if not national:
        return None
    for h in _section_starts(sq):
        read = _read_from(doc, sq, spec, h, headerless=True)
        if read is not None:
            return read
    return None


def _read_from(doc: Document, sq: Squeezed, spec: TemplateSpec, h: int, headerless: bool
               ) -> TableRead | None:
    ends = [e for e in (sq.text.find(w, h) for w in _SECTION_ENDS) if e > h]
    start = sq.start_of(h)
    end = min([sq.start_of(e) for e in ends] + [start + REACH, len(doc.text)])
    at = grid_at(doc.grids, start) if doc.grids else None
    collapsed = False
    if at is not None:
        g, r, _ = at
        run = first_figure_row(g, r)
        layout = "grid"
    else:
        region = doc.text[start:end]
        collapsed = region.count("\n") + region.count("|") + len(region.split()) < 12
        layout = "collapsed" if collapsed else "separated"
        run = _figures_by_line(doc, segment_tokens(doc.text, start, end, collapsed))
    cols = spec.columns_of("table4", "gb2021")
    if not any(t.kind == "num" for t in run):
        return None
    ids = identities_for(spec.version_cells("table4", "gb2021"))
    opts = readings(run, len(cols), collapsed, accept=_blocks_add_up)
    choice = settle(tuple(spec.cell_key(_ROW, c) for c in cols), opts)
    choose([choice], ids, {})
    found = Found(_ROW, start, sq.end_of(h + 4), h, h + 4, False)
    read = TableRead("table4", "gb2019", layout, 1, 1, len(cols), start=start, end=end)
    read.cells = emit_row(choice, opts or [], found, doc.text, {})
    read.close_range()
    score(read, ids)
    if headerless and (read.identities_held < len(ids) or read.count("doubt")):
        return None
    return read
