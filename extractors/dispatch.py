"""Pick the reader for an input by sniffing its bytes (the file name only breaks ties)."""
from __future__ import annotations

from extractors.base import RawDocument, Unreadable
from extractors.text import read_text

MAX_BYTES = 50 * 1024 * 1024


def read_document(data: bytes, name: str = "", declared_charset: str | None = None,
                  max_bytes: int = MAX_BYTES) -> RawDocument:
    """Turn one input's bytes into text blocks and tables, or raise Unreadable with a reason."""
    if not data:
        raise Unreadable("empty file (0 bytes)")
    if len(data) > max_bytes:
        raise Unreadable(f"file too large ({len(data)} bytes > limit {max_bytes})")
    return read_text(data, declared_charset)
