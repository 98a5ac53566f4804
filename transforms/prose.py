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
from functools import lru_cache
from re import _constants as _sre, _parser as _sre_parser  # see _first_chars

from transforms.catalog import Catalog, label_key
from transforms.numbers import find_numbers

_SENT_END = re.compile(r"[。!?\n]")
_SENTENCE = re.compile(r"[^。!?\n]+")  # what lies between two _SENT_END
_ENDS = "。!?\n"  # the characters of _SENT_END
_CLAUSE = re.compile(r"[,:;]")
_HEADING1 = re.compile(r"^[一二三四五六七八九十]+[、.]\s*\S.{0,40}$")
_HEADING2 = re.compile(r"^\([一二三四五六七八九十]+\)\s*\S.{0,40}$")
_PCT = re.compile(r"^[,]?\s*(?:占[^,;。%]{0,20}?|比例[为是]?|为)?(\d+(?:\.\d+)?)\s?%")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})年")
_OTHER_TIME = re.compile(r"比上年|较上年|同比|去年|上一年度|前一年")
_STOP_LABELS = {"", "其中", "另外", "此外", "另有", "还有", "共", "合计", "共计", "累计", "全年", "分别",
                "发生", "共有", "有", "出现"}  # 共发生4起…案件: what was counted follows the figure
_CUMULATIVE = re.compile(r"累计|历年|自\S{0,12}以来|条例实施以来")
_YEAR_CUE = re.compile(r"本年度|本年|今年|全年|新增|年内|当年|年度内")
# 六个部分组成, 三个方面: how the report itself is organised, not a count of anything reported
_STRUCTURE = ("部分", "方面", "阶段", "环节", "章节")


# What a figure keeps of its sentence before it (as context, and to find its period): the head,
# where a sentence names its subject (行政复议方面，…), and the stretch just before the figure.
# Why bounded: a "sentence" of 200,000 characters without a 。 holds tens of thousands of figures,
# and a whole-sentence prefix per figure made memory and time grow with its square (7.9 GB for
# a 480 KB text). The longest real sentences are about 1,000 characters.
_HEAD_CHARS, _NEAR_CHARS = 200, 800


def _before(sent: str, end: int) -> str:
    """`sent[:end]`, or its head and the stretch before `end` when that is longer (see above)."""
    if end <= _HEAD_CHARS + _NEAR_CHARS:
        return sent[:end]
    return f"{sent[:_HEAD_CHARS]}…{sent[end - _NEAR_CHARS:end]}"


def _period(upto: str) -> str:
    """The nearest period cue before a figure decides: 累计… then 本年度新增… is a year figure.
    A bare 累计 after a year cue in its own clause (全年…累计发布21条) sums the year only, and
    counts as a year cue for the clauses after it."""
    yr = [m.end() for m in _YEAR_CUE.finditer(upto)]
    last_cum = -1
    for m in _CUMULATIVE.finditer(upto):
        if m.group() == "累计":
            # where the clause of this 累计 starts: after the last , : or ; before it (found
            # backwards; a forward search from the sentence start was quadratic in it)
            clause_at = max(upto.rfind(c, 0, m.start()) for c in ",:;") + 1
            if any(clause_at < y <= m.start() for y in yr):
                yr.append(m.end())
                continue
        last_cum = m.end()
    return "cumulative" if last_cum >= 0 and (not yr or last_cum > max(yr)) else "year"


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


# a line whose first non-blank character can begin a heading (一、… or (一)…). The lines after
# the first are found by their \n, which re looks for at C speed (a ^ of re.M is tried at every
# character); the first line is matched on its own.
_HEADING_START = re.compile(r"^[^\S\n]*[一二三四五六七八九十(]")
_HEADING_LINE = re.compile(r"\n[^\S\n]*[一二三四五六七八九十(]")
_COUNTED = re.compile(r"\d[件条次人]")
_last_headings: tuple[str, tuple[tuple[int, int, str], ...]] = ("", ())


def headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, text) of section headings.

    Only lines that can start a heading are looked at, found by one scan of the text; and the
    answer for the last text is kept, since extract, read_prose and zero_statements each ask."""
    global _last_headings
    last_text, last = _last_headings
    if text == last_text and last_text:
        return list(last)
    out: list[tuple[int, int, str]] = []
    starts = [m.start() + 1 for m in _HEADING_LINE.finditer(text)]
    if _HEADING_START.match(text):
        starts.insert(0, 0)
    for pos in starts:
        end = text.find("\n", pos)
        s = text[pos:end if end >= 0 else len(text)].strip()
        if _HEADING1.match(s) and not _COUNTED.search(s):
            out.append((pos, 1, s))
        elif _HEADING2.match(s) and len(s) <= 30 and not _COUNTED.search(s):
            out.append((pos, 2, s))
    _last_headings = (text, tuple(out))
    return out


def heading_context(heads: list[tuple[int, int, str]], pos: int) -> str:
    """The headings ("一、…/(二)…") in force at `pos`."""
    offsets, contexts = _heading_contexts(heads)
    h = bisect_right(offsets, pos)
    return contexts[h - 1] if h else ""


def _heading_contexts(heads: list[tuple[int, int, str]]) -> tuple[list[int], list[str]]:
    """The offsets of the headings and the context each one starts: the context of a position
    is that of the last heading at or before it, found by bisection (read_prose asks for every
    sentence)."""
    offsets: list[int] = []
    contexts: list[str] = []
    h1 = h2 = ""
    for p, lvl, s in heads:
        if lvl == 1:
            h1, h2 = s, ""
        else:
            h2 = s
        offsets.append(p)
        contexts.append("/".join(x for x in (h1, h2) if x))
    return offsets, contexts


_PAREN_OR_CLAUSE = re.compile(r"[(（)）,:;]")


def _clause_bounds(s: str) -> list[int]:
    """Offsets of the clause marks (, : ;) of a sentence that are not inside parentheses."""
    if "(" not in s and "（" not in s:
        return [m.start() for m in _CLAUSE.finditer(s)]
    bounds = []
    depth = 0
    for m in _PAREN_OR_CLAUSE.finditer(s):
        ch = m.group()
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            if depth:
                depth -= 1
        elif not depth:
            bounds.append(m.start())
    return bounds


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


# a line break that may be a wrap: one after a character other than a sentence end, | or another
# line break (_hard_break answers for the rest without looking further). The \n comes first so
# that re finds the breaks at C speed; the look-behind then checks the character before it.
_MAYBE_SOFT = re.compile(r"\n(?<=[^。;!?:|\n]\n)")
_last_sentences: tuple[str, tuple, tuple[tuple[int, str], ...]] = ("", (), ())


def _sentences(text: str, skip: list[tuple[int, int]]):
    """(offset, sentence) of the sentences not starting inside a skipped span. The answer for the
    last text is kept: read_prose and zero_statements both ask for it."""
    global _last_sentences
    key = tuple(skip)
    last_text, last_key, last = _last_sentences
    if text == last_text and key == last_key and last_text:
        return iter(last)
    out = _split_sentences(text, key)
    _last_sentences = (text, key, out)
    return iter(out)


def _split_sentences(text: str, skip: tuple[tuple[int, int], ...]) -> tuple[tuple[int, str], ...]:
    """The stretches between hard breaks (。!? and line breaks that are not wraps)."""
    soft: list[int] = []
    for m in _MAYBE_SOFT.finditer(text):
        k = m.start()
        a = text.rfind("\n", 0, k) + 1
        b = text.find("\n", k + 1)
        if not _hard_break(text[a:k], text[k + 1:b if b >= 0 else len(text)]):
            soft.append(k)
    if soft:
        # a wrap is read as part of its sentence: blank it (same length, so offsets hold)
        pieces = []
        prev = 0
        for k in soft:
            pieces.append(text[prev:k])
            prev = k + 1
        pieces.append(text[prev:])
        blanked = " ".join(pieces)
    else:
        blanked = text
    out: list[tuple[int, str]] = []
    # Only the text between skipped spans (tables, often most of a report) is split: a
    # sentence is dropped when it starts inside one, however far it runs.
    for g0, g1 in _gaps(skip, len(text)):
        for m in _SENTENCE.finditer(blanked, g0):
            a = m.start()
            if a >= g1:
                break
            if a == g0 and g0 and blanked[g0 - 1] not in _ENDS:
                continue  # the rest of a sentence that starts in the span before
            out.append((a, text[a:m.end()]))
    return tuple(out)


def _gaps(skip: tuple[tuple[int, int], ...], n: int) -> list[tuple[int, int]]:
    """The stretches of [0, n) outside every span [a, b) of `skip`."""
    gaps = []
    pos = 0
    for a, b in sorted(skip):
        if a >= b:
            continue  # covers nothing
        if a > pos:
            gaps.append((pos, a))
        pos = max(pos, b)
    if pos < n:
        gaps.append((pos, n))
    return gaps


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def read_prose(text: str, skip: list[tuple[int, int]], report_year: int | None) -> list[ProseValue]:
    offsets, contexts = _heading_contexts(headings(text))
    out: list[ProseValue] = []
    for s0, sent in _sentences(text, skip):
        if "|" in sent:
            continue
        nums = find_numbers(sent)
        if skip:  # a sentence may run into a table whose text has no sentence breaks
            nums = [n for n in nums if not _inside(skip, s0 + n.start)]
        if not nums:
            continue
        bounds = _clause_bounds(sent)
        h = bisect_right(offsets, s0)
        ctx_head = contexts[h - 1] if h else ""  # heading_context(heads, s0), bisected once
        # cues looked for once a sentence: when the sentence has none, no part of it has one
        # (the cue patterns do not look around). No cumulative cue: each figure's period is
        # "year" (see _period); no 比上年…: no clause's; no %: no _PCT after any figure
        may_be_cumulative = _CUMULATIVE.search(sent) is not None
        may_be_other_time = _OTHER_TIME.search(sent) is not None
        may_have_percent = "%" in sent
        prev_end = 0
        for k, n in enumerate(nums):
            if sent.startswith(_STRUCTURE, n.end):
                continue
            i = bisect_left(bounds, n.start)
            cl_start = max(bounds[i - 1] + 1 if i else 0, prev_end)
            j = bisect_left(bounds, n.end)
            cl_end = bounds[j] if j < len(bounds) else len(sent)
            before = sent[cl_start:n.start]
            label = before.strip(" 、")
            key = label_key(label)
            part_of = label.lstrip().startswith("其中") or \
                "其中" in sent[max(0, cl_start - 3):cl_start]
            ev_start = cl_start
            ev_end = n.end
            if key in _STOP_LABELS or len(key) < 2:
                after = sent[n.end:cl_end]
                # the figures do not overlap and come in order: the next to start after this one
                nxt = nums[k + 1].start if k + 1 < len(nums) else None
                if nxt is not None and nxt < cl_end:
                    after = sent[n.end:nxt]
                after = after.strip(" 、")
                if label_key(after):
                    label = after
                    ev_end = n.end + len(sent[n.end:cl_end].rstrip())
            pct = None
            if may_have_percent:
                after40 = sent[n.end:n.end + 40]
                pm = _PCT.match(after40)
                if pm and "分别" not in after40:
                    pct = float(pm.group(1))
            # a figure about another year: 比上年…, or a year before the report's in its clause
            if may_be_other_time and _OTHER_TIME.search(sent, cl_start, cl_end):
                other = True
            elif report_year is None or "年" not in before:
                other = False
            else:
                other = any(2000 <= int(y) < report_year for y in _YEAR.findall(before)) \
                    and "截" not in before
            period = _period(_before(sent, n.start)) if may_be_cumulative else "year"
            out.append(ProseValue(
                label=label, context=f"{ctx_head}/{_before(sent, cl_start)}", value=n.value,
                qualifier=n.qualifier, unit_word=n.unit, period=period,
                start=s0 + ev_start, end=s0 + ev_end, num_start=s0 + n.num_start,
                num_end=s0 + n.end, part_of=part_of, percent=pct, other_time=other))
            prev_end = n.end
    return out


@lru_cache(maxsize=16)
def _first_chars(patterns: tuple[re.Pattern, ...]) -> re.Pattern | None:
    """A class of the characters a match of any of `patterns` must begin with, or None when that
    cannot be told for one of them.

    Why: zero_statements looks for every rule in every sentence, and re scans a sentence once
    for each rule; a sentence without any of the characters the rules begin with (未 没 无 均
    today) cannot match any, and one scan for them passes over most sentences."""
    chars: set[str] = set()
    for rx in patterns:
        try:
            tree = _sre_parser.parse(rx.pattern, rx.flags)
            first = None if tree.state.flags & re.IGNORECASE else _starts(list(tree))
        except Exception:  # a private module: anything unexpected means "cannot tell"
            first = None
        if not first:
            return None
        chars |= first
    if not chars:
        return None  # no rules
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def _starts(items: list) -> set[str] | None:
    """The characters a match of a parsed pattern (re's parse tree) must begin with: read from
    a first item that is a literal, a class of literals, a group or alternatives of such; None
    for anything else (repeats, anchors, look-arounds… which may not take a character)."""
    if not items:
        return None
    op, av = items[0]
    if op is _sre.LITERAL:
        return {chr(av)}
    if op is _sre.IN:
        if all(o is _sre.LITERAL for o, _ in av):
            return {chr(a) for _, a in av}
        return None
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _starts(list(sub))
    if op is _sre.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            first = _starts(list(alt))
            if first is None:
                return None
            out |= first
        return out
    return None


def zero_statements(cat: Catalog, text: str, skip: list[tuple[int, int]]) -> list[tuple[str, ProseValue]]:
    """Sentences that state a zero in words (未收取任何费用, 未发生行政复议)."""
    heads = headings(text)
    out: list[tuple[str, ProseValue]] = []
    rules = cat.zero_statements
    may_match = _first_chars(tuple(rx for _, rx, _ in rules))
    for s0, sent in _sentences(text, skip):
        if "|" in sent or (may_match is not None and not may_match.search(sent)):
            continue
        lead = len(sent) - len(sent.lstrip())  # patterns anchored with ^…$ see the words only
        s0, sent = s0 + lead, sent.strip()
        for code, rx, heading in rules:
            m = rx.search(sent)
            if not m or (skip and _inside(skip, s0 + m.start())):
                continue
            if heading is not None and not heading.search(heading_context(heads, s0)):
                continue
            # a figure in the same sentence means it is not a zero statement for that code
            out.append((code, ProseValue(
                label=m.group(0), context=heading_context(heads, s0), value=0.0,
                qualifier="exact", unit_word=None, period="year", start=s0 + m.start(),
                end=s0 + m.end(), num_start=s0 + m.start(), num_end=s0 + m.end(),
                part_of=False, percent=None, other_time=False, zero_statement=True)))
    return out
