"""Render Word's automatic list numbers ("一、", "（二）", "3.") as text.

Report headings and table row labels are often auto-numbered in the .docx the office wrote.
The number lives in numbering.xml, not in the text, and later stages recognise sections and
rows by it ("三、收到和处理政府信息公开申请情况", "（一）予以公开").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_PAREN = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
_STOP = "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛"


@dataclass
class _Level:
    fmt: str
    text: str
    start: int
    suffix: str


def chinese_number(n: int, digits: str = _CN_DIGITS) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (list numbers rarely exceed that)."""
    if n <= 0 or n >= 10000:
        return str(n)
    units = ["", "十", "百", "千"]
    if digits is _CN_LEGAL:
        units = ["", "拾", "佰", "仟"]
    out, zero = "", False
    s = str(n)
    for i, ch in enumerate(s):
        d, unit = int(ch), units[len(s) - 1 - i]
        if d == 0:
            zero = True
            continue
        if zero and out:
            out += "零" if digits is _CN_DIGITS else digits[0]
        zero = False
        out += ("" if (d == 1 and unit == units[1] and i == 0 and digits is _CN_DIGITS)
                else digits[d]) + unit
    return out


def format_number(n: int, fmt: str) -> str:
    """A counter value in one of Word's w:numFmt styles."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "koreanCounting"):
        return chinese_number(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return chinese_number(n, _CN_LEGAL)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_CN_DIGITS[int(c)] for c in str(n))
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _DIZHI[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return _CIRCLED[n - 1] if 1 <= n <= 20 else str(n)
    if fmt == "decimalEnclosedParen":
        return _PAREN[n - 1] if 1 <= n <= 20 else f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return _STOP[n - 1] if 1 <= n <= 20 else f"{n}."
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter"):
        s = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s if fmt == "upperLetter" else s.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        s = _roman(n)
        return s if fmt == "upperRoman" else s.lower()
    return str(n)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for v, r in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                 (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + r, n - v
    return out


def _val(el: Any) -> str | None:
    return None if el is None else el.get(W + "val")


def _int(s: str | None, default: int) -> int:
    try:
        return int(s) if s is not None else default
    except ValueError:
        return default


class Numbering:
    """List definitions of one document and the running counters while reading it in order."""

    def __init__(self, nums: dict[str, tuple[str, dict[int, int]]],
                 abstracts: dict[str, dict[int, _Level]],
                 style_numpr: dict[str, tuple[str, int]]) -> None:
        self._nums = nums
        self._abstracts = abstracts
        self._style_numpr = style_numpr
        self._counters: dict[str, dict[int, int]] = {}
        self._started: set[str] = set()

    @classmethod
    def from_document(cls, document: Any) -> Numbering:
        """Definitions from numbering.xml and styles.xml; empty when they are missing or broken."""
        nums: dict[str, tuple[str, dict[int, int]]] = {}
        abstracts: dict[str, dict[int, _Level]] = {}
        style_numpr: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
            for a in root.findall(W + "abstractNum"):
                levels: dict[int, _Level] = {}
                for lvl in a.findall(W + "lvl"):
                    levels[_int(lvl.get(W + "ilvl"), 0)] = _Level(
                        fmt=_val(lvl.find(W + "numFmt")) or "decimal",
                        text=_val(lvl.find(W + "lvlText")) or "",
                        start=_int(_val(lvl.find(W + "start")), 1),
                        suffix=_val(lvl.find(W + "suff")) or "tab",
                    )
                abstracts[a.get(W + "abstractNumId") or ""] = levels
            for n in root.findall(W + "num"):
                overrides = {}
                for o in n.findall(W + "lvlOverride"):
                    start = o.find(W + "startOverride")
                    if start is not None:
                        overrides[_int(o.get(W + "ilvl"), 0)] = _int(_val(start), 1)
                nums[n.get(W + "numId") or ""] = (_val(n.find(W + "abstractNumId")) or "",
                                                  overrides)
        except Exception:  # no or damaged numbering part: text without list numbers
            return cls({}, {}, {})
        try:
            based: dict[str, str] = {}
            for st in document.styles.element.findall(W + "style"):
                sid = st.get(W + "styleId") or ""
                ppr = st.find(W + "pPr")
                numpr = ppr.find(W + "numPr") if ppr is not None else None
                if numpr is not None and _val(numpr.find(W + "numId")):
                    style_numpr[sid] = (_val(numpr.find(W + "numId")) or "",
                                        _int(_val(numpr.find(W + "ilvl")), 0))
                if (b := _val(st.find(W + "basedOn"))) is not None:
                    based[sid] = b
            for sid, parent in based.items():  # inherit numbering through basedOn (a few hops)
                hops = 0
                while sid not in style_numpr and parent and hops < 5:
                    if parent in style_numpr:
                        style_numpr[sid] = style_numpr[parent]
                    parent, hops = based.get(parent, ""), hops + 1
        except Exception:
            pass
        return cls(nums, abstracts, style_numpr)

    def label(self, p: Any) -> str:
        """The rendered list number of paragraph `p`, advancing the counters; '' if none."""
        if not self._nums:
            return ""
        ppr = p.find(W + "pPr")
        numpr = ppr.find(W + "numPr") if ppr is not None else None
        num_id: str | None = None
        ilvl = 0
        if numpr is not None:
            num_id = _val(numpr.find(W + "numId"))
            ilvl = _int(_val(numpr.find(W + "ilvl")), 0)
        if num_id is None and ppr is not None:
            style = _val(ppr.find(W + "pStyle"))
            if style in self._style_numpr:
                num_id, ilvl = self._style_numpr[style]
        if not num_id or num_id == "0" or num_id not in self._nums:
            return ""
        abstract_id, overrides = self._nums[num_id]
        levels = self._abstracts.get(abstract_id, {})
        level = levels.get(ilvl)
        if level is None or level.fmt in ("bullet", "none"):
            return ""
        counters = self._counters.setdefault(abstract_id, {})
        if num_id not in self._started:
            self._started.add(num_id)
            for lv, start in overrides.items():
                counters[lv] = start - 1
                for deeper in [k for k in counters if k > lv]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = level.text
        for k in range(9, 0, -1):
            token = f"%{k}"
            if token in text:
                lv = levels.get(k - 1)
                value = counters.get(k - 1, lv.start if lv else 1)
                text = text.replace(token, format_number(value, lv.fmt if lv else "decimal"))
        if not text:
            return ""
        return text + ("" if level.suffix == "nothing" else "\t")
