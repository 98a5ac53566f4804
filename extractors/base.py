"""The one shape every format reader returns, so later stages never care where a document came from."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A cell grid: every row is a list of cell strings, spanned cells already filled in.

    Readers of formats with real tables (HTML, DOCX, XLSX, PDF rulings) return these instead of
    flattening the table into text, so that the extractor can find columns by their headers.
    """

    rows: list[list[str]]
    caption: str | None = None


Block = str | Table


@dataclass
class RawDocument:
    """What a reader could read from one input: text paragraphs and tables, in reading order."""

    media_type: str
    blocks: list[Block]
    encoding: str | None = None
    title: str | None = None
    date_hint: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def plain_text(self) -> str:
        parts: list[str] = []
        for b in self.blocks:
            if isinstance(b, Table):
                parts.extend(" | ".join(r) for r in b.rows)
            else:
                parts.append(b)
        return "\n".join(parts)


class Unreadable(Exception):
    """The input cannot become a report. The message is the quarantine reason a person reads."""
