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
