"""Read statistical tables: real grids and tables flattened into text.

Three shapes reach us: real grids (HTML/DOCX/PDF readers fill spanned cells), mirror-site text
where every cell stands on its own line ending in " |" (spans appear once, row ends unreliable),
and pdftotext-style lines with a label followed by numbers. Columns are always found from their
headers; rows from their labels; a value is never taken by counting numbers in the document.
Every numeric cell becomes a `TableValue` with the label, column path and context the catalog
needs to map it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from transforms.catalog import Catalog, enum_level, label_key
from transforms.document import Cell, Grid
from transforms.numbers import UNITS, canonical_unit, cell_unit, parse_cell, scaled

_UNIT_WORDS = set(UNITS) | {"万元", "元", "人次", "——", "-"}
_PAGE_NO = re.compile(r"^(-\s*\d+\s*-|第\s*\d+\s*页(共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_HEADER_UNIT = re.compile(r"(?:单位[:：]?)?(万元|元|千元|亿元)")


@dataclass
class TableValue:
    label: str
    label_path: list[str]  # shared by the values of one row: read it, do not change it
    column: str
    context: str
    value: float
    qualifier: str
    unit_word: str | None
    period: str
    breakdown: str
    cell: Cell
    label_cell: Cell | None
    row_no: int
    table_no: int
    code: str | None = None  # set when a template layout, not a label, names the indicator


@dataclass
class _Column:
    path: list[str]
    unit_col: bool = False
    index_col: bool = False
    period: str | None = None
    breakdown: str | None = None
    match_text: str = ""
    multiplier: float = 1.0
    unit_word: str | None = None
    groups: str = ""


@dataclass
class _Row:
    labels: list[Cell]
    values: list[Cell] = field(default_factory=list)
    unit: str | None = None


def _is_header_cell(cat: Catalog, text: str) -> bool:
    """Could this cell be a column header? Numbered row labels never are; a period or value
    word (本年, 数量) only marks a header when the cell is short."""
    if enum_level(text) is not None or text.strip().startswith("第"):
        return False
    roles = cat.column_roles(text)
    if not roles.isdisjoint(("label", "unit", "group", "breakdown", "index")):
        return True
    return bool(roles) and len(label_key(text)) <= 10


# Cell texts, unit words and row lines repeat across the tables of every report, and these
# functions are pure, so their results are kept (a cache cannot change a result).
_parse = lru_cache(maxsize=65536)(parse_cell)
_canonical_unit = lru_cache(maxsize=4096)(canonical_unit)
_TOKEN = re.compile(r"\S+")


@lru_cache(maxsize=65536)
def _parse_with_unit(text: str) -> tuple[str, float | None, str, str | None]:
    """`parse_cell(text)` and, for a figure, `cell_unit(text)` (the unit written after it)."""
    kind, value, qual = _parse(text)
    return kind, value, qual, (cell_unit(text) if kind == "num" and value is not None else None)


@lru_cache(maxsize=65536)
def _kind(text: str) -> str:
    k = _parse(text)[0]
    if k == "text" and text.strip() in _UNIT_WORDS:
        return "unit"
    return k


def _spec(cat: Catalog, path: list[str]) -> _Column:
    """The column a header path describes, kept per path text on the catalog.

    Why: every report of a template has the same headers, and a column was worked out from
    its role terms and unit for every table of every report. A `_Column` is never changed
    once made, so the tables of many reports can share one.
    """
    cache: dict[tuple[str, ...], _Column] = cat.__dict__.setdefault("_table_specs", {})
    key = tuple(path)
    col = cache.get(key)
    if col is None:
        if len(cache) > 20000:
            cache.clear()
        col = cache[key] = _make_spec(cat, list(path))
    return col


def _make_spec(cat: Catalog, path: list[str]) -> _Column:
    col = _Column(path=path)
    keep: list[str] = []
    groups: list[str] = []
    for h in path:
        roles = cat.column_role(h)
        names = {r.role for r in roles}
        for r in roles:
            if r.role == "period":
                col.period = r.value
            elif r.role == "breakdown" and (r.value or not col.breakdown):
                col.breakdown = r.value
            elif r.role == "unit":
                col.unit_col = True
            elif r.role == "index":
                col.index_col = True
        m = _HEADER_UNIT.search(h.replace(" ", ""))
        if m:
            word, mult, _ = _canonical_unit(m.group(1))
            col.multiplier, col.unit_word = mult, word
        if "group" in names:
            groups.append(h)
            continue
        if any(r.role == "breakdown" and r.value == "" for r in roles):
            keep.append(h)  # 总计: the total column still names what it counts (table 4)
            continue
        if names & {"breakdown", "unit", "label", "index"}:
            continue
        keep.append(h)
    col.match_text = "/".join(keep)
    col.groups = "/".join(groups)
    return col


class _Hierarchy:
    """Tracks parent rows by their numbering so that a row knows its context (其中…, 1., ⑴)."""

    def __init__(self) -> None:
        # (level, label, the labels of the stack up to this one joined by "/"): the context
        # of a row is the last entry's path, not a join of the whole stack for every row
        self.stack: list[tuple[int, str, str]] = []

    def _ctx(self) -> str:
        return self.stack[-1][2] if self.stack else ""

    def push(self, label: str, group: bool = False) -> str:
        key = label.strip()
        lvl = enum_level(key)
        if lvl is None:
            if key.startswith("其中") and self.stack:
                lvl = self.stack[-1][0] + 1
            elif group:
                lvl = 0
            else:
                return self._ctx()  # a plain leaf does not become a parent
        while self.stack and self.stack[-1][0] >= lvl:
            self.stack.pop()
        ctx = self._ctx()
        self.stack.append((lvl, key, f"{ctx}/{key}" if self.stack else key))
        return ctx


def _emit(cat: Catalog, rows: list[_Row], columns: list[_Column], context: str,
          hier: _Hierarchy, table_no: int, out: list[TableValue]) -> None:
    n_cols = len(columns)
    unit_cols = [j for j, col in enumerate(columns) if col.unit_col]
    # what each value column contributes to its cells, read once per table, not per cell:
    # (match_text, breakdown, period, unit_word, multiplier, groups, period or year,
    # breakdown or ""); None for unit and index columns, which hold no figures
    specs = [None if col.unit_col or col.index_col else
             (col.match_text, col.breakdown, col.period, col.unit_word, col.multiplier,
              col.groups, col.period or "year", col.breakdown or "") for col in columns]
    for row_no, row in enumerate(rows):
        # the non-blank labels, de-duplicated where filled spans repeat them
        uniq: list[Cell] = []
        prev = None
        for c in row.labels:
            t = c.text
            if t != prev and t.strip():
                uniq.append(c)
                prev = t
        ctx = ""
        last = len(uniq) - 1
        for i, c in enumerate(uniq):
            ctx = hier.push(c.text, group=i < last)
        leaf = uniq[-1] if uniq else None
        if not row.values:
            continue
        values = row.values
        if len(values) > n_cols:
            values = list(values)
            while len(values) > n_cols and values and not values[-1].text.strip():
                values.pop()
            if len(values) > n_cols:
                continue  # more figures than columns: the header is not this row's
        unit_word = row.unit
        for j in unit_cols:
            if j < len(values):
                t = values[j].text.strip()
                if t not in ("", "——", "-"):
                    unit_word = t
        seen: set[tuple[str, str | None, str | None, float]] = set()
        # per row, not per cell: the label, its path and the context without the column group
        # (one label path list for the values of the row: it is only read)
        label = leaf.text if leaf else ""
        path = [c.text for c in uniq]
        row_ctx = f"{context}/{ctx}" if context and ctx else (context or ctx)
        for spec, cell in zip(specs, values):
            if spec is None:
                continue
            kind, value, qual, own = _parse_with_unit(cell.text)
            if kind != "num" or value is None:
                continue
            match_text, breakdown, period, word, mult, groups, period_out, breakdown_out = spec
            # a unit written in the cell wins over row and column
            if own or unit_word:
                word, mult, _ = _canonical_unit(own or unit_word)
            key = (match_text, breakdown, period, value)
            if key in seen:  # a colspan filled into several slots
                continue
            seen.add(key)
            # positional, in field order (label, label_path, column, context, value,
            # qualifier, unit_word, period, breakdown, cell, label_cell, row_no, table_no):
            # a call by keywords costs about three times as much, once per table cell
            out.append(TableValue(
                label, path, match_text,
                f"{row_ctx}/{groups}" if row_ctx and groups else (row_ctx or groups),
                scaled(value, mult), qual, word, period_out, breakdown_out,
                cell, leaf, row_no, table_no))


# ---------------------------------------------------------------- real grids

def read_grid(cat: Catalog, grid: Grid, context: str, table_no: int) -> list[TableValue]:
    rows = grid.rows
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [Cell("", r[-1].end if r else 0, r[-1].end if r else 0)] * (width - len(r))
            for r in rows]
    kinds = [[_kind(c.text) for c in r] for r in rows]
    is_data = [any(k == "num" for k in kr) for kr in kinds]
    value_cols = sorted({j for i, kr in enumerate(kinds) if is_data[i]
                         for j, k in enumerate(kr) if k == "num"})
    if not value_cols:
        return []
    # a column with numbers only in a minority of rows left of the first value column is a label
    first_val = value_cols[0]
    out: list[TableValue] = []
    hier = _Hierarchy()
    header_block: list[list[Cell]] = []
    columns: list[_Column] | None = None
    pending: list[_Row] = []
    section = context
    prev_data = False

    def flush() -> None:
        nonlocal pending
        if pending and columns is not None:
            _emit(cat, pending, columns, section, hier, table_no, out)
        pending = []

    for i, r in enumerate(rows):
        texts = [c.text.strip() for c in r]
        if len(set(texts)) == 1 and texts[0] and not is_data[i]:
            flush()
            section = f"{context}/{texts[0]}"
            hier = _Hierarchy()
            prev_data = False
            continue
        label_cells = [c for j, c in enumerate(r) if j < first_val or j not in value_cols]
        if is_data[i]:
            if columns is None or (header_block and not prev_data):
                flush()
                columns = _columns_from_header(cat, header_block, r, value_cols)
                header_block = []
            label_cells = [c for j, c in enumerate(r) if j not in value_cols]
            units = [c.text.strip() for c in label_cells if _kind(c.text) == "unit"
                     and c.text.strip() not in ("——", "-")]
            pending.append(_Row(labels=[c for c in label_cells if _kind(c.text) == "text"],
                                values=[r[j] for j in value_cols],
                                unit=units[0] if units else None))
            prev_data = True
            continue
        # words above the value columns make a header row, unless they are just the row's own
        # label spilling over (a spanned group label)
        first_label = next((t for t in texts if t), "")
        header_like = any(kinds[i][j] == "text" and texts[j] and texts[j] != first_label
                          for j in value_cols) or (
            all(kinds[i][j] == "text" and texts[j] for j in value_cols) and
            len({texts[j] for j in value_cols}) > 1)
        if header_like:
            if prev_data:
                flush()
                header_block = []
            header_block.append(r)
            prev_data = False
        else:
            # a group row without figures: remember it as a parent
            pending.append(_Row(labels=[c for c in label_cells if _kind(c.text) == "text"]))
            prev_data = False
    flush()
    return out


def _columns_from_header(cat: Catalog, header: list[list[Cell]], first_row: list[Cell],
                         value_cols: list[int]) -> list[_Column]:
    cols: list[_Column] = []
    for j in value_cols:
        path: list[str] = []
        for hr in header:
            t = hr[j].text.strip() if j < len(hr) else ""
            if t and (not path or path[-1] != t) and "勾稽" not in t:
                path.append(t)
        cols.append(_spec(cat, path))
    return cols


# ---------------------------------------------------------------- text tables

_MD_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@lru_cache(maxsize=32768)
def _pipe_shape(line: str) -> tuple[tuple[str, int, int], ...]:
    """The cells of a pipe-separated line as (text, start, end) offsets into the line (a table
    line's cells are these shifted by where the line starts).

    Kept per line text: table lines (headers, labels, whole rows) repeat across reports and
    a line is re-read when a table's extent is looked for."""
    if _MD_RULE.match(line):  # a markdown table's |---|---| rule
        return ()
    start = 0
    lead = len(line) - len(line.lstrip())
    if line.lstrip().startswith("|"):  # markdown rows open with a pipe too
        start += lead + 1
        line = line.lstrip()[1:]
    parts = line.split("|")
    if parts and parts[-1].strip() == "":
        parts = parts[:-1]
    cells: list[tuple[str, int, int]] = []
    off = start
    for p in parts:
        s = p.strip()
        lead = len(p) - len(p.lstrip())
        cells.append((s, off + lead, off + lead + len(s)))
        off += len(p) + 1
    return tuple(cells)


def _spaced_cells(line: str, start: int) -> list[Cell] | None:
    """A pdftotext-style row: label words then numbers. None if the line is not one."""
    if len(line.split(None, 1)) < 2:
        return None  # one word (most prose lines): never a row, see `_spaced_shape`
    shape = _spaced_shape(line)
    if shape is None:
        return None
    return [Cell(t, start + a, start + b) for t, a, b in shape]


@lru_cache(maxsize=32768)
def _spaced_shape(line: str) -> tuple[tuple[str, int, int], ...] | None:
    """`_spaced_cells` as (text, start, end) offsets into the line, kept per line text (a
    line is tested again as a possible header of every row below it)."""
    if _PAGE_NO.match(line.strip()):
        return None
    toks = [(m.group(), m.start()) for m in _TOKEN.finditer(line)]
    vals: list[tuple[str, int]] = []
    while toks and _kind(toks[-1][0]) in ("num", "dash", "unit"):
        vals.insert(0, toks.pop())
    if not any(_kind(t) == "num" for t, _ in vals):
        return None
    if not toks and len(vals) < 2:
        return None
    if toks and len(vals) == 1 and len("".join(t for t, _ in toks)) > 60:
        return None
    cells: list[tuple[str, int, int]] = []
    # split the label where a new numbering starts (rowspan labels share the line)
    group: list[tuple[str, int]] = []
    for t, p in toks:
        if group and enum_level(t) is not None:
            cells.append(_join(group))
            group = []
        group.append((t, p))
    if group:
        cells.append(_join(group))
    cells.extend((t, p, p + len(t)) for t, p in vals)
    return tuple(cells)


def _join(group: list[tuple[str, int]]) -> tuple[str, int, int]:
    text = "".join(t for t, _ in group)
    return text, group[0][1], group[-1][1] + len(group[-1][0])


def _merged(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Starts and ends of the union of half-open spans, in order and disjoint."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if a >= b:
            continue  # empty: holds nothing
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [a for a, _ in merged], [b for _, b in merged]


def find_text_tables(text: str, skip: list[tuple[int, int]]) -> list[list[Cell]]:
    """Cell streams of the tables written into the text as lines (outside real-grid ranges)."""
    streams: list[list[Cell]] = []
    parts = text.split("\n")
    lines: list[tuple[str, int]] = list(zip(parts, accumulate([len(ln) + 1 for ln in parts],
                                                             initial=0)))
    # the skipped ranges, merged; lines are visited in increasing order, so one cursor
    # walks them
    skip_starts, skip_ends = _merged(skip)
    si, n_skip = 0, len(skip_ends)

    i = 0
    n = len(lines)
    while i < n:
        ln, p = lines[i]
        while si < n_skip and skip_ends[si] <= p:
            si += 1
        if (si < n_skip and skip_starts[si] <= p) or not ln.strip():
            i += 1
            continue
        if ln.rstrip().endswith("|"):
            cells: list[Cell] = []
            j = i
            while j < n:
                l2, p2 = lines[j]
                if l2.rstrip().endswith("|"):
                    # a loop, not a list per line: most of these lines hold a single cell
                    for t, a, b in _pipe_shape(l2):
                        cells.append(Cell(t, p2 + a, p2 + b))
                    j += 1
                    continue
                s2 = l2.strip()
                if _PAGE_NO.match(s2):
                    j += 1
                    continue
                if not s2:
                    # a blank line ends the table unless more table lines follow at once
                    if j + 1 < n and lines[j + 1][0].rstrip().endswith("|"):
                        j += 1
                        continue
                    break
                # up to two short plain lines (a block title such as 二、主动公开情况) stay in
                # the table only when more table lines follow them
                run = []
                k = j
                while k < n and len(run) <= 2:
                    s3 = lines[k][0].strip()
                    if lines[k][0].rstrip().endswith("|") or not s3:
                        break
                    run.append(k)
                    k += 1
                follows = k < n and lines[k][0].rstrip().endswith("|")
                if not follows or len(run) > 2 or any(
                        len(lines[x][0].strip()) > 40 or re.search(r"[。:;]$", lines[x][0].strip())
                        or re.match(r"^(#|表[一二三四五六七八九十\d])", lines[x][0].strip())
                        for x in run):
                    break
                for x in run:
                    lx, px = lines[x]
                    cells.append(Cell(lx.strip(), px + len(lx) - len(lx.lstrip()),
                                      px + len(lx.rstrip())))
                j = k
            streams.append(cells)
            i = j
            continue
        row = _spaced_cells(ln, p)
        if row is not None:
            # header lines just above
            k = i
            head: list[list[Cell]] = []
            blanks = 0
            while k > 0 and len(head) < 6:
                l0, p0 = lines[k - 1]
                s0 = l0.strip().strip("\f")
                if (not s0 or _PAGE_NO.match(s0)) and blanks < 3:
                    blanks += 1  # a page break between the header and the first row
                    k -= 1
                    continue
                if not s0 or len(s0) > 100 or _spaced_cells(l0, p0) is not None or \
                        re.search(r"[。;:]$", s0):
                    break
                head.insert(0, [Cell(m.group(), p0 + m.start(), p0 + m.end())
                                for m in re.finditer(r"\S+", l0)])
                k -= 1
            cells = [c for h in head for c in h]
            j = i
            gap = 0
            while j < n:
                l2, p2 = lines[j]
                r2 = _spaced_cells(l2, p2)
                if r2 is not None:
                    cells.extend(r2)
                    gap = 0
                elif l2.strip() and (_PAGE_NO.match(l2.strip()) or l2.strip() == "\f"):
                    pass
                elif l2.strip() and len(l2.strip()) <= 60 and gap < 3 and \
                        not re.search(r"[。;]$", l2.strip()):
                    cells.extend(Cell(m.group(), p2 + m.start(), p2 + m.end())
                                 for m in re.finditer(r"\S+", l2)) if _is_header_line(l2) \
                        else cells.append(Cell(l2.strip(), p2 + len(l2) - len(l2.lstrip()),
                                               p2 + len(l2.rstrip())))
                    gap += 1
                else:
                    break
                j += 1
            if sum(1 for c in cells if _kind(c.text) == "num") >= 2:
                streams.append(cells)
            i = max(j, i + 1)
            continue
        i += 1
    return streams


def _is_header_line(line: str) -> bool:
    from transforms.catalog import catalog
    words = line.split()
    return len(words) >= 2 and sum(1 for w in words if catalog().column_roles(w)) >= len(words) / 2


def _header_columns(cat: Catalog, header: list[Cell], n_values: int) -> list[_Column]:
    """Rebuild column paths from a flattened header whose spans were lost.

    Only the header's texts and the number of values decide the columns, and the same
    headers come back in every report of a template, so the columns are kept per header.
    """
    cache: dict[tuple, list[_Column]] = cat.__dict__.setdefault("_header_cols", {})
    key = (n_values, *[c.text for c in header])
    cols = cache.get(key)
    if cols is None:
        if len(cache) > 20000:
            cache.clear()
        cols = cache[key] = _make_header_columns(cat, header, n_values)
    return list(cols)


def _make_header_columns(cat: Catalog, header: list[Cell], n_values: int) -> list[_Column]:
    items: list[tuple[Cell, list]] = []
    # cells before the row-label header (信息内容, 指标) are titles of the block, not columns
    label_at = [i for i, c in enumerate(header)
                if "label" in cat.column_roles(c.text)]
    if label_at:
        header = header[label_at[-1]:]
    for c in header:
        t = c.text.strip()
        if not t or "勾稽" in t or len(label_key(t)) > 24:
            continue
        items.append((c, cat.column_role(t)))
    items = [(c, roles) for c, roles in items if "label" not in {r.role for r in roles}]
    groups = [(c, r) for c, r in items if "group" in {x.role for x in r}]
    leaves = [(c, r) for c, r in items if "group" not in {x.role for x in r}]
    if leaves and all("breakdown" in {x.role for x in r} for _, r in leaves):
        order = [t.term for t in cat.columns if t.role == "breakdown"]
        leaves.sort(key=lambda cr: order.index(label_key(cr[0].text))
                    if label_key(cr[0].text) in order else 99)
        paths = [[c.text] for c, _ in leaves]
        sub = [c for c, r in groups if label_key(c.text) == "法人或其他组织"]
        if sub and n_values == len(paths) + 1:
            total_at = next((i for i, p in enumerate(paths) if label_key(p[0]) in ("总计", "合计")),
                            len(paths))
            paths.insert(total_at, [sub[0].text])
        return [_spec(cat, p) for p in paths]
    if groups:
        names = [label_key(c.text) for c, _ in groups]
        parent = {t.term: t.parent for t in cat.columns if t.role == "group" and t.parent}
        terminal = [c for c, _ in groups
                    if not any(parent.get(n) == label_key(c.text) for n in names)]
        if terminal and leaves and len(leaves) % len(terminal) == 0:
            per = len(leaves) // len(terminal)
            cols: list[_Column] = []
            for gi, g in enumerate(terminal):
                chain = [g.text]
                p = parent.get(label_key(g.text))
                while p:
                    chain.insert(0, p)
                    p = parent.get(p)
                for c, _ in leaves[gi * per:(gi + 1) * per]:
                    cols.append(_spec(cat, chain + [c.text]))
            return cols
    return [_spec(cat, [c.text]) for c, _ in leaves]


def read_stream(cat: Catalog, cells: list[Cell], context: str, table_no: int) -> list[TableValue]:
    """Assemble rows from a flattened cell stream and read them."""
    kinds = [_kind(c.text) for c in cells]
    out: list[TableValue] = []
    if "text" not in kinds:
        return out  # bare figures: only the template reader can tell whose they are
    first_val = next((i for i, k in enumerate(kinds) if k in ("num", "dash", "unit", "blank")
                      and i > 0), None)
    if first_val is None:
        return out
    shape = _shape(cat, cells, kinds)
    # the first data row's labels: cells just before the first value that play no column role
    k = _header_end(cat, cells, kinds, 0, first_val, shape)
    header = cells[:k]
    if not header:
        return out  # no header to read columns from: the template reader's business
    hier = _Hierarchy()
    rows: list[_Row] = []
    columns: list[_Column] | None = None
    i = k
    cur: _Row | None = None

    def close() -> None:
        nonlocal rows, columns
        if rows and columns is not None:
            _emit(cat, rows, columns, context, hier, table_no, out)
        rows = []

    def start_columns(head: list[Cell], at: int) -> None:
        nonlocal columns
        n_vals = _count_values(kinds, at, cells, cat, shape)
        columns = _header_columns(cat, head, n_vals)

    start_columns(header, k)
    while i < len(cells):
        c, kd = cells[i], kinds[i]
        if kd == "text":
            if shape[i] == "L":
                # a repeated or new header: collect its cells up to the next data label
                j = i + 1
                while j < len(cells) and kinds[j] == "text":
                    j += 1
                m = _header_end(cat, cells, kinds, i, j, shape)
                close()
                start_columns(cells[i:m], m)
                i = m
                cur = None
                continue
            if cur is None or cur.values:
                cur = _Row(labels=[c])
                rows.append(cur)
            else:
                cur.labels.append(c)
        else:
            if cur is None:
                cur = _Row(labels=[])
                rows.append(cur)
            cur.values.append(c)
        i += 1
    close()
    return out


def _header_end(cat: Catalog, cells: list[Cell], kinds: list[str], start: int,
                first_val: int, shape: str | None = None) -> int:
    """Where a flattened header ends and the first row's labels begin.

    After a row-label header cell (信息内容, 指标) a simple header has exactly one cell per value
    column; otherwise walk back from the first value over cells that cannot be headers."""
    label_at = [i for i in range(start, first_val)
                if "label" in cat.column_roles(cells[i].text)]
    if label_at:
        li = label_at[-1]
        n_vals = _count_values(kinds, first_val, cells, cat, shape)
        head = cells[li + 1:li + 1 + n_vals]
        if n_vals and li + 1 + n_vals <= first_val and not any(
                "group" in cat.column_roles(c.text) for c in head):
            return li + 1 + n_vals
    k = first_val
    while k > start and kinds[k - 1] == "text" and not _is_header_cell(cat, cells[k - 1].text):
        k -= 1
    return k


def _shape(cat: Catalog, cells: list[Cell], kinds: list[str]) -> str:
    """One letter per cell: L a row-label header (信息内容, 指标), t other text, v anything else
    (a figure, dash, unit or blank). Lets the blocks of a stream be measured with string
    operations instead of a loop over their cells for every header."""
    return "".join(("L" if "label" in cat.column_roles(c.text) else "t") if kd == "text" else "v"
                   for c, kd in zip(cells, kinds))


def _count_values(kinds: list[str], at: int, cells: list[Cell], cat: Catalog,
                  shape: str | None = None) -> int:
    """Typical number of value cells per row of the block starting at `at` (the mode of the
    run lengths, up to the next header)."""
    if shape is None:
        shape = _shape(cat, cells, kinds)
    end = shape.find("L", at)
    block = shape[at:] if end < 0 else shape[at:end]
    runs: dict[int, int] = {}
    for run in block.split("t"):  # the runs of value cells between text cells
        if run:
            runs[len(run)] = runs.get(len(run), 0) + 1
    return max(runs, key=lambda x: (runs[x], x)) if runs else 0
