"""Numbers as reports write them: 2,263 · 38万元 · 121200余条 · 三十二件 · 两千余条 · 近百次.

cn2an is applied to an isolated numeral only, never to running text (where it would turn 四川
into 4川).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# count words that may follow a figure; longest first so 人次 wins over 人
UNITS = sorted([
    "件", "条", "次", "人次", "人", "个", "项", "篇", "场", "起", "宗", "期", "份", "册", "家",
    "名", "元", "万元", "亿元", "万条", "万件", "万次", "万人次", "批", "处", "台", "套", "户",
    "所", "天", "小时", "余人", "部", "本", "张", "页", "类", "组", "位", "例", "节",
    "余件", "余条", "余次", "多件", "多条", "多次", "多人", "万余条", "万余次", "万余件",
    "场次", "班次", "余人次", "多人次", "千元", "票", "封", "条次", "件次", "人天", "回",
], key=len, reverse=True)
UNIT_RE = "|".join(map(re.escape, UNITS))
APPROX_PREFIX = ("约", "近", "逾", "超过", "大约", "将近", "接近", "达到约")
# A figure: (?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)? | (?<![\d.])\d+(?:\.\d+)? | [零…亿]{1,12},
# then an optional 万/亿/千, 余/多 and the unit. Written so that it begins with its first character
# as a class: re then skips at C speed to the places where a figure can begin, instead of trying
# every alternative at every character of the text (the same matches, in the same order:
# (?<![\d.].) after the first digit is (?<![\d.]) before it). The look-ahead for a first
# character of a unit word lets a candidate without one (一 of 统一, 进一步) fail at once, instead
# of after every unit word is tried for each way of reading 万/亿/千, 余/多 and the blank.
_CN_CLASS = "[" + CN_DIGITS + "]"
_UNIT_FIRST = "[" + "".join(sorted({re.escape(u[0]) for u in UNITS})) + "]"
NUM_RE = re.compile(
    r"(?P<num>[\d" + CN_DIGITS + r"]"
    r"(?:(?<=\d)(?<![\d.].)(?:\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?)"
    r"|(?<=" + _CN_CLASS + r")" + _CN_CLASS + r"{0,11}))"
    r"(?P<mult>万|亿|千)?(?P<approx>余|多)?"
    r"\s?(?=" + _UNIT_FIRST + r")(?P<unit>" + UNIT_RE + r")"
)
CELL_NUM = re.compile(r"^[+\-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[+\-]?\d+(?:\.\d+)?$")
DASHES = {"-", "—", "——", "–", "/", "\\", "－", "/ ", "——/", "---", "--", "×", "x"}
ZERO_WORDS = {"无", "零", "〇"}


class Number(NamedTuple):
    """A figure in running text. A named tuple rather than a frozen dataclass: reports hold
    thousands of figures, and a frozen dataclass sets each field through object.__setattr__,
    several times the cost of making a tuple."""

    value: float
    unit: str
    qualifier: str  # exact | approx
    start: int
    end: int
    num_start: int  # where the digits begin


def cn_to_number(s: str) -> float | None:
    """A Chinese numeral alone (三十二, 两千, 一万二千) -> number; None if it is not one."""
    if not s:
        return None
    return _cn_to_number(s)


@lru_cache(maxsize=4096)
def _cn_to_number(s: str) -> float | None:
    """Cached: cn2an takes ~40 µs a numeral and reports repeat the same few (一, 两, 三十…)."""
    if any(c not in CN_DIGITS for c in s):
        return None
    try:
        return float(cn2an.cn2an(s.replace("两", "二").replace("〇", "零"), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def canonical_unit(unit: str) -> tuple[str, float, str]:
    """Split a unit word into (count word, multiplier, qualifier): 万余条 -> (条, 10000, approx)."""
    mult = 1.0
    qual = "exact"
    u = unit
    if u.startswith("万") and len(u) > 1:
        mult, u = 10000.0, u[1:]
    elif u.startswith("千") and u != "千元":
        mult, u = 1000.0, u[1:]
    if u.startswith(("余", "多")) and len(u) > 1:
        qual, u = "approx", u[1:]
    if u == "万元":
        return "元", 10000.0 * mult, qual
    if u == "亿元":
        return "元", 1e8 * mult, qual
    if u == "千元":
        return "元", 1000.0 * mult, qual
    return u, mult, qual


def scaled(value: float, mult: float) -> float:
    """value × a unit's multiplier, without binary float noise (8479.96万元 is 84799600 yuan,
    not 84799599.99999999). Amounts are kept to the fen (2 decimals): no report prints a
    finer figure than 0.000001万元, and users compare and sum these values as written."""
    return value if mult == 1.0 else round(value * mult, 2)


_UNIT_PARTS = {u: canonical_unit(u) for u in UNITS}
_MULT = {"万": 10000.0, "亿": 1e8, "千": 1000.0}


def find_numbers(text: str) -> list[Number]:
    """Every figure with a count word in running text, with its span."""
    out: list[Number] = []
    for m in NUM_RE.finditer(text):
        # NUM_RE's groups in order: num (which starts the match), mult, approx, unit
        raw, mult_word, approx_word, unit_word = m.groups()
        start, end = m.span()
        if raw[0].isdigit():
            value = float(raw.replace(",", ""))
            # part of a longer token (phone numbers, codes, dates like 2012年 are excluded by unit)
            if start > 0 and (text[start - 1].isalpha() and text[start - 1].isascii()):
                continue
        else:
            v = _cn_to_number(raw)  # raw is never empty (see cn_to_number)
            if v is None:
                continue
            # 第一次, 一是, 一个窗口: ordinals and fixed phrases are not figures
            if start > 0 and text[start - 1] in "第每逐各这那哪某":
                continue
            value = v
        unit, mult, qual = _UNIT_PARTS[unit_word]
        if mult_word:
            mult *= _MULT[mult_word]
        if approx_word:
            qual = "approx"
        if text[max(0, start - 4): start].endswith(APPROX_PREFIX):
            qual = "approx"
        out.append(Number(scaled(value, mult), unit, qual, start, end, start))
    return out


def parse_cell(text: str) -> tuple[str, float | None, str]:
    """Classify a table cell: ('num', value, qualifier) / ('blank'|'dash', None, '') / ('text', None, '')."""
    if text.isdecimal():  # plain digits, most cells: what CELL_NUM would read (\d is isdecimal)
        return "num", float(text), "exact"
    return _parse_cell(text)


_DASH_CHARS = frozenset("-—–/\\－")
_TEN_THOUSANDS = re.compile(r"^(\d+(?:\.\d+)?)(万)$")


@lru_cache(maxsize=16384)
def _parse_cell(text: str) -> tuple[str, float | None, str]:
    """parse_cell beyond plain digits; cached, since tables repeat their labels and dashes."""
    s = text.strip().replace(" ", "")
    if s == "":
        return "blank", None, ""
    if s in DASHES or set(s) <= _DASH_CHARS:
        return "dash", None, ""
    if s in ZERO_WORDS:
        return "num", 0.0, "exact"
    qual = "exact"
    core = s
    if core.endswith(("余", "多")):
        core, qual = core[:-1], "approx"
    if core.endswith("%"):
        return "text", None, ""
    if CELL_NUM.match(core):
        return "num", float(core.replace(",", "").lstrip("+")), qual
    m = _TEN_THOUSANDS.match(core)
    if m:
        return "num", scaled(float(m.group(1)), 10000.0), qual
    m = _CELL_WITH_UNIT.match(core)
    if m:  # 251000元, 3件: the figure, without its unit (see cell_unit)
        return "num", float(m.group(1).replace(",", "")), qual
    return "text", None, ""


_CELL_WITH_UNIT = re.compile(r"^(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(" + UNIT_RE + r")$")


def cell_unit(text: str) -> str | None:
    """The unit word a cell writes after its figure (251000元 -> 元), if any."""
    m = _CELL_WITH_UNIT.match(text.strip().replace(" ", "").rstrip("余多"))
    return m.group(2) if m else None
