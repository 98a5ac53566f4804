"""Checks across reports: 上年结转(t) = 结转下年度(t-1) for the same body.

They can only run once both years are loaded, so they are recomputed in SQL after every run and
stored against the later report. The body is matched on region code and issuer (or region code
and issuer type when the issuer is unknown).
"""
from __future__ import annotations

import duckdb

CHECK = "carryover_continuity"


def refresh(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the cross-report checks; returns the number of failed ones."""
    con.execute("begin transaction")
    try:
        con.execute("delete from checks where \"check\" = ?", [CHECK])
        con.execute(f"""
            insert into checks
            with body as (
              select report_id, report_year,
                     coalesce(region_code, region_name) || '|' ||
                     coalesce(issuer, issuer_type, '') as body_key
              from reports
              where report_year is not null and coalesce(region_code, region_name) is not null
            ), v as (
              select b.report_id, b.report_year, b.body_key, m.indicator_code, m.value
              from body b join metrics m using (report_id)
              where m.breakdown = '' and m.period = 'year' and m.method <> 'derived'
                and m.indicator_code in ('requests.carried_over', 'requests.carried_forward')
            )
            select cur.report_id, '{CHECK}',
                   case when abs(cur.value - prev.value) < 1e-6 then 'pass' else 'fail' end,
                   prev.value, cur.value,
                   'requests.carried_over ' || cur.report_year || ' = ' || cur.value ||
                   ' vs requests.carried_forward ' || prev.report_year || ' = ' || prev.value ||
                   ' (report ' || prev.report_id[:12] || ')'
            from v cur join v prev
              on cur.body_key = prev.body_key and cur.report_year = prev.report_year + 1
             and cur.indicator_code = 'requests.carried_over'
             and prev.indicator_code = 'requests.carried_forward'
        """)
        con.execute("""
            update reports set status = case when report_id in
                (select report_id from checks where status = 'fail') then 'partial' else 'ok' end
            where status <> 'empty'""")
        failed = con.execute("select count(*) from checks where \"check\" = ? and status = 'fail'",
                             [CHECK]).fetchone()[0]
        con.execute("commit")
    except BaseException:  # Ctrl-C too: the run then records itself on this connection
        con.execute("rollback")
        raise
    return int(failed)
