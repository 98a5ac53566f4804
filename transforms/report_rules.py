"""Checks of one report beyond its arithmetic: tables the template requires, counts that cannot
be negative or fractional, and a "no fees" statement against a stated fee.

Rules of `catalog/checks.csv` with these kinds (run by checks.run_checks, one row per report
and rule, and only when the rule's inputs exist):
  tables_present     a national-template report has every table named in `parts`
                     (table3+table4): a copy cut short or a table the reader could not find
  whole_nonnegative  every stated count is a whole number >= 0 and every amount >= 0; `parts`
                     lists the codes that may be negative (本年增/减 of the 2019 trial template)
  zero_vs_figure     for each code of `total`: a sentence says there was none (未收取任何费用,
                     a fees section that reads 无) while another figure of the same indicator
                     and period is above zero
"""
from __future__ import annotations

from typing import Any

from transforms.extract_types import Extraction
from transforms.rules import Rule, check_row as _row, fmt as _fmt

MONEY_UNITS = ("yuan",)
TOL = 1e-6


def tables_present(rule: Rule, ex: Extraction) -> list[dict[str, Any]]:
    want = [t for t in rule.parts.split("+") if t]
    found = {r.table for r in ex.table_reads}
    missing = [t for t in want if t not in found]
    detail = (f"tables found: {', '.join(sorted(found)) or 'none'}"
              + (f"; missing: {', '.join(missing)}" if missing else ""))
    return [_row(rule.name, not missing, float(len(want)), float(len(want) - len(missing)),
                 detail)]


def whole_nonnegative(rule: Rule, ex: Extraction) -> list[dict[str, Any]]:
    signed = {c for c in rule.parts.split("|") if c}
    stated = [m for m in ex.metrics.values() if m.method != "derived"]
    if not stated:
        return []
    bad: list[str] = []
    for m in stated:
        where = f"{m.indicator_code}" + (f"[{m.breakdown}]" if m.breakdown else "") + \
                (f" ({m.period})" if m.period != "year" else "")
        if m.value < -TOL and m.indicator_code not in signed:
            bad.append(f"{where} = {_fmt(m.value)} is negative (span {m.span_start})")
        elif m.unit not in MONEY_UNITS and abs(m.value - round(m.value)) > TOL:
            bad.append(f"{where} = {_fmt(m.value)} {m.unit} is not a whole count "
                       f"(span {m.span_start})")
    detail = "; ".join(bad) if bad else f"{len(stated)} stated figures, all whole and >= 0"
    return [_row(rule.name, not bad, 0.0, float(len(bad)), detail)]


def zero_vs_figure(rule: Rule, ex: Extraction) -> list[dict[str, Any]]:
    out = []
    for code in (c for c in rule.total.split("|") if c):
        obs = [o for o in ex.observations if o.indicator_code == code and o.value is not None]
        for period in sorted({o.period for o in obs}):
            same = [o for o in obs if o.period == period and not o.breakdown]
            zeros = [o for o in same if o.method == "prose" and o.qualifier == "exact"
                     and abs(o.value) <= TOL]
            others = [o for o in same if o not in zeros]
            if not zeros or not others:
                continue
            figure = max(others, key=lambda o: o.value)
            ok = figure.value <= TOL
            z = zeros[0]
            detail = (f"{code}: «{z.label[:40]}» (span {z.span_start}) says none "
                      f"{'and' if ok else 'but'} {figure.method} states {_fmt(figure.value)} "
                      f"(span {figure.span_start})")
            out.append(_row(rule.name, ok, 0.0, figure.value, detail))
    return out
