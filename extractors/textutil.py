"""Small text helpers every reader needs, so that all formats join and clean text the same way.

Chinese has no spaces between words: when a reader glues pieces of one cell or one paragraph
together (HTML inline elements, PDF line wraps, DOCX runs), inserting a space between two
Chinese characters would break label matching later ("部分 公开" is not "部分公开"). Latin words
and numbers, on the other hand, need the space they had.
"""
from __future__ import annotations

import re
from itertools import accumulate

import numpy as np

_CJK_RANGES = (
    ("\u3000", "\u303f"),  # CJK punctuation
    ("\u3400", "\u4dbf"),
    ("\u4e00", "\u9fff"),
    ("\uf900", "\ufaff"),
    ("\uff00", "\uffef"),  # full-width forms
    ("\u2e80", "\u2fdf"),
)
# C0 controls except tab, newline, carriage return and form feed, plus DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff\ufffe]")
_WS_RUN = re.compile(r"[ \t\r\n\f\v\xa0\u2002-\u200b]+")
_IDEOGRAPH_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK_CLASS = "".join(f"{lo}-{hi}" for lo, hi in _CJK_RANGES)
_CJK_SPACE = re.compile(f"(?<=[{_CJK_CLASS}]) (?=[{_CJK_CLASS}])")


def is_cjk(ch: str) -> bool:
    """True for Chinese characters and the full-width punctuation that goes with them."""
    return any(lo <= ch <= hi for lo, hi in _CJK_RANGES)


def count_cjk(text: str) -> int:
    """Number of Chinese ideographs (not punctuation): the measure of 'how much report text'."""
    return sum(map(len, _IDEOGRAPH_RUN.findall(text)))


def count_cjk_each(texts: list[str]) -> list[int]:
    """`count_cjk` of every text; on much text, one vectorised pass instead of a regex per text.

    A web page has hundreds of short text nodes, and a regex call costs about a microsecond
    per node; numpy tests all their characters at once for a fixed cost of some tens of
    microseconds, which pays from about a thousand characters on. Same ranges as
    _IDEOGRAPH_RUN.
    """
    if sum(map(len, texts)) < 1500:
        return [count_cjk(t) for t in texts]
    cps = code_points("".join(texts))
    ideograph = ((cps >= 0x4E00) & (cps <= 0x9FFF)) | ((cps >= 0x3400) & (cps <= 0x4DBF))
    upto = np.zeros(len(cps) + 1, dtype=np.intp)  # upto[i]: ideographs before position i
    np.cumsum(ideograph, out=upto[1:])
    ends = np.fromiter(accumulate(map(len, texts)), dtype=np.intp, count=len(texts))
    return np.diff(upto[ends], prepend=0).tolist()


def strip_controls(text: str) -> str:
    """Remove NULs and other control characters that some exports leave in text."""
    return _CONTROL.sub("", text)


def clean_inline(text: str) -> str:
    """Collapse whitespace runs to one space and drop spaces that only separate CJK characters.

    Whitespace between two Chinese characters comes from source line breaks or justification,
    never from the author.
    """
    # printable text holds no control character and no blank but the space (see _CONTROL,
    # _WS_RUN), so unless two spaces meet there is nothing to remove or collapse
    if not text.isprintable() or "  " in text:
        text = _WS_RUN.sub(" ", strip_controls(text))
    if " " in text:
        text = _drop_cjk_spaces(text)
    return text.strip(" \u3000")


def _drop_cjk_spaces(text: str) -> str:
    """Remove every space whose neighbours (in the original text) are both CJK."""
    return _CJK_SPACE.sub("", text)


def smart_join(pieces: list[str], soft_wrap: bool = False) -> str:
    """Join text pieces (lines of a cell, wrapped lines of a paragraph) the way a reader would.

    Explicit breaks (HTML <br>, DOCX paragraphs in a cell): no separator where either side is
    Chinese, a space otherwise. Soft wraps (PDF lines): Chinese justified text breaks anywhere,
    even inside a number ("22" / "63件"), so only two Latin letters get a space between them.
    """
    out = ""
    for p in pieces:
        p = p.strip(" \t\r\n\xa0\u3000")
        if not p:
            continue
        if out:
            a, b = out[-1], p[0]
            if soft_wrap:
                if a.isascii() and b.isascii() and a.isalpha() and b.isalpha():
                    out += " "
            elif not (is_cjk(a) or is_cjk(b)):
                out += " "
        out += p
    return out


def normalize_grid(rows: list[list[str]]) -> list[list[str]]:
    """Make a grid rectangular and drop rows and trailing columns that are entirely empty.

    Readers fill spanned cells before calling this, so an all-empty row carries no content.
    """
    rows = [[c if c is not None else "" for c in r] for r in rows]
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    while width > 0 and all(not r[width - 1].strip() for r in rows):
        width -= 1
        rows = [r[:width] for r in rows]
    return rows


def code_points(text: str) -> np.ndarray:
    """The code points of `text` as an array: per-character work done in one vectorised pass."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_code_points(cps: np.ndarray) -> str:
    return cps.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


def cjk_code_points(text: str) -> np.ndarray:
    """The code points of `text` in U+4E00..U+9FFF, in order."""
    cps = code_points(text)
    return cps[(cps >= 0x4E00) & (cps <= 0x9FFF)]
