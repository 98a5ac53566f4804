"""PDF reports: text layer in reading order, ruled tables as grids.

Measured on generated CJK reports (reportlab, non-embedded STSong-Light): pypdfium2 extracts
text about 25x faster than pdfplumber, but silently drops text objects holding a single
Chinese character ("件", "无", "是"), which are exactly the unit and value cells of the
statistical tables. So pdfplumber (pdfminer) reads the content, and PDFium does the cheap
checks first (openable? password? page count?). PDFium is the fallback when pdfminer fails on
a file PDFium can repair, or cannot map the fonts to Unicode (the text then comes out as
"(cid:123)"); the reader then warns that single-character cells may be missing.
"""
from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
import pypdfium2 as pdfium

from extractors.base import RawDocument, Table, Unreadable
from extractors.limits import MAX_PDF_PAGES, Deadline
from extractors.pdf_layout import (Line, PageGeometry, PlacedTable, assemble, drop_furniture,
                                   line_text, set_margins)
from extractors.pdf_tables import (fragment_from_cell_text, fragment_from_pdfplumber, grid_of,
                                   is_real_table)
from extractors.textutil import clean_inline, normalize_grid

_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe; flows may read in threads
_CID = re.compile(r"\(cid:\d+\)")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (top-left origin, points)


@dataclass
class _Pages:
    """What one engine read: lines and tables per page, plus what the checks need."""

    lines: list[list[Line]] = field(default_factory=list)
    tables: list[list[PlacedTable]] = field(default_factory=list)
    geoms: list[PageGeometry] = field(default_factory=list)
    rulings: list[list[tuple[Box, list[Box]]]] = field(default_factory=list)
    images: int = 0
    cid: int = 0
    image_only_pages: list[int] = field(default_factory=list)
    title: str | None = None

    def text_chars(self) -> int:
        table_chars = sum(len(c) for ts in self.tables for t in ts for r in t.table.rows
                          for c in r)
        return table_chars + sum(len(ln.text) for p in self.lines for ln in p)


def read_pdf(data: bytes, deadline: Deadline | None = None,
             max_pages: int = MAX_PDF_PAGES) -> RawDocument:
    """Read a PDF, or raise Unreadable for scans, encryption, truncation and damage."""
    deadline = deadline or Deadline(None)
    _check_complete(data)
    n_pages = _precheck(data)
    if n_pages > max_pages:
        raise Unreadable(f"PDF has {n_pages} pages, more than the limit of {max_pages}")
    if n_pages == 0:
        raise Unreadable("PDF has no pages")
    warnings: list[str] = []
    failure: Exception | None = None
    pages: _Pages | None = None
    try:
        pages = _read_with_pdfplumber(data, deadline)
    except Unreadable:
        raise
    except Exception as e:  # pdfminer raises many unrelated types for damaged files
        failure = e
    if pages is not None:
        pages.lines = drop_furniture(pages.lines, pages.geoms)
        chars = pages.text_chars()
        if chars < 20 and pages.cid < 20:
            if pages.images:
                raise Unreadable("scanned PDF without text layer")
            raise Unreadable("PDF has no text layer (blank pages or text drawn as outlines)")
    if pages is None or pages.cid > 0.3 * max(1, pages.text_chars()):
        rulings = pages.rulings if pages is not None else None
        try:
            pages = _read_with_pdfium(data, deadline, rulings)
        except Unreadable:
            raise
        except Exception as e:
            raise _damaged(failure or e) from None
        pages.lines = drop_furniture(pages.lines, pages.geoms)
        why = "pdfminer failed" if failure is not None else "fonts lack a Unicode mapping"
        warnings.append(f"text read with PDFium ({why}): single-character cells may be missing")
        if pages.text_chars() < 20:
            raise Unreadable("PDF text layer cannot be decoded (fonts without a Unicode mapping)")
    elif pages.cid:
        warnings.append(f"{pages.cid} characters without Unicode mapping dropped")
    if pages.image_only_pages:
        listed = ", ".join(str(p + 1) for p in pages.image_only_pages[:20])
        warnings.append(f"pages without a text layer (scanned images): {listed}")
    set_margins(pages.lines, pages.geoms)
    ordered: list[list[Any]] = []
    for lines, tables in zip(pages.lines, pages.tables):
        items: list[Any] = [*lines, *tables]
        items.sort(key=lambda it: it.top)
        ordered.append(items)
    blocks = assemble(ordered, pages.geoms)
    return RawDocument(media_type="application/pdf", blocks=blocks, warnings=warnings,
                       title=pages.title)


def _check_complete(data: bytes) -> None:
    last = data.rfind(b"%%EOF")
    if last < 0:
        raise Unreadable("truncated PDF: no end-of-file marker (incomplete download?)")
    tail = data[last + 5:]
    if len(tail) > 1024 and _OBJ.search(tail):
        raise Unreadable("truncated PDF: an update after the last end-of-file marker is cut off")


def _precheck(data: bytes) -> int:
    """Open with PDFium to classify password and damage errors and count pages cheaply."""
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            msg = str(e)
            if "password" in msg.lower():
                raise Unreadable("encrypted PDF: a password is required to open it") from None
            raise Unreadable(f"damaged PDF ({msg})") from None
        try:
            return len(doc)
        finally:
            doc.close()


# ---------------------------------------------------------------- pdfplumber (main engine)


def _read_with_pdfplumber(data: bytes, deadline: Deadline) -> _Pages:
    out = _Pages()
    with pdfplumber.open(io.BytesIO(data), password="") as pdf:
        title = (pdf.metadata or {}).get("Title")
        if isinstance(title, str) and title.strip() and "(cid:" not in title:
            out.title = clean_inline(title) or None
        for i, page in enumerate(pdf.pages):
            deadline.check()
            _read_page(page, i, out)
            out.geoms.append(PageGeometry(width=float(page.width), height=float(page.height)))
            page.close()
    return out


def _read_page(page: Any, index: int, out: _Pages) -> None:
    drop = _overprinted(page.chars)
    n_chars = sum(1 for c in page.chars if not c.get("text", " ").isspace())
    out.images += len(page.images)
    lines: list[Line] = []
    tables: list[PlacedTable] = []
    rulings: list[tuple[Box, list[Box]]] = []
    out.lines.append(lines)
    out.tables.append(tables)
    out.rulings.append(rulings)
    if n_chars == 0:
        if page.images:
            out.image_only_pages.append(index)
        return
    if drop:
        page = page.filter(lambda o: id(o) not in drop)
    boxes: list[Box] = []
    if page.lines or page.rects:
        for t in page.find_tables():
            fragment = fragment_from_pdfplumber(t)
            rows = normalize_grid(grid_of(fragment))
            if is_real_table(rows):
                box: Box = fragment.box  # type: ignore[assignment]
                tables.append(PlacedTable(Table(rows=rows), top=box[1], page=index,
                                          fragment=fragment))
                boxes.append(box)
                rulings.append((box, fragment.cells))  # type: ignore[arg-type]
    text_page = page.filter(_outside(boxes)) if boxes else page
    for ln in text_page.extract_text_lines(return_chars=True, strip=True):
        chars = [c for c in ln["chars"] if not _CID.fullmatch(c.get("text", ""))]
        out.cid += len(ln["chars"]) - len(chars)
        text, gapped = line_text(chars)
        if text:
            lines.append(Line(text, float(ln["x0"]), float(ln["x1"]), float(ln["top"]),
                              float(ln["bottom"]), index, gapped))


def _overprinted(chars: list[dict[str, Any]]) -> set[int]:
    """ids of chars drawn again within a point of an identical glyph (fake bold, shadows).

    pdfplumber's own dedupe_chars does the same with sorting and costs a third of the time.
    """
    seen: set[tuple[str, int, int]] = set()
    drop: set[int] = set()
    for c in chars:
        text = c.get("text", "")
        if not text or text.isspace():
            continue
        x, y = round(c["x0"]), round(c["top"])
        if any((text, x + dx, y + dy) in seen for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
            drop.add(id(c))
        else:
            seen.add((text, x, y))
    return drop


def _inside(boxes: list[Box], x: float, y: float) -> bool:
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _outside(boxes: list[Box]) -> Any:
    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        return not _inside(boxes, (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2)
    return keep


# ---------------------------------------------------------------- PDFium (fallback engine)


def _read_with_pdfium(data: bytes, deadline: Deadline,
                      rulings: list[list[tuple[Box, list[Box]]]] | None) -> _Pages:
    """Lines from PDFium's text rectangles; cell text for the rulings pdfplumber found."""
    out = _Pages()
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            for i in range(len(doc)):
                deadline.check()
                page = doc[i]
                width, height = page.get_size()
                tp = page.get_textpage()
                page_rulings = rulings[i] if rulings and i < len(rulings) else []

                def text_in(b: tuple[float, ...], tp: Any = tp, h: float = height) -> str:
                    return str(tp.get_text_bounded(left=b[0], bottom=h - b[3], right=b[2],
                                                   top=h - b[1]))

                tables: list[PlacedTable] = []
                for box, cells in page_rulings:
                    fragment = fragment_from_cell_text(box, list(cells), text_in)
                    rows = normalize_grid(grid_of(fragment))
                    if is_real_table(rows):
                        tables.append(PlacedTable(Table(rows=rows), top=box[1], page=i,
                                                  fragment=fragment))
                boxes = [box for box, _ in page_rulings]
                segments: list[tuple[float, float, float, float, str]] = []
                for k in range(tp.count_rects()):
                    left, bottom, right, top = tp.get_rect(k)
                    t, b = height - top, height - bottom
                    if _inside(boxes, (left + right) / 2, (t + b) / 2):
                        continue
                    text = str(tp.get_text_bounded(left=left, bottom=bottom, right=right, top=top))
                    if text.strip():
                        segments.append((t, b, left, right, text))
                out.lines.append(_group_lines(segments, i))
                out.tables.append(tables)
                out.geoms.append(PageGeometry(width=float(width), height=float(height)))
                tp.close()
                page.close()
        finally:
            doc.close()
    return out


def _group_lines(segments: list[tuple[float, float, float, float, str]], page: int) -> list[Line]:
    """Text rectangles on the same baseline, left to right, as one Line."""
    lines: list[Line] = []
    current: list[tuple[float, float, float, float, str]] = []

    def flush() -> None:
        if not current:
            return
        current.sort(key=lambda s: s[2])
        text = clean_inline("".join(s[4].replace("\r", "").replace("\n", "") for s in current))
        if text:
            lines.append(Line(text, min(s[2] for s in current), max(s[3] for s in current),
                              min(s[0] for s in current), max(s[1] for s in current), page))
        current.clear()

    for seg in sorted(segments, key=lambda s: s[0]):
        if current:
            top, bottom = min(s[0] for s in current), max(s[1] for s in current)
            if not top <= (seg[0] + seg[1]) / 2 <= bottom:
                flush()
        current.append(seg)
    flush()
    return lines


def _damaged(e: Exception) -> Unreadable:
    name = type(e).__name__
    if "Password" in name or "Encrypt" in name:
        return Unreadable(f"encrypted PDF that cannot be decrypted ({name})")
    return Unreadable(f"damaged PDF ({name}: {str(e)[:200]})")
