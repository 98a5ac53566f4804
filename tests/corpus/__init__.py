"""Synthetic test corpus: national-template (gb2019/gb2021) annual reports with answer keys.

Why a package under tests/: the generator is test tooling, never shipped with the pipeline.
See ``national.py`` for the model and the renderers.
"""

from tests.corpus.national import (
    BREAKDOWNS,
    REQUESTERS,
    Cell,
    Key,
    NationalReport,
    PlacedCell,
    ReportTable,
    Section,
    make_report,
    outcome_groups,
    outcome_leaf_codes,
    to_docx,
    to_flat_text,
    to_html,
    to_pdf,
    to_spaced_text,
)

__all__ = [
    "BREAKDOWNS",
    "REQUESTERS",
    "Cell",
    "Key",
    "NationalReport",
    "PlacedCell",
    "ReportTable",
    "Section",
    "make_report",
    "outcome_groups",
    "outcome_leaf_codes",
    "to_docx",
    "to_flat_text",
    "to_html",
    "to_pdf",
    "to_spaced_text",
]
