"""`govinfo export --format csv|xlsx`: the analysis set as a file a spreadsheet opens.

What is written is the view `analysis_wide`: one row per body and year (the most complete copy
of each report), its scope and whether sums should count it, the typed core indicators and the
derived indicators. CSV is UTF-8 with a byte-order mark, so that Excel reads the Chinese names;
XLSX has a second sheet, `columns`, with every column's meaning (the warehouse's comments).
"""
from __future__ import annotations

import argparse
import csv
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

VIEW = "analysis_wide"
ORDER = "province nulls last, report_year, region_name, issuer, report_id"


def _data(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    cur = con.execute(f"select * from {VIEW} order by {ORDER}")
    return [d[0] for d in cur.description], cur.fetchall()


def _meanings(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute("""select column_name, data_type, coalesce(comment, '')
        from duckdb_columns() where table_name = ? and database_name = current_database()
        order by column_index""", [VIEW]).fetchall()


def write_csv(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    cols, rows = _data(con)
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(rows)
    return len(rows)


def _xl(v: Any) -> Any:
    """Values openpyxl writes as numbers and dates; money stays exact to the fen."""
    if isinstance(v, Decimal):
        return float(v)
    return v


def write_xlsx(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    cols, rows = _data(con)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("analysis")
    ws.freeze_panes = "C2"
    for i in range(1, len(cols) + 1):  # before the first row: write-only sheets stream
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.append(cols)
    for r in rows:
        ws.append([_xl(v) for v in r])
    meta = wb.create_sheet("columns")
    meta.append(["column", "type", "meaning"])
    for name, typ, comment in _meanings(con):
        meta.append([name, typ, comment])
    wb.save(out)
    return len(rows)


def add_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("export", help="write the analysis set (one report per body and year) "
                                      "as CSV or XLSX")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="file format")
    p.add_argument("--out", default=None, help="file to write (default: analysis.csv or "
                                               "analysis.xlsx in the current folder)")
    p.add_argument("--wait", type=float, default=60.0,
                   help="seconds to wait while a run holds the warehouse")
    common(p)


def cmd_export(args: argparse.Namespace) -> int:
    from flows.analysis_access import open_analysis
    out = Path(args.out or f"analysis.{args.format}")
    con = open_analysis(args.warehouse, args.wait, "export")
    if con is None:
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        n = (write_csv if args.format == "csv" else write_xlsx)(con, tmp)
        tmp.replace(out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        print(f"govinfo export: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(f"govinfo export: wrote {n} rows to {out}")
    return 0
