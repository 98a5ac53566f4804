"""The arithmetic every report must satisfy, evaluated from declarative rules in `checks.csv`.

A rule whose inputs are missing is not run (no row): a check is never passed by default, and a
missing total is never invented to make one pass. Derived values (sums the report does not state)
are not inputs. Kinds:
  sum            total = sum(parts); alternatives separated by ';' (layouts differ by province)
  balance        sum(total) = sum(parts)
  breakdown_sum  for each code of `total`: the '' column = sum of the named breakdown columns
  percent        "2239件，占98.94%": the percentage matches count / base
  prose_table_agreement  a figure stated in prose and in a table agrees
  not_greater    a year figure never exceeds the cumulative one (per metric and per table row)
  tables_present, whole_nonnegative, zero_vs_figure   see transforms/report_rules.py
  stock_across_years, parent_ge_children   across reports, see warehouse/crossrules.py
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any

from transforms import report_rules
from transforms.extract import Extraction, Observation
from transforms.rules import Rule, check_row as _row, fmt as _fmt, rules

TOL = 1e-6


def run_checks(ex: Extraction, template: str) -> list[dict[str, Any]]:
    stated = {k: m.value for k, m in ex.metrics.items() if m.method != "derived"}
    # the (breakdown, period) slices of each stated code, so that each sum rule looks only
    # at its own codes
    slices: dict[str, set[tuple[str, str]]] = {}
    for c, b, p in stated:
        slices.setdefault(c, set()).add((b, p))
    out: list[dict[str, Any]] = []
    for rule in rules():
        if rule.scope == "never":
            continue
        if rule.template and rule.template != template:
            continue
        if rule.kind in ("sum", "balance"):
            out.extend(_sum_rule(rule, stated, slices))
        elif rule.kind == "breakdown_sum":
            out.extend(_breakdown_rule(rule, stated))
        elif rule.kind == "percent":
            out.extend(_percent_rule(rule, ex))
        elif rule.kind == "prose_table_agreement":
            out.extend(_agreement_rule(rule, ex))
        elif rule.kind == "not_greater":
            out.extend(_year_le_cumulative(rule, ex, stated))
        elif rule.kind == "tables_present":
            out.extend(report_rules.tables_present(rule, ex))
        elif rule.kind == "whole_nonnegative":
            out.extend(report_rules.whole_nonnegative(rule, ex))
        elif rule.kind == "zero_vs_figure":
            out.extend(report_rules.zero_vs_figure(rule, ex))
    return out


def _sum_rule(rule: Rule, stated: dict[tuple[str, str, str], float],
              by_code: dict[str, set[tuple[str, str]]] | None = None) -> list[dict[str, Any]]:
    out = []
    lhs_codes = rule.total.split("+")
    alternatives = [a.split("+") for a in rule.parts.split(";")]
    if by_code is None:
        slices = sorted({(b, p) for (c, b, p) in stated if c in lhs_codes})
    else:
        slices = sorted({bp for c in set(lhs_codes) for bp in by_code.get(c, ())})
    for b, p in slices:
        lhs = [stated.get((c, b, p)) for c in lhs_codes]
        if any(v is None for v in lhs):
            continue
        total = sum(v for v in lhs if v is not None)
        best: tuple[float, list[str]] | None = None
        ran = False
        for alt in alternatives:
            present = [(c, stated[(c, b, p)]) for c in alt if (c, b, p) in stated]
            need = len(alt) if rule.kind == "balance" else 2
            if len(present) < min(need, len(alt)):
                continue
            ran = True
            s = sum(v for _, v in present)
            terms = [f"{c} {_fmt(v)}" for c, v in present]
            if best is None or abs(s - total) < abs(best[0] - total):
                best = (s, terms)
        if not ran or best is None:
            continue
        ok = abs(best[0] - total) <= TOL
        where = f"[{b or 'total'}, {p}] " if (b or p != "year") else ""
        lhs_txt = " + ".join(f"{c} {_fmt(v)}" for c, v in zip(lhs_codes, lhs) if v is not None)
        detail = f"{where}{lhs_txt} {'=' if ok else '≠'} {' + '.join(best[1])} = {_fmt(best[0])}"
        out.append(_row(rule.name, ok, total, best[0], detail))
    return out


def _breakdown_rule(rule: Rule, stated: dict[tuple[str, str, str], float]) -> list[dict[str, Any]]:
    out = []
    parts = rule.parts.split("+")
    for code in rule.total.split("|"):
        total = stated.get((code, "", "year"))
        vals = [stated.get((code, b, "year")) for b in parts]
        if total is None or any(v is None for v in vals):
            continue
        s = sum(v for v in vals if v is not None)
        ok = abs(s - total) <= TOL
        detail = (f"{code}: 总计 {_fmt(total)} {'=' if ok else '≠'} "
                  + " + ".join(f"{b} {_fmt(v)}" for b, v in zip(parts, vals) if v is not None)
                  + f" = {_fmt(s)}")
        out.append(_row(rule.name, ok, total, s, detail))
    return out


def _percent_rule(rule: Rule, ex: Extraction) -> list[dict[str, Any]]:
    """Match each stated percentage against the figures it may be a share of."""
    out = []
    prose = [o for o in ex.observations if o.method == "prose" and o.unit]
    # positions of the figures of each unit, so that a percentage looks only at the figures
    # in its unit among the 40 before it (in the same order as the window itself)
    if all(o.percent is None for o in prose):
        return out
    at_of: dict[str, list[int]] = {}
    for i, o in enumerate(prose):
        at_of.setdefault(o.unit, []).append(i)
    for i, o in enumerate(prose):
        if o.percent is None or o.value is None:
            continue
        decimals = 0
        # one unit of the last written digit, so both rounding and truncation pass
        text_pct = f"{o.percent:g}"
        if "." in text_pct:
            decimals = len(text_pct.split(".")[1])
        tol = 10 ** (-decimals) + 1e-9
        same = at_of[o.unit]
        lo, hi = bisect_left(same, max(0, i - 40)), bisect_left(same, i)
        bases = [b for b in (prose[j] for j in same[lo:hi]) if b.value and b.value >= o.value]
        if not bases:
            continue
        best = min(bases, key=lambda b: abs(100.0 * o.value / b.value - o.percent))
        got = 100.0 * o.value / best.value
        ok = abs(got - o.percent) <= tol
        detail = (f"{o.label} {_fmt(o.value)} stated as {o.percent:g}% of "
                  f"{best.label} {_fmt(best.value)}: {got:.2f}% (span {o.span_start}-{o.span_end})")
        out.append(_row(rule.name, ok, o.percent, round(got, 4), detail))
    return out


def _agreement_rule(rule: Rule, ex: Extraction) -> list[dict[str, Any]]:
    out = []
    seen: set[tuple] = set()
    # one pass over the observations: every key in order of first appearance, the table
    # figures of each key and the exact prose figures of each key
    keys: dict[tuple[str, str, str], None] = {}
    tables_of: dict[tuple[str, str, str], list[Observation]] = {}
    prose_of: dict[tuple[str, str, str], list[Observation]] = {}
    for o in ex.observations:
        if o.indicator_code:
            key = (o.indicator_code, o.breakdown, o.period)
            keys[key] = None
            if o.method == "table":
                tables_of.setdefault(key, []).append(o)
            elif o.method == "prose" and o.qualifier == "exact":
                prose_of.setdefault(key, []).append(o)
    # the periods with table figures of each indicator and breakdown
    periods: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for k in tables_of:
        periods.setdefault(k[:2], []).append(k)
    for key in keys:
        tables = tables_of.get(key)
        prose = prose_of.get(key)
        if not tables or not prose:
            continue
        t = tables[0]
        # the same figure under the other period of the table (目前共有10个 vs 累计 10) is
        # a period ambiguity of the prose, not a disagreement
        other_periods = {o.value for k2 in periods[key[:2]] if k2[2] != key[2]
                         for o in tables_of[k2]}
        for p in prose:
            sig = (key, p.value)
            if sig in seen or (abs(t.value - p.value) > TOL and p.value in other_periods):
                continue
            seen.add(sig)
            ok = abs(t.value - p.value) <= TOL
            code = key[0] + (f"[{key[1]}]" if key[1] else "")
            detail = (f"{code}: table {_fmt(t.value)} (span {t.evidence_start}-{t.evidence_end}) "
                      f"{'=' if ok else '≠'} prose {_fmt(p.value)} "
                      f"(span {p.evidence_start}-{p.evidence_end})")
            out.append(_row(rule.name, ok, t.value, p.value, detail))
    return out


def _year_le_cumulative(rule: Rule, ex: Extraction, stated: dict[tuple[str, str, str], float]
                        ) -> list[dict[str, Any]]:
    out = []
    # table rows carry both periods even when their label maps to no indicator
    rows: dict[tuple[int | None, str, str], dict[str, Observation]] = {}
    table_codes: set[tuple[str | None, str]] = set()
    for o in ex.observations:
        if o.method == "table" and o.value is not None:
            if o.indicator_code:
                table_codes.add((o.indicator_code, o.breakdown))
            if o.period in ("year", "cumulative"):
                rows.setdefault((o.table_no, o.label, o.breakdown), {})[o.period] = o
    for (_, label, _), pair in rows.items():
        if "year" in pair and "cumulative" in pair:
            y, c = pair["year"].value, pair["cumulative"].value
            ok = y <= c + TOL
            name = pair["year"].indicator_code or "unmapped row"
            detail = (f"{name} «{label}»: year {_fmt(y)} {'≤' if ok else '>'} cumulative "
                      f"{_fmt(c)} (spans {pair['year'].span_start}, {pair['cumulative'].span_start})")
            out.append(_row(rule.name, ok, c, y, detail))
    for (code, b, p), v in stated.items():
        if p != "year" or (code, b) in table_codes:
            continue
        c = stated.get((code, b, "cumulative"))
        if c is None:
            continue
        ok = v <= c + TOL
        out.append(_row(rule.name, ok, c, v, f"{code}: year {_fmt(v)} {'≤' if ok else '>'} "
                                             f"cumulative {_fmt(c)}"))
    return out
