"""Whose report it is: the issuing body and its region, each with the evidence it came from.

Evidence is read in order of trust, and the first that names something wins:
  title   the report's title (临夏州交通运输局2019年…, 平阳县水头镇2008年…)
  issuer  the body the text names as its author: 由…编制, the first lines (开平市交通运输局严格按照…,
          请与来凤县…管理局联系), the signature block above the date
  text    a place named as a reporting body anywhere else in the text; when the report calls itself
          我局 / 我县…, only bodies of that kind count, and they must agree on one place
  hint    what a manifest says about the source
  page    the web page's <title> (…_来凤县人民政府)
  url     the URL's host and path, or the file's name (www.laifeng.gov.cn: 来凤县)
A place none of these name stays NULL: nothing is guessed from a neighbouring word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from transforms.origin import from_page_title, from_source
from transforms.places import (Body, Place, agrees, bodies_after_places, government_of,
                               parse_body, self_reference)
from transforms.regions import find_names, resolve

_COMPILED_BY = re.compile(r"由([\u4e00-\u9fff()]{3,30}?)(?:负责)?(?:编制|制作|编写)")
_SUBJECT_END = re.compile(r"(?:19|20)\d{2}\s*年|[二〇○零一三四五六七八九]{4}年|(?:人民)?政府信息公开|"
                          r"政务公开|关于")
_LEADING_YEAR = re.compile(r"^\s*(?:(?:19|20)\d{2}|[二〇○零一三四五六七八九]{4})\s*年度?\s*")
# a place named as the reporting body, or before the year of the report
_BODY_AFTER_NAME = re.compile(r"(人民政府|政府办公室|政府办|政府\d{4}年|\d{4}年(?:度)?(?:政府信息公开|政务公开))")
# a date, and the words standing right before it (the signing body)
_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|"
                   r"[二〇○零一三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日")
_WORDS_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,40})[\s(（]*$")
_HEAD = 1500
_TAIL = 3000


@dataclass
class Reporter:
    issuer: str | None = None
    issuer_kind: str | None = None
    issuer_source: str | None = None
    place: Place | None = None
    region_source: str | None = None
    province: str | None = None  # from the source when the place has none
    signed: str | None = None  # the date written under the signature


def subject(title: str) -> str:
    """The part of a title that says who reports (before its year, or after a leading year)."""
    t = _LEADING_YEAR.sub("", title.strip(" #《》").removeprefix("关于"))
    return _SUBJECT_END.split(t, 1)[0].strip(" 《》#")


def find_reporter(text: str, title: str | None, year: int | None,
                  mentions: list[tuple[int, int, str]], hints: dict[str, str],
                  page_title: str | None = None, source_uri: str | None = None) -> Reporter:
    mentioned = {n for _, _, n in mentions}
    rep = Reporter()
    self_ref = self_reference(text)
    subj = parse_body(subject(title), year, mentioned) if title else None
    authored = _authored(text, year, mentions, mentioned, self_ref)
    signed_body, rep.signed = signature(text, year, mentioned)
    authored = authored or signed_body

    # the issuer
    if subj is not None and subj.place is not None and _bare_place(subj):
        # the title names a place (巴中市, 平阳县水头镇): its government reports, and a body of
        # another place the first lines name (an address, the host site) is not the author
        gov = government_of(subj.place.name, text[:_HEAD])
        gov_body = parse_body(gov, year, mentioned) if gov else None
        if gov_body is None and authored is not None and authored.place is not None and \
                authored.place.key == subj.place.key:
            gov_body = authored
        if gov_body is not None:
            rep.issuer, rep.issuer_source = gov_body.name, "text"
        rep.issuer_kind = gov_body.kind if gov_body is not None else subj.kind
    elif subj is not None and subj.kind is not None:
        rep.issuer, rep.issuer_kind, rep.issuer_source = subj.name, subj.kind, "title"
    elif authored is not None:
        rep.issuer, rep.issuer_kind, rep.issuer_source = authored.name, authored.kind, "text"
    elif hints.get("issuer"):
        b = parse_body(hints["issuer"], year, mentioned)
        rep.issuer, rep.issuer_source = hints["issuer"], "hint"
        rep.issuer_kind = b.kind if b else None

    # the region
    if subj is not None and subj.place is not None:
        rep.place, rep.region_source = subj.place, "title"
    elif authored is not None and authored.place is not None:
        rep.place, rep.region_source = authored.place, "issuer"
    else:
        place = _named_in_text(text, year, mentions, mentioned, self_ref)
        if place is not None:
            rep.place, rep.region_source = place, "text"
        elif hints.get("region"):
            rep.place, rep.region_source = _hinted(hints, year, mentioned), "hint"
        else:
            found = from_page_title(page_title, year, mentioned) if page_title != title else None
            src_found, rep.province = from_source(source_uri, year, mentioned)
            found = found or src_found
            if found is not None:
                rep.place, rep.region_source = found.place, found.source
    if rep.place is not None and rep.place.kind != "division" and rep.place.parent is None:
        rep.place = _with_parent(rep.place, text, year, mentions, mentioned, self_ref,
                                 source_uri)
    if rep.place is not None and rep.place.province:
        rep.province = rep.place.province
    return rep


def _with_parent(place: Place, text: str, year: int | None,
                 mentions: list[tuple[int, int, str]], mentioned: set[str],
                 self_ref: str | None, source_uri: str | None) -> Place:
    """A township or zone named alone (水头镇) lies in the division the text writes before it
    (平阳县水头镇); else in the one division the text's bodies name (依托汉台区政府门户网站);
    else in the one its source names (www.yuyang.gov.cn). Only its province is read from it."""
    for _, e, n in mentions:
        if text.startswith(place.name, e):
            div = resolve(n, year, mentioned)
            if div is not None:
                return replace(place, parent=div)
    named = _named_in_text(text, year, mentions, mentioned, self_ref)
    if named is not None and named.division is not None:
        return replace(place, parent=named.division)
    found, _ = from_source(source_uri, year, mentioned)
    if found is not None and found.place.division is not None:
        return replace(place, parent=found.place.division)
    return place


def _bare_place(b: Body) -> bool:
    """A subject that is only a place (巴中市, 平阳县水头镇): it names no body of its own."""
    return b.place is not None and b.name.endswith(b.place.name)


def _authored(text: str, year: int | None, mentions: list[tuple[int, int, str]],
              mentioned: set[str], self_ref: str | None) -> Body | None:
    """The body the first lines name as the report's author."""
    head = text[:_HEAD]
    m = _COMPILED_BY.search(head)
    if m:
        b = parse_body(m.group(1), year, mentioned)
        if b is not None and b.kind is not None:
            return b
    for _, b in bodies_after_places(text, year, mentions, 0, _HEAD):
        if agrees(b, self_ref) and not _bare_place(b):
            return b
    return None


def signature(text: str, year: int | None, mentioned: set[str]
              ) -> tuple[Body | None, str | None]:
    """The body signing the report and the date under it (…平潭县人民政府 2013年1月16日)."""
    tail_at = max(0, len(text) - _TAIL)
    best: tuple[Body | None, str | None] = (None, None)
    # every date ends in 日: only the few places holding one are looked at
    at = text.find("日", tail_at)
    while at >= 0:
        m = _DATE.search(text, max(tail_at, at - 20), at + 1)
        if m is not None and m.end() == at + 1:
            before = _WORDS_BEFORE.search(text, max(0, m.start() - 45), m.start())
            b = _signing_body(before.group(1), year, mentioned) if before else None
            if b is not None:
                best = (b, m.group())
        at = text.find("日", at + 1)
    return best


def _signing_body(run: str, year: int | None, mentioned: set[str]) -> Body | None:
    """The body at the end of a run of words (…日常化平潭县人民政府: 平潭县人民政府)."""
    for s, _, _ in find_names(run, year):
        b = parse_body(run[s:], year, mentioned)
        if b is not None and b.place is not None and not _bare_place(b):
            return b
    if len(run) <= 20:
        b = parse_body(run, year, mentioned)
        if b is not None and b.place is None and b.kind is not None:
            return b
    return None


def _named_in_text(text: str, year: int | None, mentions: list[tuple[int, int, str]],
                   mentioned: set[str], self_ref: str | None) -> Place | None:
    """A place the text names as a reporting body: first where the first or last lines write
    it before 人民政府 or before the report's year; else the one place that the bodies of the
    report's own kind (我局: …局) name anywhere in the text; else the one place that all the
    bodies the text names belong to (我局以滨江区政府信息公开网站为平台: 滨江区). Places on one
    chain (临夏州, 临夏州交通运输局… and 甘肃省) count as one, the lowest."""
    tail_at = max(0, len(text) - 800)
    for s, e, n in mentions:
        if s >= _HEAD and s < tail_at:
            continue
        if _BODY_AFTER_NAME.match(text, e, e + 12) and not _in_title_quotes(text, s):
            div = resolve(n, year, mentioned)
            return Place(n, "division", div, None)
    bodies = [b for _, b in bodies_after_places(text, year, mentions)]
    own = _one_place([b.place for b in bodies if agrees(b, self_ref) and b.place is not None])
    if own is not None:
        return own
    return _one_place([b.place for b in bodies if b.place is not None])


def _one_place(places: list[Place]) -> Place | None:
    """The place all these name: one place, or divisions on one chain (the lowest)."""
    by_key = {p.key: p for p in places}
    if len(by_key) <= 1:
        return next(iter(by_key.values()), None)
    divs = [p.division for p in by_key.values() if p.division is not None]
    if len(divs) != len(by_key):
        return None
    low = max(divs, key=lambda d: {"province": 0, "prefecture": 1}.get(d.level, 2))
    if all(d.code in (low.code, low.city_code, low.province_code) for d in divs):
        return by_key[low.code]
    return None


def _in_title_quotes(text: str, at: int) -> bool:
    opened = text.rfind("《", max(0, at - 80), at)
    return opened >= 0 and text.rfind("》", opened, at) < 0


def _hinted(hints: dict[str, str], year: int | None, mentioned: set[str]) -> Place:
    """The region a manifest gives, read like a name in the text."""
    b = parse_body(hints["region"], year, mentioned)
    if b is not None and b.place is not None:
        return b.place
    return Place(hints["region"], "division", resolve(hints["region"], year, mentioned), None)
