"""One normalized text per report, with the real tables kept as grids whose cells point into it.

The text stored in `documents` is this text; every span in `metrics` and `observations` is an
offset into it. Paragraphs are normalized one by one and joined; a real table (HTML, DOCX, PDF,
XLSX) is rendered as one line per row with cells joined by " | ", and each cell remembers where
it landed, so a value read from a grid can still cite its evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from extractors.base import RawDocument, Table
from transforms.normalize import detect_script, normalize_texts


@dataclass
class Cell:
    text: str
    start: int
    end: int


@dataclass
class Grid:
    rows: list[list[Cell]]
    start: int
    end: int


@dataclass
class Document:
    text: str
    grids: list[Grid] = field(default_factory=list)
    script: str = "simplified"
    media_type: str = "text/plain"
    encoding: str | None = None
    title_hint: str | None = None
    date_hint: str | None = None
    warnings: list[str] = field(default_factory=list)


def build_document(raw: RawDocument) -> Document:
    """Normalize every block and assemble the text the spans point into."""
    script = detect_script(raw.plain_text)
    parts: list[str] = []
    grids: list[Grid] = []
    pos = 0

    def add(s: str) -> None:
        nonlocal pos
        if parts:
            parts.append("\n")
            pos += 1
        parts.append(s)
        pos += len(s)

    # all paragraphs, cells and the title are normalized in one batch, then laid out in order
    texts: list[str] = []
    for block in raw.blocks:
        if isinstance(block, Table):
            for r in block.rows:
                texts.extend(c or "" for c in r)
        else:
            texts.append(block)
    if raw.title:
        texts.append(raw.title)
    normalized = iter(normalize_texts(texts))

    for block in raw.blocks:
        if isinstance(block, Table):
            rows: list[list[Cell]] = []
            start = pos + (1 if parts else 0)
            for r in block.rows:
                cells_txt = [next(normalized).replace("\n", " ") for _ in r]
                line_start = pos + (1 if parts else 0)
                cells: list[Cell] = []
                off = line_start
                for i, c in enumerate(cells_txt):
                    cells.append(Cell(c, off, off + len(c)))
                    off += len(c) + (3 if i < len(cells_txt) - 1 else 0)
                add(" | ".join(cells_txt))
                rows.append(cells)
            if rows:
                grids.append(Grid(rows, start, pos))
        else:
            text = next(normalized)
            if text:
                add(text)
    title = next(normalized) if raw.title else None
    return Document(text="".join(parts), grids=grids, script=script,
                    media_type=raw.media_type, encoding=raw.encoding, title_hint=title,
                    date_hint=raw.date_hint, warnings=list(raw.warnings))
