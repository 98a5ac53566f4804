"""A read-only connection on which the analysis views exist, for `report` and `export`.

A warehouse written before these views were added has none until a run adds them. Rather than
send the user to re-run everything, the views (and their comments, and the scope of each
report) are added once, in a short write, when nothing else holds the file; then the file is
read read-only as usual.
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def open_analysis(warehouse: str, wait: float, command: str) -> duckdb.DuckDBPyConnection | None:
    """The connection, or None after telling the user why there is none."""
    from warehouse import analysis, store, views
    if not Path(warehouse).exists():
        print(f"govinfo {command}: no warehouse at {warehouse} (run `govinfo run` first)",
              file=sys.stderr)
        return None
    try:
        con = store.connect(warehouse, read_only=True, retries=wait)
        if views.installed(con):
            return con
        con.close()
        rw = store.connect(warehouse, retries=wait)  # migrates too
        try:
            views.install(rw)
            analysis.refresh_scope(rw)
        finally:
            rw.close()
        return store.connect(warehouse, read_only=True, retries=wait)
    except duckdb.Error as e:
        print(f"govinfo {command}: {e}", file=sys.stderr)
        return None
