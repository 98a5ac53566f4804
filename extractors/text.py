"""Plain text reports (also the form in which mirror sites keep flattened web pages)."""
from __future__ import annotations

from extractors.base import RawDocument
from extractors.encoding import decode
from extractors.textutil import strip_controls


def read_text(data: bytes, declared_charset: str | None = None) -> RawDocument:
    """One block with the whole decoded text; NULs and stray control bytes removed.

    Paragraph and table structure in plain text (flattened tables, " |" cells) is left to the
    extractor, which knows the genre.
    """
    d = decode(data, declared_charset)
    warnings = list(d.warnings)
    text = strip_controls(d.text)
    if len(text) < len(d.text):
        warnings.append(f"{len(d.text) - len(text)} control characters (NUL...) removed")
    return RawDocument(media_type="text/plain", blocks=[text], encoding=d.encoding,
                       warnings=warnings)
