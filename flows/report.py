"""`govinfo report`: the warehouse as one static HTML file with charts.

For people who do not write SQL: coverage by province and year, request volumes and outcomes
over time, the derived indicators with their caveats, and data quality (failed checks, how much
of each report's tables was read, why inputs were quarantined, the data tests). Everything is
read from the analysis views (warehouse/analysis.py), so the figures are those an analyst gets
with SQL; the file has no script or style from elsewhere and opens offline.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import duckdb

from flows import charts

OUTCOMES = (("requests_granted", "granted"), ("requests_partially_granted", "granted in part"),
            ("requests_denied", "refused"), ("requests_cannot_provide", "cannot provide"),
            ("requests_not_processed", "not processed"), ("requests_other_result", "other"))


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{escape(_cell(v))}</td>' if i in numeric
                         else f"<td>{escape(_cell(v))}</td>" for i, v in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _tiles(con: duckdb.DuckDBPyConnection) -> str:
    (reports, kept, provinces, metrics, failed, quarantined) = con.execute("""select
        (select count(*) from reports), (select count(*) from analysis_reports),
        (select count(distinct province) from analysis_reports),
        (select count(*) from metrics), (select count(*) from checks where status = 'fail'),
        (select count(*) from quarantine)""").fetchone()
    years = con.execute("select min(report_year), max(report_year) from analysis_reports"
                        ).fetchone()
    span = f"{years[0]}–{years[1]}" if years[0] else "–"
    tiles = [(reports, "reports loaded"), (kept, "bodies × years"), (provinces, "provinces"),
             (span, "years covered"), (metrics, "metrics"), (failed, "failed checks"),
             (quarantined, "quarantined inputs")]
    return "".join(f'<div class="tile"><b>{escape(str(v))}</b><span>{escape(k)}</span></div>'
                   for v, k in tiles)


def _coverage(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    cells = _rows(con, """select coalesce(province, '(unknown)'), report_year, count(*)
        from analysis_reports where report_year is not null group by all""")
    provinces = sorted({p for p, _, _ in cells}, key=lambda p: (p == "(unknown)", p))
    years = sorted({y for _, y, _ in cells})
    grid = charts.grid("coverage_province_year", "Reports by province and year",
                       provinces, [str(y) for y in years],
                       {(p, str(y)): n for p, y, n in cells})
    by_t = _rows(con, """select report_year, template, count(*) from analysis_reports
        where report_year is not null group by all""")
    templates = sorted({t for _, t, _ in by_t})
    series = {t: [next((n for y2, t2, n in by_t if y2 == y and t2 == t), 0) for y in years]
              for t in templates}
    bars = charts.bars("coverage_years", "Reports per year by template era",
                       [str(y) for y in years], series)
    copies = con.execute("select count(*) - count(distinct body_key) from report_copies"
                         ).fetchone()[0]
    note = (f"{copies} further copies of the same reports are set aside "
            "(view <code>report_copies</code>)." if copies else "No report was loaded twice.")
    return grid, bars, note


def _requests(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    cols = ", ".join(f"sum({c})" for c, _ in OUTCOMES)
    rows = _rows(con, f"""select report_year, sum(requests_received), sum(requests_answered),
        {cols} from analysis_wide where counted_in_sums and report_year is not null
        group by report_year order by report_year""")
    years = [str(r[0]) for r in rows]
    volume = charts.lines("requests_volume", "Requests received and answered per year",
                          years, {"received": [_f(r[1]) for r in rows],
                                  "answered": [_f(r[2]) for r in rows]})
    outcomes = charts.bars("requests_outcomes", "How requests were answered, per year",
                           years, {label: [_f(r[3 + i]) or 0 for r in rows]
                                   for i, (_, label) in enumerate(OUTCOMES)})
    return volume, outcomes


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _derived(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    rows = _rows(con, """select code, template, report_year, value from derived_by_year
        where report_year is not null order by code, template, report_year""")
    years = sorted({r[2] for r in rows})
    out = []
    for code in dict.fromkeys(r[0] for r in rows):
        name = con.execute("select any_value(name_en) from derived_definitions where code = ?",
                           [code]).fetchone()[0] or code
        series = {}
        for t in sorted({r[1] for r in rows if r[0] == code}):
            vals = {r[2]: r[3] for r in rows if r[0] == code and r[1] == t}
            series[f"{t}"] = [vals.get(y) for y in years]
        out.append(charts.lines(f"derived_{code}", f"{code}: {name.split(':')[0]}",
                                [str(y) for y in years], series, percent=True))
    defs = _rows(con, """select code, template, numerator, denominator, caveat
        from derived_definitions order by code, template""")
    table = _table(["indicator", "era", "numerator", "denominator", "caveat"],
                   [list(r) for r in defs])
    return "".join(out) or charts.lines("derived", "Derived indicators", [], {}), table


def _quality(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str, str]:
    checks = _rows(con, """select "check", count(*) filter (where status = 'pass'),
        count(*) filter (where status = 'fail') from checks group by 1
        order by 3 desc, 1""")
    chk = charts.hbars("checks", "Checks: rows passed and failed, per rule",
                       [r[0] for r in checks], {"pass": [r[1] for r in checks],
                                               "fail": [r[2] for r in checks]})
    bins = _rows(con, """select least(floor(coalesce(share_read, 0) * 10), 9)::int as b,
        count(*) from report_completeness where template = 'gb2019' group by 1 order by 1""")
    labels = [f"{10 * b}–{10 * b + 10}%" for b in range(10)]
    counts = dict(bins)
    cov = charts.bars("table_coverage",
                      "National-template reports by share of table cells read",
                      labels, {"reports": [counts.get(b, 0) for b in range(10)]})
    reasons = _rows(con, """select split_part(reason, ':', 1) as r, count(*) from quarantine
        group by 1 order by 2 desc, 1 limit 15""")
    quar = charts.hbars("quarantine", "Quarantined inputs by reason",
                        [r[0] for r in reasons], {"inputs": [r[1] for r in reasons]})
    try:
        tests = _rows(con, """select test, status, failing_rows, detail from data_tests
            where tested_at = (select max(tested_at) from data_tests)
            order by status <> 'pass' desc, test""")
    except duckdb.Error:
        tests = []
    passed = sum(1 for t in tests if t[1] == "pass")
    table = (f"<p class=\"note\">Data tests of the last run: {passed} of {len(tests)} pass "
             "(table <code>data_tests</code>).</p>"
             + _table(["test", "status", "failing rows", "what it asserts"],
                      [list(t) for t in tests if t[1] != "pass"]
                      + [list(t) for t in tests if t[1] == "pass"], {2}))
    return chk, cov, quar, table


def render(con: duckdb.DuckDBPyConnection, warehouse: str) -> str:
    """The report's HTML."""
    grid, years, note = _coverage(con)
    volume, outcomes = _requests(con)
    derived_charts, derived_table = _derived(con)
    chk, cov, quar, tests = _quality(con)
    template = Template(files("flows").joinpath("report_template.html").read_text("utf-8"))
    return template.substitute(
        warehouse=escape(warehouse),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tiles=_tiles(con), copies_note=note, coverage_grid=grid, coverage_years=years,
        requests_chart=volume, outcomes_chart=outcomes, derived_charts=derived_charts,
        derived_table=derived_table, checks_chart=chk, coverage_chart=cov,
        quarantine_chart=quar, tests_table=tests)


def add_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("report", help="write the warehouse as one static HTML file with charts")
    p.add_argument("--out", default="report.html", help="HTML file to write")
    p.add_argument("--wait", type=float, default=60.0,
                   help="seconds to wait while a run holds the warehouse")
    common(p)


def cmd_report(args: argparse.Namespace) -> int:
    from flows.analysis_access import open_analysis
    t0 = time.monotonic()
    con = open_analysis(args.warehouse, args.wait, "report")
    if con is None:
        return 2
    try:
        html = render(con, args.warehouse)
    finally:
        con.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    print(f"govinfo report: wrote {out} ({len(html.encode('utf-8')) // 1024} KB, "
          f"{time.monotonic() - t0:.1f} s)")
    return 0
