"""From a normalized document to observations (every number read) and metrics (one per key).

Tables are read first: where prose and a table state the same figure, `metrics` keeps the table's
value and the disagreement is handed to the checks. A derived value (a sum the report does not
state) is stored with method 'derived' and never replaces a stated one.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import Callable

from transforms.catalog import Catalog, catalog
from transforms.categories import mark_category_lists
from transforms.document import Document
from transforms.extract_types import Extraction, Metric, Observation
from transforms.implied import implied_observations
from transforms.legacy_tables import find_legacy_tables, read_legacy_table
from transforms.national_tables import read_national_tables
from transforms.parts import part_named
from transforms.prose import ProseValue, heading_context, headings, read_prose, zero_statements
from transforms.template_observations import (defer_to_template, prose_figures,
                                              template_observations)
from transforms.tables import TableValue, find_text_tables, read_grid, read_stream

EVIDENCE_MAX = 200
# (?<![\w.])\d+(?:\.\d+)?(?![\w.]), written to start with a digit so that the regex
# engine skips to digits instead of testing the lookbehind at every character
_DIGITS = re.compile(r"\d(?<=(?<![\w.])\d)\d*(?:\.\d+)?(?![\w.])")
_SKIP_DIGITS = re.compile(
    r"(?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}(?:\s*[月\-/.]\s*\d{1,2}\s*日?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|"
    r"\d+(?:\.\d+)?\s*%|https?://\S+|www\.\S+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|(?:19|20)\d{2}\s*年度?|\d{1,2}\s*月份?"
)
_EMAIL = r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"
# Every place `_SKIP_DIGITS` matches, overlaps included, found in one pass: a first character
# that can start a match (a class the regex engine scans for quickly), then the whole pattern
# as a lookahead from that character, captured as group 1. Without an @ in the text the e-mail
# branch cannot match, so only digits, h (http) and w (www) can start one.
_SKIP_AT_ANY = re.compile(r"[\dA-Za-z._%+\-](?<=(?=(" + _SKIP_DIGITS.pattern + r")).)")
_SKIP_AT_NO_EMAIL = re.compile(
    r"[\dhw](?<=(?=(" + _SKIP_DIGITS.pattern.replace(_EMAIL, "") + r")).)")
assert _EMAIL in _SKIP_DIGITS.pattern


def _skip_spans(text: str, upto: int | None = None) -> list[tuple[int, int]]:
    """`[m.span() for m in _SKIP_DIGITS.finditer(text)]`, about twice as fast; with `upto`,
    only the spans that start at or before it (the rest of the text is not searched).

    Why: the pattern starts with a choice of groups, so the engine tries all of it at every
    character of the text; here it is tried only where a match can begin. Whether the pattern
    matches at a position does not depend on earlier matches, so taking the first match and
    then the first one starting at or after its end repeats `finditer` exactly.
    """
    rx = _SKIP_AT_ANY if "@" in text else _SKIP_AT_NO_EMAIL
    out: list[tuple[int, int]] = []
    end = 0
    for m in rx.finditer(text):
        s, e = m.span(1)
        if upto is not None and s > upto:
            break
        if s >= end:
            out.append((s, e))
            end = e
    return out


DERIVED_SUMS: dict[str, list[str]] = {
    "requests.denied": [
        "requests.denied_state_secret", "requests.denied_law_prohibited",
        "requests.denied_security_stability", "requests.denied_third_party",
        "requests.denied_internal_affairs", "requests.denied_process_info",
        "requests.denied_enforcement_file", "requests.denied_admin_inquiry"],
    "requests.cannot_provide": ["requests.not_held", "requests.need_create", "requests.unclear"],
    "requests.not_processed": [
        "requests.not_processed_petition", "requests.not_processed_duplicate",
        "requests.not_processed_publication", "requests.not_processed_massive",
        "requests.not_processed_confirm"],
}
# a whole the report states with all but one of its parts: the missing part is the remainder
# ("行政复议、行政诉讼案件共4起 … 另外2起行政复议": 2 lawsuits)
DERIVED_REMAINDERS: dict[str, list[str]] = {
    "disputes.total": ["review.total", "litigation.total"],
}
LITIGATION = ["litigation.upheld", "litigation.corrected", "litigation.other",
              "litigation.pending", "litigation.total"]


def _table_observations(cat: Catalog, table_values: list[TableValue]) -> list[Observation]:
    """One observation per table value, mapped by the catalog unless a layout named its code.

    One loop for all the values of a report rather than a call per value: this runs for every
    table cell, and the lookups it needs (the catalog's `match`, the limits) are taken once.
    """
    match = cat.match
    obs = Observation
    long_ev = EVIDENCE_MAX * 2
    out: list[Observation] = []
    append = out.append
    for tv in table_values:
        code = tv.code
        breakdown = tv.breakdown
        if not code:
            code = None
            m = match(tv.label, tv.column, tv.context, tv.unit_word)
            if m:
                code = m.code
                if m.breakdown:
                    breakdown = m.breakdown
        cell = tv.cell
        start, end = cell.start, cell.end
        lc = tv.label_cell
        ev_start = lc.start if lc and lc.start < start else start
        if end - ev_start > long_ev:
            ev_start = start
        # positional, in field order (label, column_label, value, unit, qualifier, method,
        # indicator_code, breakdown, period, span_start, span_end, evidence_start,
        # evidence_end, part_of, percent, table_no, row_label): a call by keywords costs
        # about three times as much
        append(obs(
            "/".join(tv.label_path) or tv.label, tv.column, tv.value, tv.unit_word,
            tv.qualifier, "table", code, breakdown if code else tv.breakdown, tv.period,
            start, end, ev_start, end, False, None, tv.table_no, tv.label))
    return out


def _prose_obs(cat: Catalog, pv: ProseValue, code_hint: str | None = None) -> Observation:
    code = code_hint
    breakdown = ""
    note = None
    if code is None and not pv.other_time:
        m = cat.match(pv.label, "", pv.context, pv.unit_word)
        if m:
            code, breakdown = m.code, m.breakdown or ""
            part = part_named(pv.label)
            if part:
                code, breakdown = None, ""
                note = f"stated for part of the body ({part}), not its total: no metric"
    # positional, in field order (see _table_observations)
    return Observation(
        pv.label, "", pv.value, pv.unit_word, pv.qualifier, "prose", code, breakdown,
        pv.period, pv.num_start, pv.num_end, pv.start, pv.end, pv.part_of, pv.percent,
        None, None, note)


def extract(doc: Document, report_year: int | None,
            template_version: str | None = None) -> Extraction:
    """Every figure of a report, in this order of trust: the national template's tables (read
    by their labels and settled by their arithmetic), the other tables (by their headers), the
    legacy statistical tables in text, then the prose."""
    cat = catalog()
    text = doc.text
    ex = Extraction()
    ex.table_reads = read_national_tables(doc, template_version)
    table_values, table_ranges = _header_tables(cat, doc)
    ex.tables_found = len(table_ranges)
    legacy = find_legacy_tables(text, table_ranges)
    table_ranges += [(r.start, r.end) for r in ex.table_reads] + [(t.start, t.end) for t in legacy]

    prose_obs = [_prose_obs(cat, pv) for pv in read_prose(text, table_ranges, report_year)]
    mark_category_lists(prose_obs, text)
    prose_obs += implied_observations(prose_obs, text)
    for code, pv in zero_statements(cat, text, table_ranges):
        prose_obs.append(_prose_obs(cat, pv, code_hint=code))
    # a legacy table's run-together figures may need what the prose states to be settled
    ex.table_reads += [read_legacy_table(t, cat, text, prose_figures(prose_obs)) for t in legacy]

    generic = _table_observations(cat, table_values)
    defer_to_template(generic, ex.table_reads)
    ex.observations = template_observations(ex.table_reads) + generic + prose_obs

    # numbers without a count word (codes, phones, bare figures) are kept, unmapped
    covered = [(o.span_start, o.span_end) for o in ex.observations]
    covered += table_ranges
    bare = _bare_numbers(text, covered)
    # the skipped spans matter only up to the last bare number: a span starting after it
    # cannot hold one, and those before it do not depend on the text after them
    in_skip = _inside_any(_skip_spans(text, bare[-1].start()) if bare else [])
    for m in bare:
        s, e = m.start(), m.end()
        if in_skip(s):
            continue
        ex.observations.append(Observation(
            label=text[max(0, s - 20):s].split("\n")[-1].strip(), column_label="",
            value=float(m.group()), unit=None, qualifier="exact", method="prose",
            indicator_code=None, breakdown="", period="year", span_start=s, span_end=e,
            evidence_start=s, evidence_end=e))

    _resolve(cat, text, ex)
    _derive(cat, ex)
    return ex


def _header_tables(cat: Catalog, doc: Document) -> tuple[list[TableValue], list[tuple[int, int]]]:
    """The values of real grids and of tables flattened into text, read by their headers, and
    the text ranges those tables cover."""
    heads = headings(doc.text)
    grid_ranges = [(g.start, g.end) for g in doc.grids]
    values: list[TableValue] = []
    for i, g in enumerate(doc.grids):
        values.extend(read_grid(cat, g, heading_context(heads, g.start), i))
    streams = find_text_tables(doc.text, grid_ranges)
    for j, cells in enumerate(streams):
        if cells:
            ctx = heading_context(heads, cells[0].start)
            values.extend(read_stream(cat, cells, ctx, len(doc.grids) + j))
    return values, grid_ranges + [(c[0].start, c[-1].end) for c in streams if c]


def _inside_any(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """`pos -> any(a <= pos < b for a, b in spans)`, answered by bisection.

    Why: the plain scan, run for every bare number against every observation's span, grew
    with the square of a report's size.
    """
    ordered = sorted(spans)
    starts = [a for a, _ in ordered]
    reach = list(accumulate((b for _, b in ordered), max))

    def inside(pos: int) -> bool:
        i = bisect_right(starts, pos) - 1
        return i >= 0 and reach[i] > pos
    return inside


def _bare_numbers(text: str, covered: list[tuple[int, int]]) -> list[re.Match[str]]:
    """`[m for m in _DIGITS.finditer(text) if not _inside_any(covered)(m.start())]`, with the
    pattern run only over the stretches of text between the covered spans.

    Why: most figures of a report lie in its tables, which are covered whole, and the rest
    mostly in observations already read; a scan of the whole text made a match object and a
    bisection for every one of them. A match never starts inside another (its lookbehind
    refuses a digit or a dot before it), so `finditer` yields every place the pattern
    matches, and searching each gap from its start, without cutting the text at its end (the
    lookahead still sees what follows), finds the same matches.
    """
    out: list[re.Match[str]] = []
    search = _DIGITS.search
    pos = 0
    m: re.Match[str] | None = None  # the first match at or after pos, once searched for
    for a, b in sorted(covered):
        if a >= b:
            continue  # an empty span covers nothing
        while pos < a:  # the gap [pos, a)
            if m is None or m.start() < pos:
                m = search(text, pos)
                if m is None:
                    return out  # no figure after pos
            if m.start() >= a:
                break  # none in this gap; m may still be the first of a later one
            out.append(m)
            pos = m.end()
        if b > pos:
            pos = b
    if m is None or m.start() < pos:
        m = search(text, pos)
    while m is not None:  # the text after the last covered span
        out.append(m)
        m = search(text, m.end())
    return out


def _resolve(cat: Catalog, text: str, ex: Extraction) -> None:
    """One metric per (code, breakdown, period): a table figure over a prose one, a whole
    figure over a part (其中), an exact one over an approximate one, then the first.

    Most keys have a single observation, so the first observation of each key is kept as it
    comes and only keys seen again collect a list to rank (a report has about seventy keys
    and a handful of repeats, and a list for every key cost more than ranking the repeats).
    """
    def rank(o: Observation) -> tuple:
        return (0 if o.method == "table" else 1, 1 if o.part_of else 0,
                1 if o.qualifier == "approx" else 0, o.span_start)

    first: dict[tuple[str, str, str], Observation] = {}  # in order of first appearance
    repeated: dict[tuple[str, str, str], list[Observation]] = {}
    for o in ex.observations:
        code = o.indicator_code
        if code:
            key = (code, o.breakdown, o.period)
            prev = first.setdefault(key, o)
            if prev is not o:
                same = repeated.get(key)
                if same is None:
                    repeated[key] = [prev, o]
                else:
                    same.append(o)
    units = cat.units
    metrics = ex.metrics
    for key, o in first.items():
        if repeated:
            obs = repeated.get(key)
            if obs is not None:
                obs.sort(key=rank)
                o = obs[0]
                for other in obs[1:]:
                    if other.method != o.method and abs(other.value - o.value) > 1e-9:
                        ex.conflicts.append((o, other))
        s, e = o.evidence_start, o.evidence_end
        if e - s > EVIDENCE_MAX:  # _evidence, inlined: this runs for every metric
            s = e - EVIDENCE_MAX
        # positional, in field order (indicator_code, breakdown, period, value, unit,
        # qualifier, method, evidence, span_start, span_end): one per metric of every report;
        # the value is `_unit_value(cat, o)`, which is the observation's own
        metrics[key] = Metric(
            key[0], key[1], key[2], o.value, units[key[0]], o.qualifier, o.method, text[s:e],
            s, e)


def _derive(cat: Catalog, ex: Extraction) -> None:
    """Sums the report does not state: group totals of table 3, litigation over its two kinds;
    and the one part a stated whole leaves (disputes less reconsiderations)."""
    m = ex.metrics
    breakdowns = sorted({k[1] for k in m})  # sorted: row order must not depend on hashing
    for total, parts in DERIVED_SUMS.items():
        for b in breakdowns:
            key = (total, b, "year")
            if key in m:
                continue
            # every part is needed: stop at the first one missing (most breakdowns lack them)
            vals = []
            for p in parts:
                part = m.get((p, b, "year"))
                if part is None:
                    break
                vals.append(part.value)
            else:
                m[key] = Metric(total, b, "year", float(sum(vals)), cat.unit(total), "exact",
                                "derived", "sum of " + ", ".join(parts), None, None)
    for whole, parts in DERIVED_REMAINDERS.items():
        stated = m.get((whole, "", "year"))
        missing = [p for p in parts if (p, "", "year") not in m]
        if stated is None or len(missing) != 1:
            continue
        rest = stated.value - sum(m[(p, "", "year")].value for p in parts if p not in missing)
        if rest >= 0:
            m[(missing[0], "", "year")] = Metric(
                missing[0], "", "year", rest, cat.unit(missing[0]), stated.qualifier, "derived",
                f"{whole} - " + " - ".join(p for p in parts if p not in missing), None, None)
    for code in LITIGATION:
        key = (code, "", "year")
        parts = [(code, "direct", "year"), (code, "after_review", "year")]
        if key not in m and all(p in m for p in parts):
            m[key] = Metric(code, "", "year", sum(m[p].value for p in parts), cat.unit(code),
                            "exact", "derived", f"{code} direct + after_review", None, None)
