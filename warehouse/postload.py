"""What runs once a run's batches are loaded, in this order:

1. the generated views and the comments (they follow the catalog the run loaded),
2. the scope of new reports (the analysis views rest on it),
3. the checks across reports (crossrules, then crosschecks, which sets reports.status from
   every check), only when something was loaded,
4. the data tests, recorded under the run's id.
"""
from __future__ import annotations

import duckdb

from warehouse import analysis, crosschecks, crossrules, datatests, views


def refresh(con: duckdb.DuckDBPyConnection, run_id: str | None, loaded: int) -> int:
    """Returns the number of failed checks across reports."""
    views.install(con)
    analysis.refresh_scope(con)
    failed = 0
    if loaded:
        failed += crossrules.refresh(con)
        failed += crosschecks.refresh(con)
    datatests.run(con, run_id)
    return failed
