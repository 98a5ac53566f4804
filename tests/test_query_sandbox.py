"""`govinfo query` reads the warehouse and the lake, and nothing else.

Each escape the issue lists is tried for real against a warehouse loaded by a real run:
reading /etc/passwd, COPY … TO (over a lake partition and elsewhere), ATTACH read-write,
INSTALL/LOAD of an extension from a URL or a file, SET to unlock the configuration; plus a
query over its time limit and one over its memory limit. Each is refused with one line.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main


def _query(seed_run: dict[str, Path], sql: str, *extra: str) -> int:
    return main(["query", sql, "--warehouse", str(seed_run["warehouse"]),
                 "--lake", str(seed_run["lake"]), *extra])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert captured.out == ""
    return lines[0]


def test_reading_a_file_outside_the_lake_is_refused(seed_run, capsys) -> None:
    for sql in ("select * from read_text('/etc/passwd')",
                "select * from read_csv('/etc/passwd', sep = ':')",
                "select * from glob('/etc/*')",
                # a path that starts in the lake and climbs out of it
                f"select * from read_blob('{seed_run['lake']}/../../../../etc/hostname')"):
        assert _query(seed_run, sql) == 1
        line = _one_line(capsys)
        assert line.startswith("govinfo query: refused: queries may read only the warehouse")


def test_copy_to_a_file_is_refused_even_into_the_lake(seed_run, capsys, tmp_path) -> None:
    lake = seed_run["lake"]
    partition = next((lake / "metrics").iterdir())
    before = sorted(p.name for p in partition.iterdir())
    for target in (partition / "part-9.parquet", tmp_path / "out.csv"):
        assert _query(seed_run, f"copy (select * from metrics) to '{target}'") == 1
        assert "refused: only read-only queries run here (COPY" in _one_line(capsys)
        assert not target.exists()
    # hidden behind a harmless first statement
    assert _query(seed_run, f"select 1; copy reports to '{tmp_path / 'r.csv'}'") == 1
    assert "COPY" in _one_line(capsys)
    assert sorted(p.name for p in partition.iterdir()) == before


@pytest.mark.parametrize("sql, words", [
    ("attach '{tmp}/other.duckdb' as other", "ATTACH"),
    ("attach '{tmp}/other.duckdb' as other (read_write)", "ATTACH"),
    ("install httpfs from 'http://127.0.0.1:9/extensions'", "INSTALL and LOAD"),
    ("load '{tmp}/evil.duckdb_extension'", "INSTALL and LOAD"),
    ("set enable_external_access = true", "SET"),
    ("set lock_configuration = false", "SET"),
    ("reset lock_configuration", "SET"),
    ("export database '{tmp}/dump'", "EXPORT"),
    ("pragma memory_limit = '100GB'", "SET"),  # DuckDB parses it as a SET
    ("pragma enable_profiling", "PRAGMA"),
])
def test_escapes_are_refused_with_one_line(seed_run, capsys, tmp_path, sql, words) -> None:
    assert _query(seed_run, sql.format(tmp=tmp_path)) == 1
    line = _one_line(capsys)
    assert line.startswith("govinfo query: refused:") and words in line
    assert list(tmp_path.iterdir()) == []


def test_the_warehouse_and_the_lake_can_be_read(seed_run, capsys) -> None:
    lake = seed_run["lake"]
    assert _query(seed_run, "select count(*) as n from reports", "--format", "csv") == 0
    assert capsys.readouterr().out.split() == ["n", "5"]
    sql = ("select count(*) as n from read_parquet('{}/metrics/*/*.parquet', "
           "hive_partitioning = true)")
    assert _query(seed_run, sql.format(lake), "--format", "csv") == 0
    n = int(capsys.readouterr().out.split()[1])
    assert n > 100
    assert main(["lake-path", "--lake", str(lake)]) == 0
    version = capsys.readouterr().out.strip()
    assert _query(seed_run, sql.format(version), "--format", "csv") == 0
    assert int(capsys.readouterr().out.split()[1]) == n


def test_a_query_over_its_time_or_memory_limit_is_stopped(seed_run, capsys) -> None:
    endless = "select count(*) from range(1000000000000) a"
    assert _query(seed_run, endless, "--timeout", "1") == 1
    assert "ran longer than 1 s (--timeout)" in _one_line(capsys)
    hungry = "select length(string_agg(repeat('x', 1000), '')) from range(1000000)"  # 1 GB
    assert _query(seed_run, hungry, "--memory-limit", "64MB") == 1
    assert "needs more memory than 64MB (--memory-limit)" in _one_line(capsys)
