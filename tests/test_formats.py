"""Format readers: every input is generated here (reportlab, python-docx, openpyxl, raw bytes).

Each test checks real content at known positions: a paragraph's exact text, a cell's value at a
grid position, the reason given for a refusal.
"""
from __future__ import annotations

import io
import os
import re
import stat
import struct
import time
import zipfile
from pathlib import Path

import pytest

from extractors import sniff
from extractors.base import RawDocument, Table, Unreadable
from extractors.dispatch import read_document

SEEDS = Path(__file__).resolve().parents[1] / "data" / "samples"


# ---------------------------------------------------------------- helpers


def seed_lines(name: str = "003_75db285d8e423f19.txt", first: int = 0, last: int = 30) -> list[str]:
    """Non-empty lines of a seed report (bundled in data/samples)."""
    lines = [ln.strip() for ln in (SEEDS / name).read_text(encoding="utf-8").splitlines()
             if ln.strip()]
    return lines[first:last]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def texts(doc: RawDocument) -> list[str]:
    return [b for b in doc.blocks if isinstance(b, str)]


def tables(doc: RawDocument) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def assert_unreadable(data: bytes, pattern: str, name: str = "", **kw: object) -> str:
    with pytest.raises(Unreadable) as info:
        read_document(data, name, **kw)  # type: ignore[arg-type]
    reason = str(info.value)
    assert re.search(pattern, reason, re.I), reason
    return reason


TABLE3_ROWS = [
    ["本年新收政府信息公开申请数量", "件", "596"],
    ["上年结转政府信息公开申请数量", "件", "0"],
    ["予以公开", "件", "580"],
    ["部分公开", "件", "无"],
    ["不予公开", "件", "—"],
]


# ---------------------------------------------------------------- PDF generation

def _cjk_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def make_report_pdf(paragraphs: list[str], long_table_rows: int = 45, encrypt: object = None,
                    footer: str = "- {n} -") -> bytes:
    """A report: indented paragraphs, a ruled table with spans, a table over two pages."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    font = _cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK",
                          firstLineIndent=22)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=24, alignment=1)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")

    def page_number(canvas, doc) -> None:  # noqa: ANN001 - reportlab callback
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 28, footer.format(n=doc.page))

    story: list[object] = [Paragraph("北碚区2018年政府信息公开工作年度报告", title), Spacer(1, 8)]
    story += [Paragraph(p, body) for p in paragraphs]
    header = [["统计指标", "单位", "统计数"]]
    spanned = [["申请情况", "", ""]] + [[Paragraph(r[0], cell), r[1], r[2]] for r in TABLE3_ROWS]
    t = RLTable(header + spanned, colWidths=[250, 60, 80])
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                           ("FONTNAME", (0, 0), (-1, -1), font), ("SPAN", (0, 1), (2, 1)),
                           ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    story += [Paragraph("政府信息公开情况统计表", body), t]
    story += [Paragraph(p, body) for p in paragraphs[:3]]
    rows = [["序号", "事项", "数量"]] + [[str(i), f"第{i}项公开事项", str(i * 7)]
                                     for i in range(1, long_table_rows + 1)]
    lt = RLTable(rows, colWidths=[60, 250, 80], repeatRows=1)
    lt.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                            ("FONTNAME", (0, 0), (-1, -1), font)]))
    story += [Paragraph("附表:主动公开事项清单", body), lt, Paragraph("报告结束。", body)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="年度报告", encrypt=encrypt)
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def make_image_only_pdf() -> bytes:
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(img).rectangle([20, 20, 380, 60], fill="black")
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(img), 50, 500, width=400, height=200)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return make_report_pdf(seed_lines())


@pytest.fixture(scope="module")
def report_pdf_doc(report_pdf: bytes) -> RawDocument:
    return read_document(report_pdf, "report.html")


# ---------------------------------------------------------------- PDF tests


def test_pdf_paragraphs_are_mended_and_headings_kept(report_pdf_doc: RawDocument) -> None:
    doc = report_pdf_doc
    assert doc.media_type == "application/pdf"
    blocks = [squash(t) for t in texts(doc)]
    long_paras = [p for p in seed_lines() if len(p) > 120]
    assert len(long_paras) >= 3
    for p in long_paras:  # wrapped over 3+ lines in the PDF, one block again
        assert squash(p) in blocks, p[:40]
    assert "一、概述" in blocks  # a short heading is not glued to the next paragraph
    assert blocks[0] == "北碚区2018年政府信息公开工作年度报告"
    assert doc.title == "年度报告"


def test_pdf_page_numbers_dropped(report_pdf_doc: RawDocument) -> None:
    all_text = "\n".join(texts(report_pdf_doc))
    assert not re.search(r"-\s*\d+\s*-", all_text)


def test_pdf_ruled_table_with_span_and_single_char_cells(report_pdf_doc: RawDocument) -> None:
    grid = next(t for t in tables(report_pdf_doc) if t.rows[0][0] == "统计指标").rows
    assert grid[0] == ["统计指标", "单位", "统计数"]
    assert grid[1] == ["申请情况", "申请情况", "申请情况"]  # one cell spanning three columns
    assert grid[2] == ["本年新收政府信息公开申请数量", "件", "596"]  # wrapped cell joined
    assert grid[5][1:] == ["件", "无"]  # single CJK characters survive
    assert grid[6][2] == "—"
    body = "".join(texts(report_pdf_doc))
    assert "本年新收政府信息公开申请数量" not in body  # table text is not repeated as prose


def test_pdf_table_over_two_pages_is_merged(report_pdf_doc: RawDocument) -> None:
    lists = [t for t in tables(report_pdf_doc) if t.rows[0] == ["序号", "事项", "数量"]]
    assert len(lists) == 1
    rows = lists[0].rows
    assert len(rows) == 46  # one header + 45 rows, the repeated header dropped
    assert rows[45] == ["45", "第45项公开事项", "315"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, 46)]
    idx = report_pdf_doc.blocks.index(lists[0])
    assert report_pdf_doc.blocks[idx + 1] == "报告结束。"


def test_pdf_chinese_page_number_format_dropped() -> None:
    doc = read_document(make_report_pdf(seed_lines(last=8), long_table_rows=3,
                                        footer="第{n}页"), "x.pdf")
    assert not any(re.fullmatch(r"第\d+页", t) for t in texts(doc))


def test_pdf_unruled_table_rows_keep_column_gaps() -> None:
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, 11)
    c.drawString(60, 760, "统 计 指 标")  # a letter-spaced heading
    rows = [["申请人情况", "自然人", "商业企业", "总计"], ["本年新收政府信息公开申请数量", "590", "3", "596"]]
    for r, row in enumerate(rows):
        for k, v in enumerate(row):
            c.drawString(60 + [0, 200, 270, 350][k], 700 - r * 20, v)
    c.save()
    doc = read_document(buf.getvalue(), "t.pdf")
    assert doc.blocks == ["统计指标", "申请人情况 自然人 商业企业 总计",
                          "本年新收政府信息公开申请数量 590 3 596"]


def test_pdf_without_text_layer_is_refused() -> None:
    assert_unreadable(make_image_only_pdf(), r"^scanned PDF without text layer$", "scan.pdf")


def test_pdf_truncated(report_pdf: bytes) -> None:
    assert_unreadable(report_pdf[: len(report_pdf) // 2], r"truncated PDF", "x.pdf")


def test_pdf_encrypted_with_user_password() -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("secret", ownerPassword="owner", strength=128)
    data = make_report_pdf(seed_lines(last=4), long_table_rows=2, encrypt=enc)
    assert_unreadable(data, r"encrypted PDF.*password", "x.pdf")


def test_pdf_owner_password_only_is_readable() -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("", ownerPassword="owner", canPrint=1, canCopy=0, strength=128)
    data = make_report_pdf(seed_lines(last=4), long_table_rows=2, encrypt=enc)
    doc = read_document(data, "x.pdf")
    assert "一、概述" in texts(doc)


def test_pdf_page_cap(report_pdf: bytes) -> None:
    assert_unreadable(report_pdf, r"pages, more than the limit of 2", "x.pdf", max_pages=2)


def test_time_cap(report_pdf: bytes) -> None:
    assert_unreadable(report_pdf, r"took longer than", "x.pdf", max_seconds=1e-6)


# ---------------------------------------------------------------- HTML


NOISE_NAV = "<div class='nav'><ul><li><a href='/'>首页</a></li><li><a href='/zwgk'>政务公开目录导航</a></li></ul></div>"
NOISE_FOOT = "<div id='footer'>版权所有：重庆市北碚区人民政府 主办单位联系电话</div>"


def make_html(paragraphs: list[str], charset_label: str, extra_char: str = "") -> str:
    ps = "\n".join(f"<p style='text-indent:2em'>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset_label}">
<title>北碚区2018年政府信息公开工作年度报告_北碚区人民政府</title>
<script>var menu = "政府信息公开菜单脚本";</script><style>.x{{color:red}}</style></head>
<body>{NOISE_NAV}
<table width="1000"><tr><td class="left"><a href="#">通知公告</a><a href="#">政策解读</a>
<div class="news"><a href="#">新闻一</a> 发布日期：2024-05-06</div></td>
<td class="main"><h1>北碚区2018年政府信息公开工作年度报告{extra_char}</h1>
<div class="info">发布日期：2019-01-30　来源：区政府办</div>
<div class="TRS_Editor">{ps}
<p>收到申请情况如下表：</p>
<table border="1">
<tr><th rowspan="2">申请人情况</th><th colspan="3">法人或其他组织</th></tr>
<tr><th>商业企业</th><th>科研机构</th><th>总计</th></tr>
<tr><td>本年新收</td><td>3</td><td>0</td><td>596</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td colspan="2">2</td></tr>
<tr><td>2.其他</td><td>0</td><td>5</td></tr>
</table>
<p>表后第一段。<br>表后第二段<span>（同一段落）</span>。</p>
</div></td></tr></table>
{NOISE_FOOT}<div style="display:none">隐藏的文字不应出现</div></body></html>"""


def check_html_doc(doc: RawDocument, paragraphs: list[str]) -> None:
    assert doc.media_type == "text/html"
    assert doc.title == "北碚区2018年政府信息公开工作年度报告_北碚区人民政府"
    assert doc.date_hint == "2019-01-30"
    body = texts(doc)
    for p in paragraphs:
        assert squash(p) in [squash(t) for t in body]
    joined = "".join(body)
    for noise in ("首页", "政务公开目录导航", "版权所有", "政府信息公开菜单脚本", "隐藏的文字", "通知公告"):
        assert noise not in joined, noise
    assert body.index("表后第一段。") == body.index("表后第二段（同一段落）。") - 1
    (table,) = tables(doc)
    assert table.rows == [
        ["申请人情况", "法人或其他组织", "法人或其他组织", "法人或其他组织"],
        ["申请人情况", "商业企业", "科研机构", "总计"],
        ["本年新收", "3", "0", "596"],
        ["（三）不予公开", "1.属于国家秘密", "2", "2"],
        ["（三）不予公开", "2.其他", "0", "5"],
    ]
    # the table sits between the paragraph before it and the one after it
    i = doc.blocks.index(table)
    assert doc.blocks[i - 1] == "收到申请情况如下表：" and doc.blocks[i + 1] == "表后第一段。"
    assert "本年新收" not in joined


def test_html_gb18030_labelled_gb2312() -> None:
    paras = seed_lines(last=6)
    # 𠮷 and 喆 exist in GB18030/GBK but not in GB2312: a parser trusting the label garbles them
    data = make_html(paras, "gb2312", extra_char="（𠮷喆）").encode("gb18030")
    doc = read_document(data, "report.htm")
    check_html_doc(doc, paras)
    assert doc.encoding == "gb18030"
    assert texts(doc)[0] == "北碚区2018年政府信息公开工作年度报告（𠮷喆）"


def test_html_utf8_with_wrong_meta_charset() -> None:
    paras = seed_lines(first=2, last=8)
    data = make_html(paras, "gb2312").encode("utf-8")
    doc = read_document(data, "report.doc")  # a web page named .doc
    check_html_doc(doc, paras)
    assert doc.encoding == "utf-8"
    assert any("charset gb2312" in w for w in doc.warnings)


def test_html_layout_table_single_cell_does_not_swallow_body() -> None:
    paras = seed_lines(last=5)
    inner = "".join(f"<p>{p}</p>" for p in paras)
    html = (f"<html><body><table><tr><td>{inner}"
            "<table border=1><tr><td>指标</td><td>数量</td></tr><tr><td>申请</td><td>12</td></tr></table>"
            "</td></tr></table></body></html>")
    doc = read_document(html.encode("utf-8"), "a.html")
    assert [squash(t) for t in texts(doc)] == [squash(p) for p in paras]
    assert tables(doc)[0].rows == [["指标", "数量"], ["申请", "12"]]


def test_html_two_megabyte_single_line() -> None:
    sentence = "全年共受理政府信息公开申请2263件，其中当面申请2239件。"
    count = 2 * 1024 * 1024 // len(sentence.encode()) + 1
    body = "".join(f"<p>{sentence}</p>" for _ in range(count))
    data = f"<html><head><title>t</title></head><body><div id='zoom'>{body}</div></body></html>".encode()
    assert b"\n" not in data and len(data) > 2 * 1024 * 1024
    start = time.monotonic()
    doc = read_document(data, "big.html")
    assert time.monotonic() - start < 60  # linear, not quadratic (~0.5 s here)
    assert texts(doc) == [sentence] * count


def test_html_nested_beyond_limit_is_read_as_text() -> None:
    data = b"<html><body>" + b"<div>" * 20000 + "深层文字".encode() + b"</div>" * 20000 + b"</body></html>"
    start = time.monotonic()
    doc = read_document(data, "deep.html")
    assert time.monotonic() - start < 30  # lexbor alone needs minutes at this depth
    assert doc.blocks == ["深层文字"]
    assert "nested deeper" in doc.warnings[0]


def test_mht_archive_named_doc() -> None:
    html = make_html(seed_lines(last=3), "gb2312").encode("gb18030")
    import quopri
    mht = (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"XX\"\r\n\r\n--XX\r\n"
           b"Content-Type: text/html; charset=\"gb2312\"\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           + quopri.encodestring(html) + b"\r\n--XX--\r\n")
    assert sniff.sniff(mht, "report.doc") == sniff.MHT
    doc = read_document(mht, "report.doc")
    assert doc.date_hint == "2019-01-30"
    assert tables(doc)[0].rows[2] == ["本年新收", "3", "0", "596"]


# ---------------------------------------------------------------- DOCX


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = "北碚区年度报告"
    d.add_heading("北碚区2018年政府信息公开工作年度报告", level=1)
    for p in paragraphs[:3]:
        d.add_paragraph(p)
    t = d.add_table(rows=4, cols=4)
    t.style = "Table Grid"
    for r in range(4):
        for c in range(4):
            t.cell(r, c).text = f"r{r}c{c}"
    a = t.cell(0, 1).merge(t.cell(0, 3))  # horizontal span over three columns
    a.text = "法人或其他组织"
    b = t.cell(1, 0).merge(t.cell(3, 0))  # vertical span over three rows
    b.text = "（三）不予公开"
    d.add_paragraph("总体情况", style="List Number")
    d.add_paragraph("主动公开情况", style="List Number")
    for p in paragraphs[3:5]:
        d.add_paragraph(p)
    para = d.add_paragraph("第一行")
    para.add_run().add_break()
    para.add_run("第二行")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_order_merged_cells_and_numbering() -> None:
    paras = seed_lines(last=6)
    doc = read_document(make_docx(paras), "report.pdf")  # a .docx named .pdf
    assert doc.media_type == sniff.DOCX
    assert doc.title == "北碚区年度报告"
    b = doc.blocks
    assert b[0] == "北碚区2018年政府信息公开工作年度报告"
    assert [squash(x) for x in b[1:4]] == [squash(p) for p in paras[:3]]
    assert isinstance(b[4], Table)
    assert b[4].rows == [
        ["r0c0", "法人或其他组织", "法人或其他组织", "法人或其他组织"],
        ["（三）不予公开", "r1c1", "r1c2", "r1c3"],
        ["（三）不予公开", "r2c1", "r2c2", "r2c3"],
        ["（三）不予公开", "r3c1", "r3c2", "r3c3"],
    ]
    assert b[5:7] == ["1. 总体情况", "2. 主动公开情况"]  # automatic list numbers rendered
    assert [squash(x) for x in b[7:9]] == [squash(p) for p in paras[3:5]]
    assert b[9:] == ["第一行", "第二行"]


def test_docx_numbering_formats() -> None:
    from extractors.docx_numbering import chinese_number, format_number

    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 105)] == \
        ["一", "十", "十一", "二十", "二十一", "一百零五"]
    assert format_number(3, "decimalEnclosedCircle") == "③"
    assert format_number(4, "upperRoman") == "IV"


def test_zip_bomb_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    assert len(buf.getvalue()) < 100_000
    assert_unreadable(buf.getvalue(), r"zip bomb.*word/document\.xml expands", "bomb.docx")


def test_docx_with_entity_declarations_refused() -> None:
    data = make_docx(seed_lines(last=5))
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                body = body.replace(b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>', 1)
            zf.writestr(info, body)
    assert_unreadable(out.getvalue(), r"DTD or entities", "x.docx")


def test_zip_that_is_not_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.txt", "年度报告")
        zf.writestr("images/a.png", b"\x89PNG")
    reason = assert_unreadable(buf.getvalue(), r"zip archive that is not a Word or Excel", "x.docx")
    assert "report.txt" in reason


def test_damaged_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types")
        zf.writestr("word/document.xml", "<w:document>not xml")
    assert_unreadable(buf.getvalue(), r"damaged DOCX", "x.docx")


# ---------------------------------------------------------------- XLSX


def make_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表3 依申请公开"
    ws.append(["政府信息公开申请情况统计表"])
    ws.merge_cells("A1:D1")
    ws.append(["申请人情况", "自然人", "法人或其他组织", None])
    ws.merge_cells("C2:D2")
    ws.append([None, None, "商业企业", "科研机构"])
    ws.merge_cells("A2:A3")
    ws.append(["本年新收", 120, 3.0, 0])
    ws.append(["公开率", 0.9894, None, None])
    ws["B5"].number_format = "0.00%"
    ws2 = wb.create_sheet("说明")
    ws2["A1"] = "本表数据截至2018年12月31日"
    wb.create_sheet("空表")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_sheets_as_tables_with_merges() -> None:
    doc = read_document(make_xlsx(), "stats.bin")
    assert doc.media_type == sniff.XLSX
    first, second = tables(doc)
    assert first.caption == "表3 依申请公开"
    assert first.rows == [
        ["政府信息公开申请情况统计表"] * 4,
        ["申请人情况", "自然人", "法人或其他组织", "法人或其他组织"],
        ["申请人情况", "", "商业企业", "科研机构"],
        ["本年新收", "120", "3", "0"],
        ["公开率", "98.94%", "", ""],
    ]
    assert second.caption == "说明" and second.rows == [["本表数据截至2018年12月31日"]]


# ---------------------------------------------------------------- text, sniffing, hostile bytes


def test_text_with_nul_bytes() -> None:
    lines = seed_lines(last=3)
    data = ("\n".join(lines)).encode("gb18030")
    data = data[:10] + b"\x00\x00" + data[10:] + b"\x00" * 300
    assert sniff.sniff(data, "x.docx") == sniff.TEXT
    doc = read_document(data, "x.docx")
    assert "\x00" not in doc.plain_text
    assert squash(doc.plain_text) == squash("".join(lines))


def test_text_two_megabyte_single_line() -> None:
    unit = "依申请公开政府信息2263件。"
    data = (unit * (2 * 1024 * 1024 // len(unit.encode("utf-8")) + 1)).encode("utf-8")
    doc = read_document(data, "x.txt")
    assert doc.media_type == "text/plain" and doc.plain_text.startswith(unit * 3)
    assert len(doc.plain_text) == len(data.decode("utf-8"))


def test_empty_and_random_bytes() -> None:
    assert_unreadable(b"", r"empty file")
    rnd = os.urandom(4096)
    rnd = b"\x01\x02" + rnd[2:]  # never a magic number by chance
    assert_unreadable(rnd, r"^unrecognised binary format \(starts with 01 02", "r.pdf")
    assert_unreadable(b"\x89PNG\r\n\x1a\n" + rnd, r"unrecognised binary format \(PNG image\)")


def test_whitespace_only_text() -> None:
    assert_unreadable(b" \n\t\n  ", r"text file contains no text", "x.txt")


def test_size_cap() -> None:
    assert_unreadable(b"a" * 2000, r"file too large", "x.txt", max_bytes=1000)


def test_sniff_uses_bytes_not_name(report_pdf: bytes) -> None:
    assert sniff.sniff(report_pdf, "page.html") == sniff.PDF
    assert sniff.sniff("年度报告\n".encode("utf-8"), "report.docx") == sniff.TEXT
    assert sniff.sniff(b"<html><body><p>x</p></body></html>", "report.pdf") == sniff.HTML
    assert sniff.sniff(b"{\\rtf1\\ansi x}", "a.doc") == sniff.RTF
    assert sniff.sniff(make_xlsx(), "a.docx") == sniff.XLSX
    assert sniff.sniff(make_ole(["WordDocument", "1Table"]), "a.xls") == sniff.DOC
    assert sniff.sniff(make_ole(["WordDocument"]), "a.wps") == sniff.WPS
    assert sniff.sniff(make_ole(["Workbook"]), "a.doc") == sniff.XLS
    assert sniff.sniff("年度报告".encode("utf-16"), "") == sniff.TEXT
    prose = "".join(seed_lines(last=3)).replace(",", "，").replace("(", "（").replace(")", "）")
    prose = "".join(ch for ch in prose if not ch.isascii())
    assert sniff.sniff(prose.encode("utf-16-le"), "x.bin") == sniff.TEXT  # no BOM, no ASCII


# ---------------------------------------------------------------- legacy OLE formats


def make_ole(streams: list[str]) -> bytes:
    """A minimal valid OLE2 compound file: header, one FAT sector, one directory sector."""
    header = bytearray(512)
    header[0:8] = sniff.OLE_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIII", header, 40, 0, 1, 1, 0, 4096)  # dir sectors, FAT sectors, first dir...
    struct.pack_into("<IIII", header, 60, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    entries = b""
    for i, name in enumerate(["Root Entry", *streams][:4]):
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\0\0"
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), 5 if i == 0 else 2, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<II", e, 116, 0xFFFFFFFE, 0)
        entries += bytes(e)
    entries += b"\0" * (512 - len(entries))
    return bytes(header) + fat + entries


def test_legacy_doc_without_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert_unreadable(make_ole(["WordDocument"]), r"^legacy Word \.doc: install antiword or catdoc",
                      "a.doc")
    assert_unreadable(make_ole(["Workbook"]), r"legacy Excel \.xls: install catdoc", "a.xls")
    assert_unreadable(make_ole(["EncryptedPackage"]), r"password-protected Office", "a.docx")


def test_legacy_doc_with_antiword(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "antiword"
    script.write_text("#!/bin/sh\nprintf '一、总体情况\\n\\n|指标 |数量 |\\n|申请 |12   |\\n\\n报告结束。\\n'\n",
                      encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    doc = read_document(make_ole(["WordDocument"]), "a.doc")
    assert doc.blocks[0] == "一、总体情况"
    assert doc.blocks[1] == Table(rows=[["指标", "数量"], ["申请", "12"]])
    assert doc.blocks[2] == "报告结束。"


def test_install_script_is_valid_shell() -> None:
    import subprocess

    script = Path(__file__).resolve().parents[1] / "extractors" / "install_legacy_tools.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0


# ---------------------------------------------------------------- RTF


def test_rtf_gbk_with_table() -> None:
    def gbk(s: str) -> bytes:
        return "".join(f"\\'{b:02x}" for b in s.encode("gbk")).encode("ascii")

    rtf = (b"{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0\\fcharset134 SimSun;}}{\\*\\generator WPS;}"
           b"\\pard " + gbk("一、总体情况") + b"\\par\n"
           b"\\trowd\\clvmgf\\cellx1000\\cellx2000\\pard\\intbl " + gbk("不予公开") + b"\\cell 1\\cell\\row\n"
           b"\\trowd\\clvmrg\\cellx1000\\cellx2000\\pard\\intbl \\cell 2\\cell\\row\n"
           b"\\pard \\u25253?\\u21578?" + gbk("结束") + b"\\par}")
    doc = read_document(rtf, "report.doc")
    assert doc.blocks == ["一、总体情况", Table(rows=[["不予公开", "1"], ["不予公开", "2"]]), "报告结束"]


# ---------------------------------------------------------------- the shared test corpus


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_corpus_report_tables_match_answer_key(fmt: str, tmp_path: Path) -> None:
    """The national-template corpus (tests/corpus): every grid equals the answer key's grid."""
    corpus = pytest.importorskip("tests.corpus")
    report = corpus.make_report(version="gb2021", seed=1)
    if fmt == "html":
        data = corpus.to_html(report, charset="gb2312")
    elif fmt == "docx":
        data = corpus.to_docx(report, tmp_path / "r.docx").read_bytes()
    else:
        data = corpus.to_pdf(report, tmp_path / "r.pdf").read_bytes()  # table 3 spans pages
    doc = read_document(data, "report")
    expected = [[[c.text if c else "" for c in row] for row in t.grid()] for t in report.tables]
    assert [t.rows for t in tables(doc)] == expected
    body = [squash(t) for t in texts(doc)]
    for s in report.sections:
        assert squash(s.heading) in body
        for p in s.paragraphs:
            assert squash(p) in body
