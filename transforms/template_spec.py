"""The national template's tables 2, 3 and 4 as data: rows, columns and the cells they make.

Loaded from `catalog/template_rows.csv` and `catalog/template_columns.csv`, so that a new way of
printing a row label or a column header is a data change. The reader (`national_tables.py`)
finds rows by these keys and gives their figures to these columns; the identities that decide
between readings come from `catalog/checks.csv` (see `identities.py`).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

VERSIONS = ("gb2019", "gb2021")
Key = tuple[str, str]  # (indicator code, breakdown)


@dataclass(frozen=True)
class RowSpec:
    table: str
    versions: frozenset[str]
    block: str
    code: str
    enum: str
    enum_required: bool
    keys: tuple[str, ...]
    kind: str  # row | group | anchor
    order: int

    @property
    def has_figures(self) -> bool:
        return self.kind in ("row", "group")


@dataclass(frozen=True)
class ColumnSpec:
    table: str
    versions: frozenset[str]
    block: str
    position: int  # 0: an optional column whose place the arithmetic decides
    column: str  # table 2: the code suffix; table 4: the whole code
    breakdown: str
    headers: tuple[str, ...]
    unit: str


def _read(name: str) -> list[dict[str, str]]:
    with files("transforms").joinpath(f"catalog/{name}").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if not (r.get("table") or "").startswith("#")]


def _split(value: str, sep: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(sep) if p.strip())


class TemplateSpec:
    """Rows and columns of each table and version, in printed order."""

    def __init__(self) -> None:
        self.rows = [RowSpec(r["table"], frozenset(_split(r["versions"], "|")), r["block"] or "",
                             r["code"] or "", r["enum"] or "", r["enum_required"] == "1",
                             _split(r["keys"], ";"), r["kind"], i)
                     for i, r in enumerate(_read("template_rows.csv"))]
        self.columns = [ColumnSpec(r["table"], frozenset(_split(r["versions"], "|")),
                                   r["block"] or "", int(r["position"]), r["column"] or "",
                                   r["breakdown"] or "", _split(r["headers"], ";"),
                                   r["unit"] or "")
                        for r in _read("template_columns.csv")]
        for row in self.rows:
            if not row.keys:
                raise ValueError(f"template row without keys: {row}")
        self._columns_of: dict[tuple[str, str, str], list[ColumnSpec]] = {}
        self._cells: dict[tuple[str, str], frozenset[Key]] = {}

    def rows_of(self, table: str) -> list[RowSpec]:
        """Every row of a table, all versions, in printed order (the reader finds them first and
        settles the version afterwards)."""
        return [r for r in self.rows if r.table == table]

    def columns_of(self, table: str, version: str, block: str = "") -> list[ColumnSpec]:
        """The printed columns of a table (or a table-2 block), without optional ones."""
        key = (table, version, block)
        if key not in self._columns_of:  # asked for every row of every report: kept
            self._columns_of[key] = sorted(
                (c for c in self.columns if c.table == table and version in c.versions
                 and c.block == block and c.position > 0), key=lambda c: c.position)
        return list(self._columns_of[key])

    def optional_columns(self, table: str, version: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.table == table and version in c.versions
                and c.position == 0]

    def blocks(self, table: str, version: str) -> list[str]:
        seen: list[str] = []
        for c in self.columns:
            if c.table == table and version in c.versions and c.block not in seen:
                seen.append(c.block)
        return seen

    @staticmethod
    def cell_key(row: RowSpec, col: ColumnSpec) -> Key:
        """The (code, breakdown) a cell of this row and column holds."""
        if row.table == "table2":
            return f"{row.code}.{col.column}", ""
        if row.table == "table4":
            return col.column, col.breakdown
        return row.code, col.breakdown

    def version_cells(self, table: str, version: str) -> frozenset[Key]:
        """Every cell the template prints for a table in a version (optional columns included):
        an identity that names a cell outside this set does not apply to the version."""
        key = (table, version)
        if key not in self._cells:
            self._cells[key] = frozenset(self._version_cells(table, version))
        return self._cells[key]

    def _version_cells(self, table: str, version: str) -> set[Key]:
        cells: set[Key] = set()
        if table == "table4":
            return {self.cell_key(RowSpec("table4", frozenset(), "", "", "", False, ("-",),
                                          "row", 0), c)
                    for c in self.columns_of("table4", version)}
        for row in self.rows_of(table):
            if version not in row.versions or not row.has_figures:
                continue
            cols = self.columns_of(table, version, row.block) + \
                self.optional_columns(table, version)
            cells.update(self.cell_key(row, c) for c in cols)
        return cells


@lru_cache(maxsize=1)
def template_spec() -> TemplateSpec:
    return TemplateSpec()
