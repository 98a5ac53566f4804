"""Generic data tests over the whole warehouse, run after every load and recorded.

Checks (transforms/checks.py) ask whether a report's own figures add up; these ask whether the
warehouse keeps its promises: keys unique, required columns filled, coded columns within their
vocabulary (the `vocabularies` table), every reference resolving, and a few invariants. The
tests are data (warehouse/data/data_tests.csv); each result is a row of `data_tests` with the
number of failing rows and a few failing values, so a regression shows in `govinfo status` and
can be queried like the checks.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import duckdb

EXAMPLES = 5


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(spec: str) -> list[str]:
    return [c.strip() for c in spec.split(",") if c.strip()]


def _sample(values: list[Any]) -> str:
    shown = ", ".join(str(v)[:80] for v in values[:EXAMPLES])
    return f"e.g. {shown}" if shown else ""


def _existing(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t, c in con.execute("select table_name, column_name from duckdb_columns() where "
                            "database_name = current_database() and schema_name = 'main'"
                            ).fetchall():
        out.setdefault(t, set()).add(c)
    return out


def _query(test: dict[str, str]) -> tuple[str, list[Any]]:
    """SQL answering (failing_rows, [examples]) for one test."""
    t, kind, arg = _ident(test["table_name"]), test["kind"], test["arg"]
    cols = _cols(test["column_name"])
    c = _ident(cols[0]) if cols else ""
    if kind == "unique":
        key = ", ".join(_ident(x) for x in cols)
        return (f"select coalesce(sum(n), 0), list(k order by k)[:{EXAMPLES}] from ("
                f"select concat_ws('|', {key}) as k, count(*) as n from {t} "
                f"group by all having count(*) > 1)"), []
    if kind == "not_null":
        return f"select count(*), [] from {t} where {c} is null", []
    if kind == "accepted_values":
        values = (f"(select unnest(string_split({c}, '{arg}')) as v from {t})" if arg
                  else f"(select {c} as v from {t})")
        return (f"select count(*), list(distinct v)[:{EXAMPLES}] from {values} "
                "where v is not null and v not in (select value from vocabularies "
                "where table_name = ? and column_name = ?)",
                [test["table_name"], cols[0]])
    if kind == "relationship":
        target, _, rest = arg.partition(".")
        tcols = _cols(rest)
        join = " and ".join(f"p.{_ident(tc)} = x.{_ident(cc)}" for cc, tc in zip(cols, tcols))
        present = " and ".join(f"x.{_ident(cc)} is not null" for cc in cols)
        shown = ", ".join(f"x.{_ident(cc)}" for cc in cols)
        return (f"select count(*), list(distinct concat_ws('|', {shown}))[:{EXAMPLES}] "
                f"from {t} x where {present} and not exists "
                f"(select 1 from {_ident(target)} p where {join})"), []
    if kind == "expression":
        return (f"select count(*), list(distinct {c})[:{EXAMPLES}] from {t} "
                f"where not coalesce(({arg}), false)"), []
    raise ValueError(f"unknown data test kind {kind!r}")


def run_one(con: duckdb.DuckDBPyConnection, test: dict[str, str],
            existing: dict[str, set[str]]) -> dict[str, Any]:
    """One test's result row (status pass, fail or error; never skipped silently)."""
    row = {"test": test["test"], "kind": test["kind"], "table_name": test["table_name"],
           "column_name": test["column_name"], "failing_rows": None}
    what = test["description"] or f"{test['kind']} {test['table_name']}.{test['column_name']}"
    cols = _cols(test["column_name"])
    have = existing.get(test["table_name"])
    lacking = [c for c in cols if have is None or c not in have]
    if lacking:
        return row | {"status": "error", "detail": f"{what}: {test['table_name']} has no "
                                                   f"column {', '.join(lacking)}"}
    try:
        sql, params = _query(test)
        failing, examples = con.execute(sql, params).fetchone()
    except (duckdb.Error, ValueError, IndexError) as e:
        return row | {"status": "error", "detail": f"{what}: {type(e).__name__}: {e}"[:1000]}
    failing = int(failing or 0)
    detail = what if not failing else f"{what}; {_sample(list(examples or []))}".rstrip("; ")
    return row | {"status": "fail" if failing else "pass", "failing_rows": failing,
                  "detail": detail[:1000]}


def run(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[dict[str, Any]]:
    """Run every test, record the results under run_id, and return them."""
    from warehouse.views import data_rows
    existing = _existing(con)
    results = [run_one(con, t, existing) for t in data_rows("data_tests.csv")]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    con.executemany(
        "insert into data_tests (run_id, tested_at, test, kind, table_name, column_name, "
        "status, failing_rows, detail) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[run_id, now, r["test"], r["kind"], r["table_name"], r["column_name"], r["status"],
          r["failing_rows"], r["detail"]] for r in results])
    return results


def latest(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int | None, str]]:
    """(test, status, failing_rows, detail) of the last time the tests ran."""
    return con.execute("""
        select test, status, failing_rows, detail from data_tests
        where tested_at = (select max(tested_at) from data_tests)
        order by status <> 'pass' desc, test""").fetchall()


def status_lines(con: duckdb.DuckDBPyConnection, limit: int = 5) -> list[str]:
    """What `govinfo status` prints about the data tests."""
    try:
        rows = latest(con)
    except duckdb.Error:  # a warehouse made before the data tests existed
        return ["  data tests: none recorded yet (run `govinfo run` to add them)"]
    if not rows:
        return ["  data tests: none recorded yet"]
    bad = [r for r in rows if r[1] != "pass"]
    lines = [f"  data tests: {len(rows) - len(bad)} of {len(rows)} pass"
             + (f", {len(bad)} do not (table data_tests)" if bad else "")]
    for test, status, n, detail in bad[:limit]:
        lines.append(f"    {status}: {test}" + (f" ({n} rows)" if n else "")
                     + f": {detail[:120]}")
    if len(bad) > limit:
        lines.append(f"    … and {len(bad) - limit} more")
    return lines
