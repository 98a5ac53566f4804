"""The indicator catalog and its label aliases, loaded from the CSV files in `transforms/catalog/`.

Labels map to indicator codes through data, so that a new way of writing a label is a data
change. Matching rules, in order of weight:
  * an alias that equals the whole label beats one contained in it;
  * a longer alias beats a shorter one (more of the label explained);
  * an alias at the end of the label beats one in the middle (Chinese noun phrases are
    head-final: in 对政府信息公开申请的答复数 the head is 答复数);
  * an alias that needs a context (行政复议 / 行政诉讼) only matches when the context word occurs
    in the label, the column or the surrounding text, and the nearest occurrence wins.
A '-' code vetoes any mapping (a label summing several channels is no single indicator).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

GAP = "…"
_MISS = object()
_ENUM = re.compile(
    r"^(?:其中[:：]?|[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十]+\)|"
    r"\(\d{1,2}\)|\d{1,2}[.、．)](?!\d)|\d{1,2}(?=[\u4e00-\u9fff])(?![年月日号时个岁万千百余多])|"
    r"[⑴-⒇]|[①-⑳]|[Ⅰ-Ⅻ]+|"
    r"[a-zA-Z][.)、]|第[一二三四五六七八九十]+[项条部分][、:]?)"
)
_QUOTES = re.compile(r"[“”\"'‘’《》「」『』〈〉【】\s]")
_PARENS = re.compile(r"\([^()]*\)")
_TRAIL = re.compile(r"(?:[:：,，.。;；、]|(?<=[\u4e00-\u9fff]{2})(?:的|为|是|达|达到|共|共计|约|近))+$")
_LEAD = re.compile(r"^(?:共|全年|本年度|全区|全市|全县)+(?=[\u4e00-\u9fff]{2})")


@lru_cache(maxsize=1)
def _folds() -> list[tuple[str, str]]:
    return [("政务信息", "政府信息"), ("政务公开信息", "政府信息"), ("政府信息依申请公开", "政府信息公开申请"),
            ("其它", "其他")]


@lru_cache(maxsize=65536)
def label_key(label: str, keep_parens: bool = False) -> str:
    """Canonical form of a label for matching: no blanks, quotes, numbering or notes.

    Cached because the same labels and column headers come back in every table of every
    report; the function is pure, so the cache cannot change a result.
    """
    s = _QUOTES.sub("", label or "")
    for _ in range(4):
        m = _ENUM.match(s)
        if not m or m.end() == 0:
            break
        s = s[m.end():]
    if not keep_parens:
        prev = None
        while prev != s:
            prev, s = s, _PARENS.sub("", s)
    s = _TRAIL.sub("", s)
    s = _LEAD.sub("", s)
    for a, b in _folds():
        s = s.replace(a, b)
    return s


_ENUM_QI = re.compile(r"^其中[:：]?")
_ENUM_LEVELS = (
    (re.compile(r"^[一二三四五六七八九十]+[、.．]"), 1),
    (re.compile(r"^\([一二三四五六七八九十]+\)"), 2),
    (re.compile(r"^\d{1,2}[.、．](?!\d)|^\d{1,2}(?=[\u4e00-\u9fff])(?![年月日号时个岁万千百余多])"), 3),
    (re.compile(r"^\(\d{1,2}\)|^[⑴-⒇]"), 4),
    (re.compile(r"^[①-⑳]"), 5),
    (re.compile(r"^[Ⅰ-Ⅻ]"), 6),
)


@lru_cache(maxsize=65536)
def enum_level(label: str) -> int | None:
    """Depth of a row label's numbering (一、=1, (一)=2, 1.=3, (1)/⑴=4, ①=5, Ⅰ=6).

    Cached (pure, and the same row labels come back in every report)."""
    s = _QUOTES.sub("", label or "")
    s = _ENUM_QI.sub("", s, count=1)
    for rx, level in _ENUM_LEVELS:
        if rx.match(s):
            return level
    return None


# count words that suit each canonical unit (a soft preference, not a rule)
_UNIT_FIT: dict[str, tuple[str, ...]] = {
    "item": ("条", "项", "个", "件", "篇", "期", "份"),
    "request": ("件", "宗", "个", "份", "人次"),
    "case": ("件", "起", "宗", "个"),
    "event": ("次", "场", "期", "场次", "班次", "个", "批", "回"),
    "person": ("人", "名", "位"),
    "person_time": ("人次", "人", "名"),
    "yuan": ("元",),
    "place": ("个", "处", "家", "所"),
    "document": ("件", "篇", "份", "个", "部", "条"),
    "visit": ("次", "人次"),
}


@dataclass(frozen=True)
class Alias:
    code: str
    text: str
    column: str
    context: str
    units: tuple[str, ...]
    exact: bool
    regex: re.Pattern[str] | None
    parts: tuple[str, ...]

    @property
    def literal_len(self) -> int:
        return sum(len(p) for p in self.parts)


@dataclass(frozen=True)
class Match:
    code: str
    breakdown: str | None
    score: float
    alias: str


@dataclass(frozen=True)
class ColumnTerm:
    term: str
    role: str
    value: str
    parent: str


def _rows(name: str) -> list[dict[str, str]]:
    with files("transforms").joinpath(f"catalog/{name}").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f)
                if r and not (next(iter(r.values())) or "").startswith("#")]


def _find_parts(hay: str, parts: tuple[str, ...], max_gap: int = 12) -> tuple[int, int] | None:
    """Find parts in order, each within max_gap characters of the previous one."""
    start = hay.find(parts[0])
    while start >= 0:
        pos = start + len(parts[0])
        ok = True
        for p in parts[1:]:
            nxt = hay.find(p, pos)
            if nxt < 0 or nxt - pos > max_gap:
                ok = False
                break
            pos = nxt + len(p)
        if ok:
            return start, pos
        start = hay.find(parts[0], start + 1)
    return None


class Catalog:
    """Indicators, aliases and column vocabulary; `match` maps a label to a code."""

    def __init__(self) -> None:
        self.indicators = {r["code"]: r for r in _rows("indicators.csv")}
        # code -> canonical unit, read once: every metric of every report asks for its unit
        self.units = {code: r["unit"] for code, r in self.indicators.items()}
        self.aliases: list[Alias] = []
        for r in _rows("aliases.csv"):
            text = r["alias"].strip()
            rx = re.compile(text[3:]) if text.startswith("re:") else None
            key = text if rx else label_key(text)
            parts = tuple(p for p in key.split(GAP) if p) if not rx else ("re",)
            self.aliases.append(Alias(
                code=r["code"].strip(), text=key, column=label_key(r.get("column") or ""),
                context=(r.get("context") or "").strip(),
                units=tuple(u for u in (r.get("unit") or "").split("|") if u),
                exact=(r.get("exact") or "").strip() == "1", regex=rx, parts=parts))
            if r["code"] not in ("-",) and r["code"] not in self.indicators:
                raise ValueError(f"alias for unknown indicator {r['code']!r}")
        self.columns = [ColumnTerm(r["term"], r["role"], r.get("value") or "",
                                   r.get("parent") or "") for r in _rows("columns.csv")]
        self.zero_statements = [
            (r["code"], re.compile(r["pattern"]),
             re.compile(r["heading"]) if r.get("heading") else None)
            for r in _rows("zero_statements.csv")]

    def unit(self, code: str) -> str:
        return self.units[code]

    def catalog_rows(self) -> list[dict]:
        by_code: dict[str, list[str]] = {}
        for a in self.aliases:
            if a.code != "-":
                label = a.text if not a.column else f"{a.text} {a.column}"
                by_code.setdefault(a.code, []).append(label)
        return [dict(r, aliases=by_code.get(code, []), core=r.get("core") == "1")
                for code, r in self.indicators.items()]

    def column_role(self, header: str) -> list[ColumnTerm]:
        """Roles a column header plays: breakdown terms must equal the header, others be in it.

        Results are kept per header (every table asks about the same few headers, many times);
        callers get a fresh list each time.
        """
        cache: dict[str, list[ColumnTerm]] = self.__dict__.setdefault("_roles", {})
        hit = cache.get(header)
        if hit is not None:
            return list(hit)
        if len(cache) > 50000:
            cache.clear()
        out = self._column_role(header)
        cache[header] = out
        return list(out)

    def column_roles(self, header: str) -> frozenset[str]:
        """The role names among `column_role(header)`, kept per header (tables ask whether a
        cell is a label or group header for every cell, and again for every row)."""
        cache: dict[str, frozenset[str]] = self.__dict__.setdefault("_role_names", {})
        hit = cache.get(header)
        if hit is None:
            if len(cache) > 50000:
                cache.clear()
            hit = cache[header] = frozenset(r.role for r in self.column_role(header))
        return hit

    def _column_role(self, header: str) -> list[ColumnTerm]:
        key = label_key(header)
        out: list[ColumnTerm] = []
        for t in self.columns:
            if t.role in ("breakdown", "label", "unit", "group"):
                if key == t.term:
                    out.append(t)
            elif GAP in t.term:
                if _find_parts(key, tuple(p for p in t.term.split(GAP) if p), 30):
                    out.append(t)
            elif t.term in key:
                out.append(t)
        return out

    def match(self, label: str, column: str = "", context: str = "",
              unit: str | None = None) -> Match | None:
        """The best alias match for a label (see the module notes), or None.

        Results are memoised. Why: `match` runs for every table cell and sentence figure and
        the same labels come back in every report. The context enters a result only through
        where each context word of the aliases last occurs in `context/label/column`, counted
        from the end, so the memo key holds those distances instead of the context itself
        (most reports differ in their headings, not in the distances).
        """
        st = self.__dict__.get("_memo")
        if st is None or st[0] is not self.aliases or st[1] != len(self.aliases):
            st = self._new_memo()
        # first by the call itself (most calls repeat one made for a neighbouring cell)
        exact: dict = st[2]
        ekey = (label, column, context, unit)
        out = exact.get(ekey, _MISS)
        if out is not _MISS:
            return out
        where = f"{context}/{label}/{column}"
        n = len(where)
        rfind = where.rfind
        mkey = (label, column, unit,
                tuple([n - p if (p := rfind(w)) >= 0 else -1 for w in st[4]]))
        memo: dict = st[3]
        out = memo.get(mkey, _MISS)
        if out is _MISS:
            if len(memo) > 100000:
                memo.clear()
            out = memo[mkey] = self._match(label, column, context, unit)
        if len(exact) > 20000:
            exact.clear()
        exact[ekey] = out
        return out

    def _new_memo(self) -> tuple:
        """The memos of `match` and the context words they key on, made again whenever the
        alias list is replaced or grows or shrinks."""
        words = tuple(sorted({a.context for a in self.aliases if a.context}))
        st = (self.aliases, len(self.aliases), {}, {}, words)
        self._memo = st
        return st

    def _match(self, label: str, column: str, context: str,
               unit: str | None) -> Match | None:
        key = label_key(label)
        if "或" in key and not column:
            # 涉密或涉及个人隐私: a label naming two indicators is neither of them
            codes = {m.code for part in key.split("或") if len(part) >= 2
                     for m in [self.match(part, "", context, unit)] if m}
            if len(codes) >= 2:
                return None
        ckey = label_key(column) if column else ""
        leaf = label_key(column.split("/")[-1]) if column else ""
        best: Match | None = None
        for a in self._candidates(key, ckey, leaf):
            if a.units and unit not in a.units:
                continue
            if a.column and a.column not in ckey:
                continue
            breakdown = None
            score = 0.0
            if a.regex is not None:
                m = a.regex.search(key)
                if not m:
                    continue
                breakdown = m.groupdict().get("cat")
                score = 30.0
            elif a.exact:
                if key != a.text and not (not key and leaf == a.text):
                    continue
                score = len(a.text) * 10 + 100
            else:
                found = None
                for hay in (key, ckey):
                    if not hay:
                        continue
                    span = _find_parts(hay, a.parts)
                    if span:
                        found = (hay, span)
                        break
                if not found:
                    continue
                hay, (s, e) = found
                score = a.literal_len * 10 + (60 if e == len(hay) else 0)
                score += 100 if (s == 0 and e == len(hay)) else 0
            if a.column:
                score += len(a.column) * 10
            if a.context:
                where = f"{context}/{label}/{column}"
                pos = where.rfind(a.context)
                if pos < 0:
                    continue
                score += 5 - (len(where) - pos) / 1000.0
            if a.code == "-":
                return None  # a veto wins over any mapping
            score += self._unit_fit(a.code, unit)
            if best is None or score > best.score:
                best = Match(a.code, breakdown, score, a.text)
        return best

    def _candidates(self, key: str, ckey: str, leaf: str) -> list[Alias]:
        """The aliases that can match, in catalog order (so ties and vetoes resolve as before).

        Why: `match` runs for every table cell and sentence figure, and testing all aliases
        each time was most of the extraction time. An alias is skipped here only when the
        loop in `match` would skip it anyway: an exact alias whose text is neither the label
        nor (for a blank label) the column leaf, or a substring alias whose first part occurs
        in neither the label nor the column. Regex aliases are always tried.
        """
        index = self._alias_index()
        always, exact, by_char = index
        picked = set(always)
        picked.update(exact.get(key, ()))
        if not key:
            picked.update(exact.get(leaf, ()))
        for hay in (key, ckey):
            for ch in set(hay):
                for first, positions in by_char.get(ch, ()):
                    if first in hay:
                        picked.update(positions)
        return [self.aliases[i] for i in sorted(picked)]

    def _alias_index(self) -> tuple[list[int], dict[str, list[int]],
                                    dict[str, list[tuple[str, list[int]]]]]:
        """Alias positions by what they need to be present; rebuilt if the list changes."""
        stamp = (id(self.aliases), len(self.aliases))
        cached = getattr(self, "_index", None)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        always: list[int] = []
        exact: dict[str, list[int]] = {}
        firsts: dict[str, list[int]] = {}
        for i, a in enumerate(self.aliases):
            if a.regex is not None or not a.parts:
                always.append(i)
            elif a.exact:
                exact.setdefault(a.text, []).append(i)
            else:
                firsts.setdefault(a.parts[0], []).append(i)
        by_char: dict[str, list[tuple[str, list[int]]]] = {}
        for first, positions in firsts.items():
            by_char.setdefault(first[0], []).append((first, positions))
        index = (always, exact, by_char)
        self._index = (stamp, index)
        return index

    def _unit_fit(self, code: str, unit: str | None) -> float:
        """Prefer indicators whose unit suits the count word (条 for items, 件 for requests)."""
        if not unit:
            return 0.0
        fits = _UNIT_FIT.get(self.indicators[code]["unit"], ())
        if not fits:
            return 0.0
        return 15.0 if unit in fits else -15.0


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return Catalog()
