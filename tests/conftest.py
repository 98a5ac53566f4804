"""Shared fixtures: the seed reports, and one real flow run over them reused by many tests.

Everything a test needs is in the project: the seed reports are the bundled samples
(data/samples), and the gold labels, the score tool and the spec's indicator list are copies in
tests/fixtures. A clone with nothing beside it runs the whole suite.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = ROOT / "tests" / "fixtures"

# Prefect keeps its state in the project's data/ folder (gitignored), as `govinfo run` does.
os.environ.setdefault("PREFECT_HOME", str(ROOT / "data" / "prefect"))
from flows.settings import apply_prefect_env  # noqa: E402

apply_prefect_env(ROOT / "data")


def seed_paths() -> list[Path]:
    """The five seed reports (bundled as the samples)."""
    return sorted(SAMPLES.glob("*.txt"))


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
