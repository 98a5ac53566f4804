"""Text the warehouse can always store.

Python keeps the bytes of a file name that is not UTF-8 as lone surrogates (`bad\\udcff.txt`);
DuckDB and Arrow refuse such strings, and one of them in a quarantine row used to fail the whole
load. Every free-form string that comes from outside (paths, URLs, error messages) goes through
`safe_text` before it is written: undecodable bytes become `\\xNN` escapes, as `ls -b` shows them.
"""
from __future__ import annotations


def safe_text(s: str | None) -> str | None:
    if s is None:
        return None
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    try:  # surrogates standing for raw bytes (os.fsdecode, surrogateescape)
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # other lone surrogates
        return s.encode("utf-8", "backslashreplace").decode("utf-8")
