"""Read figures from sentences: "全市共受理政府信息公开申请2263件，其中当面申请2239件，占98.94%".

A figure's label is the clause before it (back to the previous figure or , ; :), or, when that is
empty ("其中580件依法按时…答复"), the words after it. Its context is the section heading and the
sentence head, so that 维持具体行政行为19件 is read as reconsideration or litigation by the nearest
of 行政复议 / 行政诉讼. Figures about other years ("2011年为…", "比上年…") are kept as
observations but not mapped.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from transforms.catalog import Catalog, label_key
from transforms.numbers import find_numbers

_SENT_END = re.compile(r"[。!?\n]")
_CLAUSE = re.compile(r"[,:;]")
_HEADING1 = re.compile(r"^[一二三四五六七八九十]+[、.]\s*\S.{0,40}$")
_HEADING2 = re.compile(r"^\([一二三四五六七八九十]+\)\s*\S.{0,40}$")
_PCT = re.compile(r"^[,]?\s*(?:占[^,;。%]{0,20}?|比例[为是]?|为)?(\d+(?:\.\d+)?)\s?%")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})年")
_OTHER_TIME = re.compile(r"比上年|较上年|同比|去年|上一年度|前一年")
_STOP_LABELS = {"", "其中", "另外", "此外", "另有", "还有", "共", "合计", "共计", "累计", "全年", "分别"}
_CUMULATIVE = re.compile(r"累计|历年|自\S{0,12}以来|条例实施以来")
_YEAR_CUE = re.compile(r"本年度|本年|今年|全年|新增|年内|当年|年度内")


def _period(upto: str) -> str:
    """The nearest period cue before a figure decides: 累计… then 本年度新增… is a year figure."""
    cum = [m.end() for m in _CUMULATIVE.finditer(upto)]
    yr = [m.end() for m in _YEAR_CUE.finditer(upto)]
    if cum and (not yr or max(cum) > max(yr)):
        return "cumulative"
    return "year"


@dataclass
class ProseValue:
    label: str
    context: str
    value: float
    qualifier: str
    unit_word: str | None
    period: str
    start: int  # evidence span
    end: int
    num_start: int
    num_end: int
    part_of: bool  # introduced by 其中: a part of a figure stated before
    percent: float | None
    other_time: bool
    zero_statement: bool = False


def headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, text) of section headings."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for ln in text.split("\n"):
        s = ln.strip()
        if _HEADING1.match(s) and not re.search(r"\d+[件条次人]", s):
            out.append((pos, 1, s))
        elif _HEADING2.match(s) and len(s) <= 30 and not re.search(r"\d+[件条次人]", s):
            out.append((pos, 2, s))
        pos += len(ln) + 1
    return out


def heading_context(heads: list[tuple[int, int, str]], pos: int) -> str:
    h1 = h2 = ""
    for p, lvl, s in heads:
        if p > pos:
            break
        if lvl == 1:
            h1, h2 = s, ""
        else:
            h2 = s
    return "/".join(x for x in (h1, h2) if x)


def _paren_mask(s: str) -> list[bool]:
    depth = 0
    mask = []
    for ch in s:
        if ch in "(（":
            depth += 1
        mask.append(depth > 0)
        if ch in ")）" and depth:
            depth -= 1
    return mask


_TERMINAL = tuple("。;!?:")
_STARTS_BLOCK = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d{1,2}[.、](?!\d)|"
                           r"第[一二三四五六七八九十]+|[⑴-⒇①-⑳])")


def _hard_break(prev: str, nxt: str) -> bool:
    """Is a line break the end of a sentence, or a wrap inside one (a label or figure split over
    lines, as copies of PDFs and re-wrapped pages have)?"""
    p, n = prev.strip(), nxt.strip()
    if not p or not n or p.endswith(_TERMINAL) or "|" in p or "|" in n:
        return True
    if _STARTS_BLOCK.match(n) or _HEADING1.match(p) or _HEADING2.match(p):
        return True
    return False


def _sentences(text: str, skip: list[tuple[int, int]]):
    start = 0
    lines = text.split("\n")
    breaks: set[int] = set()
    pos = 0
    for i, ln in enumerate(lines):
        pos += len(ln)
        if i + 1 < len(lines) and _hard_break(ln, lines[i + 1]):
            breaks.add(pos)
        pos += 1
    for m in _SENT_END.finditer(text + "\n"):
        if m.group() == "\n" and m.start() < len(text) and m.start() not in breaks:
            continue
        end = m.start()
        if end > start and not any(a <= start < b for a, b in skip):
            yield start, text[start:end]
        start = m.end()


def read_prose(text: str, skip: list[tuple[int, int]], report_year: int | None) -> list[ProseValue]:
    heads = headings(text)
    out: list[ProseValue] = []
    for s0, sent in _sentences(text, skip):
        if "|" in sent:
            continue
        nums = find_numbers(sent)
        if not nums:
            continue
        mask = _paren_mask(sent)
        bounds = [m.start() for m in _CLAUSE.finditer(sent) if not mask[m.start()]]
        ctx_head = heading_context(heads, s0)
        prev_end = 0
        for n in nums:
            i = bisect_left(bounds, n.start)
            cl_start = max(bounds[i - 1] + 1 if i else 0, prev_end)
            j = bisect_left(bounds, n.end)
            cl_end = bounds[j] if j < len(bounds) else len(sent)
            before = sent[cl_start:n.start]
            label = before.strip(" 、")
            key = label_key(label)
            part_of = label.lstrip().startswith("其中") or \
                sent[max(0, cl_start - 3):cl_start].find("其中") >= 0
            ev_start = cl_start
            ev_end = n.end
            if key in _STOP_LABELS or len(key) < 2:
                after = sent[n.end:cl_end]
                nxt = next((m.start for m in nums if m.start >= n.end), None)
                if nxt is not None and nxt < cl_end:
                    after = sent[n.end:nxt]
                after = after.strip(" 、")
                if label_key(after):
                    label = after
                    ev_end = n.end + len(sent[n.end:cl_end].rstrip())
            pct = None
            pm = _PCT.match(sent[n.end:n.end + 40])
            if pm and "分别" not in sent[n.end:n.end + 40]:
                pct = float(pm.group(1))
            upto = sent[:n.start]
            years = [int(y) for y in _YEAR.findall(sent[cl_start:n.start])]
            other = bool(_OTHER_TIME.search(sent[cl_start:cl_end])) or (
                report_year is not None and any(y < report_year - 0 and y >= 2000 for y in years)
                and "截" not in sent[cl_start:n.start])
            period = _period(upto)
            out.append(ProseValue(
                label=label, context=f"{ctx_head}/{sent[:cl_start]}", value=n.value,
                qualifier=n.qualifier, unit_word=n.unit, period=period,
                start=s0 + ev_start, end=s0 + ev_end, num_start=s0 + n.num_start,
                num_end=s0 + n.end, part_of=part_of, percent=pct, other_time=other))
            prev_end = n.end
    return out


def zero_statements(cat: Catalog, text: str, skip: list[tuple[int, int]]) -> list[tuple[str, ProseValue]]:
    """Sentences that state a zero in words (未收取任何费用, 未发生行政复议)."""
    heads = headings(text)
    out: list[tuple[str, ProseValue]] = []
    for s0, sent in _sentences(text, skip):
        if "|" in sent:
            continue
        for code, rx in cat.zero_statements:
            m = rx.search(sent)
            if not m:
                continue
            # a figure in the same sentence means it is not a zero statement for that code
            out.append((code, ProseValue(
                label=m.group(0), context=heading_context(heads, s0), value=0.0,
                qualifier="exact", unit_word=None, period="year", start=s0 + m.start(),
                end=s0 + m.end(), num_start=s0 + m.start(), num_end=s0 + m.end(),
                part_of=False, percent=None, other_time=False, zero_statement=True)))
    return out
