"""Excel .xlsx workbooks: every non-empty sheet becomes one Table (caption: the sheet name).

openpyxl in read-only mode streams rows instead of building the whole workbook, but its
read-only sheets do not expose merged ranges, so we read `<mergeCell ref=...>` from each
sheet's XML ourselves and fill every merged position with the top-left value.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from extractors.base import RawDocument, Table, Unreadable
from extractors.limits import MAX_TABLE_CELLS, Deadline
from extractors.textutil import clean_inline, normalize_grid
from extractors.zipsafe import open_checked_zip, read_member

MAX_ROWS = 20_000
MAX_COLS = 256
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)\"")
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def read_xlsx(data: bytes, deadline: Deadline | None = None) -> RawDocument:
    """Read an XLSX from bytes after the zip-bomb and DTD checks."""
    import openpyxl

    deadline = deadline or Deadline(None)
    zf = open_checked_zip(data, "XLSX")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises KeyError, ValueError, TypeError on damaged files
        zf.close()
        raise Unreadable(f"damaged XLSX file ({type(e).__name__}: {str(e)[:200]})") from None
    warnings: list[str] = []
    blocks: list[Table | str] = []
    try:
        for ws in wb.worksheets:
            deadline.check()
            if not hasattr(ws, "iter_rows"):
                continue  # chart sheets
            merges = _merged_ranges(zf, getattr(ws, "_worksheet_path", ""))
            rows = _sheet_rows(ws, merges, deadline, warnings)
            if rows:
                blocks.append(Table(rows=rows, caption=clean_inline(ws.title) or None))
    except Unreadable:
        raise
    except Exception as e:
        raise Unreadable(f"damaged XLSX file ({type(e).__name__}: {str(e)[:200]})") from None
    finally:
        wb.close()
        zf.close()
    title = None
    try:
        title = clean_inline(wb.properties.title or "") or None
    except Exception:
        pass
    return RawDocument(media_type="application/vnd.openxmlformats-officedocument."
                       "spreadsheetml.sheet", blocks=list(blocks), title=title,
                       warnings=warnings)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _merged_ranges(zf: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """(row0, col0, row1, col1), zero-based inclusive, of every merged range in a sheet."""
    if not path:
        return []
    xml = read_member(zf, path.lstrip("/"), "XLSX")
    out: list[tuple[int, int, int, int]] = []
    for m in _MERGE.finditer(xml):
        parts = m.group(1).decode("ascii").split(":")
        a = _REF.fullmatch(parts[0])
        b = _REF.fullmatch(parts[-1])
        if a and b:
            out.append((int(a.group(2)) - 1, _col_index(a.group(1)),
                        int(b.group(2)) - 1, _col_index(b.group(1))))
    return out


def _sheet_rows(ws: Any, merges: list[tuple[int, int, int, int]], deadline: Deadline,
                warnings: list[str]) -> list[list[str]]:
    ws.reset_dimensions()  # trust the rows present, not a declared A1:XFD1048576 dimension
    rows: list[list[str]] = []
    empty_run = 0
    for r, row in enumerate(ws.iter_rows()):
        if r >= MAX_ROWS:
            warnings.append(f"sheet {ws.title!r} cut after {MAX_ROWS} rows")
            break
        if r % 500 == 0:
            deadline.check()
        values = [_cell_str(c) for c in row[:MAX_COLS]]
        if len(row) > MAX_COLS and any(_cell_str(c) for c in row[MAX_COLS:]):
            warnings.append(f"sheet {ws.title!r}: columns after {MAX_COLS} dropped")
        rows.append(values)
        empty_run = empty_run + 1 if not any(values) else 0
        if empty_run > 1000:
            break
    while rows and not any(rows[-1]):
        rows.pop()
    for r0, c0, r1, c1 in merges:
        if r0 >= len(rows) or (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_TABLE_CELLS:
            continue
        r1 = min(r1, len(rows) - 1, r0 + MAX_ROWS)
        c1 = min(c1, MAX_COLS - 1)
        top = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, r1 + 1):
            row_ = rows[r]
            if len(row_) <= c1:
                row_.extend([""] * (c1 + 1 - len(row_)))
            for c in range(c0, c1 + 1):
                row_[c] = top
    return normalize_grid(rows)


def _cell_str(cell: Any) -> str:
    """A cell value as the sheet shows it: integers without '.0', percentages as percentages."""
    v = getattr(cell, "value", None)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        fmt = getattr(cell, "number_format", "") or ""
        if fmt.endswith("%"):
            decimals = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
            return f"{v * 100:.{decimals}f}%"
        if isinstance(v, float):
            if v.is_integer() and abs(v) < 1e15:
                return str(int(v))
            return f"{v:.15g}"
        return str(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return clean_inline(str(v))
