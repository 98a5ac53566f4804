"""The arithmetic checks: a balanced report passes every rule; one changed cell fails exactly
the rules that cell enters; the seeds' known contradictions are found."""
from __future__ import annotations

import dataclasses

import duckdb

from flows.stages import WorkItem, run_all
from tests.corpus import make_report, to_flat_text


def _checks(report) -> list[dict]:
    it = run_all([WorkItem(source_uri="r.txt", data=to_flat_text(report).encode("utf-8"))])[0]
    assert it.error is None
    return it.result.checks


def _bump(report, key) -> None:
    for table in report.tables:
        for row in table.rows:
            for c, cell in enumerate(row):
                if cell.key == key:
                    v = cell.value + 1
                    row[c] = dataclasses.replace(cell, value=v, text=str(int(v)))
                    return
    raise AssertionError(f"no cell {key}")


def test_balanced_report_passes_every_rule():
    for version, year in (("gb2019", 2020), ("gb2021", 2021)):
        checks = _checks(make_report(version, seed=11, year=year))
        names = {c["check"] for c in checks}
        assert {"table3_balance", "table3_outcomes_sum", "table3_requesters_sum",
                "review_sum", "litigation_sum"} <= names
        assert [c for c in checks if c["status"] == "fail"] == []


def test_one_changed_cell_fails_exactly_its_rules():
    report = make_report("gb2021", seed=11, year=2021)
    _bump(report, ("requests.granted", "natural_person", "year"))
    failed = [c for c in _checks(report) if c["status"] == "fail"]
    by_rule = {}
    for c in failed:
        by_rule.setdefault(c["check"], []).append(c["detail"])
    # 予以公开 is an outcome leaf (R2, its column) and a row with a 总计 (R3); it is not in R1
    assert set(by_rule) == {"table3_outcomes_sum", "table3_requesters_sum"}
    assert len(by_rule["table3_outcomes_sum"]) == 1 and "natural_person" in by_rule["table3_outcomes_sum"][0]
    assert len(by_rule["table3_requesters_sum"]) == 1 and "requests.granted" in by_rule["table3_requesters_sum"][0]


def test_changed_received_cell_fails_r1_and_r3():
    report = make_report("gb2021", seed=11, year=2021)
    _bump(report, ("requests.received", "research", "year"))
    failed = {(c["check"], c["detail"].split(" ")[0]) for c in _checks(report)
              if c["status"] == "fail"}
    assert failed == {("table3_balance", "[research,"), ("table3_requesters_sum", "requests.received:")}


def test_changed_table4_cell_fails_its_block_only():
    report = make_report("gb2019", seed=11, year=2020)
    _bump(report, ("litigation.upheld", "after_review", "year"))
    failed = [c for c in _checks(report) if c["status"] == "fail"]
    assert len(failed) == 1
    assert failed[0]["check"] == "litigation_sum" and "after_review" in failed[0]["detail"]


def test_seed_contradictions(seed_run):
    con = duckdb.connect(str(seed_run["warehouse"]), read_only=True)
    try:
        rows = con.execute("""select split_part(r.source_uri, '/', -1), c."check", c.status,
                                     c.expected, c.actual, c.detail
                              from checks c join reports r using (report_id)""").fetchall()
        statuses = dict(con.execute("select split_part(source_uri, '/', -1), status from reports")
                        .fetchall())
    finally:
        con.close()
    fails = [(d[:3], chk, e, a, det) for d, chk, st, e, a, det in rows if st == "fail"]
    s003 = sorted((chk, det.split(":")[0], e, a) for d, chk, e, a, det in fails
                  if d == "003" and chk == "prose_table_agreement")
    assert s003 == [("prose_table_agreement", "litigation.total", 61, 76),
                    ("prose_table_agreement", "litigation.upheld", 41, 56),
                    ("prose_table_agreement", "review.total", 27, 32),
                    ("prose_table_agreement", "review.upheld", 14, 19)]
    # the only other failure in 003 is real: its answer rows add up to 594, not 596
    other_003 = [(chk, e, a) for d, chk, e, a, _ in fails
                 if d == "003" and chk != "prose_table_agreement"]
    assert other_003 == [("outcomes_sum", 596, 594)]
    r7 = [det for d, chk, e, a, det in fails if d == "001" and chk == "year_le_cumulative"]
    assert len(r7) == 1 and "953" in r7[0] and "765" in r7[0] and "本级" in r7[0]
    assert statuses["003_75db285d8e423f19.txt"] == "partial"
    assert statuses["004_b1535a13b065a6c0.txt"] == "ok"
    # passes are recorded too, and the agreeing prose/table pairs of 003 are among them
    assert any(d == "003_75db285d8e423f19.txt" and chk == "prose_table_agreement" and st == "pass"
               for d, chk, st, *_ in rows)


def test_carry_over_continuity_across_years(tmp_path):
    """上年结转 of one year must equal 结转下年度 of the year before, for the same body."""
    from tests.conftest import run_cli

    src = tmp_path / "in"
    src.mkdir()
    y1 = make_report("gb2021", seed=21, year=2021)
    y2 = make_report("gb2021", seed=22, year=2022)
    forward = y1.expected[("requests.carried_forward", "", "year")]
    over = y2.expected[("requests.carried_over", "", "year")]
    (src / "r2021.txt").write_text(to_flat_text(y1), encoding="utf-8")
    (src / "r2022.txt").write_text(to_flat_text(y2), encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    assert run_cli("run", str(src), "--warehouse", str(wh), "--lake", str(tmp_path / "lake")) == 0
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute("""select r.report_year, c.status, c.expected, c.actual
                              from checks c join reports r using (report_id)
                              where c."check" = 'carryover_continuity'""").fetchall()
        status = con.execute("select status from reports where report_year = 2022").fetchone()[0]
    finally:
        con.close()
    assert forward != over  # these two generated years do not chain up
    assert rows == [(2022, "fail", forward, over)]
    assert status == "partial"
