"""Views for analysts, generated from the catalog: typed `metrics_wide`, the long
`indicator_values`, and the lookup tables they rest on (vocabularies, derived definitions).

Why generated at every run and not in a migration: they follow the catalog (the core flag, the
units, the derived formulas), which changes with the code, while a migration runs once per file.
`install` replaces them all and reapplies the comments (DuckDB drops a view's comments when the
view is replaced). The analysis views (one report per body and year, derived indicators) are in
`warehouse/analysis.py`.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from importlib.resources import files
from typing import Any

import duckdb

from warehouse import analysis, dictionary
from warehouse.store import transaction

# the one unit that is money; every other unit of the catalog counts things
MONEY_UNITS = ("yuan",)
MONEY_IN = "(" + ", ".join(f"'{u}'" for u in MONEY_UNITS) + ")"
REPORT_COLUMNS_WIDE = (
    "report_id", "source_uri", "title", "region_name", "region_code", "province", "admin_level",
    "issuer", "issuer_type", "report_year", "published_on", "template", "status",
)


def data_rows(name: str) -> list[dict[str, str]]:
    """Rows of a CSV kept in warehouse/data (vocabularies, dictionary, tests, scope rules)."""
    return _rows("warehouse", f"data/{name}")


def catalog_rows(name: str) -> list[dict[str, str]]:
    """Rows of a CSV of the indicator catalog (transforms/catalog)."""
    return _rows("transforms", f"catalog/{name}")


@lru_cache(maxsize=16)
def _rows_cached(package: str, path: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    with files(package).joinpath(path).open(encoding="utf-8") as f:
        return tuple(tuple((k, v or "") for k, v in r.items()) for r in csv.DictReader(f)
                     if not (next(iter(r.values()), "") or "").startswith("#"))


def _rows(package: str, path: str) -> list[dict[str, str]]:
    return [dict(r) for r in _rows_cached(package, path)]


def typed(expr: str, unit: str) -> str:
    """A value in the type its unit calls for: money as DECIMAL(18,2) (yuan to the fen), counts
    as BIGINT. A count that is not whole is not rounded into a plausible figure: it is NULL
    here (and the `counts_whole_nonnegative` check names it)."""
    if unit in MONEY_UNITS:
        return f"round({expr}, 2)::decimal(18,2)"
    return f"case when {expr} = round({expr}) then ({expr})::bigint end"


def wide_column(code: str) -> str:
    return code.replace(".", "_")


def core_indicators(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(code, unit) of the catalog's core indicators, in catalog order (the indicators table
    holds the catalog loaded by the run)."""
    return [(c, u) for c, u in con.execute(
        "select code, unit from indicators where core order by rowid").fetchall()]


def metrics_wide_sql(core: list[tuple[str, str]]) -> str:
    cols = ",\n  ".join(
        typed(f"max(m.value) filter (where m.indicator_code = '{c}')", u)
        + f' as "{wide_column(c)}"' for c, u in core)
    report_cols = ", ".join(f"r.{c}" for c in REPORT_COLUMNS_WIDE)
    return f"""create or replace view metrics_wide as
select {report_cols}{',' if cols else ''}
  {cols}
from reports r
left join metrics m
  on m.report_id = r.report_id and m.period = 'year' and m.breakdown = ''
group by all"""


INDICATOR_VALUES_SQL = f"""create or replace view indicator_values as
select m.report_id, r.report_year, r.province, r.region_name, r.issuer, r.template,
       m.indicator_code, i.name_zh, i.name_en, i.unit, i.core,
       replace(m.indicator_code, '.', '_') as wide_column,
       m.breakdown, m.period, m.value,
       case when i.unit in {MONEY_IN} then round(m.value, 2)::decimal(18,2) end
         as amount_yuan,
       case when i.unit not in {MONEY_IN} and m.value = round(m.value)
            then m.value::bigint end as count_value,
       m.qualifier, m.method, m.evidence
from metrics m
join reports r using (report_id)
left join indicators i on i.code = m.indicator_code"""

DATA_DICTIONARY_SQL = """create or replace view data_dictionary as
select c.table_name as object,
       case when v.view_name is not null then 'view' else 'table' end as kind,
       coalesce(v.comment, t.comment) as object_comment,
       c.column_index, c.column_name, c.data_type, c.comment
from duckdb_columns() c
left join duckdb_views() v
  on v.database_name = c.database_name and v.schema_name = c.schema_name
 and v.view_name = c.table_name
left join duckdb_tables() t
  on t.database_name = c.database_name and t.schema_name = c.schema_name
 and t.table_name = c.table_name
where c.database_name = current_database() and c.schema_name = 'main'
  and not c.table_name like '\\_%' escape '\\'"""


def _replace_table(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
                   columns: list[str]) -> None:
    con.execute(f"delete from {table}")
    if rows:
        con.executemany(f"insert into {table} ({', '.join(columns)}) values "
                        f"({', '.join('?' * len(columns))})",
                        [[r.get(c) for c in columns] for r in rows])


def load_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """The vocabularies and the derived indicators' definitions, from their CSVs (as the
    indicator catalog is loaded every run)."""
    _replace_table(con, "vocabularies", data_rows("vocabularies.csv"),
                   ["table_name", "column_name", "value", "meaning"])
    _replace_table(con, "derived_definitions", catalog_rows("derived_indicators.csv"),
                   ["code", "template", "name_zh", "name_en", "numerator", "denominator",
                    "caveat"])


def install(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every generated view and reapply every comment, in one transaction."""
    with transaction(con):
        load_lookups(con)
        core = core_indicators(con)
        con.execute(metrics_wide_sql(core))
        con.execute(INDICATOR_VALUES_SQL)
        analysis.install(con, core)
        con.execute(DATA_DICTIONARY_SQL)
        dictionary.apply(con)


def installed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse has the analysis views (a file built before them has not)."""
    return bool(con.execute("select count(*) from duckdb_views() where view_name = "
                            "'analysis_reports' and database_name = current_database()"
                            ).fetchone()[0])
