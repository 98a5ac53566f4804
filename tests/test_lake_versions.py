"""The lake is published atomically: one pointer switch per run, never a torn state.

Written here: a warehouse whose every state has twice as many metrics as reports, exported 20
times while another process polls the lake (a torn read would break the ratio); an export
killed with SIGKILL; a lake left in the old layout; a --lake path with a quote in it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from flows.cli import main
from tests import hostile
from tests.hostile import REPO
from warehouse import lake as lake_mod, store

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb
from warehouse.lake import LakeError, resolve
lake, stop = Path(sys.argv[1]), Path(sys.argv[2])
con = duckdb.connect()
seen, errors = [], []
while not stop.exists():
    try:
        v = resolve(lake)  # one resolution, then every table below that folder
        r, m = con.execute(
            "select (select count(*) from read_parquet(?, hive_partitioning = true)), "
            "(select count(*) from read_parquet(?, hive_partitioning = true))",
            [str(v / "reports" / "*" / "*.parquet"), str(v / "metrics" / "*" / "*.parquet")]
        ).fetchone()
        seen.append([v.name, r, m])
    except LakeError:
        pass  # nothing published yet
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
print(json.dumps({"seen": seen, "errors": errors}))
"""


def _result(i: int) -> store.ReportResult:
    rid = f"{i:064x}"
    metrics = [{"indicator_code": code, "breakdown": "", "period": "year", "value": float(i)}
               for code in ("requests.received", "requests.answered")]
    return store.ReportResult(report={"report_id": rid, "source_uri": f"/in/{i}.txt",
                                      "report_year": 2019 + i % 4, "status": "ok"},
                              metrics=metrics, text=f"text {i}")


def _load(con: duckdb.DuckDBPyConnection, i: int) -> None:
    store.load_batch(con, store.to_batch([_result(i)], []), f"run-{i}")


def test_a_reader_polling_during_20_exports_never_sees_two_runs(tmp_path: Path) -> None:
    lake, stop = tmp_path / "lake", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(lake), str(stop)],
                              cwd=str(REPO), stdout=subprocess.PIPE, text=True)
    con = store.connect(tmp_path / "w.duckdb")
    published = {}
    try:
        for i in range(20):
            _load(con, i)  # state i: i + 1 reports, 2 (i + 1) metrics
            counts = lake_mod.export(con, lake, f"{i:08d}")
            published[lake_mod.resolve(lake).name] = (counts["reports"], counts["metrics"])
    finally:
        con.close()
        stop.touch()
        out, _ = reader.communicate(timeout=120)
    polled = json.loads(out)
    assert polled["errors"] == []
    assert polled["seen"], "the reader never saw a published version"
    for version, r, m in polled["seen"]:
        assert m == 2 * r  # reports and metrics of one run
        assert published.get(version, (r, m)) == (r, m)
    # old versions stay for a while; the pointer names the last one; no leftovers
    assert len(published) == 20
    assert lake_mod.resolve(lake).name == max(published)
    assert not [p for p in (lake / "versions").iterdir() if p.name.startswith(".tmp-")]


def test_versions_are_kept_for_a_while_then_cleaned(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    con = store.connect(tmp_path / "w.duckdb")
    try:
        for i in range(4):
            _load(con, i)
            lake_mod.export(con, lake)
    finally:
        con.close()
    names = sorted(p.name for p in (lake / "versions").iterdir())
    assert len(names) == 4  # all replaced within KEEP_SECONDS: kept
    removed = lake_mod.clean(lake, now=time.time() + lake_mod.KEEP_SECONDS + 60)
    assert sorted(removed) == names[:2]  # the current one and the one before it stay
    assert sorted(p.name for p in (lake / "versions").iterdir()) == names[2:]


KILLED_EXPORTER = r"""
import sys
from warehouse import lake, store
con = store.connect(sys.argv[1], read_only=True)
while True:
    lake.export(con, sys.argv[2])
"""


def test_an_export_killed_midway_leaves_the_last_version_whole(tmp_path: Path) -> None:
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    con = store.connect(wh)
    try:
        for i in range(30):
            _load(con, i)
    finally:
        con.close()
    p = subprocess.Popen([sys.executable, "-c", KILLED_EXPORTER, str(wh), str(lake)],
                         cwd=str(REPO))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((lake / "versions").glob("2*"))) < 3:
            time.sleep(0.05)
        time.sleep(0.13)  # most of the loop's time is spent writing: land inside an export
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    current = lake_mod.resolve(lake)
    manifest = json.loads((current / "_manifest.json").read_text(encoding="utf-8"))
    got = duckdb.connect().execute("select count(*) from read_parquet(?)",
                                   [str(current / "metrics" / "*" / "*.parquet")]).fetchone()[0]
    assert got == manifest["tables"]["metrics"] == 60
    con = store.connect(wh)
    try:
        lake_mod.export(con, lake)  # the next export cleans what the killed one left
    finally:
        con.close()
    leftovers = [p.name for d in (lake, lake / "versions") for p in d.iterdir()
                 if p.name.startswith(".")]
    assert leftovers == []


def test_an_old_layout_lake_is_migrated_and_stays_readable(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "metrics" / "report_year=2018").mkdir(parents=True)
    duckdb.connect().execute("copy (select 1 as old) to ? (format parquet)",
                             [str(lake / "metrics" / "report_year=2018" / "part-0.parquet")])
    (lake / ".metrics.tmp-1a2b3c4d").mkdir()  # left by a killed export of the old code
    con = store.connect(tmp_path / "w.duckdb")
    try:
        _load(con, 1)
        lake_mod.export(con, lake)
    finally:
        con.close()
    assert (lake / "metrics").is_symlink() and not (lake / ".metrics.tmp-1a2b3c4d").exists()
    n = duckdb.connect().execute("select count(*), min(report_year) from read_parquet(?, "
                                 "hive_partitioning = true)",
                                 [str(lake / "metrics" / "*" / "*.parquet")]).fetchone()
    assert n == (2, 2020)


def test_a_lake_path_with_a_quote_works_and_lake_path_names_the_version(
        tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    hostile.write_good_reports(src, 2)
    lake = tmp_path / "it's a lake"
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(lake)]) == 0
    capsys.readouterr()
    assert main(["lake-path", "--lake", str(lake)]) == 0
    version = Path(capsys.readouterr().out.strip())
    assert version.parent == (lake / "versions").resolve()
    n = duckdb.connect().execute("select count(*) from read_parquet(?)",
                                 [str(version / "reports" / "*" / "*.parquet")]).fetchone()[0]
    assert n == 2
    assert sorted(os.listdir(tmp_path)) == sorted(["in", "it's a lake", "w.duckdb"])
    assert main(["lake-path", "--lake", str(tmp_path / "nothing here")]) == 2
    assert "no published lake version" in capsys.readouterr().err
