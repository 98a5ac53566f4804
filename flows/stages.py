"""The pipeline's stages as plain functions over a batch of work items.

Each stage does one job (read bytes, decode, normalize, identify, extract, check) and never
raises for one bad input: it records the reason on the item, which then ends as a quarantine row.
The Prefect flow wraps each stage in a task; tests and benchmarks can call them directly.
"""
from __future__ import annotations

import hashlib
import os
import traceback
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

from extractors.base import RawDocument, Unreadable
from extractors.dispatch import read_document
from flows.timelimits import StageTimeout, call_with_time_limit
from transforms.checks import run_checks
from transforms.document import Document, build_document
from transforms.extract import Extraction, extract
from transforms.identify import Identity, identify
from transforms.table_read import table_read_rows
from warehouse.store import Batch, Quarantined, ReportResult, to_batch

EXTRACTOR_RELEASE = "1"
# far beyond any annual report (the longest real ones are a few hundred thousand characters)
MAX_TEXT_CHARS = 3_000_000
# wall-clock seconds one input may spend in each stage after reading its bytes (decode,
# normalize, identify, extract); GOVINFO_STAGE_SECONDS overrides it. Decoding also keeps its
# own budget (extractors/limits.MAX_SECONDS), checked between pages and rows. A real report
# takes milliseconds; the limit is for inputs built to be slow.
STAGE_SECONDS = 120.0
_REPORT_WORDS = ("信息公开", "政务公开", "政府信息", "依申请公开", "主动公开")
_ANNUAL_WORDS = ("年度报告", "年报", "工作报告", "工作汇报", "年度工作", "统计表", "年度", "本年")


@dataclass
class WorkItem:
    source_uri: str
    path: str | None = None  # a local file, or the raw-store file of a fetched body
    hints: dict[str, str] = field(default_factory=dict)
    declared_charset: str | None = None
    data: bytes | None = None
    sha256: str | None = None
    raw: RawDocument | None = None
    doc: Document | None = None
    ident: Identity | None = None
    result: ReportResult | None = None
    error: str | None = None

    def quarantined(self) -> Quarantined:
        return Quarantined(self.source_uri, self.sha256, self.error or "unknown failure")


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """Changes whenever the code or the catalog that turns bytes into rows changes, so that a
    re-run re-extracts old reports exactly when the output could differ."""
    h = hashlib.sha256(EXTRACTOR_RELEASE.encode())
    for pkg in ("extractors", "transforms"):
        root = files(pkg)
        for p in sorted(Path(str(root)).rglob("*")):
            if p.suffix in (".py", ".csv", ".txt") and p.is_file():
                h.update(p.name.encode())
                h.update(p.read_bytes())
    # this module chains the stages and builds the rows (what is a report, the text limit)
    here = Path(__file__)
    h.update(here.name.encode())
    h.update(here.read_bytes())
    return h.hexdigest()[:16]


def stage_seconds() -> float | None:
    """The per-input limit of the stages after decoding (None: none)."""
    raw = os.environ.get("GOVINFO_STAGE_SECONDS", "").strip()
    if not raw:
        return STAGE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        return STAGE_SECONDS
    return value if value > 0 else None


def _guard(items: list[WorkItem], stage: str, fn: Callable[[WorkItem], None],
           seconds: float | None = None) -> list[WorkItem]:
    """Run one stage on each item; a failure, a time-out or running out of memory becomes the
    item's reason for quarantine instead of an exception."""
    for it in items:
        if it.error is not None:
            continue
        try:
            call_with_time_limit(seconds, stage, fn, it)
        except Unreadable as e:
            it.error = str(e)
        except StageTimeout:  # delivered just outside the limited call: still a time-out
            it.error = f"{stage} took longer than {seconds:g} s (time limit)"
        except MemoryError:
            it.error = f"{stage}: out of memory"
        except Exception as e:  # one bad input never stops the run
            tb = traceback.extract_tb(e.__traceback__)[-1]
            it.error = (f"{stage} failed: {type(e).__name__}: {e} "
                        f"(at {Path(tb.filename).name}:{tb.lineno})")
    return items


def read_bytes(items: list[WorkItem], max_bytes: int = 50 * 1024 * 1024) -> list[WorkItem]:
    def one(it: WorkItem) -> None:
        if it.data is None:
            p = Path(it.path or it.source_uri)
            try:
                size = p.stat().st_size
            except FileNotFoundError:
                raise Unreadable("file disappeared before it could be read")
            except PermissionError:
                raise Unreadable("permission denied")
            if size > max_bytes:
                raise Unreadable(f"file too large ({size} bytes > limit {max_bytes})")
            it.data = p.read_bytes()
        it.sha256 = hashlib.sha256(it.data).hexdigest()
    return _guard(items, "read", one)


def decode(items: list[WorkItem]) -> list[WorkItem]:
    """Sniff the format, detect the encoding, and read text and tables."""
    def one(it: WorkItem) -> None:
        assert it.data is not None
        it.raw = read_document(it.data, it.source_uri, it.declared_charset)
        it.data = None  # the bytes are not needed past this point
    return _guard(items, "decode", one, stage_seconds())


def normalize(items: list[WorkItem]) -> list[WorkItem]:
    def one(it: WorkItem) -> None:
        assert it.raw is not None
        it.doc = build_document(it.raw)
        it.raw = None
        if not it.doc.text.strip():
            raise Unreadable("no text found in the document")
        if len(it.doc.text) > MAX_TEXT_CHARS:
            raise Unreadable(f"text too long for one annual report ({len(it.doc.text):,} "
                             f"characters; limit {MAX_TEXT_CHARS:,})")
    return _guard(items, "normalize", one, stage_seconds())


def _looks_like_report(text: str) -> bool:
    head = text[:6000]
    return any(w in head for w in _REPORT_WORDS) and any(w in text for w in _ANNUAL_WORDS)


def identify_reports(items: list[WorkItem]) -> list[WorkItem]:
    def one(it: WorkItem) -> None:
        assert it.doc is not None
        if not _looks_like_report(it.doc.text):
            raise Unreadable("not a government information disclosure annual report "
                             "(no 信息公开 / annual-report wording in the text)")
        it.ident = identify(it.doc.text, it.doc.title_hint, it.doc.date_hint, it.hints,
                            it.source_uri)
    return _guard(items, "identify", one, stage_seconds())


def _report_row(it: WorkItem, ex: Extraction, checks: list[dict[str, Any]]) -> dict[str, Any]:
    assert it.doc is not None and it.ident is not None
    idn = it.ident
    failed = any(c["status"] == "fail" for c in checks)
    status = "empty" if not ex.metrics else ("partial" if failed else "ok")
    return {
        "report_id": it.sha256, "source_uri": it.source_uri, "media_type": it.doc.media_type,
        "encoding": it.doc.encoding, "script": it.doc.script, "title": idn.title,
        "region_name": idn.region_name, "region_code": idn.region_code,
        "province": idn.province, "admin_level": idn.admin_level, "issuer": idn.issuer,
        "issuer_type": idn.issuer_type, "issuer_kind": idn.issuer_kind,
        "issuer_source": idn.issuer_source, "region_source": idn.region_source,
        "report_year": idn.report_year,
        "published_on": idn.published_on if isinstance(idn.published_on, date) else None,
        "template": idn.template, "template_version": idn.template_version, "status": status,
        "warnings": "; ".join(it.doc.warnings) or None, "n_chars": len(it.doc.text),
        "extractor_version": extractor_version(),
    }


def extract_metrics(items: list[WorkItem]) -> list[WorkItem]:
    """Observations, resolved metrics and the checks over them."""
    def one(it: WorkItem) -> None:
        assert it.doc is not None and it.ident is not None
        ex = extract(it.doc, it.ident.report_year, it.ident.template_version)
        checks = run_checks(ex, it.ident.template)
        rid = it.sha256
        metrics = [{
            "report_id": rid, "indicator_code": m.indicator_code, "breakdown": m.breakdown, "period": m.period,
            "value": m.value, "unit": m.unit, "qualifier": m.qualifier, "method": m.method,
            "evidence": m.evidence, "span_start": m.span_start, "span_end": m.span_end,
        } for m in ex.metrics.values()]
        observations = [{
            "report_id": rid, "obs_no": i, "label": o.label[:300], "column_label": o.column_label or None,
            "value": o.value, "unit": o.unit, "qualifier": o.qualifier, "method": o.method,
            "indicator_code": o.indicator_code, "breakdown": o.breakdown, "period": o.period,
            "span_start": o.span_start, "span_end": o.span_end, "note": o.note,
        } for i, o in enumerate(sorted(ex.observations, key=lambda o: o.span_start))]
        it.result = ReportResult(report=_report_row(it, ex, checks), metrics=metrics,
                                 observations=observations, checks=checks, text=it.doc.text,
                                 table_reads=table_read_rows(ex.table_reads))
        it.doc = None
    return _guard(items, "extract", one, stage_seconds())


def run_all(items: list[WorkItem]) -> list[WorkItem]:
    """Every stage in order: for tests and benchmarks."""
    for stage in (read_bytes, decode, normalize, identify_reports, extract_metrics):
        items = stage(items)
    return items


def fingerprint(items: list[WorkItem]) -> list[WorkItem]:
    """The sha256 of each input, without keeping its bytes: enough to skip what is loaded.

    The bytes are read again where the batch is worked on (from the page cache), so that the
    flow never ships document bytes to a worker process or cluster."""
    items = read_bytes(items)
    for it in items:
        it.data = None
    return items


def run_batch(items: list[WorkItem]) -> Batch:
    """Every CPU stage of one batch, returned as columns: what a worker sends back.

    One task per batch for the whole chain, because documents are large and their intermediate
    forms (decoded text, tables, spans) are larger: only the rows to load cross to the writer.
    Items that already failed (in `fingerprint`) pass through to the quarantine. Each document
    goes through every stage before the next one starts, so a worker holds one document's
    decoded text, tables and spans at a time, not a whole batch's."""
    # copies: under the thread runner the caller's items are the flow's own list of every
    # input, and results left on them would keep the whole corpus in memory until the end
    items = [done for it in items for done in run_all([replace(it)])]
    results = [i.result for i in items if i.error is None and i.result is not None]
    return to_batch(results, [i.quarantined() for i in items if i.error is not None])
