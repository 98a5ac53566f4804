"""The arithmetic rules of `catalog/checks.csv`, read once.

Two users: `checks.py` runs them on every report's resolved metrics, and `identities.py` uses
the same rules to choose between readings of a printed table. One file of rules, so the checks
and the reader never disagree about what must add up.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    total: str
    parts: str
    scope: str
    template: str
    description: str


@lru_cache(maxsize=1)
def rules() -> list[Rule]:
    with files("transforms").joinpath("catalog/checks.csv").open(encoding="utf-8") as f:
        return [Rule(**{k: (v or "") for k, v in r.items()}) for r in csv.DictReader(f)]


@lru_cache(maxsize=8192)
def fmt(x: float) -> str:
    """A figure as a check's detail prints it: 12, not 12.0."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def check_row(check: str, ok: bool, expected: float | None, actual: float | None,
              detail: str) -> dict[str, Any]:
    """One row of the `checks` table."""
    return {"check": check, "status": "pass" if ok else "fail", "expected": expected,
            "actual": actual, "detail": detail[:1000]}
