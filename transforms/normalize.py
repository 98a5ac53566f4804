"""Normalize decoded text so that labels and numbers look the same in every copy.

Traditional characters become simplified (OpenCC t2s plus a small Taiwan-wording phrase table
kept as data: 資訊 -> 信息); full-width digits, letters and punctuation become half-width with a
targeted table (not NFKC, which turns circled numbers inside labels into digits); line breaks
and runs of blanks are made consistent. Spans in the warehouse point into this text.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib.resources import files

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULLWIDTH.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})
_FULLWIDTH.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
_FULLWIDTH.update({
    "，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?", "％": "%",
    "＋": "+", "－": "-", "＝": "=", "／": "/", "．": ".", "｜": "|", "［": "[", "］": "]",
    "＜": "<", "＞": ">", "＃": "#", "＆": "&", "＊": "*", "＠": "@", "＿": "_", "～": "~",
    "\u3000": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u2060": "",
    "\u2014\u2014": "——",
})
_TABLE = str.maketrans({k: v for k, v in _FULLWIDTH.items() if len(k) == 1})
_BLANKS = re.compile(r"[ \t\f\v]+")
# mirror sites print pinyin beside characters: 政(zheng)(zheng)府(fu)
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])(?:\((?:[bcdfghjklmnpqrstwxyz]{0,2}[aeiouv\u00fc]{1,3}"
                     r"(?:n|ng|r)?)\))+")
_MANY_NL = re.compile(r"\n{3,}")
_CJK = re.compile("[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _phrases() -> list[tuple[str, str]]:
    with files("transforms").joinpath("catalog/phrases.csv").open(encoding="utf-8") as f:
        rows = [(r["from"], r["to"]) for r in csv.DictReader(f)]
    return sorted(rows, key=lambda p: -len(p[0]))


def to_simplified(text: str) -> str:
    out = _converter().convert(text)
    for src, dst in _phrases():
        if src in out:
            out = out.replace(src, dst)
    return out


def halfwidth(text: str) -> str:
    return text.translate(_TABLE)


def tidy_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_BLANKS.sub(" ", ln).strip() for ln in text.split("\n")]
    return _MANY_NL.sub("\n\n", "\n".join(lines)).strip("\n")


def normalize_text(text: str) -> str:
    """Simplified characters, half-width forms, tidy whitespace. Idempotent."""
    text = text.replace("\x00", "")
    text = halfwidth(text)
    if "(" in text:
        text = _PINYIN.sub("", text)
    return tidy_whitespace(to_simplified(text))


def detect_script(text: str, sample: int = 50000) -> str:
    """simplified, traditional or mixed, judged on the characters that differ between scripts."""
    uniq = "".join(sorted(set(_CJK.findall(text[:sample]))))
    if not uniq:
        return "simplified"
    as_simp = _converter().convert(uniq)
    as_trad = _s2t().convert(uniq)
    trad = sum(1 for a, b in zip(uniq, as_simp) if a != b)
    simp = sum(1 for a, b in zip(uniq, as_trad) if a != b)
    if trad + simp == 0:
        return "simplified"
    share = trad / (trad + simp)
    if share >= 0.8:
        return "traditional"
    if share <= 0.2:
        return "simplified"
    return "mixed"
