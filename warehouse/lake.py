"""The lake: the warehouse tables as zstd Parquet, Hive-partitioned by report_year.

Each table directory is written beside the old one and swapped in with a rename, so readers never
see half a table and writing the same warehouse twice gives the same files (idempotent).
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb

# table -> query; tables with report_year are partitioned by it
PARTITIONED = {
    "reports": "select * from reports",
    "metrics": "select m.*, r.report_year from metrics m join reports r using (report_id)",
    "observations": "select o.*, r.report_year from observations o join reports r using (report_id)",
    "checks": "select c.*, r.report_year from checks c join reports r using (report_id)",
    "documents": "select d.*, r.report_year from documents d join reports r using (report_id)",
    "table_reads": "select t.*, r.report_year from table_reads t join reports r using (report_id)",
}
WHOLE = {
    "indicators": "select * from indicators",
    "quarantine": "select * from quarantine",
    "runs": "select * from runs",
    "fetches": "select * from fetches",
    "report_sources": "select * from report_sources",
}
ORDER = {
    "reports": "report_id", "metrics": "report_id, indicator_code, breakdown, period",
    "observations": "report_id, obs_no", "checks": "report_id, \"check\", detail",
    "table_reads": "report_id, table_name",
    "documents": "report_id", "indicators": "code", "quarantine": "source_uri, sha256",
    "runs": "run_id", "fetches": "url, fetched_at", "report_sources": "report_id, source_uri",
}


def _swap(tmp: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def export(con: duckdb.DuckDBPyConnection, lake: str | Path) -> dict[str, int]:
    """Write every table to the lake; returns row counts per table."""
    lake = Path(lake)
    lake.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table, query in {**PARTITIONED, **WHOLE}.items():
        n = con.execute(f"select count(*) from ({query})").fetchone()[0]
        counts[table] = n
        tmp = lake / f".{table}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        ordered = f"select * from ({query}) order by {ORDER[table]}"
        if table in PARTITIONED:
            if n:
                con.execute(
                    f"copy ({ordered}) to '{tmp.as_posix()}' "
                    "(format parquet, compression zstd, partition_by (report_year), "
                    "overwrite_or_ignore true, filename_pattern 'part-{i}')")
        else:
            con.execute(f"copy ({ordered}) to '{(tmp / 'part-0.parquet').as_posix()}' "
                        "(format parquet, compression zstd)")
        _swap(tmp, lake / table)
    return counts
