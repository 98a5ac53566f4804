"""Loading results into the DuckDB warehouse: one writer, one transaction per batch.

A batch either lands whole or not at all, so a run killed half-way leaves the warehouse as it was
before the batch it was loading. Rows are replaced by report_id (the sha256 of the bytes), so the
same bytes loaded again change nothing; a changed file under the same path drops the rows of the
bytes it used to have, unless another path still holds those bytes. A source that fails (no
bytes, or bytes that do not make a report) never drops anything: its last good report stays and
`report_sources` records the failure (see warehouse/runlog.py).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.schema import migrate
from warehouse.textsafe import safe_text

_T = pa.string()
_SCHEMAS: dict[str, pa.Schema] = {
    "reports": pa.schema([
        ("report_id", _T), ("source_uri", _T), ("media_type", _T), ("encoding", _T),
        ("script", _T), ("title", _T), ("region_name", _T), ("region_code", _T),
        ("province", _T), ("admin_level", _T), ("issuer", _T), ("issuer_type", _T),
        ("report_year", pa.int32()), ("published_on", pa.date32()), ("template", _T),
        ("template_version", _T), ("status", _T), ("warnings", _T), ("n_chars", pa.int32()),
        ("extractor_version", _T), ("run_id", _T), ("loaded_at", pa.timestamp("us")),
        ("region_source", _T), ("issuer_kind", _T), ("issuer_source", _T),
    ]),
    "metrics": pa.schema([
        ("report_id", _T), ("indicator_code", _T), ("breakdown", _T), ("period", _T),
        ("value", pa.float64()), ("unit", _T), ("qualifier", _T), ("method", _T),
        ("evidence", _T), ("span_start", pa.int32()), ("span_end", pa.int32()),
    ]),
    "observations": pa.schema([
        ("report_id", _T), ("obs_no", pa.int32()), ("label", _T), ("column_label", _T),
        ("value", pa.float64()), ("unit", _T), ("qualifier", _T), ("method", _T),
        ("indicator_code", _T), ("breakdown", _T), ("period", _T),
        ("span_start", pa.int32()), ("span_end", pa.int32()), ("note", _T),
    ]),
    "checks": pa.schema([
        ("report_id", _T), ("check", _T), ("status", _T), ("expected", pa.float64()),
        ("actual", pa.float64()), ("detail", _T),
    ]),
    "documents": pa.schema([("report_id", _T), ("text", _T)]),
    "table_reads": pa.schema([
        ("report_id", _T), ("table_name", _T), ("template_version", _T), ("layout", _T),
        ("rows_expected", pa.int32()), ("rows_found", pa.int32()),
        ("cells_expected", pa.int32()), ("cells_read", pa.int32()),
        ("cells_blank", pa.int32()), ("cells_in_doubt", pa.int32()),
        ("identities_held", pa.int32()), ("identities_failed", pa.int32()), ("detail", _T),
    ]),
}
REPORT_TABLES = ("metrics", "observations", "checks", "table_reads", "documents", "reports")


@dataclass
class ReportResult:
    """Everything the transforms produced for one document."""

    report: dict[str, Any]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    table_reads: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Quarantined:
    source_uri: str
    sha256: str | None
    reason: str


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _arrow(table: str, rows: list[dict[str, Any]], report_ids: list[str] | None = None
           ) -> pa.Table:
    """The table of `rows` (dicts; a missing key becomes a null); `report_ids`, when given, is
    the report_id column, and the rows' own report_id keys are not read.

    Why not `pa.Table.from_pylist`: it looks every field up in every row from Python, one pass
    over the rows per field, and that cost more than the conversion itself. Read as one struct
    array, Arrow's converter takes each row's fields in one pass in C++; the struct's fields
    are then the columns, the same as from_pylist makes (same converters, same nulls)."""
    schema = _SCHEMAS[table]
    fields = [f for f in schema if report_ids is None or f.name != "report_id"]
    columns = pa.array(rows, type=pa.struct(fields)).flatten()
    if report_ids is not None:
        columns.insert(schema.get_field_index("report_id"), pa.array(report_ids, _T))
    return pa.Table.from_arrays(columns, schema=schema)


# The storage format a new warehouse file is written in. BI tools and other clients bundle
# older DuckDB releases than the one pinned here (2.x writes a format 1.x cannot open), so
# files are written in the newest format DuckDB 1.4 reads. It applies when a file is created;
# a file keeps the format it was created with.
STORAGE_VERSION = "v1.4.0"


def connect(path: str | Path, read_only: bool = False, retries: float = 0.0,
            config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. DuckDB lets one process hold the file for writing and refuses other
    opens meanwhile, so readers may wait up to `retries` seconds for a load to finish."""
    path = Path(path)
    deadline = time.monotonic() + retries
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True, config=config or {})
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path), config={
                "storage_compatibility_version": STORAGE_VERSION})
            migrate(con)
            return con
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open. After some errors (a full disk, an I/O error)
    DuckDB has already ended the transaction, and a failing ROLLBACK would replace the real
    cause with "cannot rollback - no transaction is active"."""
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed if the block ends, rolled back (quietly) if it raises."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        rollback_quietly(con)
        raise


def load_catalog(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Replace the indicator catalog with the project's catalog data (idempotent)."""
    tbl = pa.table({
        "code": [r["code"] for r in rows], "unit": [r["unit"] for r in rows],
        "name_zh": [r["name_zh"] for r in rows], "name_en": [r["name_en"] for r in rows],
        "description": [r.get("description") for r in rows],
        "aliases": pa.array([r.get("aliases", []) for r in rows], pa.list_(pa.string())),
        "core": [bool(r.get("core")) for r in rows],
    })
    con.execute("begin transaction")
    try:
        con.register("_catalog", tbl)
        con.execute("delete from indicators")
        con.execute("insert into indicators select * from _catalog")
        con.unregister("_catalog")
        con.execute("commit")
    except BaseException:
        rollback_quietly(con)
        raise


def known_reports(con: duckdb.DuckDBPyConnection, report_ids: Iterable[str],
                  extractor_version: str) -> set[str]:
    """Reports already loaded by this extractor version: their bytes need no work again."""
    ids = list(set(report_ids))
    if not ids:
        return set()
    rows = con.execute(
        "select report_id from reports where extractor_version = ? and report_id in "
        "(select unnest(?::varchar[]))", [extractor_version, ids]).fetchall()
    return {r[0] for r in rows}


def drop_reports(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    if not ids:
        return
    for t in REPORT_TABLES:
        con.execute(f"delete from {t} where report_id in (select unnest(?::varchar[]))", [ids])


def _relink_sources(con: duckdb.DuckDBPyConnection, links: dict[str, str],
                    now: datetime) -> None:
    """Point each source URI at its current bytes; drop reports no source points at any more.

    Only sources that yielded a report are relinked: one that failed keeps its last good
    report (see _mark_failed)."""
    if not links:
        return
    _register(con, "_links", pa.table({"source_uri": pa.array(list(links), _T),
                                       "report_id": pa.array(list(links.values()), _T)}))
    try:
        stale = con.execute(
            "select distinct s.report_id from report_sources s join _links l using (source_uri) "
            "where l.report_id is distinct from s.report_id").fetchall()
        if stale:
            con.execute("delete from report_sources using _links l where "
                        "report_sources.source_uri = l.source_uri and "
                        "l.report_id is distinct from report_sources.report_id")
            orphans = sorted(r[0] for r in stale)
            still = {r[0] for r in con.execute(
                "select distinct report_id from report_sources where report_id in "
                "(select unnest(?::varchar[]))", [orphans]).fetchall()}
            drop_reports(con, [r for r in orphans if r not in still])
        con.execute("insert into report_sources (report_id, source_uri, first_seen, last_seen, "
                    "status) select report_id, source_uri, ?::timestamp, ?::timestamp, 'ok' "
                    "from _links on conflict do update set last_seen = excluded.last_seen, "
                    "status = 'ok', error = null, failed_at = null", [now, now])
    finally:
        con.unregister("_links")


@dataclass
class Batch:
    """One batch's rows in columns: built where the work ran, loaded by the one writer.

    Arrow tables cross a process (or Dask) boundary as a few buffers instead of thousands of
    dicts, and Prefect does not walk them when they are passed to the load task.
    """

    tables: dict[str, pa.Table]  # the report tables, without run_id and loaded_at
    links: dict[str, str | None]  # source URI -> report id (None: quarantined)
    quarantined: list[Quarantined]
    failed_checks: int = 0

    def release(self) -> None:
        """Drop the rows once loaded. Task runners keep every finished task's result until
        the flow ends (the process pool's futures do), so a loaded batch must not hold its
        rows, or memory would grow with the corpus."""
        self.tables = {t: v.schema.empty_table() for t, v in self.tables.items()}

    @property
    def reports(self) -> int:
        return self.tables["reports"].num_rows if "reports" in self.tables else 0

    @property
    def metrics(self) -> int:
        return self.tables["metrics"].num_rows if "metrics" in self.tables else 0


def to_batch(results: list[ReportResult], quarantined: list[Quarantined]) -> Batch:
    """Columns for one batch. A batch may hold the same bytes twice: one report, both sources."""
    by_id: dict[str, ReportResult] = {}
    links: dict[str, str | None] = {}
    for r in results:
        by_id[r.report["report_id"]] = r
        links[r.report["source_uri"]] = r.report["report_id"]
    quarantined = [Quarantined(safe_text(q.source_uri) or "", q.sha256,
                               (safe_text(q.reason) or "unknown failure")[:2000])
                   for q in quarantined]
    for q in quarantined:
        links.setdefault(q.source_uri, None)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in _SCHEMAS}
    # the report_id of a metric, observation or check row is its report's, whatever the row
    # says (flows.stages makes them with it): that column is written here, not read from them
    rids: dict[str, list[str]] = {"metrics": [], "observations": [], "checks": [],
                                  "table_reads": []}
    for rid, r in by_id.items():
        rows["reports"].append(r.report)
        for table, part in (("metrics", r.metrics), ("observations", r.observations),
                            ("checks", r.checks), ("table_reads", r.table_reads)):
            rows[table].extend(part)
            rids[table].extend([rid] * len(part))
        rows["documents"].append({"report_id": rid, "text": r.text})
    tables = {t: _arrow(t, data, rids.get(t)) for t, data in rows.items() if data}
    failed = sum(1 for r in by_id.values() for c in r.checks if c.get("status") == "fail")
    return Batch(tables, links, list(quarantined), failed)


def merge_batches(batches: list[Batch]) -> Batch:
    """One batch of several (the inputs of a failed batch, retried one by one). The same bytes
    may have come back from two inputs: each report's rows are kept once, as to_batch does."""
    seen: set[str] = set()
    parts: dict[str, list[pa.Table]] = {}
    links: dict[str, str | None] = {}
    quarantined: list[Quarantined] = []
    failed = 0
    for b in batches:
        ids = b.tables["reports"].column("report_id") if "reports" in b.tables else None
        new_ids = [r for r in (ids.to_pylist() if ids is not None else []) if r not in seen]
        keep = pa.array(new_ids, _T)
        for t, table in b.tables.items():
            if table.num_rows:
                parts.setdefault(t, []).append(
                    table.filter(pc.is_in(table.column("report_id"), value_set=keep)))
        if new_ids:
            failed += b.failed_checks
        seen.update(new_ids)
        links.update(b.links)
        quarantined += b.quarantined
    tables = {t: pa.concat_tables(v) for t, v in parts.items()}
    return Batch({t: v for t, v in tables.items() if v.num_rows}, links, quarantined, failed)


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> str:
    con.register(name, table)
    return name


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch, run_id: str,
               seen: dict[str, str] | None = None) -> None:
    """Load one batch atomically, in bulk (one statement per table, never row by row).

    `seen` maps source URIs of skipped (unchanged) inputs to their report ids so that renamed
    copies still update `source_uri`."""
    now = _now()
    links: dict[str, str | None] = dict(seen or {})
    links.update(batch.links)
    ids = [r for r in dict.fromkeys(batch.links.values()) if r is not None]
    con.execute("begin transaction")
    try:
        _relink_sources(con, {u: r for u, r in links.items() if r is not None}, now)
        _mark_failed(con, batch.quarantined, links, now)
        drop_reports(con, ids)
        for table in _SCHEMAS:
            data = batch.tables.get(table)
            if data is None or data.num_rows == 0:
                continue
            if table == "reports":
                n = data.num_rows
                data = data.set_column(data.schema.get_field_index("run_id"), "run_id",
                                       pa.array([run_id] * n, _T))
                data = data.set_column(data.schema.get_field_index("loaded_at"), "loaded_at",
                                       pa.array([now] * n, pa.timestamp("us")))
            name = _register(con, f"_batch_{table}", data)
            con.execute(f"insert into {table} by name select * from {name}")
            con.unregister(name)
        if seen:  # the latest place unchanged bytes were seen
            latest = {rid: uri for uri, rid in seen.items()}
            _register(con, "_seen", pa.table({"report_id": list(latest),
                                              "source_uri": list(latest.values())}))
            con.execute("update reports set source_uri = s.source_uri from _seen s where "
                        "reports.report_id = s.report_id and reports.source_uri <> s.source_uri")
            con.unregister("_seen")
        # inputs that now load are no longer quarantined; new failures are recorded once
        loaded_uris = [u for u, rid in links.items() if rid is not None]
        if loaded_uris:
            con.execute("delete from quarantine where source_uri in "
                        "(select unnest(?::varchar[]))", [loaded_uris])
        if batch.quarantined:
            # one row per (source, bytes): the last reason of the batch wins
            q = {(x.source_uri, x.sha256 or ""): x.reason for x in batch.quarantined}
            _register(con, "_quarantined", pa.table({
                "source_uri": [k[0] for k in q], "sha256": [k[1] for k in q],
                "reason": list(q.values())}))
            # the same failure again changes nothing; a new reason replaces it
            con.execute(
                "insert into quarantine select source_uri, sha256, reason, ?::timestamp, ? "
                "from _quarantined on conflict do update set reason = excluded.reason, "
                "\"at\" = excluded.\"at\", run_id = excluded.run_id "
                "where quarantine.reason <> excluded.reason", [now, run_id])
            con.unregister("_quarantined")
        con.execute("commit")
    except BaseException:
        rollback_quietly(con)
        raise


def _mark_failed(con: duckdb.DuckDBPyConnection, quarantined: list[Quarantined],
                 links: dict[str, str | None], now: datetime) -> None:
    """Sources that failed this time and were loaded before: their reports stay, and
    report_sources says that the last attempt failed and why."""
    failed = {q.source_uri: q.reason for q in quarantined if links.get(q.source_uri) is None}
    if not failed:
        return
    _register(con, "_failed", pa.table({"source_uri": pa.array(list(failed), _T),
                                        "error": pa.array(list(failed.values()), _T)}))
    try:
        con.execute("update report_sources set status = 'failed', error = f.error, "
                    "failed_at = ? from _failed f where report_sources.source_uri = f.source_uri",
                    [now])
    finally:
        con.unregister("_failed")
