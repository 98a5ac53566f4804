"""The warehouse for analysts: comments everywhere, typed views from the catalog, one report per
body and year with its scope, derived indicators, data tests, and the cross-report checks.

One real flow run over the seeds plus national-template reports made for the purpose: an area
summary (全区共…) in two copies (a complete HTML page and a text copy cut before table 4), a
department of the same district in two consecutive years (table 2's stock consistent for
normative documents, off by one for rules), and an empty file.
"""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli, seed_paths
from tests.corpus import national
from transforms.numbers import find_numbers, parse_cell, scaled

ROOT = Path(__file__).resolve().parents[1]
AREA = "重庆市北碚区人民政府办公室"
DEPT = "北碚区交通运输局"


def _set(rep: national.NationalReport, code: str, value: int) -> None:
    """Print `value` in the table cell of `code` (plain figure, year) and in the answer key."""
    for s in rep.sections:
        if s.table is None:
            continue
        for row in s.table.rows:
            for i, cell in enumerate(row):
                if cell.key == (code, "", "year"):
                    row[i] = replace(cell, text=str(value), value=float(value))
    rep.expected[(code, "", "year")] = float(value)


def _value(rep: national.NationalReport, code: str) -> float:
    return rep.expected[(code, "", "year")]


@pytest.fixture(scope="session")
def analysis_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("analysis")
    src = d / "in"
    src.mkdir()
    for p in seed_paths():
        (src / p.name).write_bytes(p.read_bytes())
    area = national.make_report("gb2021", seed=11, region="北碚区", issuer=AREA, year=2021)
    area.preamble.append(f"2021年，全区共收到政府信息公开申请{int(_value(area, 'requests.received'))}件。")
    (src / "area_2021.html").write_bytes(national.to_html(area))
    cut = national.to_flat_text(area)
    cut = cut[:cut.index(area.sections[3].heading)]  # 四、…行政复议…: table 4 is lost
    (src / "area_2021_copy.txt").write_text(cut, encoding="utf-8")
    d20 = national.make_report("gb2021", seed=20, region="北碚区", issuer=DEPT, year=2020)
    d21 = national.make_report("gb2021", seed=21, region="北碚区", issuer=DEPT, year=2021)
    nd = (_value(d20, "normative_docs.in_force") + _value(d21, "normative_docs.issued")
          - _value(d21, "normative_docs.repealed"))
    _set(d21, "normative_docs.in_force", int(nd))
    rules = (_value(d20, "rules.in_force") + _value(d21, "rules.issued")
             - _value(d21, "rules.repealed"))
    _set(d21, "rules.in_force", int(rules) + 1)
    (src / "dept_2020.html").write_bytes(national.to_html(d20))
    (src / "dept_2021.txt").write_text(national.to_flat_text(d21), encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    wh = d / "w.duckdb"
    assert run_cli("run", str(src), "--warehouse", str(wh), "--lake", str(d / "lake")) == 0
    return {"warehouse": wh, "dir": d, "area": area, "d20": d20, "d21": d21}


def _con(run: dict) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(run["warehouse"]), read_only=True)


def test_every_table_view_and_column_has_a_comment(analysis_run):
    from warehouse.dictionary import missing
    with _con(analysis_run) as con:
        assert missing(con) == []
        n_cols = con.execute("select count(*) from duckdb_columns() where database_name = "
                             "current_database() and comment <> ''").fetchone()[0]
        objects = {r[0] for r in con.execute(
            "select view_name from duckdb_views() where not internal union all "
            "select table_name from duckdb_tables() where not internal").fetchall()}
        comment = con.execute("select comment from duckdb_columns() where table_name = "
                              "'metrics_wide' and column_name = 'fees_collected'").fetchone()[0]
    assert n_cols > 400
    assert {"analysis_reports", "report_copies", "derived_indicators", "indicator_values",
            "analysis_wide", "data_dictionary", "data_tests", "vocabularies"} <= objects
    assert "依申请公开收费金额" in comment and "yuan" in comment


def test_metrics_wide_follows_the_catalog_with_typed_columns(analysis_run):
    with (ROOT / "transforms/catalog/indicators.csv").open(encoding="utf-8") as f:
        core = [(r["code"], r["unit"]) for r in csv.DictReader(f) if r["core"] == "1"]
    with _con(analysis_run) as con:
        types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                                 "where table_name = 'metrics_wide'").fetchall())
    wide = [c for c in types if c.replace("_", ".", 1) in {k for k, _ in core}
            or c in {k.replace(".", "_") for k, _ in core}]
    assert wide == [c.replace(".", "_") for c, _ in core]
    for code, unit in core:
        assert types[code.replace(".", "_")] == ("DECIMAL(18,2)" if unit == "yuan" else "BIGINT")


def test_money_is_scaled_without_float_noise():
    assert 8479.96 * 10000 != 84799600.0  # the noise this guards against
    assert scaled(8479.96, 10000.0) == 84799600.0
    assert [n.value for n in find_numbers("收费8479.96万元")] == [84799600.0]
    assert parse_cell("0.68万") == ("num", 6800.0, "exact")
    assert scaled(38.441094, 10000.0) == 384410.94


def test_copies_scope_and_cover(analysis_run):
    with _con(analysis_run) as con:
        copies = con.execute("""select source_uri, copies, copy_rank, scope from report_copies
            where issuer = ? order by copy_rank""", [AREA]).fetchall()
        kept = con.execute("""select r.issuer, r.report_year, a.scope, a.covered_by,
            a.counted_in_sums, (select issuer from reports where report_id = a.covered_by)
            from analysis_reports a join reports r using (report_id)
            where r.region_name = '北碚区' and r.report_year = 2021 order by 1""").fetchall()
        per_body = con.execute("select count(*), count(distinct body_key) from analysis_reports"
                               ).fetchone()
    assert [(Path(u).name, n, k, s) for u, n, k, s in copies] == [
        ("area_2021.html", 2, 1, "area"), ("area_2021_copy.txt", 2, 2, "area")]
    assert kept == [(DEPT, 2021, "own", kept[0][3], False, AREA),
                    (AREA, 2021, "area", None, True, None)]
    assert per_body[0] == per_body[1]


def test_derived_indicators_follow_their_formula(analysis_run):
    area = analysis_run["area"]
    want = ((_value(area, "requests.granted") + _value(area, "requests.partially_granted"))
            / _value(area, "requests.answered"))
    with _con(analysis_run) as con:
        got = con.execute("""select d.numerator, d.denominator, d.value, d.caveat
            from derived_indicators d join analysis_reports a using (report_id)
            where a.issuer = ? and d.code = 'disclosure_rate'""", [AREA]).fetchone()
        codes = {r[0] for r in con.execute("select distinct code from derived_indicators").fetchall()}
        by_year = con.execute("select count(*) from derived_by_year where value is not null"
                              ).fetchone()[0]
    assert got[0] == _value(area, "requests.granted") + _value(area, "requests.partially_granted")
    assert got[1] == _value(area, "requests.answered")
    assert got[2] == pytest.approx(want, abs=1e-4) and "七" in got[3]
    assert {"disclosure_rate", "refusal_share", "unable_share", "backlog",
            "dispute_conversion", "correction_rate"} <= codes
    assert by_year > 0


def test_cross_report_and_report_checks(analysis_run):
    run = analysis_run
    with _con(run) as con:
        rows = con.execute("""select c."check", c.status, c.expected, c.actual, r.source_uri
            from checks c join reports r using (report_id)
            where c."check" in ('rules_stock', 'normative_docs_stock',
                                'national_tables_present')
               or (c."check" = 'area_ge_covered' and c.detail like 'requests.received:%')
            order by 1, 5""").fetchall()
    got = {(c, Path(u).name): (s, e, a) for c, s, e, a, u in rows}
    d21 = run["d21"]
    assert got[("normative_docs_stock", "dept_2021.txt")][0] == "pass"
    assert got[("rules_stock", "dept_2021.txt")][:2] == (
        "fail", _value(d21, "rules.in_force") - 1)
    assert got[("national_tables_present", "area_2021_copy.txt")][0] == "fail"
    assert got[("national_tables_present", "area_2021.html")][0] == "pass"
    area_v, dept_v = (_value(run["area"], "requests.received"),
                      _value(d21, "requests.received"))
    assert got[("area_ge_covered", "area_2021.html")] == (
        "pass" if area_v >= dept_v else "fail", dept_v, area_v)


def test_data_tests_run_after_the_load_and_show_in_status(analysis_run, capsys):
    with _con(analysis_run) as con:
        results = con.execute("select status, count(*) from data_tests group by 1").fetchall()
        kinds = {r[0] for r in con.execute("select distinct kind from data_tests").fetchall()}
    assert dict(results).get("pass", 0) >= 50 and set(dict(results)) == {"pass"}
    assert kinds == {"unique", "not_null", "accepted_values", "relationship", "expression"}
    assert run_cli("status", "--warehouse", str(analysis_run["warehouse"])) == 0
    out = capsys.readouterr().out
    assert "data tests: " in out and " pass" in out


def test_data_tests_find_bad_rows(analysis_run, tmp_path):
    from warehouse import datatests, store
    wh = tmp_path / "copy.duckdb"
    wh.write_bytes(analysis_run["warehouse"].read_bytes())
    con = store.connect(wh)
    try:
        con.execute("update reports set status = 'done' where report_id = "
                    "(select min(report_id) from reports)")
        con.execute("insert into metrics (report_id, indicator_code, breakdown, period, value, "
                    "unit) values ('nope', 'no.such_code', '', 'year', 1, 'item')")
        results = {r["test"]: r for r in datatests.run(con, "t")}
    finally:
        con.close()
    assert results["reports_status_values"]["status"] == "fail"
    assert results["reports_status_values"]["failing_rows"] == 1
    assert "done" in results["reports_status_values"]["detail"]
    assert results["metrics_report_exists"]["failing_rows"] == 1
    assert results["metrics_indicator_exists"]["status"] == "fail"
    assert results["reports_id_unique"]["status"] == "pass"


def test_section_six_none_against_a_stated_fee():
    """六、其他需要报告的事项 reading 无 is the template's place for fees: no fee was collected.
    When a fee is stated elsewhere, the zero_vs_figure rule says the two disagree."""
    from flows.stages import WorkItem, run_all

    text = ("2020年政府信息公开工作年度报告\n一、总体情况\n本年度收取信息处理费共计380元。\n"
            "六、其他需要报告的事项\n无。\n")
    it = run_all([WorkItem(source_uri="six.txt", data=text.encode("utf-8"))])[0]
    fees = [o for o in it.result.observations if o["indicator_code"] == "fees.collected"]
    assert sorted(o["value"] for o in fees) == [0.0, 380.0]
    failed = [c for c in it.result.checks if c["status"] == "fail"]
    assert any("fees.collected" in c["detail"] for c in failed), failed
