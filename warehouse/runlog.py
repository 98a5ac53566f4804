"""The warehouse's own bookkeeping: runs, fetches, and the state of each report's sources.

Why a run is written when it starts, not only when it ends: a run killed by the kernel (out of
memory), by kill -9 or by a crash in the flow itself must still leave a trace. The row says
`running` until the run finishes (`finished`) or fails (`failed`, with the error), or is
stopped by Ctrl-C (`interrupted`, with how far it got); a later run finding a row still
`running` knows its process is gone (one writer holds the warehouse at a time) and marks it
`interrupted`.

Why sources have a status: a source that fails after it was loaded (a URL answering 503 or
timing out, a named file that is gone, a file gone from its folder) keeps its last good report.
Its `report_sources` rows say `failed` or `missing`, with the error and when; the report goes
only when the user asks for it (`govinfo run --prune-missing`).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Iterable

import duckdb

from warehouse.textsafe import safe_text


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime,
              sources: str) -> int:
    """Record a run as running; returns how many earlier runs were found interrupted."""
    interrupted = con.execute(
        "update runs set status = 'interrupted', error = coalesce(error, "
        "'the run stopped before it finished (killed, out of memory or power loss)') "
        "where status = 'running' returning run_id").fetchall()
    con.execute("insert into runs (run_id, started_at, sources, status) values (?, ?, ?, "
                "'running')", [run_id, started_at, safe_text(sources)])
    return len(interrupted)


def finish_run(con: duckdb.DuckDBPyConnection, run: dict[str, Any]) -> None:
    _close_run(con, run, "finished", None)


def interrupt_run(con: duckdb.DuckDBPyConnection, run: dict[str, Any]) -> None:
    """Ctrl-C: the run stopped where the user asked; what it loaded (whole batches) stays,
    and the row says how far it got."""
    _close_run(con, run, "interrupted", "interrupted by the user (Ctrl-C)")


def _close_run(con: duckdb.DuckDBPyConnection, run: dict[str, Any], status: str,
               error: str | None) -> None:
    con.execute(
        "update runs set finished_at = ?, inputs = ?, loaded = ?, skipped = ?, "
        "quarantined = ?, metrics = ?, failed_checks = ?, seconds = ?, status = ?, "
        "error = coalesce(?, error) where run_id = ?",
        [run["finished_at"], run["inputs"], run["loaded"], run["skipped"],
         run["quarantined"], run["metrics"], run["failed_checks"], run["seconds"],
         status, error, run["run_id"]])


def fail_run(con: duckdb.DuckDBPyConnection, run_id: str, error: str) -> None:
    """Best effort: the warehouse may be what failed (a full disk), and the error the user
    must see is the original one, not a second one from here."""
    try:
        con.execute("update runs set status = 'failed', error = ?, finished_at = ? "
                    "where run_id = ?", [safe_text(error)[:2000], _now(), run_id])
    except duckdb.Error:
        pass


def record_fetches(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]],
                   run_id: str) -> None:
    for r in rows:
        con.execute(
            "insert into fetches (url, fetched_at, status, sha256, content_type, etag, "
            "last_modified, not_modified, attempts, error, run_id, final_url) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [safe_text(r["url"]), r["fetched_at"], r.get("status"), r.get("sha256"),
             r.get("content_type"), r.get("etag"), r.get("last_modified"),
             r.get("not_modified"), r.get("attempts"), safe_text(r.get("error")), run_id,
             safe_text(r.get("final_url"))])


def sources_under(con: duckdb.DuckDBPyConnection, roots: Iterable[str]) -> set[str]:
    """Source paths of loaded reports inside the folders `roots` (a path, not a pattern:
    `%` or `_` in a folder name match only themselves)."""
    found: set[str] = set()
    for root in roots:
        prefix = os.path.join(root, "")
        found |= {r[0] for r in con.execute(
            "select distinct source_uri from report_sources where starts_with(source_uri, ?)",
            [prefix]).fetchall()}
    return found


def mark_missing(con: duckdb.DuckDBPyConnection, uris: Iterable[str]) -> int:
    """Sources gone from the folder they were found in: their reports stay, marked."""
    uris = sorted(set(uris))
    if not uris:
        return 0
    con.execute(
        "update report_sources set status = 'missing', error = 'no longer in its folder', "
        "failed_at = ? where source_uri in (select unnest(?::varchar[])) "
        "and status is distinct from 'missing'", [_now(), uris])
    return len(uris)


def kept_reports(con: duckdb.DuckDBPyConnection, uris: Iterable[str]) -> int:
    """How many of these failed or missing sources still hold a (last good) report."""
    uris = sorted(set(uris))
    if not uris:
        return 0
    return con.execute(
        "select count(distinct source_uri) from report_sources where source_uri in "
        "(select unnest(?::varchar[]))", [uris]).fetchone()[0]


def prune_sources(con: duckdb.DuckDBPyConnection, uris: Iterable[str]) -> int:
    """Forget these sources, and the reports no other source holds (`--prune-missing`).
    Returns the number of reports dropped."""
    from warehouse.store import drop_reports, rollback_quietly
    uris = sorted(set(uris))
    if not uris:
        return 0
    con.execute("begin transaction")
    try:
        ids = [r[0] for r in con.execute(
            "select distinct report_id from report_sources where source_uri in "
            "(select unnest(?::varchar[]))", [uris]).fetchall()]
        con.execute("delete from report_sources where source_uri in "
                    "(select unnest(?::varchar[]))", [uris])
        still = {r[0] for r in con.execute(
            "select distinct report_id from report_sources where report_id in "
            "(select unnest(?::varchar[]))", [ids]).fetchall()} if ids else set()
        orphans = [r for r in ids if r not in still]
        drop_reports(con, orphans)
        con.execute("commit")
    except BaseException:
        rollback_quietly(con)
        raise
    return len(orphans)
