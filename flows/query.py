"""`govinfo query`, `status` and `lake-path`: read the warehouse, print what it holds.

A query runs in warehouse/query.py's sandbox; before it, the file is checked to be a govinfo
warehouse at all, so that a wrong --warehouse gets one line that says so.

Tables are drawn by Rich, which measures each character's display width: a Chinese character
takes two terminal columns, and padding by `len()` misaligned every row holding one. No cell is
ever cut: on a terminal a wide cell wraps inside its column, elsewhere (a pipe, a file) each
column is as wide as its widest cell.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from flows.preflight import not_a_duckdb_file

__all__ = ["cmd_lake_path", "cmd_query", "cmd_status", "format_result"]

EXIT_USAGE = 2


def format_result(columns: list[str], rows: list[tuple], fmt: str,
                  width: int | None = None) -> str:
    """The rows as JSON, CSV or a table; a table no wider than `width` if given (it wraps
    cells to fit), else each column as wide as its widest cell."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False,
                          default=str, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    return _table(columns, rows, width) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})"


def _table(columns: list[str], rows: list[tuple], width: int | None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not str: a value such as "[b]" is data, never Rich markup
    table = Table(box=box.Box("+--+\n| ||\n|-+|\n| ||\n|-+|\n|-+|\n| ||\n+--+\n", ascii=True),
                  show_edge=False, highlight=False, pad_edge=False)
    for c in columns:
        table.add_column(Text(c), overflow="fold")
    for r in rows:
        table.add_row(*(Text("NULL" if v is None else str(v)) for v in r))
    buf = io.StringIO()
    console = Console(file=buf, width=width or 1_000_000, color_system=None, no_color=True,
                      force_terminal=False, force_jupyter=False, legacy_windows=False,
                      emoji=False, markup=False, highlight=False)
    console.print(table, crop=False)
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines())


def _terminal_width() -> int | None:
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _open(args: argparse.Namespace, command: str) -> Any:
    """A read-only connection to a govinfo warehouse, or None after saying why there is none."""
    import duckdb

    from warehouse.store import connect
    path = args.warehouse
    problem = None
    if not Path(path).exists():
        problem = f"no warehouse at {path} (`govinfo run` creates it)"
    else:
        problem = not_a_duckdb_file(path)
    if problem is None:
        try:
            con = connect(path, read_only=True, retries=args.wait)
        except duckdb.Error as e:
            problem = str(e).splitlines()[0]
        else:
            tables = {r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = "
                "current_database()").fetchall()}
            if "schema_migrations" in tables:
                return con
            con.close()
            problem = (f"{path} is a DuckDB database but not a govinfo warehouse (it has no "
                       "schema_migrations table; `govinfo run` writes a warehouse)")
    print(f"govinfo {command}: {problem}", file=sys.stderr)
    return None


def _has(con: Any, table: str, column: str | None = None) -> bool:
    """Whether the warehouse has this table or view (and column): older files, opened
    read-only, are not upgraded."""
    return bool(con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and table_name = ? and (? is null or column_name = ?)",
        [table, column, column]).fetchone()[0])


def _read_sql(sql: str) -> str:
    """`-` means the SQL comes on standard input (a file, a here-document)."""
    return sys.stdin.read() if sql == "-" else sql


def cmd_query(args: argparse.Namespace) -> int:
    """The SQL runs in a sandbox (warehouse/query.py): it can read the warehouse and the lake,
    nothing else, within a time and a memory limit."""
    import duckdb

    from warehouse import query
    sql = _read_sql(args.sql)
    if not sql.strip():
        print("govinfo query: no SQL given", file=sys.stderr)
        return EXIT_USAGE
    con = _open(args, "query")
    if con is None:
        return EXIT_USAGE
    con.close()
    try:
        result = query.run(args.warehouse, args.lake, sql, wait=args.wait,
                           timeout=args.timeout, memory_limit=args.memory_limit)
    except query.QueryRefused as e:
        print(f"govinfo query: {e}", file=sys.stderr)
        return 1
    except duckdb.IOException as e:  # the warehouse is held by a load, or unreadable
        print(f"govinfo query: {e}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as e:
        print(f"govinfo query: {e}", file=sys.stderr)
        return 1
    print(format_result(result.columns, result.rows, args.format, _terminal_width()))
    return 0


def cmd_lake_path(args: argparse.Namespace) -> int:
    """For readers: the one folder that holds every table of the last published run."""
    from warehouse.lake import LakeError, resolve
    try:
        print(resolve(args.lake))
    except LakeError as e:
        print(f"govinfo lake-path: {e}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    con = _open(args, "status")
    if con is None:
        return EXIT_USAGE
    try:
        counts = con.execute("""select
            (select count(*) from reports), (select count(*) from metrics),
            (select count(*) from checks where status = 'fail'),
            (select count(*) from quarantine),
            (select count(*) from reports where status = 'partial'),
            (select count(*) from reports where status = 'empty')""").fetchone()
        # a warehouse not yet upgraded by a run lacks the newer parts (read-only here)
        status = "status" if _has(con, "runs", "status") else "'finished'"
        runs = con.execute(f"""select run_id[:8], started_at, {status}, inputs, loaded, skipped,
            quarantined, metrics, failed_checks, seconds
            from runs order by started_at desc limit 5""").fetchall()
        tables = con.execute("""select count(*) filter (where fully_read),
            count(*) filter (where tables_found > 0 and not coalesce(fully_read, false)),
            coalesce(sum(cells_read), 0), coalesce(sum(cells_expected), 0),
            coalesce(sum(cells_in_doubt), 0), coalesce(sum(identities_failed), 0)
            from report_completeness""").fetchone() if _has(con, "report_completeness") else None
        from warehouse.datatests import status_lines
        tests = status_lines(con)
    finally:
        con.close()
    print(f"warehouse {args.warehouse}")
    print(f"  reports {counts[0]} (partial {counts[4]}, empty {counts[5]}), metrics {counts[1]}, "
          f"failed checks {counts[2]}, quarantined inputs {counts[3]}")
    if tables is not None:
        print(f"  tables: {tables[0]} reports with tables 2-4 fully read, {tables[1]} read in "
              f"part; cells read {tables[2]} of {tables[3]}, in doubt {tables[4]}, "
              f"identities failed {tables[5]} (view report_completeness)")
    print("\n".join(tests))
    print("last runs:")
    print(format_result(["run", "started_at", "status", "inputs", "loaded", "skipped",
                         "quarantined", "metrics", "failed_checks", "seconds"], runs, "table",
                        _terminal_width()))
    return 0
