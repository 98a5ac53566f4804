"""Plain text reports (also the form in which mirror sites keep flattened web pages)."""
from __future__ import annotations

from extractors.base import RawDocument
from extractors.encoding import decode


def read_text(data: bytes, declared_charset: str | None = None) -> RawDocument:
    d = decode(data, declared_charset)
    return RawDocument(media_type="text/plain", blocks=[d.text], encoding=d.encoding,
                       warnings=list(d.warnings))
