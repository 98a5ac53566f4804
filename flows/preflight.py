"""What the command line is checked for before anything starts: one clear line per mistake.

Why before: a run starts Prefect's server, a process pool and a flow before it opens a file. A
typo found there costs seconds, prints Prefect's traceback, and a source that does not exist
used to end as one quarantine row of a run that "succeeded" (exit 0). What the user named on
the command line (sources, --manifest, --warehouse, --lake) is checked here; what a manifest
or a folder holds is the run's to read, and a bad entry there is quarantined with its reason.
"""
from __future__ import annotations

import glob
import os
import re
from pathlib import Path

__all__ = ["manifest_problem", "missing_sources", "not_a_duckdb_file", "output_problem"]

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")
_GLOB_CHARS = frozenset("*?[")
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def missing_sources(sources: list[str], warehouse: str | None = None) -> list[str]:
    """A message for each source named on the command line that stands for nothing.

    A file the warehouse already loaded is not a typo but a source that went away: the run
    goes on, keeps its last good report and records the failure (flows/sources.py,
    warehouse/runlog.py), so a scheduled run does not stop over one vanished file.
    """
    problems = []
    known: frozenset[str] | None = None  # read from the warehouse only if a path is missing
    for entry in sources:
        url = _URL.match(entry)
        if url:
            if url.group(1).lower() not in ("http", "https"):
                problems.append(f"unsupported URL scheme '{url.group(1)}' in {entry} "
                                "(only http and https)")
            continue
        path = os.path.expanduser(entry)
        if os.path.lexists(path):
            continue
        if _GLOB_CHARS & set(entry):
            if next(glob.iglob(path, recursive=True), None) is None:
                problems.append(f"no file matches {entry}")
            continue
        if known is None:
            known = _loaded_sources(warehouse) if warehouse else frozenset()
        if os.path.abspath(path) not in known:
            problems.append(f"no such file or folder: {entry}")
    return problems


def _loaded_sources(warehouse: str) -> frozenset[str]:
    """The file paths the warehouse holds reports from; empty when it cannot be read now
    (no file yet, not a warehouse, or locked by a running job)."""
    if not Path(warehouse).is_file() or not_a_duckdb_file(warehouse):
        return frozenset()
    import duckdb
    try:
        with duckdb.connect(warehouse, read_only=True) as con:
            rows = con.execute("select distinct source_uri from report_sources").fetchall()
    except duckdb.Error:
        return frozenset()
    return frozenset(uri for (uri,) in rows)


def manifest_problem(manifest: str | None) -> str | None:
    if manifest is None:
        return None
    path = Path(manifest).expanduser()
    if not path.exists():
        return f"no such manifest file: {manifest}"
    if path.is_dir():
        return f"--manifest {manifest} is a folder, not a file"
    if not os.access(path, os.R_OK):
        return f"cannot read the manifest {manifest} (permission denied)"
    return None


def not_a_duckdb_file(warehouse: str) -> str | None:
    """Why an existing path cannot be the warehouse, read from its first bytes (no lock taken,
    so this works while a run holds the file)."""
    path = Path(warehouse)
    if path.is_dir():
        return f"{warehouse} is a folder; --warehouse names a DuckDB file"
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as e:
        return f"cannot read {warehouse}: {e.strerror or e}"
    if head[8:12] != _DUCKDB_MAGIC:
        return f"{warehouse} is not a DuckDB database (a govinfo warehouse is a DuckDB file)"
    return None


def output_problem(warehouse: str, lake: str) -> str | None:
    """Why the run could not write its warehouse or lake, or None."""
    if Path(warehouse).exists():
        problem = not_a_duckdb_file(warehouse)
        if problem:
            return problem
        if not os.access(warehouse, os.W_OK):
            return f"{warehouse} is not writable"
    if Path(lake).exists() and not Path(lake).is_dir():
        return f"--lake {lake} is a file; it names a folder"
    for target in (Path(warehouse).parent, Path(lake)):
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return f"cannot create {target}: {e.strerror or e}"
        if not os.access(target, os.W_OK):
            return f"{target} is not writable"
    return None
