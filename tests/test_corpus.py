"""Self-test of the synthetic national-template corpus (tests/corpus).

Why: every extractor test built on this corpus trusts its answer key.  These checks make
sure the structured tables balance (R1-R4), every figure printed has a key, and each
renderer produces a document its reader can open.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.corpus import (
    BREAKDOWNS,
    NationalReport,
    ReportTable,
    make_report,
    outcome_groups,
    outcome_leaf_codes,
    to_docx,
    to_flat_text,
    to_html,
    to_pdf,
    to_spaced_text,
)

VERSIONS = ("gb2019", "gb2021")
SEEDS = range(6)
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _report(version: str, seed: int) -> NationalReport:
    year = 2020 if version == "gb2019" else 2022
    return make_report(version=version, seed=seed, year=year)


def _fig(cell) -> float:  # noqa: ANN001 - Cell
    assert cell is not None and cell.value is not None, cell
    return cell.value


def _table3_rows(table: ReportTable) -> dict[str, int]:
    """Grid row of each row label of table 3 (label = text of the cell in column 2)."""
    grid = table.grid()
    return {grid[r][2].text: r for r in range(table.header_rows, len(grid))}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_table3_balances_by_position(version: str, seed: int) -> None:
    table = _report(version, seed).table(3)
    grid = table.grid()
    assert [grid[2][c].text for c in range(3, 10)] == [
        "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    rows = _table3_rows(table)
    received = rows["一、本年新收政府信息公开申请数量"]
    carried = rows["二、上年结转政府信息公开申请数量"]
    total = rows["（七）总计"]
    forward = rows["四、结转下年度继续办理"]
    leaves = list(range(carried + 1, total))
    assert len(leaves) == len(outcome_leaf_codes(version))
    for c in range(3, 10):
        col = lambda r: _fig(grid[r][c])  # noqa: E731
        assert col(received) + col(carried) == col(total) + col(forward)  # R1
        assert col(total) == sum(col(r) for r in leaves)  # R2
    for r in range(table.header_rows, len(grid)):
        assert _fig(grid[r][9]) == sum(_fig(grid[r][c]) for c in range(3, 9))  # R3


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_expected_balances_and_matches_cells(version: str, seed: int) -> None:
    rep = _report(version, seed)
    e = rep.expected
    y = lambda code, b="": e[(code, b, "year")]  # noqa: E731
    for b in BREAKDOWNS:
        assert y("requests.received", b) + y("requests.carried_over", b) == \
            y("requests.answered", b) + y("requests.carried_forward", b)
        assert y("requests.answered", b) == sum(y(c, b) for c in outcome_leaf_codes(version))
    groups = dict(outcome_groups(version))
    for code, glabel in (("requests.denied", "（三）不予公开"),
                         ("requests.cannot_provide", "（四）无法提供"),
                         ("requests.not_processed", "（五）不予处理")):
        for b in BREAKDOWNS:
            assert rep.derived[(code, b, "year")] == sum(y(c, b) for _, c in groups[glabel])
            assert (code, b, "year") not in e  # group headings are not stated rows
    for block in ("review", "litigation"):
        for b in (("",) if block == "review" else ("direct", "after_review", "")):
            parts = sum(y(f"{block}.{p}", b) for p in ("upheld", "corrected", "other", "pending"))
            assert parts == y(f"{block}.total", b)  # R4
    for p in ("upheld", "corrected", "other", "pending", "total"):
        assert y(f"litigation.{p}") == y(f"litigation.{p}", "direct") + \
            y(f"litigation.{p}", "after_review")
    assert all(k[2] == "year" for k in e)
    for table in rep.tables:
        for cell in table.cells():
            if cell.key and cell.key in e:
                factor = 10000 if cell.key[0].endswith(".amount") else 1
                assert e[cell.key] == pytest.approx(cell.value * factor), cell


@pytest.mark.parametrize("version", VERSIONS)
def test_every_numeric_cell_has_a_key(version: str) -> None:
    for seed in SEEDS:
        rep = _report(version, seed)
        seen = set()
        for table in rep.tables:
            for cell in table.cells():
                if NUMBER.match(cell.text):
                    assert cell.key is not None and cell.numeric, cell
                    assert cell.key in rep.expected or cell.key in rep.unmapped, cell
                    assert cell.key not in seen, cell.key
                    seen.add(cell.key)
                else:
                    assert not cell.numeric, cell
        t3 = [c for c in rep.table(3).cells() if c.numeric]
        assert len(t3) == 7 * (len(outcome_leaf_codes(version)) + 4)
        assert len([c for c in rep.table(4).cells() if c.numeric]) == 15
        if version == "gb2021":
            assert not rep.unmapped
        else:
            assert {k[0] for k in rep.unmapped} == {
                "other_services.items_prev", "other_services.items_change",
                "other_services.decisions"}


def test_versions_differ_where_the_templates_do() -> None:
    new, old = make_report("gb2021"), make_report("gb2019", year=2019)
    new_labels = {c.text for c in new.table(2).cells()}
    old_labels = {c.text for c in old.table(2).cells()}
    assert {"本年制发件数", "本年废止件数", "现行有效件数", "行政规范性文件"} <= new_labels
    assert {"本年新制作数量", "本年新公开数量", "对外公开总数量", "规范性文件",
            "政府集中采购", "其他对外管理服务事项"} <= old_labels
    assert ("requests.other_result_no_correction", "", "year") in new.expected
    assert ("requests.other_result_no_correction", "", "year") not in old.expected
    assert ("admin_fees.amount", "", "year") in new.expected
    assert ("procurement.amount", "", "year") in old.expected
    assert "2021〕30号" in new.preamble[0] and "2019〕60号" in old.preamble[0]


def test_official_headers_and_spans() -> None:
    rep = make_report()
    t3 = rep.table(3).rows
    assert (t3[0][0].text.startswith("本列数据的勾稽关系为"), t3[0][0].rowspan, t3[0][0].colspan) \
        == (True, 3, 3)
    assert (t3[0][1].text, t3[0][1].colspan) == ("申请人情况", 7)
    assert [(c.text, c.rowspan, c.colspan) for c in t3[1]] == [
        ("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)]
    t4 = rep.table(4).rows
    assert [(c.text, c.colspan) for c in t4[0]] == [("行政复议", 5), ("行政诉讼", 10)]
    assert [c.text for c in t4[1]][-2:] == ["未经复议直接起诉", "复议后起诉"]
    assert all(c.rowspan == 2 for c in t4[1][:5])
    assert rep.table(3).shape == (3 + 2 + len(outcome_leaf_codes("gb2021")) + 2, 10)
    assert rep.table(4).shape == (4, 15)


def test_numbers_are_varied_and_deterministic() -> None:
    values: list[float] = []
    fee_texts = set()
    for seed in range(12):
        rep = make_report(seed=seed)
        values += rep.expected.values()
        fee_texts.add(next(c.text for c in rep.table(2).cells()
                           if c.key and c.key[0] == "admin_fees.amount"))
    assert 0 in values and any(v >= 100 for v in values)
    assert any("." in t for t in fee_texts), fee_texts
    assert make_report(seed=7).expected == make_report(seed=7).expected
    assert make_report(seed=7).expected != make_report(seed=8).expected


def test_report_fields_and_prose() -> None:
    rep = make_report(seed=2)
    assert rep.title == "重庆市北碚区人民政府办公室2021年政府信息公开工作年度报告"
    assert rep.expected_fields == {
        "region_name": "北碚区", "report_year": 2021,
        "published_on": rep.published_on.isoformat(), "template": "gb2019",
        "issuer": "重庆市北碚区人民政府办公室"}
    d = rep.published_on
    assert rep.signature[-1] == f"{d.year}年{d.month}月{d.day}日"
    assert [s.heading[:2] for s in rep.sections] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    for seed in range(12):
        rep = make_report(seed=seed)
        six = rep.sections[5].paragraphs[0]
        fee = rep.expected[("fees.collected", "", "year")]
        m = re.search(r"收取信息处理费([\d.]+)(万元|元)", six)
        if fee == 0:
            assert "未收取信息处理费" in six and m is None
        else:
            assert m and float(m.group(1)) * (10000 if m.group(2) == "万元" else 1) == \
                pytest.approx(fee)


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
def test_html_page(charset: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    rep = make_report(seed=1)
    raw = to_html(rep, charset=charset)
    text = raw.decode("gb18030" if charset == "gb2312" else "utf-8")
    assert f'<meta charset="{charset}">' in text
    tree = LexborHTMLParser(text)
    assert tree.css_first("div.nav") and tree.css_first("div.breadcrumb")
    assert "版权所有" in tree.css_first("div.footer").text()
    assert tree.css("script")
    tables = tree.css("div.content table")
    assert len(tables) == 3
    assert tree.css("td[rowspan]") and tree.css("td[colspan]")
    for node, table in zip(tables, rep.tables):
        tds = node.css("td")
        assert [td.text(strip=True) for td in tds] == [c.text for c in table.cells()]
    corner = tables[1].css_first("td")
    assert (corner.attributes["rowspan"], corner.attributes["colspan"]) == ("3", "3")


def test_flat_text_one_cell_per_line() -> None:
    rep = make_report("gb2019", seed=4, year=2020)
    lines = to_flat_text(rep).splitlines()
    cell_lines = [ln for ln in lines if ln.endswith(" |") or ln == "|"]
    assert cell_lines == [f"{c.text} |" for t in rep.tables for c in t.cells()]
    start = lines.index("本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和 |")
    assert lines[start + 1:start + 5] == ["申请人情况 |", "自然人 |", "法人或其他组织 |", "总计 |"]
    assert "三、本年度办理结果 |" in lines and lines.count("（三）不予公开 |") == 1
    assert lines[-1] == rep.signature[-1]


def test_spaced_text_rows_on_one_line() -> None:
    rep = make_report(seed=3)
    text = to_spaced_text(rep)
    lines = text.splitlines()
    e = rep.expected
    for label, code in (("一、本年新收政府信息公开申请数量", "requests.received"),
                        ("（七）总计", "requests.answered"),
                        ("3.补正后申请内容仍不明确", "requests.unclear"),
                        ("四、结转下年度继续办理", "requests.carried_forward")):
        line = next(ln for ln in lines if label in ln)
        nums = re.split(r"\s{2,}", line.split(label, 1)[1].strip())
        assert [float(n) for n in nums] == [e[(code, b, "year")] for b in BREAKDOWNS]
    header = next(ln for ln in lines if "商业企业" in ln)
    assert re.split(r"\s{2,}", header.strip()) == [
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    paged = to_spaced_text(rep, page_lines=30)
    assert "\f" in paged and "- 2 -" in paged


def test_docx_has_merged_tables(tmp_path: Path) -> None:
    from docx import Document

    rep = make_report(seed=6)
    path = to_docx(rep, tmp_path / "report.docx")
    assert path.stat().st_size > 0
    doc = Document(str(path))
    assert len(doc.tables) == 3
    t3 = doc.tables[1]
    assert len(t3.columns) == 10
    corner = t3.cell(0, 0)
    assert corner.text.startswith("本列数据的勾稽关系为") and t3.cell(2, 2)._tc is corner._tc
    assert t3.cell(3, 0).text == "一、本年新收政府信息公开申请数量"
    assert t3.cell(3, 3).text == str(int(rep.expected[("requests.received", "natural_person",
                                                       "year")]))
    assert len(doc.tables[2].columns) == 15


def test_pdf_has_text_layer(tmp_path: Path) -> None:
    import pdfplumber

    rep = make_report("gb2019", seed=2, year=2020)
    path = to_pdf(rep, tmp_path / "report.pdf")
    assert path.stat().st_size > 0
    with pdfplumber.open(str(path)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert len(pdf.pages) >= 2
    assert "一、本年新收政府信息公开申请数量" in text
    assert "- 1 -" in text
    assert rep.signature[-1] in text
