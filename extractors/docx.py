"""Word .docx reports: paragraphs and tables in body order, merged cells filled.

python-docx opens the package (its XML parser resolves no entities), but its high-level API
lists paragraphs and tables separately and loses their order, skips content controls, and
repeats text boxes. So we walk the body XML ourselves. Automatic list numbers ("一、",
"（一）") are rendered from numbering.xml because section headings in reports are often
auto-numbered, and without the number "一、总体情况" would read as "总体情况".
"""
from __future__ import annotations

import io
from typing import Any

from extractors.base import Block, RawDocument, Table, Unreadable
from extractors.docx_numbering import Numbering
from extractors.limits import MAX_TABLE_CELLS, Deadline
from extractors.textutil import clean_inline, normalize_grid, smart_join
from extractors.zipsafe import open_checked_zip

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag", MC + "AlternateContent",
             MC + "Choice", W + "ins", W + "moveTo", W + "hyperlink", W + "fldSimple",
             W + "dir", W + "bdo"}
_SKIP = {MC + "Fallback", W + "del", W + "moveFrom", W + "sdtPr", W + "sdtEndPr", W + "rPr",
         W + "pPr", W + "instrText", W + "delText", W + "footnoteReference",
         W + "commentReference"}


def read_docx(data: bytes, deadline: Deadline | None = None) -> RawDocument:
    """Read a DOCX from bytes after the zip-bomb and DTD checks."""
    import docx  # python-docx

    deadline = deadline or Deadline(None)
    open_checked_zip(data, "DOCX").close()
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors...
        raise Unreadable(f"damaged DOCX file ({type(e).__name__}: {str(e)[:200]})") from None
    numbering = Numbering.from_document(document)
    warnings: list[str] = []
    blocks: list[Block] = []
    body = document.element.body
    for el in _flatten(body):
        deadline.check()
        if el.tag == W + "p":
            blocks.extend(_paragraph_blocks(el, numbering))
        elif el.tag == W + "tbl":
            rows = _table_rows(el, numbering)
            if rows:
                blocks.append(Table(rows=rows))
        elif el.tag == W + "altChunk":
            warnings.append("embedded alternative-format content (altChunk) not read")
    title = None
    try:
        title = clean_inline(document.core_properties.title or "") or None
    except Exception:  # damaged core.xml must not lose the body
        pass
    return RawDocument(media_type="application/vnd.openxmlformats-officedocument."
                       "wordprocessingml.document", blocks=blocks, title=title,
                       warnings=warnings)


def _flatten(container: Any) -> list[Any]:
    """Block-level children in order, looking through content controls and similar wrappers."""
    out: list[Any] = []
    stack = list(reversed(list(container)))
    while stack:
        el = stack.pop()
        if el.tag in _WRAPPERS:
            stack.extend(reversed(list(el)))
        elif el.tag in (W + "p", W + "tbl", W + "tr", W + "tc", W + "altChunk"):
            out.append(el)
    return out


def _paragraph_blocks(p: Any, numbering: Numbering) -> list[str]:
    """A paragraph's text, split at manual line breaks, with its list number, plus text boxes."""
    lines = [""]
    boxes: list[str] = []
    stack = list(reversed(list(p)))
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            lines[-1] += el.text or ""
        elif tag in (W + "tab", W + "ptab"):
            lines[-1] += "\t"
        elif tag in (W + "br", W + "cr"):
            lines.append("")
        elif tag == W + "noBreakHyphen":
            lines[-1] += "-"
        elif tag == W + "txbxContent":
            for inner in _flatten(el):
                if inner.tag == W + "p":
                    boxes.extend(_paragraph_blocks(inner, numbering))
        else:
            stack.extend(reversed(list(el)))
    label = numbering.label(p)
    if label:
        lines[0] = label + lines[0]
    out = [t for t in (clean_inline(x) for x in lines) if t]
    return out + boxes


def _props(tc: Any, name: str) -> Any:
    pr = tc.find(W + "tcPr")
    return None if pr is None else pr.find(W + name)


def _val(el: Any, default: str | None = None) -> str | None:
    return default if el is None else el.get(W + "val", default)


def _cell_text(tc: Any, numbering: Numbering) -> str:
    parts: list[str] = []
    for el in _flatten(tc):
        if el.tag == W + "p":
            parts.extend(_paragraph_blocks(el, numbering))
        elif el.tag == W + "tbl":  # a table nested in a cell: its text, row by row
            parts.extend(" ".join(r) for r in _table_rows(el, numbering))
    return smart_join(parts)


def _table_rows(tbl: Any, numbering: Numbering) -> list[list[str]]:
    """Cell grid with gridSpan repeated across columns and vMerge continued down rows."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}
    cells = 0
    for tr in (el for el in _flatten(tbl) if el.tag == W + "tr"):
        trpr = tr.find(W + "trPr")
        col = _int(_val(trpr.find(W + "gridBefore") if trpr is not None else None), 0, 200)
        row: list[str] = [""] * col
        for tc in (el for el in _flatten(tr) if el.tag == W + "tc"):
            span = max(1, _int(_val(_props(tc, "gridSpan")), 1, 200))
            vmerge = _props(tc, "vMerge")
            hmerge = _props(tc, "hMerge")
            if vmerge is not None and _val(vmerge, "continue") == "continue":
                text = above.get(col, "")
            elif hmerge is not None and _val(hmerge, "continue") == "continue" and row:
                text = row[-1]
            else:
                text = _cell_text(tc, numbering)
            for k in range(span):
                above[col + k] = text
            row.extend([text] * span)
            col += span
        rows.append(row)
        cells += len(row)
        if cells > MAX_TABLE_CELLS:
            raise Unreadable(f"DOCX table larger than {MAX_TABLE_CELLS} cells")
    return normalize_grid(rows)


def _int(s: str | None, default: int, cap: int) -> int:
    return min(int(s), cap) if s is not None and s.strip().isdigit() else default
