"""The lake: the warehouse tables as zstd Parquet, Hive-partitioned by report_year, published
atomically.

Why versions and one pointer: swapping the tables one at a time let a reader see reports from
one run and metrics from another, a kill mid-export mixed two runs, and an interrupted export
left tables missing. Now every export writes a complete new version beside the old ones and then
switches a single pointer to it:

    LAKE/versions/20250301T030000123456Z-1a2b3c4d/metrics/report_year=2018/part-0.parquet
    LAKE/versions/.../_manifest.json       run id, time, rows per table
    LAKE/current  -> versions/20250301T030000123456Z-1a2b3c4d     (the pointer)
    LAKE/metrics  -> current/metrics        (stable paths, one per table)

The pointer is a symbolic link replaced with one rename (os.replace), which is atomic: a reader
resolves it and sees one complete version. Where symbolic links cannot be made (Windows without
the privilege), `current` is a one-line text file naming the version, also replaced atomically,
and there are no stable per-table paths. `resolve(lake)` (and `govinfo lake-path`) answers the
version folder either way.

A reader that needs several tables of one run resolves the pointer once and reads them all
below that folder. The stable paths (`LAKE/metrics/*/*.parquet`) stay readable as before, but
each file is looked up through the pointer when it is opened, so a query running across a
publish may mix versions. Old versions are kept for a while, so that a reader who resolved the
pointer just before a publish can finish: the previous version always, older ones for
`KEEP_SECONDS` after they were replaced. Leftovers of killed exports (`.tmp-*`) are removed when
the next export or run starts. One lake folder belongs to one warehouse.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import datetime, timezone
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
TABLES = tuple({**PARTITIONED, **WHOLE})
POINTER = "current"
VERSIONS = "versions"
MANIFEST = "_manifest.json"
TMP = ".tmp-"
KEEP_SECONDS = 600.0


class LakeError(Exception):
    """The lake has no published version (nothing exported yet, or an unreadable pointer)."""


def resolve(lake: str | Path) -> Path:
    """The folder of the version the pointer names: read every table of one run below it."""
    lake = Path(lake)
    ptr = lake / POINTER
    try:
        target = os.readlink(ptr) if ptr.is_symlink() else ptr.read_text("utf-8").strip()
    except FileNotFoundError:
        raise LakeError(f"no published lake version in {lake} (run `govinfo run` first)") from None
    except OSError as e:
        raise LakeError(f"cannot read the lake pointer {ptr}: {e.strerror or e}") from None
    folder = (lake / target).resolve() if not os.path.isabs(target) else Path(target)
    if not folder.is_dir():
        raise LakeError(f"the lake pointer {ptr} names {target}, which does not exist")
    return folder


def export(con: duckdb.DuckDBPyConnection, lake: str | Path,
           run_id: str | None = None) -> dict[str, int]:
    """Write every table as a new version, then point the lake at it; returns rows per table."""
    lake = Path(lake)
    versions = lake / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    clean(lake)
    now = datetime.now(timezone.utc)
    name = f"{now:%Y%m%dT%H%M%S%f}Z-{(run_id or uuid.uuid4().hex)[:8]}"
    tmp = versions / f"{TMP}{name}"
    tmp.mkdir()
    try:
        counts = _write_tables(con, tmp)
        (tmp / MANIFEST).write_text(json.dumps({
            "version": name, "run_id": run_id, "published_at": now.isoformat(),
            "tables": counts}, indent=1), encoding="utf-8")
        final = versions / name
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point(lake, f"{VERSIONS}/{name}")
    _stable_paths(lake)
    clean(lake)
    return counts


def _write_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Each table into folder/<table>; paths go to DuckDB as parameters, never into the SQL
    text, so any character in --lake (a quote) is just a character."""
    counts: dict[str, int] = {}
    for table, query in {**PARTITIONED, **WHOLE}.items():
        counts[table] = con.execute(f"select count(*) from ({query})").fetchone()[0]
        out = folder / table
        out.mkdir()
        ordered = f"select * from ({query}) order by {ORDER[table]}"
        if table in PARTITIONED:
            if counts[table]:
                con.execute(f"copy ({ordered}) to ? (format parquet, compression zstd, "
                            "partition_by (report_year), overwrite_or_ignore true, "
                            "filename_pattern 'part-{i}')", [out.as_posix()])
        else:
            con.execute(f"copy ({ordered}) to ? (format parquet, compression zstd)",
                        [(out / "part-0.parquet").as_posix()])
    return counts


def _point(lake: Path, target: str) -> None:
    """Switch the pointer in one rename: a symbolic link, or a text file where links cannot
    be made."""
    tmp = lake / f"{TMP}{POINTER}-{uuid.uuid4().hex[:8]}"
    try:
        os.symlink(target, tmp, target_is_directory=True)
    except OSError:
        tmp.write_text(target + "\n", encoding="utf-8")
    try:
        os.replace(tmp, lake / POINTER)
    except BaseException:
        _remove(tmp)
        raise


def _stable_paths(lake: Path) -> None:
    """LAKE/<table> -> current/<table>, made once. A lake written by an earlier version of
    this code has real folders there: they are replaced by the links (the data is in the
    version just published)."""
    if not (lake / POINTER).is_symlink():
        return
    for table in TABLES:
        path = lake / table
        want = f"{POINTER}/{table}"
        if path.is_symlink() and os.readlink(path) == want:
            continue
        tmp = lake / f"{TMP}{table}-{uuid.uuid4().hex[:8]}"
        os.symlink(want, tmp, target_is_directory=True)
        if path.is_dir() and not path.is_symlink():
            old = lake / f"{TMP}old-{table}-{uuid.uuid4().hex[:8]}"
            path.rename(old)
        os.replace(tmp, path)


def clean(lake: str | Path, now: float | None = None) -> list[str]:
    """Remove what no reader needs: leftovers of killed exports, and versions replaced more
    than KEEP_SECONDS ago (never the current one or the one before it). Returns the names
    removed."""
    lake = Path(lake)
    versions = lake / VERSIONS
    removed: list[str] = []
    leftovers = [p for p in lake.glob(".*") if p.name.startswith(TMP) or ".tmp-" in p.name
                 or ".old-" in p.name]  # .metrics.tmp-…/.metrics.old-… of the old layout
    if versions.is_dir():
        leftovers += [p for p in versions.iterdir() if p.name.startswith(TMP)]
    for p in leftovers:
        _remove(p)
        removed.append(p.name)
    try:
        current = resolve(lake).name
    except LakeError:
        return removed
    names = sorted(p.name for p in versions.iterdir() if p.is_dir())
    if current not in names:
        return removed
    at = names.index(current)
    now = time.time() if now is None else now
    for i, name in enumerate(names):
        if i >= at - 1:
            continue  # the current one, the one before it, and any newer (being published)
        replaced = _published(names[i + 1])
        if replaced is not None and now - replaced < KEEP_SECONDS:
            continue
        _remove(versions / name)
        removed.append(name)
    return removed


def _published(name: str) -> float | None:
    """The publish time a version's name records (20250301T030000123456Z-…)."""
    try:
        stamp = datetime.strptime(name.split("Z-", 1)[0], "%Y%m%dT%H%M%S%f")
    except ValueError:
        return None
    return stamp.replace(tzinfo=timezone.utc).timestamp()


def _remove(p: Path) -> None:
    if p.is_symlink() or p.is_file():
        p.unlink(missing_ok=True)
    else:
        shutil.rmtree(p, ignore_errors=True)
