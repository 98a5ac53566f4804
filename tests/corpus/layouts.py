"""More shapes real copies of the national template take (TEMPLATES.md, "Hazards seen in real
reports"), rendered from the same generated reports as `national.py`, so that every cell can
be checked against the answer key.

- pipe rows: one table row per line, cells joined by " | " (web pages saved as text);
- cell paragraphs: every cell a paragraph of its own, rows lost (official sites' flattened tables);
- markdown with placeholder headers: each table-3 row in its own block headed 类别 | 数据1 … 数据6 |
  总计, table 4 as three blocks of five (markdown made from a PDF by another tool);
- a traditional-character mirror with pinyin after some characters (運(yùn)輸).
Layouts with run-together figures are written by hand in the tests, where the split they allow
is the point of the test.
"""
from __future__ import annotations

import re

from tests.corpus.national import NationalReport, ReportTable


def _rows_as_text(table: ReportTable) -> list[list[str]]:
    """Each HTML row's cells as printed (a spanned cell once)."""
    return [[c.text for c in row] for row in table.rows]


def _document(report: NationalReport, render_table) -> str:
    lines = [report.title, *report.preamble]
    for s in report.sections:
        lines.append(s.heading)
        lines += s.paragraphs
        if s.table is not None:
            lines += render_table(s.table)
    lines += report.signature
    return "\n".join(lines) + "\n"


def to_pipe_rows(report: NationalReport) -> str:
    """`规章 | 0 | 0 | 0 |`: one row a line, an empty cell between two pipes."""
    return _document(report, lambda t: [" | ".join(r) + " |" for r in _rows_as_text(t)])


def to_cell_paragraphs(report: NationalReport) -> str:
    """Every non-empty cell a paragraph, separated by blank lines (empty cells vanish)."""
    def render(t: ReportTable) -> list[str]:
        out: list[str] = []
        for row in _rows_as_text(t):
            out += [x for c in row if c for x in (c, "")]
        return out
    return _document(report, render)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def to_markdown_placeholders(report: NationalReport) -> str:
    """Table 3 as one markdown block per row under a placeholder header, with the row's label
    repeated as a heading above it; table 4 as three five-column blocks; table 2 plain."""
    def render(t: ReportTable) -> list[str]:
        rows = _rows_as_text(t)
        if t.number == 3:
            out = []
            for row in rows:
                figures = [c for c in row if re.fullmatch(r"[\d.,]+|—|/", c)]
                labels = [c for c in row if c and c not in figures]
                if len(figures) < 7:
                    out += [f"### {x}" for x in labels]
                    continue
                out += [f"### {labels[-1]}", _md_row(["类别"] + [f"数据{i}" for i in range(1, 7)]
                                                    + ["总计"]), _md_row(["---"] * 8),
                        _md_row([labels[-1]] + figures), ""]
            return out
        if t.number == 4:
            figures = [c.text for c in t.cells() if c.numeric]
            head = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
            out = []
            for title, block in zip(("行政复议", "行政诉讼(未经复议直接起诉)", "行政诉讼(复议后起诉)"),
                                    (figures[:5], figures[5:10], figures[10:15])):
                out += [f"### {title}", _md_row(head), _md_row(["---"] * 5), _md_row(block), ""]
            return out
        return [_md_row(r) for r in rows]
    return _document(report, render)


# a few characters a mirror site prints with their pinyin (the genre's hazard, not a dictionary)
_PINYIN = {"運": "yùn", "數": "shù", "項": "xiàng", "規": "guī", "內": "nèi", "強": "qiáng",
           "務": "wù", "動": "dòng", "報": "bào"}


def to_traditional_mirror(report: NationalReport) -> str:
    """Pipe rows in traditional characters (OpenCC s2t), pinyin injected after some of them."""
    import opencc

    text = opencc.OpenCC("s2t").convert(to_pipe_rows(report))
    return "".join(f"{ch}({_PINYIN[ch]})" if ch in _PINYIN else ch for ch in text)
