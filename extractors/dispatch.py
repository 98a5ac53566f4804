"""Pick the reader for an input by sniffing its bytes (the file name only breaks ties).

Every failure leaves here as `Unreadable` with a reason a person can act on (install a tool,
ask for the unencrypted file, the download was cut off...). Whether readable text is an annual
report is decided later, not here.
"""
from __future__ import annotations

import io
import zipfile

from extractors import sniff as s
from extractors.base import RawDocument, Unreadable
from extractors.limits import MAX_PDF_PAGES, MAX_SECONDS, Deadline, time_limit
from extractors.text import read_text

MAX_BYTES = 50 * 1024 * 1024

_LABELS = {
    s.TEXT: "text file", s.HTML: "web page", s.PDF: "PDF", s.DOCX: "DOCX", s.XLSX: "XLSX",
    s.DOC: "legacy Word .doc", s.WPS: "WPS .wps", s.XLS: "legacy Excel .xls", s.RTF: "RTF",
    s.MHT: "MHT web archive",
}


def read_document(data: bytes, name: str = "", declared_charset: str | None = None,
                  max_bytes: int = MAX_BYTES, *, max_pages: int = MAX_PDF_PAGES,
                  max_seconds: float | None = MAX_SECONDS) -> RawDocument:
    """Turn one input's bytes into text blocks and tables, or raise Unreadable with a reason."""
    if not data:
        raise Unreadable("empty file (0 bytes)")
    if len(data) > max_bytes:
        raise Unreadable(f"file too large ({len(data)} bytes > limit {max_bytes})")
    kind = s.sniff(data, name)
    label = _LABELS.get(kind, kind)
    deadline = Deadline(max_seconds)
    try:
        with time_limit(deadline):
            doc = _read(kind, data, declared_charset, deadline, max_pages)
    except Unreadable:
        raise
    except MemoryError:
        raise Unreadable(f"{label} too large to read in memory") from None
    except RecursionError:
        raise Unreadable(f"{label} is nested too deeply to read") from None
    except Exception as e:  # a reader bug or a library choking on a damaged file
        raise Unreadable(f"{label} could not be read ({type(e).__name__}: {str(e)[:200]})") from None
    if not any(b.strip() if isinstance(b, str) else b.rows for b in doc.blocks):
        raise Unreadable(f"{label} contains no text")
    return doc


def _read(kind: str, data: bytes, charset: str | None, deadline: Deadline,
          max_pages: int) -> RawDocument:
    if kind == s.TEXT:
        return read_text(data, charset)
    if kind == s.HTML:
        from extractors.html import read_html
        return read_html(data, charset, deadline)
    if kind == s.MHT:
        from extractors.mht import read_mht
        return read_mht(data, deadline)
    if kind == s.PDF:
        from extractors.pdf import read_pdf
        return read_pdf(data, deadline, max_pages)
    if kind == s.DOCX:
        from extractors.docx import read_docx
        return read_docx(data, deadline)
    if kind == s.XLSX:
        from extractors.xlsx import read_xlsx
        return read_xlsx(data, deadline)
    if kind == s.RTF:
        from extractors.rtf import read_rtf
        return read_rtf(data, deadline)
    if kind in (s.DOC, s.WPS):
        from extractors.legacy import read_legacy_word
        return read_legacy_word(data, "doc" if kind == s.DOC else "wps", deadline)
    if kind == s.XLS:
        from extractors.legacy import read_legacy_excel
        return read_legacy_excel(data, deadline)
    if kind == s.OLE:
        raise Unreadable(_describe_ole(data))
    if kind == s.ZIP:
        raise Unreadable(_describe_zip(data))
    raise Unreadable(f"unrecognised binary format ({s.describe_binary(data)})")


def _describe_ole(data: bytes) -> str:
    streams = s.ole_stream_names(data)
    if "EncryptedPackage" in streams:
        return "password-protected Office document (encrypted DOCX/XLSX): ask for an unprotected copy"
    if "PowerPoint Document" in streams:
        return "PowerPoint .ppt presentation: no reader for slides"
    listed = ", ".join(sorted(streams)[:8]) or "no readable directory"
    return f"OLE2 compound file of an unknown kind (streams: {listed})"


def _describe_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") \
                if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError):
        return "damaged zip archive (cannot read its directory)"
    if "OFD.xml" in names:
        return "OFD document (Chinese fixed-layout format): no reader for OFD yet"
    if "opendocument" in mimetype:
        return f"OpenDocument file ({mimetype}): no reader for OpenDocument yet"
    if any(n.startswith("ppt/") for n in names):
        return "PowerPoint .pptx presentation: no reader for slides"
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"zip archive that is not a Word or Excel document (contains: {shown or 'nothing'})"
