"""Prefect's settings: a PREFECT_HOME the user chose is the one whose database is trusted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _settings_after_apply(data: Path, env: dict[str, str]) -> dict[str, str]:
    code = ("import json, os; from pathlib import Path; from flows.settings import apply_prefect_env; "
            f"apply_prefect_env(Path({str(data)!r})); "
            "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('PREFECT_')}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_fresh_home_chosen_by_the_user_is_migrated(tmp_path: Path) -> None:
    # data/prefect has run before (marked migrated); the user's own PREFECT_HOME is new
    project_home = tmp_path / "data" / "prefect"
    project_home.mkdir(parents=True)
    (project_home / "prefect.db").write_bytes(b"")
    (project_home / f".migrated-{version('prefect')}").touch()
    fresh = tmp_path / "mine"
    seen = _settings_after_apply(tmp_path / "data", {"PREFECT_HOME": str(fresh)})
    assert seen["PREFECT_HOME"] == str(fresh)
    assert "PREFECT_SERVER_DATABASE_MIGRATE_ON_START" not in seen
    # the project's own home, marked and present, skips the migration
    seen = _settings_after_apply(tmp_path / "data", {})
    assert seen["PREFECT_HOME"] == str(project_home.resolve())
    assert seen["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] == "false"
