"""One report per body and year, its scope, and the derived indicators: the views to sum over.

Why: the same report is often loaded several times (a portal page, its PDF, a mirror), and a
province's reports mix the province's own summary, its cities', counties' and departments'. A
sum over `reports` double counts both ways. The rules, in order:

1. Copies. Reports of the same body and year are copies: same region (code, else name as
   written), same issuer (its name without the province and region in front; a government and
   its general office are one body, since they publish the same report), same report_year. A
   report without an issuer or a year is a body of its own (it cannot be matched safely).
2. The copy kept (`copy_rank = 1`) is the most complete: national tables fully read, then the
   larger share of table cells read (`report_completeness`), then more stated (not derived)
   metrics, fewer failed checks, the longer text, the later published_on, then report_id.
3. Scope (`report_scope`, rules in warehouse/data/scope_rules.csv): `own` for a department or a
   township (本级: the body's own figures), `area` for a government report that counts for its
   whole area (全县共收到…, 全市各级行政机关…), `unknown` for a government report that says
   neither.
4. Cover. A kept report is `covered_by` the nearest kept `area` report of the same year whose
   region contains it: its own region's area report for a non-area body (a county department
   under the county's summary), else its prefecture's (code xxxx00), else its province's
   (xx0000). `counted_in_sums` is true when nothing covers it: summing those counts every
   body once (the top-most summaries plus the bodies no summary covers). Bodies without a
   region code (townships, zones, central bodies) are never covered.
"""
from __future__ import annotations

import hashlib
import re

import duckdb

SCOPE_TABLE = "report_scope"


def _v():
    """warehouse.views, imported late: it installs these views, and they use its helpers."""
    from warehouse import views
    return views


# ------------------------------------------------------------------ scope

def _scope_rules() -> list[dict[str, str]]:
    return _v().data_rows("scope_rules.csv")


def scope_rules_version() -> str:
    text = repr(_scope_rules())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _kind_test(kinds: str) -> str:
    if kinds.strip() == "*":
        return "true"
    names = [k for k in kinds.split("|") if k]
    parts = []
    plain = [k for k in names if k != "none"]
    if plain:
        parts.append("r.issuer_kind in (" + ", ".join(f"'{k}'" for k in plain) + ")")
    if "none" in names:
        parts.append("r.issuer_kind is null")
    return "(" + " or ".join(parts) + ")" if parts else "false"


def _scope_sql() -> tuple[str, str]:
    """CASE expressions over the scope rules (first match wins): the scope, and the wording
    or issuer kind that decided it."""
    place = "coalesce(right(r.region_name, 1), '[省市州盟县区旗]')"
    whens, evidence = [], []
    for rule in _scope_rules():
        test = _kind_test(rule["issuer_kinds"])
        if rule["pattern"]:
            pat = rule["pattern"].replace("'", "''")
            match = f"regexp_extract(d.text, replace('{pat}', '{{place}}', {place}))"
            whens.append(f"when {test} and {match} <> '' then '{rule['scope']}'")
            evidence.append(f"when {test} and {match} <> '' then {match}")
        else:
            whens.append(f"when {test} then '{rule['scope']}'")
            evidence.append(f"when {test} then 'issuer_kind ' || coalesce(r.issuer_kind, 'unknown')")
    return ("case " + " ".join(whens) + " else 'unknown' end",
            "case " + " ".join(evidence) + " end")


def refresh_scope(con: duckdb.DuckDBPyConnection) -> int:
    """Scope of every report that has none yet (all of them when the rules changed); returns
    how many were classified. Stored, not computed in the view: it reads each report's text
    once, not at every query."""
    version = scope_rules_version()
    con.execute(f"delete from {SCOPE_TABLE} where rules_version <> ? or report_id not in "
                "(select report_id from reports)", [version])
    scope, evidence = _scope_sql()
    n = con.execute(f"""
        insert into {SCOPE_TABLE} (report_id, scope, evidence, rules_version)
        select r.report_id, {scope}, left({evidence}, 200), ?
        from reports r join documents d using (report_id)
        where r.report_id not in (select report_id from {SCOPE_TABLE})""", [version]).fetchone()
    return int(n[0]) if n else 0


# ------------------------------------------------------------------ copies and cover

REPORT_COPIES_SQL = f"""create or replace view report_copies as
with stated as (
  select report_id, count(*) as stated_metrics from metrics
  where method <> 'derived' group by report_id
), failed as (
  select report_id, count(*) as failed_checks from checks where status = 'fail'
  group by report_id
), base as (
  select r.*, rc.tables_found, rc.share_read, coalesce(rc.fully_read, false) as fully_read,
         coalesce(s.stated_metrics, 0) as stated_metrics,
         coalesce(f.failed_checks, 0) as failed_checks,
         coalesce(sc.scope, 'unknown') as scope, sc.evidence as scope_evidence,
         case when starts_with(r.issuer, coalesce(r.province, chr(1)))
              then substr(r.issuer, length(r.province) + 1) else r.issuer end as i1
  from reports r
  left join report_completeness rc using (report_id)
  left join stated s using (report_id)
  left join failed f using (report_id)
  left join {SCOPE_TABLE} sc using (report_id)
), keyed as (
  select * exclude (i1),
         case when issuer is null or report_year is null then report_id
              else coalesce(region_code, region_name, '?') || '|' ||
                   case when issuer_kind in ('government', 'general_office') then 'government'
                        else case when starts_with(i1, coalesce(region_name, chr(1)))
                                  then substr(i1, length(region_name) + 1) else i1 end end
              end as body
  from base
), bodies as (
  select *, case when body = report_id then report_id else body || '|' || report_year end
              as body_key
  from keyed
)
select *,
       count(*) over (partition by body_key) as copies,
       row_number() over (partition by body_key
         order by fully_read desc, share_read desc nulls last, stated_metrics desc,
                  failed_checks, n_chars desc nulls last, published_on desc nulls last,
                  report_id) as copy_rank
from bodies"""

ANALYSIS_REPORTS_SQL = """create or replace view analysis_reports as
with kept as (select * from report_copies where copy_rank = 1),
areas as (
  select report_id as area_id, region_code as area_code, report_year as area_year
  from kept where scope = 'area' and region_code is not null
),
cover as (
  select k.report_id, a.area_id,
         row_number() over (partition by k.report_id order by
           case when a.area_code = k.region_code then 3
                when a.area_code = k.region_code[1:4] || '00' then 2 else 1 end desc,
           a.area_id) as nearest
  from kept k join areas a
    on a.area_year = k.report_year and a.area_id <> k.report_id and k.region_code is not null
   and ((a.area_code = k.region_code and k.scope <> 'area')
        or (a.area_code <> k.region_code and a.area_code = k.region_code[1:4] || '00')
        or (a.area_code <> k.region_code and a.area_code = k.region_code[1:2] || '0000'))
)
select k.* exclude (copy_rank), c.area_id as covered_by, c.area_id is null as counted_in_sums
from kept k left join cover c on c.report_id = k.report_id and c.nearest = 1"""


# ------------------------------------------------------------------ derived indicators

_TERM = re.compile(r"^[a-z_]+\.[a-z_]+\??$")


def _terms(expr: str) -> list[tuple[str, bool]]:
    """'a.b+c.d?' -> [(a.b, required), (c.d, optional)]; the catalog's formula syntax."""
    out = []
    for t in expr.split("+"):
        t = t.strip()
        if not _TERM.match(t):
            raise ValueError(f"derived_indicators.csv: bad term {t!r} in {expr!r}")
        out.append((t.rstrip("?"), not t.endswith("?")))
    return out


def _sum_sql(expr: str) -> str:
    return " + ".join(f'"{c}"' if req else f'coalesce("{c}", 0)' for c, req in _terms(expr))


def derived_sql(definitions: list[dict[str, str]]) -> str:
    codes = sorted({c for d in definitions for e in (d["numerator"], d["denominator"])
                    for c, _ in _terms(e)})
    pivot = ",\n    ".join(f"max(value) filter (where indicator_code = '{c}') as \"{c}\""
                           for c in codes)
    parts = []
    for d in definitions:
        tmpl = d["template"].replace("'", "''")
        parts.append(
            f"select v.report_id, '{d['code']}' as code, r.template, "
            f"{_sum_sql(d['numerator'])} as num, {_sum_sql(d['denominator'])} as den "
            f"from v join reports r using (report_id) where r.template = '{tmpl}'")
    union = "\n  union all ".join(parts) if parts else \
        "select null::varchar report_id, null::varchar code, null::varchar template, " \
        "null::double num, null::double den where false"
    typed = _v().typed
    return f"""create or replace view derived_indicators as
with v as (
  select report_id,
    {pivot}
  from metrics where period = 'year' and breakdown = '' group by report_id
), d as (
  {union}
)
select d.report_id, d.code, dd.name_zh, dd.name_en, d.template,
       {typed('d.num', 'request')} as numerator, {typed('d.den', 'request')} as denominator,
       case when d.den > 0 then round(d.num / d.den, 4) end as value,
       dd.numerator as numerator_formula, dd.denominator as denominator_formula, dd.caveat
from d join derived_definitions dd on dd.code = d.code and dd.template = d.template
where d.num is not null and d.den is not null"""


def _derived_summary_sql(name: str, keys: str) -> str:
    return f"""create or replace view {name} as
select {keys}, d.code, any_value(d.name_en) as name_en, d.template,
       count(*) as reports, sum(d.numerator) as numerator, sum(d.denominator) as denominator,
       case when sum(d.denominator) > 0
            then round(sum(d.numerator) / sum(d.denominator), 4) end as value
from derived_indicators d join analysis_reports a using (report_id)
where a.counted_in_sums
group by all"""


def analysis_wide_sql(core: list[tuple[str, str]], derived_codes: list[str]) -> str:
    v = _v()
    ind = ",\n  ".join(f'w."{v.wide_column(c)}"' for c, _ in core)
    pivot = ",\n    ".join(f"max(value) filter (where code = '{c}') as \"{c}\""
                         for c in derived_codes) or "null as _none"
    der = ",\n  ".join(f'dv."{c}"' for c in derived_codes)
    return f"""create or replace view analysis_wide as
with dv as (
  select report_id,
    {pivot}
  from derived_indicators group by report_id
)
select a.body_key, a.report_id, a.report_year, a.province, a.region_name, a.region_code,
       a.admin_level, a.issuer, a.issuer_kind, a.template, a.template_version, a.status,
       a.scope, a.covered_by, a.counted_in_sums, a.copies, a.share_read, a.fully_read,
       a.source_uri{',' if ind else ''}
  {ind}{',' if der else ''}
  {der}
from analysis_reports a
join metrics_wide w using (report_id)
left join dv using (report_id)"""


def install(con: duckdb.DuckDBPyConnection, core: list[tuple[str, str]]) -> None:
    definitions = _v().catalog_rows("derived_indicators.csv")
    con.execute(REPORT_COPIES_SQL)
    con.execute(ANALYSIS_REPORTS_SQL)
    con.execute(derived_sql(definitions))
    con.execute(_derived_summary_sql("derived_by_year", "a.report_year"))
    con.execute(_derived_summary_sql("derived_by_province_year",
                                     "coalesce(a.province, '(unknown)') as province, "
                                     "a.report_year"))
    codes = list(dict.fromkeys(d["code"] for d in definitions))
    con.execute(analysis_wide_sql(core, codes))
