"""Legacy statistical tables (2008-2018) in text: 指标名称 · 计量单位 · 本年 · 累计.

Local statistical tables print a label, its unit, then one figure per period column (本年/2012年度
and 累计/历年累计). Copies made by crawlers keep the order but not the separators:
`当面申请数条18182.传真申请数` is label 当面申请数, unit 条, 本年 18, 累计 18, then item 2. So a row
is a label that ends in a unit word followed by digits; the next item's number is cut off the
end of the digits; and where the digits hold both columns run together, every cut is a reading.
The readings are settled as in the national tables, by what must hold: a year figure never
exceeds the cumulative one, a 其中 row never exceeds its parent, channels add up to the total
(checks.csv, only where every part is printed), and, last, a figure the prose states for the
same indicator. A lone figure in a row is the 本年 figure: it is the 累计 cell that reports leave
empty.

Tables the header-driven reader (`tables.py`) already reads (grids, pipe rows, pdftotext lines)
are left to it; this reader takes the text it could not split into cells.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from transforms.catalog import Catalog, label_key
from transforms.cell_tokens import Piece, Token, readings
from transforms.identities import Identity, RowChoice, choose, identities_for
from transforms.label_scan import Found
from transforms.numbers import canonical_unit
from transforms.table_read import TableRead, emit_row
from transforms.template_spec import RowSpec

_HEADER = re.compile(r"(?:统计)?指标(?:名称)?\s*\|?\s*(?:计量\s*)?单位")
_PERIODS = (("历年累计", "cumulative"), ("累计", "cumulative"), ("自…以来", "cumulative"),
            ("本年", "year"), ("本期", "year"), ("当年", "year"), ("年度", "year"),
            ("年末统计", "year"), ("统计数", "year"))
_ITEM = re.compile(r"\d+(?:\.\d+)?|[^\d\s|]+")
_UNIT_AT_END = re.compile(r"(人次|万元|条|件|个|人|次|元|项|份|场|期|家|篇|批|次数)$")
_ENUM_PUNCT = ".、．"
MAX_LABEL = 40  # a longer text is prose: the table has ended
REACH = 4000


@dataclass
class LegacyRow:
    label: str
    unit: str
    values: list[Token]
    start: int
    end: int
    parent: int | None = None  # index of the row this one is 其中 of
    code: str | None = None


@dataclass
class LegacyTable:
    periods: list[str]
    rows: list[LegacyRow] = field(default_factory=list)
    start: int = 0
    end: int = 0
    spaced: bool = False


def _periods(header: str) -> tuple[list[str], int]:
    """The period columns a header names, in order, and where the last one ends."""
    hits = []
    taken: list[tuple[int, int]] = []
    for word, period in _PERIODS:
        for m in re.finditer(re.escape(word).replace("…", ".{0,8}"), header):
            if not any(a <= m.start() < b for a, b in taken):
                taken.append((m.start(), m.end()))
                hits.append((m.start(), m.end(), period))
    hits.sort()
    out: list[str] = []
    for _, _, period in hits:
        if not out or out[-1] != period:
            out.append(period)
    return out, max((e for _, e, _ in hits), default=0)


def find_legacy_tables(text: str, covered: list[tuple[int, int]]) -> list[LegacyTable]:
    """Statistical tables in text that no other reader took, with their rows cut out."""
    out: list[LegacyTable] = []
    if "指标" not in text:  # every header this reader knows names its 指标 column
        return out
    pos = 0
    for m in _HEADER.finditer(text):
        if m.start() < pos or any(a <= m.start() < b for a, b in covered):
            continue
        periods, head_end = _periods(text[m.end():m.end() + 60])
        if not periods:
            continue
        table = _rows(text, m.end() + head_end, min(len(text), m.end() + REACH), periods)
        if len(table.rows) >= 2:
            table.start = m.start()
            out.append(table)
            pos = table.end
    return out


def _rows(text: str, start: int, end: int, periods: list[str]) -> LegacyTable:
    table = LegacyTable(periods, start=start, end=start)
    items = [(m.group(), m.start(), m.end())
             for m in _ITEM.finditer(text, start, end)]
    label: list[tuple[str, int, int]] = []
    enum_next: int | None = None  # the number of the item being read
    parent: int | None = None
    i = 0
    while i < len(items):
        s, a, b = items[i]
        if not s[0].isdigit():
            if len(s) > MAX_LABEL and not _UNIT_AT_END.search(s):
                break
            label.append((s, a, b))
            i += 1
            continue
        after = items[i + 1][0] if i + 1 < len(items) else ""
        words = "".join(x for x, _, _ in label)
        unit = _UNIT_AT_END.search(words)
        if not unit:
            if after and after[0] in _ENUM_PUNCT and len(s) <= 2:
                enum_next = int(s)  # 其中：1.网站公开
            label = []
            i += 1
            continue
        values: list[tuple[str, int, int]] = []
        while i < len(items) and items[i][0][0].isdigit():
            values.append(items[i])
            i += 1
        nxt = items[i][0] if i < len(items) else ""
        number = enum_next
        if nxt and nxt[0] in _ENUM_PUNCT and values:
            want = str((enum_next or 0) + 1)
            last, la, lb = values[-1]
            cut = len(want) if last.endswith(want) and len(last) > len(want) else \
                (0 if last == want else 1)
            if last == want or len(last) <= cut:
                values.pop()
            else:
                values[-1] = (last[:-cut], la, lb - cut)
            enum_next = int(want) if last.endswith(want) else None
        else:
            enum_next = None
        name = words[:unit.start()]
        child = name.startswith("其中") or number is not None
        name = re.sub(r"^(其中[:：]?)?[" + _ENUM_PUNCT + r"]?", "", name)
        row = LegacyRow(name, unit.group(), [_token(v, len(values) < len(periods))
                                             for v in values], label[0][1], values[-1][2]
                        if values else label[-1][2])
        if child and parent is not None:
            row.parent = parent
        elif not child:
            parent = len(table.rows)
        table.rows.append(row)
        table.end = row.end
        table.spaced = table.spaced or len(values) > 1
        label = []
    return table


def _token(item: tuple[str, int, int], may_split: bool) -> Token:
    s, a, b = item
    return Token("num", s, a, b, float(s), "exact", None, may_split and s.isdigit() and len(s) > 1)


def _identities(table: LegacyTable, keys: list[list[tuple[str, str]]]) -> list[Identity]:
    out: list[Identity] = []
    for k in keys:
        if len(k) == 2 and k[0][1] == "year" and k[1][1] == "cumulative":
            out.append(Identity("year_le_cumulative", (k[0],), (k[1],), "le"))
    for i, row in enumerate(table.rows):
        if row.parent is not None:
            for child, parent in zip(keys[i], keys[row.parent]):
                out.append(Identity("part_le_whole", (child,), (parent,), "le"))
    # sums of checks.csv, where the parent and every part are rows of this table
    by_code = {r.code: i for i, r in enumerate(table.rows) if r.code}
    for period in table.periods:
        cells = {(code, period) for code in by_code}
        for ident in identities_for(cells, "legacy", strict=True):
            out.append(Identity(ident.rule, tuple((f"r{by_code[c]}", p) for c, p in ident.total),
                                tuple((f"r{by_code[c]}", p) for c, p in ident.parts)))
    return out


def read_legacy_table(table: LegacyTable, cat: Catalog, text: str,
                      prose: dict[str, set[float]]) -> TableRead:
    """Settle each row's cells: as printed, else by what must hold, else by the prose."""
    parents = [table.rows[r.parent].label if r.parent is not None else "" for r in table.rows]
    for row, ctx in zip(table.rows, parents):
        m = cat.match(row.label, "", ctx, row.unit)
        row.code = m.code if m else None
    n = len(table.periods)
    keys = [[(f"r{i}", p) for p in table.periods] for i in range(len(table.rows))]
    opts: list[list[tuple[Piece | None, ...]]] = []
    for row in table.rows:
        if table.spaced and 0 < len(row.values) < n:
            # a lone figure is the 本年 figure: the 累计 cell is the one left empty
            pieces = [Piece(t.value, t.start, t.end) for t in row.values]
            opts.append([tuple(pieces + [None] * (n - len(pieces)))])
            continue
        opts.append(readings(row.values, n, not table.spaced) or [])
    ids = _identities(table, keys)
    choices = _settle(keys, opts, ids)
    unsure = [i for i, c in enumerate(choices) if c.doubt and table.rows[i].code in prose]
    if unsure:
        # last, the prose: of the readings left, those whose year figure the text also states
        narrowed = list(opts)
        for i in unsure:
            said = prose[table.rows[i].code or ""]
            agree = [r for r in opts[i] if r and r[0] is not None and r[0].value in said]
            if agree:
                narrowed[i] = agree
        second = _settle(keys, narrowed, ids)
        for i, choice in enumerate(second):  # a row the prose settles may settle its 其中 rows
            if choices[i].doubt and not choice.doubt and choice.chosen is not None:
                choice.why += ("; the prose states the same year figure" if i in unsure
                               else "; settled once its parent row was")
                choices[i] = choice
                opts[i] = narrowed[i]
    read = TableRead("legacy", "legacy", "spaced" if table.spaced else "collapsed",
                     len(table.rows), len(table.rows), n * len(table.rows),
                     start=table.start, end=table.end)
    spec = RowSpec("legacy", frozenset(), "", "", "", False, ("-",), "row", 0)
    for i, (row, choice) in enumerate(zip(table.rows, choices)):
        choice.keys = tuple((row.code or "", "") for _ in table.periods)
        f = Found(spec, row.start, row.start + len(row.label), 0, 0, False)
        unit = canonical_unit(row.unit)[0] if row.unit else None
        cells = emit_row(choice, opts[i], f, text, {c: row.unit for c in range(n)},
                         list(table.periods))
        for c in cells:
            c.label = label_key(row.label) or row.label
            if c.unit_word:
                c.unit_word = unit
        read.cells.extend(cells)
    read.close_range()
    for ident in ids:  # counted on the settled readings
        status = ident.evaluate(lambda k: _value(choices, keys, opts, k))
        if status == "hold":
            read.identities_held += 1
        elif status == "fail":
            read.identities_failed += 1
    return read


def _value(choices: list[RowChoice], keys: list[list[tuple[str, str]]],
           opts: list[list[tuple[Piece | None, ...]]], key: tuple[str, str]) -> float | None:
    i = int(key[0][1:])
    c = keys[i].index(key)
    ch = choices[i]
    if ch.chosen is None or c in ch.doubt:
        return None
    p = opts[i][ch.chosen][c]
    return p.value if p is not None else None


def _settle(keys: list[list[tuple[str, str]]], opts: list[list[tuple[Piece | None, ...]]],
            ids: list[Identity]) -> list[RowChoice]:
    choices = [RowChoice(tuple(k), [tuple(p.value if p else None for p in r) for r in o])
               for k, o in zip(keys, opts)]
    choose(choices, ids, {})
    return choices
