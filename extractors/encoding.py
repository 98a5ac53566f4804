"""Detect the encoding of report bytes and decode them.

Reports come in UTF-8, UTF-16, the GBK family and Big5. Declared charsets (HTML meta, HTTP
headers) are often wrong, and Big5 bytes decode without error as GB18030 into nonsense, so a
successful strict decode proves little. We therefore decode with every plausible codec and keep
the one whose text looks most like Chinese prose: the share of very common characters after
folding traditional to simplified.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import chardet
import numpy as np

from extractors.textutil import cjk_code_points, code_points, from_code_points

# Codec used to decode, and the name recorded in `reports.encoding`.
_CANDIDATES: list[tuple[str, str]] = [
    ("utf-8", "utf-8"),
    ("gb18030", "gb18030"),  # the whole GBK family (GB2312, GBK, GB18030) decodes as GB18030
    ("cp950", "big5"),  # Big5 as Windows writes it (a superset of plain Big5)
]
_CHARDET_TO_CODEC = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "cp950", "cp950": "cp950", "big5hkscs": "cp950",
    "utf-8": "utf-8", "ascii": "utf-8", "utf-16": "utf-16", "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
}
_DECLARED_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
    "big5": "cp950", "big5-hkscs": "cp950", "cp950": "cp950",
    "utf-8": "utf-8", "utf8": "utf-8",
}


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str]


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    text = files("extractors").joinpath("common_hanzi.txt").read_text(encoding="utf-8")
    return frozenset(text.strip())


@lru_cache(maxsize=1)
def _common_table() -> np.ndarray:
    """`_common_chars` as a lookup table indexed by code point."""
    table = np.zeros(0x110000, dtype=np.bool_)
    table[[ord(c) for c in _common_chars()]] = True
    return table




@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def chinese_score(text: str, sample: int = 20000) -> float:
    """Share of CJK characters that are among the commonest simplified characters.

    Real prose scores 0.4-0.7; text decoded with the wrong codec scores well under 0.2.
    """
    cjk = from_code_points(cjk_code_points(text[:sample]))
    if not cjk:
        return 0.0
    folded = _t2s().convert(cjk)
    return int(np.count_nonzero(_common_table()[code_points(folded)])) / len(folded)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: Chinese text in UTF-16 has NUL bytes only among ASCII characters."""
    head = data[:4000]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    # 8-bit Chinese encodings never contain NUL; UTF-16 has one in every ASCII character
    # (and in CJK characters such as U+4E00), though CJK-heavy text may have very few.
    if head.count(0) == 0 and (b"\n" in head or b" " in head):
        return None
    best: tuple[float, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            t = head.decode(codec)
        except UnicodeDecodeError:
            continue
        normal = sum(1 for c in t if c.isprintable() or c in "\r\n\t") / max(1, len(t))
        score = chinese_score(t)
        if normal > 0.9 and score > 0.25 and (best is None or score > best[0]):
            best = (score, codec)
    return best[1] if best else None


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Decode report bytes. `declared` (meta charset, Content-Type) is a hint, never the answer."""
    warnings: list[str] = []
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
    ):
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is None:
                text = data.decode(codec, errors="replace")
                warnings.append(f"{name} text with undecodable bytes replaced")
            return Decoded(text, name, warnings)

    u16 = _looks_utf16(data)
    if u16:
        text = _strict(data, u16)
        if text is None:
            text = data.decode(u16, errors="replace")
            warnings.append("utf-16 text with undecodable bytes replaced")
        return Decoded(text, "utf-16", warnings)

    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", warnings)

    hint = _DECLARED_ALIASES.get((declared or "").strip().lower())
    scored: list[tuple[float, str, str, str]] = []
    for codec, name in _CANDIDATES[1:]:
        t = _strict(data, codec)
        if t is not None:
            score = chinese_score(t) + (0.02 if codec == hint else 0.0)
            scored.append((score, codec, name, t))
    if scored:
        scored.sort(key=lambda x: x[0], reverse=True)
        return Decoded(scored[0][3], scored[0][2], warnings)

    # Nothing decodes cleanly: ask chardet, restricted to the genre's encodings, then pick the
    # codec whose lossy decode reads best. The report is still loaded, with a warning.
    guess = (chardet.detect(data[:200000]).get("encoding") or "").lower()
    options = [c for c, _ in _CANDIDATES]
    if guess in _CHARDET_TO_CODEC and _CHARDET_TO_CODEC[guess] not in options:
        options.append(_CHARDET_TO_CODEC[guess])
    best: tuple[float, str, str] | None = None
    for codec in options:
        t = data.decode(codec, errors="replace")
        bad = t.count("\ufffd") / max(1, len(t))
        score = chinese_score(t) - 5 * bad
        if best is None or score > best[0]:
            best = (score, codec, t)
    assert best is not None
    name = dict(_CANDIDATES).get(best[1], best[1])
    n_bad = best[2].count("\ufffd")
    warnings.append(f"decoded as {name} with {n_bad} undecodable byte sequences replaced")
    return Decoded(best[2], name, warnings)
