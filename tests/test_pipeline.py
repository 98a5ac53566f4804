"""The whole job: real Prefect flow runs into real DuckDB files and Parquet lakes."""
from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from flows.cli import main
from tests.conftest import FIXTURES, ROOT, seed_paths
from warehouse import schema, store

TABLES = ["reports", "metrics", "observations", "checks", "documents", "quarantine",
          "indicators", "report_sources"]


def counts(wh: Path) -> dict[str, int]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES + ["runs"]}
    finally:
        con.close()


def lake_counts(lake: Path) -> dict[str, int]:
    return {t: ds.dataset(str(lake / t), format="parquet", partitioning="hive").count_rows()
            for t in TABLES}


def q(wh: Path, sql: str, *params) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_seed_gold_scores(seed_run):
    """The score the acceptance checks use: core, extended and report fields."""
    score = FIXTURES / "score.py"
    out = subprocess.run([sys.executable, str(score), str(seed_run["warehouse"]),
                          str(FIXTURES / "gold"), "--json"], capture_output=True, text=True,
                         check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["docs_in_warehouse"] == 5
    assert result["core"]["recall"] >= 0.97 and result["core"]["precision"] >= 0.99
    assert result["extended"]["recall"] >= 0.85
    assert result["fields"] >= 0.95


def test_every_table_and_view_exists(seed_run):
    wh = seed_run["warehouse"]
    names = {r[0] for r in q(wh, "select table_name from information_schema.tables")}
    assert set(TABLES + ["runs", "fetches", "metrics_wide"]) <= names
    assert q(wh, "select max(version) from schema_migrations")[0][0] == schema.MIGRATIONS[-1][0]
    wide = q(wh, "select region_name, report_year, requests_received, review_total "
                 "from metrics_wide where region_name = '北碚区'")
    assert wide == [("北碚区", 2018, 596.0, 27.0)]
    # the catalog holds every spec code with its aliases
    spec = (FIXTURES / "spec_indicators.csv").read_text(encoding="utf-8").splitlines()[1:]
    codes = {line.split(",")[0] for line in spec if line}
    have = {r[0] for r in q(wh, "select code from indicators where len(aliases) > 0")}
    assert codes <= have


def test_report_rows_and_evidence(seed_run):
    wh = seed_run["warehouse"]
    rows = q(wh, """select split_part(source_uri, '/', -1), media_type, encoding, script,
                           region_name, region_code, province, admin_level, report_year,
                           cast(published_on as varchar), template, issuer_type
                    from reports order by 1""")
    assert rows[0][1:] == ("text/plain", "utf-8", "simplified", "巴中市", "511900", "四川省",
                           "prefecture", 2012, "2013-02-28", "legacy", "government")
    assert rows[2][3:10] == ("traditional", None, None, "广东省", "prefecture", 2008, None)
    # every metric's evidence is the text at its span
    bad = q(wh, """select m.indicator_code from metrics m join documents d using (report_id)
                   where m.method <> 'derived'
                     and substr(d.text, m.span_start + 1, m.span_end - m.span_start) <> m.evidence""")
    assert bad == []
    money = q(wh, """select value, unit, evidence from metrics
                     where indicator_code = 'funding.special'""")
    assert money[0][0] == 380000 and money[0][1] == "yuan" and "38" in money[0][2]


def test_observations_keep_every_number(seed_run):
    """Every number of a seed's text (except dates and percentages) is an observation."""
    wh = seed_run["warehouse"]
    for rid, text in q(wh, "select report_id, text from documents"):
        spans = q(wh, "select span_start, span_end from observations where report_id = ?", rid)
        covered = [(a, b) for a, b in spans]
        skip = [m.span() for m in re.finditer(
            r"(?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}(?:\s*[月\-/.]\s*\d{1,2}\s*日?)?|"
            r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d+(?:\.\d+)?\s*%|https?://\S+|www\.\S+|[\w.]+@[\w.]+|"
            r"(?:19|20)\d{2}\s*年度?|\d{1,2}\s*月份?", text)]
        missing = []
        for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text):
            s = m.start()
            if any(a <= s < b for a, b in covered) or any(a <= s < b for a, b in skip):
                continue
            missing.append(m.group())
        assert missing == [], (rid[:8], missing[:10])
    mapped, unmapped = q(wh, """select count(indicator_code), count(*) - count(indicator_code)
                                from observations""")[0]
    assert mapped > 150 and unmapped > 50


def test_lake_matches_warehouse(seed_run):
    wh, lake = seed_run["warehouse"], seed_run["lake"]
    c = counts(wh)
    lc = lake_counts(lake)
    assert {t: c[t] for t in TABLES} == lc
    years = sorted(p.name for p in (lake / "metrics").iterdir())
    assert years == ["report_year=2008", "report_year=2012", "report_year=2013", "report_year=2018"]
    meta = next((lake / "metrics" / "report_year=2012").glob("*.parquet"))
    import pyarrow.parquet as pq
    assert pq.ParquetFile(meta).metadata.row_group(0).column(0).compression == "ZSTD"


def test_rerun_changes_nothing(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for p in seed_paths()[:3]:
        (src / p.name).write_bytes(p.read_bytes())
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    args = ["run", str(src), "--warehouse", str(wh), "--lake", str(lake)]
    assert main(args) == 0
    first, first_lake = counts(wh), lake_counts(lake)
    metrics_before = q(wh, "select * exclude (span_start, span_end) from metrics order by all")
    assert main(args) == 0
    second = counts(wh)
    assert {t: second[t] for t in TABLES} == {t: first[t] for t in TABLES}
    assert second["runs"] == first["runs"] + 1  # the run log is the only thing that grows
    assert lake_counts(lake) == first_lake
    assert q(wh, "select * exclude (span_start, span_end) from metrics order by all") == metrics_before
    assert q(wh, "select loaded, skipped from runs order by started_at desc limit 1") == [(0, 3)]


def test_changed_file_replaces_its_rows_and_copies_are_one_report(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    seed = next(p for p in seed_paths() if p.name.startswith("004"))
    f = src / "report.txt"
    f.write_bytes(seed.read_bytes())
    (src / "copy_of_report.txt").write_bytes(seed.read_bytes())  # same bytes, two places
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    args = ["run", str(src), "--warehouse", str(wh), "--lake", str(lake)]
    assert main(args) == 0
    assert q(wh, "select count(*) from reports")[0][0] == 1
    assert q(wh, "select count(*) from report_sources")[0][0] == 2
    old_id = q(wh, "select report_id from reports")[0][0]
    # the same path now holds different bytes: its old rows go only if no other path has them
    f.write_text(seed.read_text(encoding="utf-8").replace("1245条", "1300条"), encoding="utf-8")
    assert main(args) == 0
    assert q(wh, "select count(*) from reports")[0][0] == 2
    (src / "copy_of_report.txt").unlink()
    (src / "other.txt").write_text("政府信息公开工作年度报告\n本年度收到申请3件。", encoding="utf-8")
    assert main(args) == 0  # the copy is gone from the folder but runs never delete history
    f.write_text(seed.read_text(encoding="utf-8").replace("1245条", "1400条"), encoding="utf-8")
    assert main([*args[:1], str(f), *args[2:]]) == 0
    websites = sorted(v for (v,) in q(wh, """select value from metrics
                      where indicator_code = 'proactive.website'"""))
    assert 1300.0 not in websites  # replaced: nothing else pointed at those bytes
    assert 1245.0 in websites and 1400.0 in websites
    assert q(wh, "select count(*) from reports where report_id = ?", old_id)[0][0] == 1


def test_bad_inputs_are_quarantined_and_the_run_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = next(p for p in seed_paths() if p.name.startswith("000"))
    (src / good.name).write_bytes(good.read_bytes())
    (src / "empty.txt").write_bytes(b"")
    (src / "random.bin").write_bytes(os.urandom(4096))
    (src / "news.txt").write_text("今日天气晴朗，市民出行踊跃。某商场举办促销活动，吸引众多顾客。" * 20,
                                  encoding="utf-8")
    (src / "fake.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(lake),
                 "--batch-size", "2"]) == 0
    reasons = dict((Path(u).name, r) for u, r in q(wh, "select source_uri, reason from quarantine"))
    assert set(reasons) == {"empty.txt", "random.bin", "news.txt", "fake.pdf"}
    assert "empty" in reasons["empty.txt"]
    assert "not a government information disclosure annual report" in reasons["news.txt"]
    assert all(len(r) > 10 for r in reasons.values())
    assert q(wh, "select count(*) from reports")[0][0] == 1
    assert q(wh, "select inputs, loaded, quarantined from runs")[0] == (5, 1, 4)


def test_query_is_read_only_and_formats(seed_run, capsys):
    wh = str(seed_run["warehouse"])
    before = q(seed_run["warehouse"], "select count(*) from reports")[0][0]
    assert main(["query", "delete from reports", "--warehouse", wh]) == 1
    assert "read-only" in capsys.readouterr().err.lower()
    assert q(seed_run["warehouse"], "select count(*) from reports")[0][0] == before
    assert main(["query", "select region_name, report_year from reports where region_code = "
                 "'500109'", "--warehouse", wh, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"region_name": "北碚区", "report_year": 2018}]
    assert main(["query", "select 1 as a, 'x' as b", "--warehouse", wh, "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines() == ["a,b", "1,x"]
    assert main(["status", "--warehouse", wh]) == 0
    out = capsys.readouterr().out
    assert "reports 5" in out and "quarantined inputs 0" in out


def test_pipeline_errors_exit_nonzero(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # running as root: make the target a file instead
            blocker = tmp_path / "blocker"
            blocker.write_text("x")
            target = blocker / "w.duckdb"
        else:
            target = ro / "w.duckdb"
        assert main(["run", str(tmp_path), "--warehouse", str(target),
                     "--lake", str(tmp_path / "lake")]) == 2
        assert "govinfo run:" in capsys.readouterr().err
    finally:
        ro.chmod(0o700)
    with pytest.raises(SystemExit) as e:
        main(["run", "--task-runner", "nope"])
    assert e.value.code == 2
    assert main(["run", "--workers", "0", "--warehouse", str(tmp_path / "w.duckdb")]) == 2


def test_old_warehouse_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    schema.migrate(con, upto=1)
    con.execute("insert into reports (report_id, source_uri, status) values ('abc', 'x.txt', 'ok')")
    con.close()
    con = store.connect(path)  # opening for writing runs the missing migrations
    try:
        assert [r[0] for r in con.execute("select version from schema_migrations order by 1")
                .fetchall()] == [m[0] for m in schema.MIGRATIONS]
        assert con.execute("select source_uri from reports").fetchall() == [("x.txt",)]
        idx = {r[0] for r in con.execute("select index_name from duckdb_indexes()").fetchall()}
        assert "metrics_code_idx" in idx
    finally:
        con.close()


def test_warehouse_is_readable_by_duckdb_1_4(seed_run) -> None:
    """BI tools bundle older DuckDB releases: the file is written in the storage format of
    DuckDB 1.4 (checked by hand with duckdb 1.4.5 reading a file this project wrote)."""
    path = seed_run["warehouse"]
    con = duckdb.connect(str(path), read_only=True)
    try:
        tags = con.execute("select tags from duckdb_databases() "
                           "where database_name = current_database()").fetchone()[0]
    finally:
        con.close()
    assert tags["storage_version"] == store.STORAGE_VERSION + "+"
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    # the storage number in the header: DuckDB 1.4 reads 64 to 67; 2.0's own format is 999
    assert 64 <= struct.unpack("<Q", head[12:20])[0] <= 67


def test_an_interrupted_run_is_recorded_as_such(tmp_path):
    """The `runs` row of a run stopped by Ctrl-C (tests/test_terminal.py presses it for real)
    says so and how far it got, and a later run leaves it as it is."""
    from datetime import datetime
    from warehouse import runlog
    con = store.connect(tmp_path / "w.duckdb")
    try:
        runlog.start_run(con, "r1", datetime(2025, 1, 1), "in/")
        runlog.interrupt_run(con, {"run_id": "r1", "finished_at": datetime(2025, 1, 1, 0, 1),
                                   "inputs": 9, "loaded": 4, "skipped": 0, "quarantined": 0,
                                   "metrics": 80, "failed_checks": 0, "seconds": 1.5})
        assert runlog.start_run(con, "r2", datetime(2025, 1, 2), "in/") == 0
        assert con.execute("select run_id, status, inputs, loaded, metrics, error from runs "
                           "order by run_id").fetchall() == [
            ("r1", "interrupted", 9, 4, 80, "interrupted by the user (Ctrl-C)"),
            ("r2", "running", None, None, None, None)]
    finally:
        con.close()


def test_a_failing_batch_leaves_the_warehouse_as_it_was(tmp_path, seed_run):
    wh = tmp_path / "w.duckdb"
    wh.write_bytes(Path(seed_run["warehouse"]).read_bytes())
    before = counts(wh)
    con = store.connect(wh)
    metric = {"indicator_code": "requests.received", "breakdown": "", "period": "year",
              "value": 1.0}
    good = store.ReportResult(report={"report_id": "new1", "source_uri": "new.txt",
                                      "status": "ok"}, metrics=[metric], text="x")
    # the same metric twice breaks the primary key after the report row went in
    broken = store.ReportResult(report={"report_id": "new2", "source_uri": "b.txt"},
                                metrics=[metric, metric], text="y")
    with pytest.raises(Exception, match="(?i)constraint|duplicate"):
        store.load_batch(con, store.to_batch([good, broken], []), "run-x")
    con.close()
    assert counts(wh) == before


def test_console_script_end_to_end(tmp_path):
    """The installed `govinfo` command, as a user runs it."""
    exe = Path(sys.executable).with_name("govinfo")
    src = tmp_path / "in"
    src.mkdir()
    p = next(p for p in seed_paths() if p.name.startswith("003"))
    (src / p.name).write_bytes(p.read_bytes())
    env = dict(os.environ, PREFECT_HOME=str(ROOT / "data" / "prefect"))
    r = subprocess.run([str(exe), "run", str(src), "--warehouse", str(tmp_path / "w.duckdb"),
                        "--lake", str(tmp_path / "lake")], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reports loaded    1" in r.stdout and "failed checks     5" in r.stdout
    r = subprocess.run([str(exe), "query", "select count(*) as n from metrics", "--warehouse",
                        str(tmp_path / "w.duckdb"), "--format", "csv"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0 and int(r.stdout.split()[-1]) > 60


def test_a_batch_leaves_nothing_behind_in_the_flow(tmp_path):
    """Memory is bounded by the batch, not the corpus: the work items the flow keeps for the
    whole run come back from a batch untouched (under the thread runner they are the same
    objects), and a loaded batch gives its rows up (task runners keep every task's result
    until the flow ends)."""
    from flows import stages
    from flows.stages import WorkItem
    items = [WorkItem(source_uri=str(p), path=str(p)) for p in seed_paths()]
    batch = stages.run_batch(items)
    assert batch.reports == len(items) and batch.metrics > 100
    assert all(i.result is None and i.doc is None and i.data is None for i in items)
    con = store.connect(tmp_path / "w.duckdb")
    try:
        store.load_batch(con, batch, "run-1")
        batch.release()
        assert batch.metrics == 0 and sum(t.nbytes for t in batch.tables.values()) == 0
        assert con.execute("select count(*) from metrics").fetchone()[0] > 100
    finally:
        con.close()


def test_a_failed_batch_task_quarantines_its_inputs_and_the_run_goes_on(tmp_path, monkeypatch):
    """A batch's task can fail as a whole (a worker killed by a crash in a native reader, a
    lost Dask worker): its inputs end in quarantine with the reason, the other batches load."""
    import flows.ingest as ing
    from flows import stages

    def flaky(items):
        if any(Path(i.source_uri).name.startswith("001") for i in items):
            raise RuntimeError("worker lost")
        return stages.run_batch(items)

    monkeypatch.setattr(ing, "extract_task", ing._task("extract-batch", flaky))
    src = tmp_path / "in"
    src.mkdir()
    for p in seed_paths():
        (src / p.name).write_bytes(p.read_bytes())
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(tmp_path / "lake"),
                 "--batch-size", "1"]) == 0
    con = duckdb.connect(str(wh), read_only=True)
    try:
        loaded = {Path(r[0]).name[:3] for r in con.execute(
            "select source_uri from reports").fetchall()}
        bad = con.execute("select source_uri, reason from quarantine").fetchall()
    finally:
        con.close()
    assert loaded == {p.name[:3] for p in seed_paths()} - {"001"}
    assert [(Path(u).name[:3], "RuntimeError: worker lost" in r) for u, r in bad] == [("001", True)]
