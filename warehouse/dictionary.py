"""Comments on every table, view and column, from the data dictionary and the catalog.

Why in the database: a BI tool or `duckdb_columns()` shows them next to the data, so nobody has
to find the README to learn that `value` is in yuan or what `scope` means. The words live in
warehouse/data/dictionary.csv (object, column, comment; an empty column is the object's own
comment). A view column without its own row takes the comment of the column of the same name
in the tables it is built from (BASES, in order); indicator columns of metrics_wide and
analysis_wide take the catalog's names and unit, derived ones their definition.
"""
from __future__ import annotations

import duckdb

# where a column without a row of its own takes its comment from, in order
BASES = ("reports", "metrics", "report_completeness", "report_copies", "analysis_reports",
         "derived_definitions", "derived_indicators", "indicators", "data_tests")


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _objects(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """name -> 'table' | 'view' for this warehouse's own objects."""
    rows = con.execute("""
        select table_name, 'table' from duckdb_tables()
        where database_name = current_database() and schema_name = 'main' and not internal
        union all
        select view_name, 'view' from duckdb_views()
        where database_name = current_database() and schema_name = 'main' and not internal
    """).fetchall()
    return {name: kind for name, kind in rows if not name.startswith("_")}


def comments(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(object comments, column comments) for every object and column this warehouse has."""
    from warehouse.views import data_rows, wide_column
    objects: dict[str, str] = {}
    explicit: dict[tuple[str, str], str] = {}
    for r in data_rows("dictionary.csv"):
        if r["column"]:
            explicit[(r["object"], r["column"])] = r["comment"]
        else:
            objects[r["object"]] = r["comment"]
    by_name: dict[str, str] = {}
    for base in reversed(BASES):  # the first base that has a column wins
        for (obj, col), text in explicit.items():
            if obj == base:
                by_name[col] = text
    indicator = {
        wide_column(code): f"{name_en} ({name_zh}); unit {unit}"
        + ("" if unit != "yuan" else ", DECIMAL(18,2) yuan") + f"; indicator {code}"
        for code, name_zh, name_en, unit in con.execute(
            "select code, name_zh, name_en, unit from indicators").fetchall()}
    derived = {code: f"{name_en} ({name_zh}); see derived_indicators for the formula per era"
               for code, name_zh, name_en in con.execute(
                   "select code, any_value(name_zh), any_value(name_en) "
                   "from derived_definitions group by code").fetchall()}
    cols: dict[tuple[str, str], str] = {}
    for obj, col in con.execute("""
            select table_name, column_name from duckdb_columns()
            where database_name = current_database() and schema_name = 'main'""").fetchall():
        text = explicit.get((obj, col))
        if text is None and obj in ("metrics_wide", "analysis_wide"):
            text = indicator.get(col) or derived.get(col)
        if text is None:
            text = by_name.get(col)
        if text:
            cols[(obj, col)] = text
    return objects, cols


def apply(con: duckdb.DuckDBPyConnection) -> int:
    """COMMENT ON every object and column that has words; returns how many were set. Runs in
    the caller's transaction (views.install)."""
    kinds = _objects(con)
    objects, cols = comments(con)
    n = 0
    for name, kind in kinds.items():
        if name in objects:
            con.execute(f"comment on {kind} {_ident(name)} is {_quote(objects[name])}")
            n += 1
    for (obj, col), text in cols.items():
        if obj in kinds:
            con.execute(f"comment on column {_ident(obj)}.{_ident(col)} is {_quote(text)}")
            n += 1
    return n


def missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables, views and columns without a comment ('object' or 'object.column')."""
    rows = con.execute("""
        select table_name from duckdb_tables()
        where database_name = current_database() and schema_name = 'main'
          and not internal and coalesce(comment, '') = ''
        union all
        select view_name from duckdb_views()
        where database_name = current_database() and schema_name = 'main'
          and not internal and coalesce(comment, '') = ''
        union all
        select table_name || '.' || column_name from duckdb_columns()
        where database_name = current_database() and schema_name = 'main'
          and coalesce(comment, '') = ''
        order by 1""").fetchall()
    return [r[0] for r in rows if not r[0].startswith("_")]
