"""The seeds as they reach us in other formats give the metrics their UTF-8 text gives.

Each seed is written by the test as a portal page (GB18030 labelled gb2312, and UTF-8), as a
PDF with a CJK font whose long lines wrap as real PDFs do, and as a Word file; the metrics are
compared key by key (report, indicator, breakdown, period, value) with the plain text's.
"""
from __future__ import annotations

import html
import io
import os
import zipfile

import pytest

from flows.stages import WorkItem, run_all
from tests.conftest import run_cli, seed_paths
from tests.test_formats import make_image_only_pdf, make_report_pdf, seed_lines

SEEDS = seed_paths()


def _metrics(data: bytes, name: str) -> dict:
    it = run_all([WorkItem(source_uri=name, data=data)])[0]
    assert it.error is None, it.error
    return {(m["indicator_code"], m["breakdown"], m["period"]): m["value"] for m in it.result.metrics}


def _lines(path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]


def to_portal_html(lines: list[str], charset: str) -> bytes:
    body = "\n".join(f"<p>{html.escape(ln)}</p>" if ln else "<p>&nbsp;</p>" for ln in lines)
    page = (f"<!DOCTYPE html><html><head><meta charset=\"{charset}\"><title>{html.escape(lines[0])}"
            "</title><script>var nav='首页';</script></head><body>"
            "<div class='nav'><a href='/'>首页</a> | <a href='/xxgk'>政府信息公开</a></div>"
            f"<div class='content'>{body}</div>"
            "<div class='footer'>版权所有:人民政府办公室 ICP备05012345号 联系电话:0000-1234567</div>"
            "</body></html>")
    return page.encode("gb18030" if charset == "gb2312" else charset)


def to_pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("b", fontName="STSong-Light", fontSize=10.5, leading=16,
                           wordWrap="CJK", firstLineIndent=21)

    def foot(canvas, doc) -> None:  # noqa: ANN001 - reportlab callback
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, 28, f"- {doc.page} -")

    story = [Paragraph(html.escape(ln), style) if ln else Spacer(1, 6) for ln in lines]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story, onFirstPage=foot, onLaterPages=foot)
    return buf.getvalue()


def to_docx(lines: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for ln in lines:
        d.add_paragraph(ln)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _agreement(base: dict, got: dict) -> float:
    same = sum(1 for k, v in base.items() if k in got and abs(got[k] - v) < 1e-6)
    return same / max(1, len(base))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_in_html_pdf_and_docx(path):
    lines = _lines(path)
    base = _metrics(path.read_bytes(), path.name)
    forms = {
        "html-gb2312": (to_portal_html(lines, "gb2312"), path.stem + ".html"),
        "html-utf8": (to_portal_html(lines, "utf-8"), path.stem + ".html"),
        "pdf": (to_pdf(lines), path.stem + ".pdf"),
        "docx": (to_docx(lines), path.stem + ".docx"),
    }
    for form, (data, name) in forms.items():
        got = _metrics(data, name)
        assert _agreement(base, got) >= 0.97, (form, sorted(set(base.items()) - set(got.items()))[:8])


def test_hostile_folder_every_input_accounted_for(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = [p for p in SEEDS if not p.name.startswith("002")][:3]
    for p in good:
        (src / p.name).write_bytes(p.read_bytes())
    pdf = make_report_pdf(seed_lines())
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    notdocx = io.BytesIO()
    with zipfile.ZipFile(notdocx, "w") as zf:
        zf.writestr("report.txt", "年度报告")
    seed_text = good[0].read_text(encoding="utf-8")
    hostile = {
        "empty.txt": b"",
        "random.bin": os.urandom(5000),
        "truncated.pdf": pdf[: len(pdf) // 3],
        "scan.pdf": make_image_only_pdf(),
        "bomb.docx": bomb.getvalue(),
        "notdocx.docx": notdocx.getvalue(),
        "news.html": "<html><body><p>今日天气晴朗，市民出行踊跃。</p></body></html>".encode("utf-8"),
        "really_a_pdf.html": pdf,  # named .html, is a PDF: read as what it is
        "nul_bytes.txt": seed_text.replace("。", "。\x00").encode("utf-8"),
        "long_line.txt": ("政府信息公开工作年度报告" + "一" * 2_000_000).encode("utf-8"),
    }
    for name, data in hostile.items():
        (src / name).write_bytes(data)
    wh, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    assert run_cli("run", str(src), "--warehouse", str(wh), "--lake", str(lake)) == 0
    import duckdb
    con = duckdb.connect(str(wh), read_only=True)
    try:
        loaded = {r[0].split("/")[-1] for r in con.execute("select source_uri from report_sources")
                  .fetchall()}
        quarantined = dict((u.split("/")[-1], r) for u, r in
                           con.execute("select source_uri, reason from quarantine").fetchall())
        good_metrics = con.execute("""select count(*) from metrics m join reports r
            using (report_id) where split_part(r.source_uri, '/', -1) like '00%'""").fetchone()[0]
    finally:
        con.close()
    names = {p.name for p in src.iterdir()}
    assert loaded | set(quarantined) == names and not (loaded & set(quarantined))
    assert {p.name for p in good} | {"nul_bytes.txt", "really_a_pdf.html"} <= loaded
    assert "scanned PDF without text layer" in quarantined["scan.pdf"]
    assert "zip bomb" in quarantined["bomb.docx"]
    assert "not a government information disclosure annual report" in quarantined["news.html"]
    assert all(len(r) > 10 for r in quarantined.values())
    expected_good = sum(len(_metrics(p.read_bytes(), p.name)) for p in good)
    assert good_metrics == expected_good
