"""Turn positioned PDF lines and tables into paragraphs in reading order.

A PDF has no paragraphs, only lines. A wrapped line is recognised by its geometry and its last
character: it reaches the right edge of the text column, does not end a sentence, and the
next line starts at the left margin with more Chinese text. Headings ("一、总体情况") are short
lines and so are never glued to the paragraph after them. Page numbers and running headers are
page furniture and are dropped before mending, so that a paragraph broken by a page break is
joined again.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from extractors.base import Block, Table
from extractors.pdf_tables import Fragment, merge_continuation, merge_fragments, same_columns
from extractors.textutil import count_cjk, is_cjk, smart_join, strip_controls


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    page: int
    gapped: bool = False  # has a column-wide gap: a row of an unruled table, never mended

    @property
    def size(self) -> float:
        return max(1.0, self.bottom - self.top)


@dataclass
class PlacedTable:
    table: Table
    top: float
    page: int
    fragment: Fragment | None = None


@dataclass
class PageGeometry:
    width: float
    height: float
    left: float = 0.0
    right: float = 0.0


_DASHED_NUMBER = re.compile(r"^[-—–－─―~～]+\s*(?:[0-9０-９]{1,4}|[一二三四五六七八九十百]+)\s*[-—–－─―~～]+$")
_PAGE_NUMBER = [
    re.compile(r"^第\s*[0-9０-９]{1,4}\s*页(?:\s*[,，/／]?\s*共\s*[0-9０-９]{1,4}\s*页)?$"),
    re.compile(r"^共\s*[0-9０-９]{1,4}\s*页\s*[,，]?\s*第\s*[0-9０-９]{1,4}\s*页$"),
    re.compile(r"^[0-9]{1,4}\s*/\s*[0-9]{1,4}$"),
    re.compile(r"^(?:page|p\.)\s*[0-9]{1,4}(?:\s*of\s*[0-9]{1,4})?$", re.I),
]
_BARE_NUMBER = re.compile(r"^[0-9０-９]{1,4}$")
_SENTENCE_END = set("。！？!?…")
_CLOSERS = "”’」』）)】〕》\"' "
_LIST_MARKER = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十0-9０-９]+[)）]|[0-9０-９]+[、.．](?![0-9])"
    r"|第[一二三四五六七八九十]+[章节条部分]|[①-⑳]|附件|附表)"
)


def line_text(chars: list[dict[str, Any]]) -> tuple[str, bool]:
    """Text of one line from its characters, keeping only the spaces a reader would see.

    Gaps of a character width or more separate columns of an unruled table and stay as a
    space (the table reader splits such lines on whitespace); smaller gaps between Chinese
    characters come from justification and are dropped; letter-spaced headings ("统 计 指 标")
    are closed up. Also says whether the line has a gap of 1.5 characters or more.
    """
    tokens: list[str] = []
    gapped = False
    prev: dict[str, Any] | None = None
    for c in sorted(chars, key=lambda c: c["x0"]):
        t = strip_controls(c.get("text", ""))
        if not t or t.isspace():
            continue
        if prev is None:
            tokens.append(t)
        else:
            size = max(1.0, float(c.get("size") or 0) or (c["bottom"] - c["top"]))
            gap = c["x0"] - prev["x1"]
            cjk_pair = is_cjk(tokens[-1][-1]) and is_cjk(t[0])
            gapped = gapped or gap >= 1.5 * size
            if gap >= 0.9 * size or (gap > 0.25 * size and not cjk_pair):
                tokens.append(t)
            else:
                tokens[-1] += t
        prev = c
    if len(tokens) >= 3 and all(len(t) == 1 and is_cjk(t) for t in tokens):
        return "".join(tokens), False
    return " ".join(tokens), gapped


def is_page_number(line: Line, geom: PageGeometry) -> bool:
    """Page numbers: dashed or 第N页 forms anywhere, bare numbers only in the page margins."""
    t = line.text.strip()
    if len(t) > 20:
        return False
    if _DASHED_NUMBER.match(t) or any(p.match(t) for p in _PAGE_NUMBER):
        return True
    return bool(_BARE_NUMBER.match(t)) and _in_margin(line, geom)


def drop_furniture(pages: list[list[Line]], geoms: list[PageGeometry]) -> list[list[Line]]:
    """Remove page numbers, and headers/footers repeated in the margins of most pages."""
    repeated: set[str] = set()
    if len(pages) >= 3:
        seen: Counter[str] = Counter()
        for lines, g in zip(pages, geoms):
            keys = {_furniture_key(ln) for ln in lines if _in_margin(ln, g)}
            seen.update(keys)
        repeated = {k for k, n in seen.items() if n >= max(3, 0.6 * len(pages))}
    out: list[list[Line]] = []
    for lines, g in zip(pages, geoms):
        out.append([ln for ln in lines if not is_page_number(ln, g)
                    and not (_in_margin(ln, g) and _furniture_key(ln) in repeated)])
    return out


def _in_margin(line: Line, g: PageGeometry) -> bool:
    return line.top > 0.9 * g.height or line.bottom < 0.08 * g.height


def _furniture_key(line: Line) -> str:
    return re.sub(r"[0-9０-９]+", "#", line.text.strip())


def set_margins(pages: list[list[Line]], geoms: list[PageGeometry]) -> None:
    """Estimate each page's text column (left and right edge) from its long lines."""
    all_long = [ln for lines in pages for ln in lines if len(ln.text) >= 10]
    doc_left = _percentile([ln.x0 for ln in all_long], 0.1)
    doc_right = _percentile([ln.x1 for ln in all_long], 0.9)
    for lines, g in zip(pages, geoms):
        long = [ln for ln in lines if len(ln.text) >= 10]
        if len(long) >= 5:
            g.left = _percentile([ln.x0 for ln in long], 0.1)
            g.right = _percentile([ln.x1 for ln in long], 0.9)
        else:
            g.left = doc_left if doc_left is not None else 0.0
            g.right = doc_right if doc_right is not None else g.width


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS)
    return bool(t) and t[-1] in _SENTENCE_END


def uses_first_line_indent(pages: list[list[Line | PlacedTable]],
                           geoms: list[PageGeometry]) -> bool:
    """Do paragraphs start with an indent (the Chinese official style: two characters)?

    Then an unindented line after a full one always continues the paragraph, even when the
    previous line happens to end with "。" exactly at the margin.
    """
    lines = [ln for items in pages for ln in items if isinstance(ln, Line)]
    indented = sum(1 for ln in lines
                   if 1.5 * ln.size <= ln.x0 - geoms[ln.page].left <= 3.2 * ln.size)
    return indented >= 3 and indented >= 0.05 * len(lines)


def continues(prev: Line, cur: Line, geoms: list[PageGeometry], indent_style: bool = False) -> bool:
    """Is `cur` the continuation of the paragraph that `prev` wrapped?"""
    pt, ct = prev.text.rstrip(), cur.text.lstrip()
    if not pt or not ct or prev.gapped or cur.gapped or _LIST_MARKER.match(ct):
        return False
    if not indent_style and _ends_sentence(pt):
        return False
    if not (is_cjk(pt[-1]) or is_cjk(ct[0]) or count_cjk(pt[-4:] + ct[:4])):
        return False
    pg, cg = geoms[prev.page], geoms[cur.page]
    size = max(prev.size, cur.size)
    if prev.x1 < pg.right - 2.0 * size:
        return False  # a short line ends its paragraph
    if cur.x0 > cg.left + 0.8 * size:
        return False  # an indented line starts a new paragraph
    if abs(prev.size - cur.size) > 0.3 * size:
        return False  # font size changes between heading and body
    if prev.page == cur.page:
        gap = cur.top - prev.bottom
        return -0.5 * size <= gap <= 1.2 * size
    return cur.page == prev.page + 1


def assemble(pages: list[list[Line | PlacedTable]], geoms: list[PageGeometry]) -> list[Block]:
    """Paragraphs and tables in reading order, wrapped lines mended across lines and pages."""
    blocks: list[Block] = []
    para: list[str] = []
    last: Line | None = None
    last_table: Table | None = None  # the previous block, when it is a table
    last_table_page = -1
    fragments: list[Fragment] = []  # the pieces of last_table, one per page
    indent_style = uses_first_line_indent(pages, geoms)

    def flush() -> None:
        nonlocal para
        if para:
            text = smart_join(para, soft_wrap=True)
            if text:
                blocks.append(text)
        para = []

    for items in pages:
        for item in items:
            if isinstance(item, PlacedTable):
                flush()
                last = None
                if last_table is not None and item.page == last_table_page + 1:
                    if (item.fragment is not None and fragments
                            and same_columns(fragments[-1], item.fragment)):
                        fragments.append(item.fragment)
                        last_table.rows = merge_fragments(fragments)
                        last_table_page = item.page
                        continue
                    if item.fragment is None and merge_continuation(last_table, item.table):
                        last_table_page = item.page
                        continue
                blocks.append(item.table)
                last_table, last_table_page = item.table, item.page
                fragments = [item.fragment] if item.fragment is not None else []
                continue
            if last is not None and para and continues(last, item, geoms, indent_style):
                para.append(item.text)
            else:
                flush()
                para = [item.text]
            last = item
            last_table = None
    flush()
    return blocks
