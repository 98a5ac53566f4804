"""What a body's name says about its place: 临夏州交通运输局 is a department of 临夏州, 平阳县水头镇
is a township of 平阳县, 平潭综合实验区管委会办公室 is the office of a zone.

A name is read left to right: the divisions it opens with (重庆市永川区…), then a township or a
zone that is not a division (水头镇, 平潭综合实验区: no GB/T 2260 code, kept as written), then the
body's own words, whose ending gives its kind. The words are data (`catalog/bodies.csv`).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from transforms.regions import Division, find_names, resolve, stem_divisions

# issuer_kind -> the coarse issuer_type of the contract
ISSUER_TYPE = {"government": "government", "general_office": "government",
               "department": "department", "township": "other", "zone": "other",
               "other": "other"}
GOVERNMENT_KINDS = ("government", "general_office", "township", "zone")
_GOVERNMENT = re.compile("人民政府|政府")


@dataclass(frozen=True)
class Place:
    """The place a body belongs to. `division` is set for a division (with its code); a
    township or zone has none, and `parent` is the division it lies in when that is known."""

    name: str  # as written
    kind: str  # division | township | zone
    division: Division | None = None
    parent: Division | None = None

    @property
    def province(self) -> str | None:
        d = self.division or self.parent
        return d.province if d else None

    @property
    def key(self) -> str:
        """Two mentions are of one place when their keys are equal."""
        return self.division.code if self.division else self.name


@dataclass(frozen=True)
class Body:
    """A body named in a report: its name as written, its place and its kind."""

    name: str
    place: Place | None
    kind: str | None  # government | general_office | department | township | zone


@dataclass(frozen=True)
class _Words:
    suffixes: tuple[tuple[str, str], ...]  # (word, kind), longest first
    self_words: dict[str, str]  # word -> the suffix it implies | place | ""
    self_re: re.Pattern  # any of them, found in one pass
    township: re.Pattern
    zone: re.Pattern
    breaks: re.Pattern
    body_tail: re.Pattern  # the body's own words after its place, up to a suffix
    gov_tail: re.Pattern  # the same, ending in a government's suffix only


@lru_cache(maxsize=1)
def words() -> _Words:
    with files("transforms").joinpath("catalog/bodies.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["word"] and not r["word"].startswith("#")]
    by_role: dict[str, list[str]] = {}
    for r in rows:
        by_role.setdefault(r["role"], []).append(r["word"])

    def alt(ws: list[str]) -> str:
        return "|".join(map(re.escape, sorted(ws, key=len, reverse=True)))

    suffixes = tuple(sorted(((r["word"], r["kind"]) for r in rows if r["role"] == "suffix"),
                            key=lambda p: -len(p[0])))
    glue = "".join(by_role.get("glue", []))
    # a one-character suffix followed by glue is an ordinary word (部门, 办理), not a name's end
    suffix_re = "|".join(re.escape(w) + (f"(?![{glue}])" if len(w) == 1 and glue else "")
                         for w, _ in suffixes)
    gov = alt([w for w, k in suffixes if k in GOVERNMENT_KINDS])
    return _Words(
        suffixes=suffixes,
        self_words={r["word"]: r["kind"] for r in rows if r["role"] == "self"},
        self_re=re.compile(alt(by_role["self"])),
        # a township: its name, then the end, a digit or its government (城乡建设局 is none)
        township=re.compile(r"([\u4e00-\u9fff]{1,6}?(?:" + alt(by_role["township"]) + r"))"
                            r"(?=$|[\d\s(]|" + gov + r"|党委)"),
        zone=re.compile(r"([\u4e00-\u9fff]{0,8}?)(?:" + alt(by_role["zone"]) + ")"),
        breaks=re.compile(alt(by_role["break"])),
        body_tail=re.compile(r"[\u4e00-\u9fff]{0,16}?(?:" + suffix_re + ")"),
        gov_tail=re.compile(r"[\u4e00-\u9fff]{0,6}?(?:" + gov + ")"),
    )


def body_kind(name: str) -> str | None:
    """The kind of body a name ends with (人民政府办公室: general_office, 局: department)."""
    for word, kind in words().suffixes:
        if name.endswith(word):
            return kind
    return None


def leading_chain(s: str, year: int | None) -> list[tuple[int, int, str]]:
    """The division names a string opens with, one after the other (重庆市永川区)."""
    chain: list[tuple[int, int, str]] = []
    at = 0
    for hit in find_names(s, year):
        if hit[0] != at:
            break
        chain.append(hit)
        at = hit[1]
    return chain


def _parent_by_stem(prefix: str, year: int | None) -> Division | None:
    """The division a zone is named after (平潭综合实验区 -> 平潭县), when only one fits."""
    cands = stem_divisions(prefix, year) if len(prefix) >= 2 else []
    return cands[0] if len(cands) == 1 else None


def parse_place(s: str, year: int | None, mentioned: set[str] | frozenset[str] = frozenset()
                ) -> tuple[Place | None, int]:
    """The place a name opens with, and where it ends in the name."""
    w = words()
    chain = leading_chain(s, year)
    at = chain[-1][1] if chain else 0
    place: Place | None = None
    if chain:
        last = chain[-1][2]
        div = resolve(last, year, set(mentioned) | {n for _, _, n in chain})
        place = Place(last, "division", div, None)
    parent = place.division if place else None
    if chain:  # 渝中区人民政府大溪沟街道办事处: a township named under its county's government
        g = _GOVERNMENT.match(s, at)
        if g and w.township.match(s, g.end()):
            at = g.end()
    t = w.township.match(s, at)
    if t and not w.breaks.search(t.group(1)):
        return Place(t.group(1), "township", None, parent), t.end()
    z = w.zone.match(s, at)
    if z and not w.breaks.search(z.group()) and (chain or z.group(1)):
        name = z.group() if z.group(1) else chain[-1][2] + z.group()
        return Place(name, "zone", None, parent or _parent_by_stem(z.group(1), year)), z.end()
    return place, at


def parse_body(name: str, year: int | None, mentioned: set[str] | frozenset[str] = frozenset()
               ) -> Body | None:
    """Read a body's name (or a title's subject): its place and its kind; None when it names
    neither a place nor a kind of body."""
    s = name.strip(" #《》\"“”'")
    if not s:
        return None
    place, end = parse_place(s, year, mentioned)
    kind = body_kind(s)
    if kind is None and place is not None:
        s = s[:end]  # a place followed by words that are no body: the place is the reporter
    if place is not None and place.kind in ("township", "zone") and kind in (
            None, "government", "general_office"):
        kind = place.kind
    if place is None and kind is None:
        return None
    if kind is None and place is not None:
        kind = "government"  # a place reports through its government
    return Body(s, place, kind)


def self_reference(text: str) -> str | None:
    """How the report calls its own body (我局 -> 局, 我县 -> place, 我单位 -> ""): the most
    frequent such word, None when it never speaks of itself."""
    w = words()
    counts: dict[str, int] = {}
    for word in w.self_re.findall(text):
        kind = w.self_words[word]
        counts[kind] = counts.get(kind, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


def agrees(body: Body, self_ref: str | None) -> bool:
    """Whether a body fits the way the report names itself (我局 fits …交通运输局)."""
    if not self_ref:
        return True
    if self_ref == "place":
        return body.kind in GOVERNMENT_KINDS
    return body.name.endswith(self_ref) or (self_ref == "办" and body.name.endswith("办公室"))


def bodies_after_places(text: str, year: int | None, mentions: list[tuple[int, int, str]],
                        start: int = 0, end: int | None = None) -> list[tuple[int, Body]]:
    """Bodies named by a place and then their own words (开平市交通运输局, 来凤县人民政府) in
    text[start:end], in order, leaving out those inside a document's title (《…》)."""
    end = len(text) if end is None else end
    w = words()
    out: list[tuple[int, Body]] = []
    i = 0
    while i < len(mentions):
        s = mentions[i][0]
        j = i  # the whole chain of places (重庆市永川区) opens the body's name
        while j + 1 < len(mentions) and mentions[j + 1][0] == mentions[j][1]:
            j += 1
        e = mentions[j][1]
        i = j + 1
        if s < start:
            continue
        if s >= end:
            break
        if _in_quotes(text, s):
            continue
        tail = w.body_tail.match(text, e)
        if not tail or w.breaks.search(tail.group()) or tail.group()[:1] in ("委", "办"):
            continue  # 县委 is the party committee, 县办 no one body
        body_end = tail.end()
        if _GOVERNMENT.fullmatch(tail.group()):  # …区人民政府大溪沟街道办事处
            t = w.township.match(text, body_end)
            more = w.body_tail.match(text, t.end()) if t else None
            if t and more and _GOVERNMENT.search(more.group()) is None:
                body_end = more.end()
        b = parse_body(text[s:body_end], year)
        if b is not None and b.place is not None:
            out.append((s, b))
    return out


def government_of(place_name: str, text: str) -> str | None:
    """The first body in `text` named as the place's government (水头镇 -> 水头镇人民政府)."""
    gov_tail = words().gov_tail
    at = text.find(place_name)
    while at >= 0:
        m = gov_tail.match(text, at + len(place_name))
        # 前进街道政府信息公开工作: the term 政府信息公开, not a government
        if m and not _in_quotes(text, at) and not words().breaks.search(m.group()) and \
                not text.startswith("信息", m.end()):
            return text[at:m.end()]
        at = text.find(place_name, at + 1)
    return None


def _in_quotes(text: str, at: int) -> bool:
    """Inside 《…》: another document's title, whose issuer is not the reporter."""
    opened = text.rfind("《", max(0, at - 80), at)
    return opened >= 0 and text.rfind("》", opened, at) < 0
