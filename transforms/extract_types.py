"""What extraction produces: every number read (observations), one resolved value per key
(metrics), and what the table readers said about their tables.

Kept apart from `extract.py` so that the readers that make observations (prose, tables, the
template readers) and the checks that read them share the types without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transforms.table_read import TableRead


@dataclass
class Observation:
    label: str
    column_label: str
    value: float
    unit: str | None
    qualifier: str
    method: str  # table | prose
    indicator_code: str | None
    breakdown: str
    period: str
    span_start: int
    span_end: int
    evidence_start: int
    evidence_end: int
    part_of: bool = False
    percent: float | None = None
    table_no: int | None = None
    row_label: str | None = None
    note: str | None = None  # why a figure is read so, or why it gives no metric


@dataclass
class Metric:
    indicator_code: str
    breakdown: str
    period: str
    value: float
    unit: str
    qualifier: str
    method: str
    evidence: str
    span_start: int | None
    span_end: int | None


@dataclass
class Extraction:
    observations: list[Observation] = field(default_factory=list)
    metrics: dict[tuple[str, str, str], Metric] = field(default_factory=dict)
    conflicts: list[tuple[Observation, Observation]] = field(default_factory=list)
    tables_found: int = 0
    table_reads: list[TableRead] = field(default_factory=list)
