"""The warehouse schema as an ordered list of migrations.

Every warehouse file records the migrations applied to it in `schema_migrations`, so an old file
is upgraded in place by running only the ones it lacks. Never edit a released migration: append a
new one.
"""
from __future__ import annotations

import duckdb

# The core set as migration 1 released it, frozen with that migration (never edit it): the
# live metrics_wide is regenerated from the catalog's `core` flag after every catalog load
# (warehouse/views.py), so a new core indicator is a one-line change in indicators.csv.
_WIDE_CODES_AS_RELEASED: list[str] = [
    "proactive.total", "proactive.website", "proactive.gazette", "proactive.weibo",
    "proactive.wechat", "proactive.platform", "proactive.other_channels",
    "proactive.normative_documents", "press.conferences", "reading_rooms.count",
    "rules.issued", "rules.repealed", "rules.in_force", "normative_docs.issued",
    "normative_docs.repealed", "normative_docs.in_force", "licensing.decisions",
    "penalties.decisions", "coercion.decisions", "admin_fees.amount",
    "requests.received", "requests.received_in_person", "requests.received_online",
    "requests.received_letter", "requests.received_fax", "requests.received_email",
    "requests.received_other", "requests.carried_over", "requests.answered",
    "requests.granted", "requests.partially_granted", "requests.denied",
    "requests.cannot_provide", "requests.not_processed", "requests.other_result",
    "requests.carried_forward", "review.total", "review.upheld", "review.corrected",
    "review.other", "review.pending", "litigation.total", "litigation.upheld",
    "litigation.corrected", "litigation.other", "litigation.pending", "complaints.total",
    "fees.collected", "staff.total", "staff.full_time", "staff.part_time",
    "funding.special", "training.sessions", "training.attendees",
]

REPORT_COLUMNS = (
    "report_id", "source_uri", "media_type", "encoding", "script", "title", "region_name",
    "region_code", "province", "admin_level", "issuer", "issuer_type", "report_year",
    "published_on", "template", "template_version", "status", "warnings", "n_chars",
    "extractor_version", "run_id", "loaded_at", "region_source", "issuer_kind", "issuer_source",
)


def _wide_view_sql() -> str:
    cols = ",\n  ".join(
        f"max(m.value) filter (where m.indicator_code = '{c}') as \"{c.replace('.', '_')}\""
        for c in _WIDE_CODES_AS_RELEASED
    )
    return f"""
create or replace view metrics_wide as
select
  r.report_id, r.source_uri, r.title, r.region_name, r.region_code, r.province, r.admin_level,
  r.issuer, r.issuer_type, r.report_year, r.published_on, r.template, r.status,
  {cols}
from reports r
left join metrics m
  on m.report_id = r.report_id and m.period = 'year' and m.breakdown = ''
group by all
"""


MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "initial contract tables", [
        """create table if not exists reports (
            report_id varchar primary key, source_uri varchar, media_type varchar,
            encoding varchar, script varchar, title varchar, region_name varchar,
            region_code varchar, province varchar, admin_level varchar, issuer varchar,
            issuer_type varchar, report_year integer, published_on date, template varchar,
            template_version varchar, status varchar, warnings varchar, n_chars integer,
            extractor_version varchar, run_id varchar, loaded_at timestamp)""",
        """create table if not exists report_sources (
            report_id varchar, source_uri varchar, first_seen timestamp, last_seen timestamp,
            primary key (report_id, source_uri))""",
        """create table if not exists metrics (
            report_id varchar, indicator_code varchar, breakdown varchar, period varchar,
            value double, unit varchar, qualifier varchar, method varchar, evidence varchar,
            span_start integer, span_end integer,
            primary key (report_id, indicator_code, breakdown, period))""",
        """create table if not exists indicators (
            code varchar primary key, unit varchar, name_zh varchar, name_en varchar,
            description varchar, aliases varchar[], core boolean)""",
        """create table if not exists observations (
            report_id varchar, obs_no integer, label varchar, column_label varchar,
            value double, unit varchar, qualifier varchar, method varchar,
            indicator_code varchar, breakdown varchar, period varchar,
            span_start integer, span_end integer, primary key (report_id, obs_no))""",
        """create table if not exists checks (
            report_id varchar, "check" varchar, status varchar, expected double,
            actual double, detail varchar)""",
        """create table if not exists documents (report_id varchar primary key, text varchar)""",
        """create table if not exists quarantine (
            source_uri varchar, sha256 varchar, reason varchar, "at" timestamp, run_id varchar,
            primary key (source_uri, sha256))""",
        """create table if not exists runs (
            run_id varchar primary key, started_at timestamp, finished_at timestamp,
            inputs integer, loaded integer, skipped integer, quarantined integer,
            metrics integer, failed_checks integer, seconds double, sources varchar)""",
        """create table if not exists fetches (
            url varchar, fetched_at timestamp, status integer, sha256 varchar,
            content_type varchar, etag varchar, last_modified varchar, not_modified boolean,
            attempts integer, error varchar, run_id varchar)""",
        _wide_view_sql(),
    ]),
    (2, "indexes for the filters analysts use most", [
        "create index if not exists metrics_code_idx on metrics (indicator_code, period)",
        "create index if not exists observations_code_idx on observations (indicator_code)",
        "create index if not exists checks_status_idx on checks (status)",
    ]),
    (3, "how much of each template table was read; why an observation gives no metric", [
        "alter table observations add column if not exists note varchar",
        """create table if not exists table_reads (
            report_id varchar, table_name varchar, template_version varchar, layout varchar,
            rows_expected integer, rows_found integer, cells_expected integer,
            cells_read integer, cells_blank integer, cells_in_doubt integer,
            identities_held integer, identities_failed integer, detail varchar)""",
        """create or replace view report_completeness as
select r.report_id, r.source_uri, r.template, r.report_year,
       count(t.table_name) as tables_found,
       coalesce(sum(t.cells_expected), 0) as cells_expected,
       coalesce(sum(t.cells_read), 0) as cells_read,
       coalesce(sum(t.cells_blank), 0) as cells_blank,
       coalesce(sum(t.cells_in_doubt), 0) as cells_in_doubt,
       coalesce(sum(t.identities_held), 0) as identities_held,
       coalesce(sum(t.identities_failed), 0) as identities_failed,
       round(coalesce(sum(t.cells_read + t.cells_blank), 0)
             / nullif(sum(t.cells_expected), 0), 4) as share_read,
       r.template = 'gb2019' and count(t.table_name) = 3
         and sum(t.cells_read + t.cells_blank) = sum(t.cells_expected)
         and sum(t.identities_failed) = 0 as fully_read
from reports r left join table_reads t using (report_id)
group by r.report_id, r.source_uri, r.template, r.report_year""",
    ]),
    (4, "where each identity guess came from, and the issuer's finer kind", [
        # title | issuer | text | hint | page | url: users filter on how far to trust a region
        "alter table reports add column if not exists region_source varchar",
        # government | general_office | department | township | zone (issuer_type stays coarse)
        "alter table reports add column if not exists issuer_kind varchar",
        "alter table reports add column if not exists issuer_source varchar",
    ]),
    (5, "run status, last good data of failing sources, redirects", [
        # running (or killed: a later run marks it interrupted), finished, failed
        "alter table runs add column if not exists status varchar",
        "alter table runs add column if not exists error varchar",
        "update runs set status = 'finished' where status is null",
        # ok, failed (the last attempt failed: the report is the last good one) or missing
        # (gone from the folder it was found in)
        "alter table report_sources add column if not exists status varchar",
        "alter table report_sources add column if not exists error varchar",
        "alter table report_sources add column if not exists failed_at timestamp",
        "update report_sources set status = 'ok' where status is null",
        "alter table fetches add column if not exists final_url varchar",
    ]),
    # 5-19 are left to other work in flight; this line's migrations start at 20
    (20, "for analysts: data tests, vocabularies, derived definitions, report scope", [
        """create table if not exists data_tests (
            run_id varchar, tested_at timestamp, test varchar not null, kind varchar not null
              check (kind in ('unique', 'not_null', 'accepted_values', 'relationship',
                              'expression')),
            table_name varchar, column_name varchar,
            status varchar not null check (status in ('pass', 'fail', 'error')),
            failing_rows bigint, detail varchar)""",
        """create table if not exists vocabularies (
            table_name varchar, column_name varchar, value varchar, meaning varchar,
            primary key (table_name, column_name, value))""",
        """create table if not exists derived_definitions (
            code varchar, template varchar check (template in ('legacy', 'gb2019')),
            name_zh varchar, name_en varchar, numerator varchar, denominator varchar,
            caveat varchar, primary key (code, template))""",
        """create table if not exists report_scope (
            report_id varchar primary key,
            scope varchar not null check (scope in ('own', 'area', 'unknown')),
            evidence varchar, rules_version varchar)""",
    ]),
]


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> list[int]:
    """Bring a warehouse up to the latest schema (or to `upto`); returns the versions applied."""
    con.execute("""create table if not exists schema_migrations (
        version integer primary key, description varchar, applied_at timestamp)""")
    have = {r[0] for r in con.execute("select version from schema_migrations").fetchall()}
    applied: list[int] = []
    for version, description, statements in MIGRATIONS:
        if version in have or (upto is not None and version > upto):
            continue
        con.execute("begin transaction")
        try:
            for sql in statements:
                con.execute(sql)
            con.execute("insert into schema_migrations values (?, ?, now())",
                        [version, description])
            con.execute("commit")
        except BaseException:
            try:  # after an I/O error DuckDB has ended the transaction itself: keep that error
                con.execute("rollback")
            except duckdb.Error:
                pass
            raise
        applied.append(version)
    return applied
