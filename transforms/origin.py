"""Where a report was found, as evidence of whose it is: the page's title, the URL's host and path,
a file's name.

The text is always trusted first; this is read only when the text names no region. Hosts of
official portals are mostly the pinyin of their division (www.laifeng.gov.cn is 来凤县,
www.hubei.gov.cn 湖北省), so they are read against the pinyin of every division of the year,
computed from the division table with pypinyin; the provinces whose portal is an abbreviation
(www.gd.gov.cn) are listed in `catalog/portals.csv`. A pinyin that several divisions share
(kaiping: 开平市, 开平区) is settled by the places the text names, or not used.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote, urlsplit

from transforms.places import Place, parse_body
from transforms.regions import Division, _year_list, candidates, divisions, table_year

FIRST_YEAR = 2007  # the regulation took effect in 2008: no report covers an earlier year

_LEVEL = {"province": 0, "prefecture": 1, "county": 2}
# host labels and path words that are never a place
_COMMON = frozenset({"www", "gov", "cn", "com", "net", "org", "edu", "html", "shtml", "htm",
                     "http", "https", "index", "content", "txt", "pdf", "doc", "docx"})
_TOKEN = re.compile(r"[a-z]{4,}")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_MAX_READINGS = 16


@dataclass(frozen=True)
class Found:
    place: Place
    source: str  # page | url


@lru_cache(maxsize=1)
def _portals() -> tuple[tuple[str, str], ...]:
    with files("transforms").joinpath("catalog/portals.csv").open(encoding="utf-8") as f:
        return tuple((r["host"].lower(), r["region"]) for r in csv.DictReader(f)
                     if r["host"] and not r["host"].startswith("#"))


@lru_cache(maxsize=65536)  # every division name of every year: a smaller cache would thrash
def _readings(word: str) -> frozenset[str]:
    """Every pinyin of a name (朝阳: chaoyang and zhaoyang), so that a host written with any of
    them is found, and two places that can sound alike (朝阳, 潮阳) are seen to be ambiguous."""
    from pypinyin import Style, lazy_pinyin, pinyin  # imported only when a source is read

    readings = {"".join(lazy_pinyin(word))}
    combos = [""]
    for options in pinyin(word, style=Style.NORMAL, heteronym=True):
        combos = [c + o for c in combos for o in options][:_MAX_READINGS]
    readings.update(combos)
    return frozenset(r for r in readings if r.isascii() and r.isalpha())


@lru_cache(maxsize=1)
def _name_index() -> dict[str, tuple[str, ...]]:
    """pinyin -> the names of the divisions read so (来凤县: laifeng, laifengxian), over every
    year reports cover. Built once: a year's names are nearly all the next year's, and the
    pinyin of 3,600 names is the costly part."""
    index: dict[str, set[str]] = {}
    seen: set[str] = set()
    for year in (y for y in _year_list() if y >= FIRST_YEAR):
        for d in divisions(year):
            if d.name in seen or len(d.short) < 2:
                continue
            seen.add(d.name)
            level_word = d.name[len(d.short):] if d.name.startswith(d.short) else ""
            for stem in _readings(d.short):
                keys = {stem}
                if len(level_word) == 1:
                    keys.update(stem + w for w in _readings(level_word))
                for k in keys:
                    index.setdefault(k, set()).add(d.name)
    return {k: tuple(sorted(v)) for k, v in index.items()}


@lru_cache(maxsize=32)
def _pinyin_index(year: int) -> dict[str, tuple[Division, ...]]:
    """pinyin -> the divisions in force in the year that it reads."""
    by_name: dict[str, list[Division]] = {}
    for d in divisions(year):
        by_name.setdefault(d.name, []).append(d)
    out: dict[str, tuple[Division, ...]] = {}
    for key, names in _name_index().items():
        found = tuple(d for n in names for d in by_name.get(n, ()))
        if found:
            out[key] = found
    return out


def _settle(cands: list[Division], context: set[str]) -> Division | None:
    """One division among those sharing a pinyin, by the places the text and source name."""
    uniq = {d.code: d for d in cands}
    if len(uniq) == 1:
        return next(iter(uniq.values()))
    scored = sorted(((2 * (d.city in context) + (d.province in context), d)
                     for d in uniq.values()), key=lambda p: -p[0])
    if scored and scored[0][0] > 0 and scored[0][0] > scored[1][0]:
        return scored[0][1]
    return None


def _split(source_uri: str) -> tuple[str, list[str]]:
    """(host, the path's last two parts): a file's folder often names what the file is."""
    if "://" in source_uri:
        parts = urlsplit(source_uri)
        host = (parts.hostname or "").lower()
        path = unquote(parts.path)
        segs = [s for s in path.split("/") if s]
    else:
        host = ""
        p = PureWindowsPath(source_uri) if "\\" in source_uri else PurePosixPath(source_uri)
        segs = list(p.parts)
    return host, segs[-2:]


def _portal(host: str, year: int | None) -> tuple[Division | None, str]:
    """The province whose portal the host belongs to, and what is left of the host before it."""
    for suffix, region in _portals():
        if host == suffix or host.endswith("." + suffix):
            rest = host[: -len(suffix)].rstrip(".")
            cands = candidates(region, year)
            return (cands[0] if cands else None), rest
    return None, host


def _lowest(found: list[Division]) -> Division | None:
    """The most specific division when all lie on one chain (省 > 市 > 县), else None."""
    if not found:
        return None
    low = max(found, key=lambda d: _LEVEL.get(d.level, 0))
    for d in found:
        if d.code != low.code and d.code not in (low.province_code, low.city_code):
            return None
    return low


def from_source(source_uri: str | None, year: int | None, mentioned: set[str]
                ) -> tuple[Found | None, str | None]:
    """The place a source names (host first, then the path), and a province it implies.

    Returns (None, province) when the host is only under a province's portal (yc.cq.gov.cn:
    somewhere in 重庆市)."""
    if not source_uri:
        return None, None
    host, segs = _split(source_uri)
    portal, rest = _portal(host, year) if host else (None, "")
    context = set(mentioned) | ({portal.name} if portal else set())
    province = portal.province if portal else None
    # names written in Chinese in the path (a crawl's folder, a file saved under its title)
    for seg in reversed(segs):
        for run in _CJK_RUN.findall(seg):
            b = parse_body(run, year, context)
            if b is not None and b.place is not None and (
                    b.place.division is not None or b.place.parent is not None):
                return Found(b.place, "url"), b.place.province
    labels = [w for w in re.split(r"[.\-]", rest) if w and w not in _COMMON]
    words = [w for seg in segs for w in _TOKEN.findall(seg.lower()) if w not in _COMMON]
    if not labels and not words and portal is None:
        return None, None
    index = _pinyin_index(table_year(year)) if (labels or words) else {}
    from_host = [d for d in (_settle(list(index.get(w, ())), context) for w in labels) if d]
    if from_host:
        context |= {d.name for d in from_host}
    from_path = [d for d in (_settle(list(index.get(w, ())), context) for w in words) if d]
    if portal is not None and not labels:
        from_host.append(portal)  # the province's own portal
    best = _lowest(from_host + from_path) or _lowest(from_host)
    if best is None:
        return None, province
    if portal is not None and best.province != portal.province:
        return None, province
    return Found(Place(best.name, "division", best, None), "url"), best.province


def from_page_title(page_title: str | None, year: int | None, mentioned: set[str]
                    ) -> Found | None:
    """A web page's <title> often ends with the site's owner (…_来凤县人民政府)."""
    if not page_title:
        return None
    for part in re.split(r"[_|\-—–·:]+|\s{2,}", page_title):
        for run in _CJK_RUN.findall(part):
            b = parse_body(run, year, mentioned)
            if b is not None and b.place is not None:
                return Found(b.place, "page")
    return None
