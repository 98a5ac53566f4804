"""The arithmetic a printed table must satisfy, as equations over its cells, and the choice
among readings that it makes.

The equations are the rules of `catalog/checks.csv` (R1-R4 of TEMPLATES.md: 新收 + 上年结转 =
总计 + 结转; 总计 = the outcome rows; the 总计 column = the requester columns; each block of
table 4 adds up), instantiated over the cells a template version prints. The same rules are run
as checks on the resolved metrics (`checks.py`); here they decide, when the printed characters
allow several readings of a row (a missing cell, digits run together), which reading is the
table's: the one, if exactly one, under which no equation fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from transforms.rules import Rule, rules
from transforms.template_spec import Key

TOL = 1e-6
MAX_COMBINATIONS = 50_000


@dataclass(frozen=True)
class Identity:
    """sum(total) = sum(parts) + const; with op 'le', sum(total) <= sum(parts) + const (a year
    figure under its cumulative one, a 其中 row under its parent)."""

    rule: str
    total: tuple[Key, ...]
    parts: tuple[Key, ...]
    op: str = "eq"
    const: float = 0.0

    @property
    def keys(self) -> tuple[Key, ...]:
        return self.total + self.parts

    def evaluate(self, value: Callable[[Key], float | None]) -> str:
        """hold, fail, or unknown (a cell is missing, printed empty or in doubt)."""
        vals = [value(k) for k in self.keys]
        if any(v is None for v in vals):
            return "unknown"
        left = sum(vals[:len(self.total)])  # type: ignore[arg-type]
        right = sum(vals[len(self.total):]) + self.const  # type: ignore[arg-type]
        ok = left <= right + TOL if self.op == "le" else abs(left - right) <= TOL
        return "hold" if ok else "fail"

    def describe(self, value: Callable[[Key], float | None]) -> str:
        def term(k: Key) -> str:
            v = value(k)
            name = k[0] + (f"[{k[1]}]" if k[1] else "")
            return f"{name} {'?' if v is None else f'{v:g}'}"
        right = " + ".join(map(term, self.parts)) or f"{self.const:g}"
        return " + ".join(map(term, self.total)) + (" ≤ " if self.op == "le" else " = ") + right


def _breakdowns(cells: set[Key], code: str) -> list[str]:
    return sorted(b for c, b in cells if c == code)


def _instances(rule: Rule, cells: set[Key], strict: bool) -> Iterable[Identity]:
    if rule.kind in ("sum", "balance"):
        totals = rule.total.split("+")
        alternatives = [a.split("+") for a in rule.parts.split(";")]
        for b in _breakdowns(cells, totals[0]):
            total = tuple((c, b) for c in totals)
            if any(k not in cells for k in total):
                continue
            for alt in alternatives:
                parts = tuple((c, b) for c in alt if (c, b) in cells)
                need = len(alt) if rule.kind == "balance" or strict else 2
                if len(parts) >= need:
                    yield Identity(rule.name, total, parts)
                    break
    elif rule.kind == "breakdown_sum":
        column = rule.scope.split(":", 1)[1] if rule.scope.startswith("row:") else ""
        names = rule.parts.split("+")
        for code in rule.total.split("|"):
            total = ((code, column),)
            parts = tuple((code, b) for b in names)
            if total[0] in cells and all(p in cells for p in parts):
                yield Identity(rule.name, total, parts)


def identities_for(cells: frozenset[Key] | set[Key], template: str = "gb2019",
                   strict: bool = False) -> list[Identity]:
    """Every equation of checks.csv that the given cells (a table in one version) can hold.

    The template tables print every part of their sums; `strict` (for local legacy tables,
    which often list only some parts under 其中) takes a sum only when all its parts are there."""
    return list(_identities_for(frozenset(cells), template, strict))


@lru_cache(maxsize=256)
def _identities_for(cells: frozenset[Key], template: str, strict: bool) -> tuple[Identity, ...]:
    out: list[Identity] = []
    for rule in rules():
        if rule.scope == "never" or rule.kind not in ("sum", "balance", "breakdown_sum"):
            continue
        if rule.template not in ("", template):
            continue
        out.extend(_instances(rule, cells, strict))
    return tuple(out)


@dataclass
class RowChoice:
    """The readings still possible for one row; `keys` name its columns' cells."""

    keys: tuple[Key, ...]
    readings: list[tuple[float | None, ...]]
    cut: list[bool] = field(default_factory=list)  # a reading that cuts printed digits
    kept: list[int] = field(default_factory=list)  # indices of readings still possible
    chosen: int | None = None  # index of the reading taken
    doubt: set[int] = field(default_factory=set)  # columns whose value is in doubt
    why: str = ""


def _local_filter(row: RowChoice, ids: list[Identity]) -> None:
    """Drop a row's readings that break an equation of its own cells (R3: 总计 = the six)."""
    row.kept = list(range(len(row.readings)))
    if len(row.readings) <= 1:
        return
    own = [i for i in ids if all(k in row.keys for k in i.keys)]
    if not own:
        if row.cut and not all(row.cut):  # nothing to confirm a cut: a cell was left empty
            row.kept = [n for n in row.kept if not row.cut[n]]
        return
    at = {k: j for j, k in enumerate(row.keys)}
    row.kept = [n for n, r in enumerate(row.readings)
                if not any(i.evaluate(lambda k: r[at[k]]) == "fail" for i in own)]
    row.why = f"{len(row.readings)} readings, {len(row.kept)} keep {own[0].rule}"
    cuts = [n for n in row.kept if row.cut and row.cut[n]]
    if cuts and len(cuts) < len(row.kept):
        # separated figures, one cell short: cutting digits is a reading only where the row's
        # own arithmetic then holds; otherwise a cell was left empty
        r_of = row.readings
        held = [n for n in cuts if any(i.evaluate(lambda k: r_of[n][at[k]]) == "hold"
                                       for i in own)]
        row.kept = held or [n for n in row.kept if not row.cut[n]]


def choose(rows: list[RowChoice], ids: list[Identity], fixed: dict[Key, float | None]
           ) -> None:
    """Settle every row: one reading as printed is taken as printed (even if the table does not
    add up: that is for the checks to report); among several, the combinations under which no
    equation fails decide; a column on whose value they disagree stays in doubt."""
    for row in rows:
        _local_filter(row, ids)
    single = [r for r in rows if len(r.kept) == 1]
    for r in single:
        r.chosen = r.kept[0]
    for r in rows:
        if not r.kept:
            r.doubt = set(range(len(r.keys)))
            r.why = r.why or "no reading of the printed figures fits the columns"
    multi = [r for r in rows if len(r.kept) > 1]
    if not multi:
        return
    known: dict[Key, float | None] = dict(fixed)
    for r in single:
        known.update(zip(r.keys, r.readings[r.kept[0]]))
    owner = {k: i for i, r in enumerate(multi) for k in r.keys}
    # each equation touching an undecided row is tested once its last such row is assigned
    due: dict[int, list[Identity]] = {}
    for ident in ids:
        rows_in = [owner[k] for k in ident.keys if k in owner]
        if rows_in:
            due.setdefault(max(rows_in), []).append(ident)
    seen: list[set[int]] = [set() for _ in multi]
    at_reading: list[int] = [0] * len(multi)
    budget = [MAX_COMBINATIONS]
    assign: dict[Key, float | None] = {}

    def value(k: Key) -> float | None:
        return assign[k] if k in assign else known.get(k)

    def walk(i: int) -> bool:
        if budget[0] <= 0:
            return False
        if i == len(multi):
            for j in range(len(multi)):
                seen[j].add(at_reading[j])
            return True
        for n in multi[i].kept:
            budget[0] -= 1
            at_reading[i] = n
            assign.update(zip(multi[i].keys, multi[i].readings[n]))
            if not any(ident.evaluate(value) == "fail" for ident in due.get(i, ())):
                if not walk(i + 1):
                    return False
        for k in multi[i].keys:
            assign.pop(k, None)
        return True

    complete = walk(0)
    for j, r in enumerate(multi):
        options = sorted(seen[j])
        if not complete:
            r.doubt = set(range(len(r.keys)))
            r.why = f"{len(r.kept)} readings; too many combinations to test"
            continue
        if not options:
            r.doubt = set(range(len(r.keys)))
            r.why = f"{len(r.kept)} readings; none lets the table add up"
            continue
        r.chosen = options[0]
        r.doubt = {c for c in range(len(r.keys))
                   if len({r.readings[o][c] for o in options}) > 1}
        tested = len(due.get(j, ()))
        r.why = (f"{len(r.kept)} readings; {len(options)} let the table add up "
                 f"({tested} equations decided at this row)")
