"""Prefect settings applied before Prefect is imported.

govinfo runs Prefect in its ephemeral mode (no server to start, no network): its state lives under
the project's data/ folder, never in the user's home, analytics are off (otherwise it looks up a
host at start; DO_NOT_TRACK=1 keeps the client from printing a telemetry notice and writing
PREFECT_HOME/.sdk_telemetry), and the start-up timeout leaves room for a cold first run. Values
the user has set in the environment win.
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("GOVINFO_DATA", "data"))


def prefect_env(data_dir: Path | None = None) -> dict[str, str]:
    home = (data_dir or DATA_DIR).resolve() / "prefect"
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the client's switch (Prefect 3.8 has no PREFECT_* setting for it): without it the
        # first run in a terminal prints a telemetry notice and writes .sdk_telemetry/
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_TASKS_REFRESH_CACHE": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_PROACTIVE_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
        # we use no blocks: registering every installed block type (and importing the
        # integrations that define them, prefect-dask among them) costs seconds at each start
        "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
        "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    }


def keep_sdk_telemetry_off() -> None:
    """Stop Prefect 3.8 from writing PREFECT_HOME/.sdk_telemetry when DO_NOT_TRACK is set.

    DO_NOT_TRACK stops its notice and its events, but not its "milestones": the first flow
    defined and the first flow run in a terminal still write a device id and a milestones
    file. Call after importing Prefect and before defining a flow (flows.ingest does); every
    process that imports the flows does so through it.
    """
    if os.environ.get("DO_NOT_TRACK", "").lower() not in ("1", "true", "yes"):
        return  # the user turned it on
    import prefect._internal.analytics as analytics  # read at each call by Prefect's callers

    def no_milestone(milestone: str) -> bool:
        return False
    analytics.try_mark_milestone = no_milestone


def _migrated_marker(home: Path) -> Path:
    from importlib.metadata import version
    return home / f".migrated-{version('prefect')}"


def apply_prefect_env(data_dir: Path | None = None, overrides: dict[str, str] | None = None) -> None:
    env = prefect_env(data_dir)
    env.update(overrides or {})
    # the environment wins (setdefault below), so the home to look in is the one in effect
    home = Path(os.environ.get("PREFECT_HOME") or env["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    # the ephemeral server migrates its database (prefect.db) at every start unless told it is
    # current, which it is once a run of this Prefect version has succeeded here. Only that
    # file: `serve` gives its server another one, and migrates it (flows.serve.server_env).
    if _migrated_marker(home).exists() and (home / "prefect.db").exists():
        env.setdefault("PREFECT_SERVER_DATABASE_MIGRATE_ON_START", "false")
    for k, v in env.items():
        os.environ.setdefault(k, v)


def mark_migrated() -> None:
    """Record that Prefect's database under PREFECT_HOME is migrated for this version."""
    home = Path(os.environ["PREFECT_HOME"])
    if (home / "prefect.db").exists():
        _migrated_marker(home).touch()
