"""Shared fixtures: the seed reports, and one real flow run over them reused by many tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SAMPLES = ROOT / "data" / "samples"

# Prefect keeps its state in the project's data/ folder (gitignored), as `govinfo run` does.
os.environ.setdefault("PREFECT_HOME", str(ROOT / "data" / "prefect"))
from flows.settings import apply_prefect_env  # noqa: E402

apply_prefect_env(ROOT / "data")


def seed_paths() -> list[Path]:
    """The seed reports: ../shared/seeds when present, else the bundled copies."""
    base = SEEDS if SEEDS.exists() else SAMPLES
    return sorted(base.glob("*.txt"))


def run_cli(*args: str) -> int:
    from flows.cli import main
    return main(list(args))


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real `govinfo run` of the flow over the seeds into a fresh warehouse and lake."""
    d = tmp_path_factory.mktemp("seedrun")
    src = d / "in"
    src.mkdir()
    for p in seed_paths():
        (src / p.name).write_bytes(p.read_bytes())
    wh, lake = d / "w.duckdb", d / "lake"
    assert run_cli("run", str(src), "--warehouse", str(wh), "--lake", str(lake)) == 0
    return {"warehouse": wh, "lake": lake, "inputs": src}
