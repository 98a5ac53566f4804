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

import numpy as np

from extractors.textutil import cjk_code_points, code_points, from_code_points

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
# vowels with or without their tone marks (運(yùn)輸, 政(zheng)府)
_VOWELS = "aeiouv\u00fc\u0101\u00e1\u01ce\u00e0\u0113\u00e9\u011b\u00e8\u012b\u00ed\u01d0\u00ec" \
    "\u014d\u00f3\u01d2\u00f2\u016b\u00fa\u01d4\u00f9\u01d6\u01d8\u01da\u01dc"
_SYLLABLE = r"(?:[bcdfghjklmnpqrstwxyz]{0,2}[" + _VOWELS + r"]{1,3}(?:n|ng|r)?)\)"
# (?<=[\u4e00-\u9fff])(?:\(SYLLABLE)+, written to start with the "(" (checking the character
# before it afterwards) so that the regex engine can skip to the next "(" instead of trying
# the look-behind at every position
_PINYIN = re.compile(r"\((?<=[\u4e00-\u9fff]\()" + _SYLLABLE + r"(?:\(" + _SYLLABLE + ")*")
_MANY_NL = re.compile(r"\n{3,}")
# joins the texts of one batch (normalize_texts): a character that no step changes, moves or
# matches across (not whitespace, not CJK, in no OpenCC key or phrase) and that no text holds
_SEP = "\x01"
_SEP_LINE = "\n" + _SEP + "\n"
_VECTOR_MIN = 256  # shorter texts: the plain str methods are cheaper than array set-up
_DROPPED = 0xFFFFFFFF  # code-point table entry of a character halfwidth() removes


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
    if _any_phrase().search(out):  # one scan; usually no phrase occurs at all
        for src, dst in _phrases():
            if src in out:
                out = out.replace(src, dst)
    return out


@lru_cache(maxsize=1)
def _any_phrase() -> re.Pattern[str]:
    srcs = [src for src, _ in _phrases()]
    if not all(srcs):
        return re.compile("")  # an empty source occurs everywhere
    return re.compile("|".join(map(re.escape, srcs)))


def halfwidth(text: str) -> str:
    if len(text) < _VECTOR_MIN:
        return text.translate(_TABLE)
    # str.translate looks every character up in a dict; a code-point table does it in one pass
    cps = _halfwidth_table()[code_points(text)]
    if _DROPPED in cps:
        cps = cps[cps != _DROPPED]
    return from_code_points(cps)


def tidy_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _collapse_newlines(_tidy_lines(text)).strip("\n")


def _tidy_lines(text: str) -> str:
    """Blank runs to one space and every line stripped (lines split at "\n" only)."""
    # _BLANKS never matches a newline, so one pass over the text equals one pass per line;
    # it changes nothing unless two blanks meet or a blank is not a space
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:
        text = _BLANKS.sub(" ", text)
    return "\n".join(map(str.strip, text.split("\n")))


def _collapse_newlines(text: str) -> str:
    return _MANY_NL.sub("\n\n", text) if "\n\n\n" in text else text


def normalize_text(text: str) -> str:
    """Simplified characters, half-width forms, tidy whitespace. Idempotent."""
    text = text.replace("\x00", "")
    text = halfwidth(text)
    text = _drop_pinyin(text)
    return tidy_whitespace(to_simplified(text))


def _drop_pinyin(text: str) -> str:
    return _PINYIN.sub("", text) if "(" in text else text


@lru_cache(maxsize=1)
def _batch_safe() -> bool:
    return all(src and _SEP not in src + dst for src, dst in _phrases())


def normalize_texts(texts: list[str]) -> list[str]:
    """`[normalize_text(t) for t in texts]`, with one pass of each step over all the texts.

    The texts are joined with a separator that no step changes, removes or matches across
    (`_SEP`), so each step run once over the joined text gives the joined per-text results.
    For whitespace tidying the separator becomes a line of its own: lines are stripped one by
    one in both cases, and each text's leading and trailing newlines are trimmed after the
    split, which also absorbs any run of newlines that touches a separator.
    """
    if len(texts) < 2 or not _batch_safe():
        return [normalize_text(t) for t in texts]
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [normalize_text(t) for t in texts]
    try:
        joined = to_simplified(_drop_pinyin(halfwidth(joined.replace("\x00", ""))))
    except Exception:  # let the text that fails raise its own error
        return [normalize_text(t) for t in texts]
    if joined.count(_SEP) != len(texts) - 1:
        return [normalize_text(t) for t in texts]
    joined = joined.replace("\r\n", "\n").replace("\r", "\n").replace(_SEP, _SEP_LINE)
    parts = _collapse_newlines(_tidy_lines(joined)).split(_SEP_LINE)
    if len(parts) != len(texts):
        return [normalize_text(t) for t in texts]
    return [t.strip("\n") for t in parts]


def detect_script(text: str, sample: int = 50000) -> str:
    """simplified, traditional or mixed, judged on the characters that differ between scripts."""
    uniq = _unique_cjk(text[:sample])
    if not uniq:
        return "simplified"
    trad = _differ(uniq, _converter().convert(uniq))
    if trad == 0:
        return "simplified"  # whatever simp is, the share of traditional is 0
    simp = _differ(uniq, _s2t().convert(uniq))
    if trad + simp == 0:
        return "simplified"
    share = trad / (trad + simp)
    if share >= 0.8:
        return "traditional"
    if share <= 0.2:
        return "simplified"
    return "mixed"


def _differ(a: str, b: str) -> int:
    """Positions (up to the shorter length, as zip pairs them) where a and b differ."""
    ca, cb = code_points(a), code_points(b)
    n = min(len(ca), len(cb))
    return int(np.count_nonzero(ca[:n] != cb[:n]))


def _unique_cjk(text: str) -> str:
    """The distinct characters of `text` in U+4E00..U+9FFF, sorted (one vectorised pass)."""
    return from_code_points(np.unique(cjk_code_points(text)))


@lru_cache(maxsize=1)
def _halfwidth_table() -> np.ndarray:
    """_TABLE as an array indexed by code point: the replacement, or _DROPPED."""
    table = np.arange(0x110000, dtype=np.uint32)
    for k, v in _TABLE.items():
        assert isinstance(v, str) and len(v) <= 1
        table[k] = ord(v) if v else _DROPPED
    return table
