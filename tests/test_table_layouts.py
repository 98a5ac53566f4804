"""Tables of the national template and legacy statistical tables in the layouts real copies
take (TEMPLATES.md, "Hazards seen in real reports"): every cell right, and where the printed
characters allow several readings that the arithmetic cannot tell apart, no metric at all."""
from __future__ import annotations

import pytest

from flows.stages import WorkItem, run_all
from tests.corpus import make_report
from tests.corpus.layouts import (to_cell_paragraphs, to_markdown_placeholders, to_pipe_rows,
                                  to_traditional_mirror)
from tests.test_national import _assert_every_cell

VERSIONS = {"gb2019": 2020, "gb2021": 2021}


def _run(text: str, name: str = "r.txt") -> tuple[dict, dict, list, list[dict], list[dict]]:
    it = run_all([WorkItem(source_uri=name, data=text.encode("utf-8"))])[0]
    assert it.error is None, it.error
    r = it.result
    got = {(m["indicator_code"], m["breakdown"], m["period"]): m for m in r.metrics}
    return got, r.report, r.checks, r.observations, r.table_reads


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("render", [to_pipe_rows, to_markdown_placeholders,
                                    to_traditional_mirror], ids=lambda f: f.__name__)
def test_every_cell_in_every_text_layout(version, render):
    report = make_report(version, seed=11, year=VERSIONS[version])
    got, rep, checks, _, reads = _run(render(report))
    _assert_every_cell(report, got)
    assert [c for c in checks if c["status"] == "fail"] == []
    by_table = {r["table_name"]: r for r in reads}
    assert set(by_table) == {"table2", "table3", "table4"}
    for r in reads:  # every printed cell of every table read, nothing in doubt
        assert r["cells_in_doubt"] == 0 and r["identities_failed"] == 0, r
        assert r["cells_read"] + r["cells_blank"] == r["cells_expected"], r
    assert by_table["table3"]["identities_held"] > 20


@pytest.mark.parametrize("version", list(VERSIONS))
def test_one_cell_per_paragraph(version):
    """Official sites that flatten a table into paragraphs: rows are found by their labels."""
    report = make_report(version, seed=5, year=VERSIONS[version])
    got, _, _, _, reads = _run(to_cell_paragraphs(report))
    _assert_every_cell(report, got)
    assert {r["table_name"] for r in reads} == {"table2", "table3", "table4"}


CELL_PER_LINE = """一、总体情况
2019年，我局共主动公开政府信息600条。
二、主动公开政府信息情况
第二十条第(一)项 |
||||
信息内容 |
本年新 |
本年新 |
对外公开总数量 |
|
规章 |
0 |
0 |
0 |
|
规范性文件 |
1 |
1 |
3 |
|
第二十条第(六)项 |
||||
信息内容 |
上一年项目数量 |
本年增/减 |
处理决定数量 |
|
行政处罚 |
|
+239 |
239 |
|
行政强制 |
—— |
-2 |
10 |
|
三、收到和处理政府信息公开申请情况
申请人情况 |
自然人 |
法人或其他组织 |
总计 |
商业企业 |
科研机构 |
社会公益组织 |
法律服务机构 |
其他 |
一、本年新收政府信息公开申请数量 |
5 |
1 |
0 |
0 |
1 |
0 |
7 |
||
二、上年结转政府信息公开申请数量 |
1 |
0 |
0 |
0 |
0 |
0 |
1 |
||
"""


def test_cell_per_line_with_empty_cells_and_signed_changes():
    """Mirror pages: one cell per line ending in a pipe, a lone pipe for an empty cell, a
    signed change (+239, -2), a dash for an empty cell; none shifts the next figure."""
    got, _, _, _, reads = _run(CELL_PER_LINE)
    v = {k: m["value"] for k, m in got.items()}
    assert v[("normative_docs.issued", "", "year")] == 1
    assert v[("normative_docs.published_new", "", "year")] == 1
    assert v[("normative_docs.public_total", "", "year")] == 3
    assert ("penalties.items_prev", "", "year") not in v  # printed empty
    assert v[("penalties.items_change", "", "year")] == 239
    assert v[("penalties.decisions", "", "year")] == 239
    assert ("coercion.items_prev", "", "year") not in v  # a dash is empty, not zero
    assert v[("coercion.items_change", "", "year")] == -2
    assert v[("coercion.decisions", "", "year")] == 10
    for b, x in zip(("natural_person", "business", "research", "social_org", "legal_service",
                     "other_org", ""), (5, 1, 0, 0, 1, 0, 7)):
        assert v[("requests.received", b, "year")] == x
    assert v[("requests.carried_over", "natural_person", "year")] == 1
    t2 = next(r for r in reads if r["table_name"] == "table2")
    assert t2["template_version"] == "gb2019" and t2["cells_blank"] == 2


# crawler text: every blank removed, table cells run together (TEMPLATES.md)
CRAWLED = (
    "二、主动公开政府信息情况 第二十条第(一)项信息内容本年制发件数本年废止件数现行有效件数"
    "规章 000行政规范性文件693665第二十条第(五)项信息内容本年处理决定数量行政许可2293 "
    "三、收到和处理政府信息公开申请情况(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
    "申请人情况自然人法人或其他组织总计 商业企业科研机构社会公益组织法律服务机构其他"
    "一、本年新收政府信息公开申请数量640020470二、上年结转政府信息公开申请数量0000000"
    "三、本年度办理结果(一)予以公开270020130(二)部分公开(区分处理的,只计这一情形,不计其他情形)500000 5"
    "(三)不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开00000003.危及“三安全一稳定”0000000"
    "4.保护第三方合法权益00000005.属于三类内部事务信息10000016.属于四类过程性信息0000000"
    "7.属于行政执法案卷60000068.属于行政查询事项1000001(四)无法提供1.本机关不掌握相关政府信息220000325"
    "2.没有现成信息需要另行制作00000003.补正后申请内容仍不明确0000000(五)不予处理1.信访举报投诉类申请0000000"
    "2.重复申请00000003.要求提供公开出版物00000004.无正当理由大量反复申请0000000"
    "5.要求行政机关确认或重新出具已获取信息0000000(六)其他处理1.申请人无正当理由逾期不补正、"
    "行政机关不再处理其政府信息公开申请00000002.申请人逾期未按收费通知要求缴纳费用、"
    "行政机关不再处理其政府信息公开申请00000003.其他1000001(七)总计630020469"
    "四、结转下年度继续办理1000001 四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼"
    "结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计"
    "结果维持结果纠正其他结果尚未审结总计10203120001200000五、存在的主要问题及改进情况"
)


def test_run_together_digits_unique_split():
    """`640020470` holds 64 0 0 2 0 4 70: the only cut whose six requester cells add up to
    the seventh. `220000325` (本机关不掌握) has two such cuts (22…3 25 and 2 20…3 25): only the
    column sums of the whole table (总计 = the outcome rows, per column) tell which."""
    got, _, checks, obs, reads = _run("2021年度政府信息公开工作年度报告\n" + CRAWLED)
    v = {k: m["value"] for k, m in got.items()}
    cols = ("natural_person", "business", "research", "social_org", "legal_service",
            "other_org", "")
    expect = {
        "requests.received": (64, 0, 0, 2, 0, 4, 70),
        "requests.granted": (27, 0, 0, 2, 0, 1, 30),
        "requests.partially_granted": (5, 0, 0, 0, 0, 0, 5),
        "requests.denied_internal_affairs": (1, 0, 0, 0, 0, 0, 1),
        "requests.denied_enforcement_file": (6, 0, 0, 0, 0, 0, 6),
        "requests.not_held": (22, 0, 0, 0, 0, 3, 25),
        "requests.other_result": (1, 0, 0, 0, 0, 0, 1),
        "requests.answered": (63, 0, 0, 2, 0, 4, 69),
        "requests.carried_forward": (1, 0, 0, 0, 0, 0, 1),
    }
    for code, values in expect.items():
        for b, x in zip(cols, values):
            assert v[(code, b, "year")] == x, (code, b)
    for code, b in (("review.upheld", ""), ("review.other", ""), ("review.total", ""),
                    ("litigation.upheld", "direct"), ("litigation.total", "direct")):
        assert v[(code, b, "year")] == {"review.upheld": 1, "review.other": 2,
                                        "review.total": 3}.get(code, 12)
    assert v[("litigation.total", "after_review", "year")] == 0
    assert v[("rules.issued", "", "year")] == 0 and v[("licensing.decisions", "", "year")] == 2293
    split = [o for o in obs if o["indicator_code"] == "requests.not_held" and o["note"]]
    assert split and all("220000325" in o["note"] for o in split)
    assert not [c for c in checks if c["status"] == "fail"]
    t3 = next(r for r in reads if r["table_name"] == "table3")
    assert t3["layout"] == "collapsed" and t3["cells_in_doubt"] == 0
    assert t3["cells_read"] == t3["cells_expected"] == 175


def test_run_together_digits_ambiguous_split_gives_no_metric():
    """`693665` over three cells with no identity to choose: 6|93|665, 69|3|665, 69|36|65…
    fit equally. No metric for any of them; the observations keep the printed figures and
    say why."""
    got, _, _, obs, reads = _run("2021年度政府信息公开工作年度报告\n" + CRAWLED)
    for c in ("issued", "repealed", "in_force"):
        assert (f"normative_docs.{c}", "", "year") not in got
    doubt = [o for o in obs if (o["note"] or "").startswith("normative_docs.")]
    assert len(doubt) == 3
    assert all(o["indicator_code"] is None and "693665" in o["note"] and "in doubt" in o["note"]
               for o in doubt)
    t2 = next(r for r in reads if r["table_name"] == "table2")
    assert t2["cells_in_doubt"] == 3


LEGACY_CRAWLED = (
    "平潭县人民政府2012年政府信息公开工作年度报告 二、主动公开政府信息情况 2012年主动公开政府信息2026条。"
    "附件1:政府信息公开情况统计表 指标名称计量单位2012年度历年累计主动公开信息数条20263542"
    "其中:1.网站公开条179533042.政府公报公开条07受理依申请公开信息总数条2121"
    "其中:1.当面申请数条18182.传真申请数条003.电子邮件申请数条334.网上申请数条00"
    "5.信函申请数条006.其它形式申请数条00对申请的答复数条2121其中:1.同意公开答复数条1717"
    "2.同意部分公开答复数条223.否决公开答复数条22行政复议数条00行政诉讼数条00"
)


def test_legacy_table_with_run_on_item_numbers():
    """`当面申请数条18182.传真申请数`: unit 条, 本年 18, 累计 18, then item 2. The cuts that keep
    every year figure under its cumulative one and every 其中 row under its parent are taken;
    where two remain (2026|3542 or 202|63542), the figure the prose states decides."""
    got, _, _, obs, reads = _run(LEGACY_CRAWLED)
    v = {k: m["value"] for k, m in got.items()}
    expect = {"proactive.total": (2026, 3542), "proactive.website": (1795, 3304),
              "proactive.gazette": (0, 7), "requests.received": (21, 21),
              "requests.received_in_person": (18, 18), "requests.received_fax": (0, 0),
              "requests.received_email": (3, 3), "requests.received_online": (0, 0),
              "requests.received_letter": (0, 0), "requests.received_other": (0, 0),
              "requests.answered": (21, 21), "requests.granted": (17, 17),
              "requests.partially_granted": (2, 2), "requests.denied": (2, 2),
              "review.total": (0, 0), "litigation.total": (0, 0)}
    for code, (year, cum) in expect.items():
        assert v[(code, "", "year")] == year, code
        assert v[(code, "", "cumulative")] == cum, code
    legacy = next(r for r in reads if r["table_name"] == "legacy")
    assert legacy["cells_read"] == legacy["cells_expected"] == 32
    assert legacy["identities_failed"] == 0
    prose_decided = [o for o in obs if "prose" in (o["note"] or "")]
    assert prose_decided  # the 2026|3542 cut is settled by the sentence stating 2026


def test_legacy_table_spaced_with_one_empty_cell():
    """Space-separated cells; a row printing one figure gives its 本年 figure only."""
    text = ("平潭综合实验区2013年政府信息公开工作年度报告 二○一四年一月十日 政府信息公开情况统计表 "
            "指标名称 计量单位 2013年度 历年累计 主动公开信息数 条 72804 76424 其中:1、网站公开 条 72804 "
            "76424 2、政府公报公开 条 0 受理依申请公开信息总数 条 0 0 其中:1、当面申请数 条 0 0 "
            "行政复议数 件 0 0 行政申诉、举报数 件 0 0 附件下载")
    got, _, _, _, reads = _run(text)
    v = {k: m["value"] for k, m in got.items()}
    assert v[("proactive.total", "", "year")] == 72804
    assert v[("proactive.website", "", "cumulative")] == 76424
    assert v[("proactive.gazette", "", "year")] == 0
    assert ("proactive.gazette", "", "cumulative") not in v
    assert v[("grievances.total", "", "cumulative")] == 0
    legacy = next(r for r in reads if r["table_name"] == "legacy")
    assert legacy["layout"] == "spaced" and legacy["cells_read"] == 13
    assert legacy["cells_expected"] == 14  # the 累计 of 政府公报公开 was left empty


def test_html_table_with_spans_reports_what_it_read():
    """A portal's real table (rowspan/colspan, &nbsp; cells): the grid's cells keep their
    places, and the coverage says which were read and which printed empty."""
    from tests.test_real_layouts import shanghai_like_page

    it = run_all([WorkItem(source_uri="sh.html", data=shanghai_like_page())])[0]
    reads = {r["table_name"]: r for r in it.result.table_reads}
    assert reads["table3"]["layout"] == "grid"
    assert reads["table3"]["cells_blank"] >= 10  # the &nbsp; cells
    assert reads["table3"]["cells_in_doubt"] == 0
    assert reads["table4"]["cells_read"] == 6 and reads["table4"]["cells_blank"] == 9


MIXED = (
    "2025年度政府信息公开工作年度报告 三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项"
    "之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    "一、本年新收政府信息公开申请数量20 0 0 0 02二、上年结转政府信息公开申请数量0 0 0 0 0 00"
    "三、本年度办理结果（一）予以公开1 0 0 0 0 01（二）部分公开（区分处理的，只计这一情形，不计其他情形）00 0 0 0 00"
    "（七）总计2 0 0 0 0 02 四、结转下年度继续办理0 0 0 0 0 00四、政府信息公开行政复议、行政诉讼情况"
)


def test_blanks_lost_between_some_cells():
    """A copy that kept most blanks but lost a few (`20 0 0 0 02` is 2 0 0 0 0 0 2): a cut of
    joined digits is taken only where the row's own arithmetic confirms it."""
    got, _, _, _, reads = _run(MIXED)
    v = {k: m["value"] for k, m in got.items()}
    cols = ("natural_person", "business", "research", "social_org", "legal_service",
            "other_org", "")
    for code, values in {"requests.received": (2, 0, 0, 0, 0, 0, 2),
                         "requests.carried_over": (0,) * 7,
                         "requests.granted": (1, 0, 0, 0, 0, 0, 1),
                         "requests.answered": (2, 0, 0, 0, 0, 0, 2),
                         "requests.carried_forward": (0,) * 7}.items():
        for b, x in zip(cols, values):
            assert v[(code, b, "year")] == x, (code, b)
    t3 = next(r for r in reads if r["table_name"] == "table3")
    assert t3["cells_in_doubt"] == 0 and t3["identities_failed"] == 0


def test_a_cut_nothing_confirms_is_not_taken():
    """Table 2 has no arithmetic: `行政处罚 12 5` over three columns may be a blank cell or a
    cut 1|2|5; nothing tells, so no figure of the row is taken (cells in doubt)."""
    text = ("2019年政府信息公开工作年度报告 二、主动公开政府信息情况\n第二十条第(六)项\n"
            "信息内容 上一年项目数量 本年增/减 处理决定数量\n行政处罚 12 5\n行政强制 0 0 0\n"
            "三、收到和处理政府信息公开申请情况\n")
    got, _, _, obs, _ = _run(text)
    assert not any(k[0].startswith("penalties.") for k in got)
    assert got[("coercion.decisions", "", "year")]["value"] == 0
    assert any((o["note"] or "").startswith("penalties.decisions: in doubt") for o in obs)


def test_too_many_readings_leaves_cells_in_doubt():
    """Sixty run-together digits over seven cells have too many cuts to settle: the row's cells
    are in doubt (no metric), and the rest of the table is still read."""
    text = CRAWLED.replace("二、上年结转政府信息公开申请数量0000000",
                           "二、上年结转政府信息公开申请数量" + "123456789" * 7)
    got, _, _, obs, reads = _run("2021年度政府信息公开工作年度报告\n" + text)
    assert not any(k[0] == "requests.carried_over" for k in got)
    assert any((o["note"] or "").startswith("requests.carried_over: in doubt") for o in obs)
    assert got[("requests.received", "natural_person", "year")]["value"] == 64
    t3 = next(r for r in reads if r["table_name"] == "table3")
    assert t3["cells_in_doubt"] >= 7
