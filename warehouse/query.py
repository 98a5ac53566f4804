"""`govinfo query`: the user's SQL against the warehouse, and nothing else.

Why a sandbox: the warehouse may be shared (a server, a team folder), and DuckDB's SQL can read
any file the user can (`read_text('/etc/passwd')`), write files (`COPY … TO`, over a lake
partition), open other databases read-write (`ATTACH`), and install extensions from any URL.
So the connection is opened

* read-only, with extension autoloading and autoinstalling off;
* with external access off, except reading below the project's lake (`allowed_directories`),
  so `read_parquet('data/lake/metrics/*/*.parquet')` works and nothing else on disk does;
* with a memory limit, and a time limit: a timer thread interrupts the query;
* with its configuration locked, so no `SET` undoes any of it.

Only SELECT-like statements run (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN), as
DuckDB's own parser classifies them: a COPY into the lake is refused before it runs, although
the lake is an allowed directory.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.store import connect

DEFAULT_TIMEOUT = 300.0
DEFAULT_MEMORY = "2GB"
_ALLOWED = {"SELECT", "EXPLAIN"}
_WHY_NOT = {
    "COPY": "COPY reads or writes files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens other databases",
    "DETACH": "DETACH changes the attached databases",
    "LOAD": "INSTALL and LOAD add extensions",
    "SET": "SET and USE change settings, which are locked",
    "VARIABLE_SET": "SET VARIABLE changes session state",
    "PRAGMA": "PRAGMA changes settings",
    "CALL": "CALL runs procedures",
}
_OPEN_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False,
                "allow_community_extensions": False}


class QueryRefused(Exception):
    """The query tried to leave the sandbox, or ran out of time or memory: one line for the
    user."""


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def open_sandboxed(warehouse: str | Path, lake: str | Path, wait: float = 0.0,
                   memory_limit: str = DEFAULT_MEMORY) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse that can read the lake and no other file."""
    con = connect(warehouse, read_only=True, retries=wait, config=_OPEN_CONFIG)
    try:
        lake_dirs = sorted({os.path.join(os.path.abspath(lake), ""),
                            os.path.join(os.path.realpath(lake), "")})
        con.execute("set allowed_directories = ?", [lake_dirs])
        con.execute("set enable_external_access = false")
        con.execute("set memory_limit = ?", [memory_limit])
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but reading, before it runs."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryRefused(_first_line(e)) from None
    for st in statements:
        kind = st.type.name
        if kind not in _ALLOWED:
            why = _WHY_NOT.get(kind, f"{kind} statements change the warehouse or the session")
            raise QueryRefused(f"refused: only read-only queries run here ({why})")


def run(warehouse: str | Path, lake: str | Path, sql: str, wait: float = 0.0,
        timeout: float | None = DEFAULT_TIMEOUT, memory_limit: str = DEFAULT_MEMORY) -> Result:
    """Run `sql` in the sandbox. Raises QueryRefused for a refused statement, a file outside
    the lake, the time or the memory limit; duckdb.Error for any other SQL error."""
    con = open_sandboxed(warehouse, lake, wait, memory_limit)
    timer = threading.Timer(timeout, con.interrupt) if timeout and timeout > 0 else None
    try:
        check_statements(con, sql)
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            cur = con.execute(sql)
            rows = cur.fetchall() if cur.description else []
            cols = [d[0] for d in cur.description] if cur.description else []
        except duckdb.InterruptException:
            raise QueryRefused(f"stopped: the query ran longer than {timeout:g} s "
                               "(--timeout)") from None
        except duckdb.OutOfMemoryException:
            raise QueryRefused(f"stopped: the query needs more memory than {memory_limit} "
                               "(--memory-limit)") from None
        except duckdb.PermissionException as e:
            raise QueryRefused(_permission_message(e, lake)) from None
        except duckdb.InvalidInputException as e:
            if "configuration has been locked" in str(e):
                raise QueryRefused("refused: the settings of this connection are locked") \
                    from None
            raise
        return Result(cols, rows)
    finally:
        if timer is not None:
            timer.cancel()
        con.close()


def _permission_message(e: Exception, lake: str | Path) -> str:
    text = _first_line(e)
    if "file system operations are disabled" in text or "Cannot access" in text:
        target = text.split('"')[1] if text.count('"') >= 2 else "a file"
        return (f"refused: queries may read only the warehouse and files under the lake "
                f"({lake}); not {target}")
    if "extensions" in text.lower():
        return "refused: extensions cannot be installed or loaded here"
    return f"refused: {text}"


def _first_line(e: Any) -> str:
    lines = [x.strip() for x in str(e).splitlines() if x.strip()]
    return lines[0] if lines else type(e).__name__
