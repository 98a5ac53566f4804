"""Find a table's printed rows in a text, in order, whatever the layout.

Real copies of the national template print the same row labels in every layout: one row per
line, one cell per line, pipe rows, markdown, crawler text with every blank removed. What they
share is the order of the labels. So a table is located by its labels alone: every place a
row's key occurs is a candidate, and the longest run of rows found in printed order, each close
to the one before, is the table. Blanks, quotes and pipes never matter to a label (`部分 公开`,
`危及“三安全一稳定”`), so keys are searched in a copy of the text without blanks and quotes, and
positions are mapped back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from extractors.textutil import code_points, from_code_points
from transforms.template_spec import RowSpec

# characters a label never depends on, removed from the searched copy: a lookup table over the
# basic plane (characters beyond it are kept)
_KEEP = np.ones(0x10000, dtype=bool)
_KEEP[[ord(c) for c in " \t\r\n\f\v\u3000“”\"'‘’「」"]] = False
# what a found label is worth to a chain: a row with figures more than a heading over rows
# (pdftotext prints a rowspan heading beside the second of its rows, out of order)
_WEIGHT = {"row": 1.0, "group": 0.4, "anchor": 0.6}
# the widest gap, in searched characters, between two consecutive rows of one table: a markdown
# copy repeats a block header (| 类别 | 数据1 | … |) between rows; prose between rows is not a table
MAX_GAP = 1200
_LONGEST_KEY = 40  # no key of template_rows.csv is longer, with its row number


class Squeezed:
    """The text without blanks and quotes, and where each of its characters came from."""

    def __init__(self, text: str) -> None:
        cps = code_points(text)
        keep = _KEEP[np.minimum(cps, 0xFFFF)] | (cps > 0xFFFF)
        self.where = np.flatnonzero(keep)
        self.text = from_code_points(cps[keep])
        self.source = text
        # a row's occurrences, kept while the text is read (a row may be looked for again)
        self.found: dict[RowSpec, list["Found"]] = {}

    def start_of(self, i: int) -> int:
        """The offset in the original text of searched character i."""
        if i >= len(self.where):
            return len(self.source)
        return int(self.where[i])

    def end_of(self, i: int) -> int:
        """The offset in the original text just after searched character i - 1."""
        if i <= 0:
            return 0
        return int(self.where[i - 1]) + 1

    def find_all(self, key: str) -> list[int]:
        out = []
        at = self.text.find(key)
        while at >= 0:
            out.append(at)
            at = self.text.find(key, at + 1)
        return out


@lru_cache(maxsize=128)
def _enum_before(enum: str, gap: int) -> re.Pattern[str]:
    """A row number printed before a label: 3. 3、 (3) 3) ⑶ for 3; 七、 (七) for 七; then up to
    `gap` Chinese characters of the label before its key."""
    e = re.escape(enum)
    if enum.isdigit():
        circled = chr(0x2473 + int(enum)) if 1 <= int(enum) <= 20 else ""  # ⑴..⒇
        alt = f"\\({e}\\)|{e}[.、．)]" + (f"|{circled}" if circled else "")
    else:
        alt = f"\\({e}\\)[、.]?|{e}[、.．]"
    return re.compile(f"(?:{alt})[\u4e00-\u9fff]{{0,{gap}}}$")


@dataclass
class Found:
    """A row's label found in the text: `start` includes its printed number, offsets are in the
    original text; `s_start`, `s_end` in the searched copy."""

    row: RowSpec
    start: int
    end: int
    s_start: int
    s_end: int
    numbered: bool


def _occurrences(sq: Squeezed, row: RowSpec) -> list[Found]:
    """Every place the row's label is printed (a required number present)."""
    if row in sq.found:
        return sq.found[row]
    out: list[Found] = []
    sq.found[row] = out
    taken: list[tuple[int, int]] = []  # a shorter key inside a longer one's match is the same label
    for key in row.keys:
        for at in sq.find_all(key):
            if any(a <= at < b for a, b in taken):
                continue
            taken.append((at, at + len(key)))
            start = at
            numbered = False
            if row.enum:
                # the number stands before the label; a distinctive key may start a few
                # characters into it (2.申请人逾期 未按收费通知)
                pattern = _enum_before(row.enum, 0 if row.enum_required else 8)
                m = pattern.search(sq.text, max(0, at - 16), at)
                if m:
                    start, numbered = m.start(), True
            if row.enum_required and not numbered:
                continue
            end = at + len(key)
            out.append(Found(row, sq.start_of(start), sq.end_of(end), start, end, numbered))
    return out


def locate(sq: Squeezed, rows: list[RowSpec], lo: int = 0, hi: int | None = None
           ) -> list[Found]:
    """The longest run of `rows` found in printed order, each within MAX_GAP of the one before.

    Every occurrence is a candidate, so a label repeated in prose, in a heading above a markdown
    block or in a stray header does not derail the table: the chain keeps the reading that
    explains the most rows. Then each row is moved to its last occurrence before the next row,
    which is where its figures follow (a markdown heading repeats the label above the row).
    """
    hi = len(sq.text) if hi is None else hi
    occ = sorted((f for r in rows for f in _occurrences(sq, r) if lo <= f.s_start < hi),
                 key=lambda f: (f.s_start, f.row.order))
    if not occ:
        return []
    best: list[float] = []
    prev: list[int] = []
    for i, f in enumerate(occ):
        gain = _WEIGHT[f.row.kind] + (0.01 if f.numbered else 0.0)
        score, back = gain, -1
        for j in range(i - 1, -1, -1):
            g = occ[j]
            if f.s_start - g.s_end > MAX_GAP:
                if g.s_start < f.s_start - MAX_GAP - _LONGEST_KEY:
                    break  # sorted by start: no earlier occurrence can end close enough
                continue
            if g.row.order < f.row.order and g.s_end <= f.s_start:
                cand = best[j] + gain
                if cand > score:
                    score, back = cand, j
        best.append(score)
        prev.append(back)
    i = max(range(len(occ)), key=lambda k: (best[k], occ[k].s_start))
    chain: list[Found] = []
    while i >= 0:
        chain.append(occ[i])
        i = prev[i]
    chain.reverse()
    return _latest(chain, occ)


def _latest(chain: list[Found], occ: list[Found]) -> list[Found]:
    """Each row at its last occurrence between its neighbours in the chain."""
    of_row: dict[int, list[Found]] = {}
    for g in occ:
        of_row.setdefault(g.row.order, []).append(g)
    out: list[Found] = []
    for k, f in enumerate(chain):
        after = out[-1].s_end if out else -1
        before = chain[k + 1].s_start if k + 1 < len(chain) else f.s_start + 1
        same = [g for g in of_row[f.row.order] if g.s_start >= max(after, f.s_start)
                and g.s_end <= before]
        out.append(max(same, key=lambda g: g.s_start) if same else f)
    return out
