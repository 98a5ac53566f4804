"""Rules of checks.csv that need other reports: table 2's stock across years, and an area
summary against the reports it covers.

They run in SQL after every load (like crosschecks.py, before it: its status update counts
these too) over the analysis set, one copy per body and year (warehouse/analysis.py), and are
stored against the later report (stock) or the area summary (cover):
  stock_across_years  same body, consecutive years: in_force(t-1) + inflow(t) - outflow(t)
                      = in_force(t); `total` is the stock, `parts` is `inflow-outflow`
  parent_ge_children  for each code of `total`: an area summary is at least the sum of the
                      reports it covers (analysis_reports.covered_by) that state the code
A rule whose figures are missing on either side has no row.
"""
from __future__ import annotations

import duckdb

from transforms.rules import Rule, rules
from warehouse.store import transaction

KINDS = ("stock_across_years", "parent_ge_children")

_VALUES = """(select report_id, indicator_code, value from metrics
              where period = 'year' and breakdown = '' and method <> 'derived')"""


def _stock_sql(rule: Rule) -> tuple[str, list[str]]:
    inflow, outflow = rule.parts.split("-")
    return f"""
        insert into checks
        with a as (select report_id, body, report_year from analysis_reports
                   where body <> report_id),
        v as (select a.*, m.indicator_code as code, m.value
              from a join {_VALUES} m using (report_id)),
        cur as (
          select report_id, body, report_year,
                 max(value) filter (where code = $stock) as stock,
                 max(value) filter (where code = $inflow) as inflow,
                 max(value) filter (where code = $outflow) as outflow
          from v group by all)
        select cur.report_id, $name,
               case when abs(prev.stock + cur.inflow - cur.outflow - cur.stock) < 1e-6
                    then 'pass' else 'fail' end,
               prev.stock + cur.inflow - cur.outflow, cur.stock,
               $stock || ' ' || prev.report_year || ' ' || prev.stock::bigint || ' + ' ||
               $inflow || ' ' || cur.inflow::bigint || ' - ' || $outflow || ' ' ||
               cur.outflow::bigint || ' = ' || (prev.stock + cur.inflow - cur.outflow)::bigint ||
               case when abs(prev.stock + cur.inflow - cur.outflow - cur.stock) < 1e-6
                    then ' = ' else ' ≠ ' end ||
               $stock || ' ' || cur.report_year || ' ' || cur.stock::bigint ||
               ' (report ' || prev.report_id[:12] || ')'
        from cur join cur prev
          on prev.body = cur.body and prev.report_year = cur.report_year - 1
        where cur.stock is not null and cur.inflow is not null and cur.outflow is not null
          and prev.stock is not null""", [rule.name, rule.total, inflow, outflow]


def _cover_sql(rule: Rule, code: str) -> tuple[str, list[str]]:
    return f"""
        insert into checks
        with v as (select report_id, value from {_VALUES} where indicator_code = $code),
        kids as (
          select a.covered_by as area_id, count(*) as n, sum(v.value) as total
          from analysis_reports a join v using (report_id)
          where a.covered_by is not null group by a.covered_by)
        select p.report_id, $name,
               case when p.value >= k.total - 1e-6 then 'pass' else 'fail' end,
               k.total, p.value,
               $code || ': area summary ' || p.value::bigint ||
               case when p.value >= k.total - 1e-6 then ' >= ' else ' < ' end ||
               'the sum of the ' || k.n || ' reports it covers, ' || k.total::bigint
        from kids k join v p on p.report_id = k.area_id""", [rule.name, code]


def refresh(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute these rules; returns the number of failed rows. The caller's transaction is
    not assumed: this runs in its own."""
    mine = [r for r in rules() if r.kind in KINDS]
    with transaction(con):
        con.execute("delete from checks where \"check\" in (select unnest(?::varchar[]))",
                    [[r.name for r in mine]])
        for rule in mine:
            if rule.kind == "stock_across_years":
                sql, (name, stock, inflow, outflow) = _stock_sql(rule)
                con.execute(sql, {"name": name, "stock": stock, "inflow": inflow,
                                  "outflow": outflow})
            else:
                for code in (c for c in rule.total.split("|") if c):
                    sql, (name, c) = _cover_sql(rule, code)
                    con.execute(sql, {"name": name, "code": c})
        failed = con.execute(
            "select count(*) from checks where status = 'fail' and \"check\" in "
            "(select unnest(?::varchar[]))", [[r.name for r in mine]]).fetchone()[0]
    return int(failed)
