"""Layouts seen on real government pages, reproduced compactly (structure, not content)."""
from __future__ import annotations

from flows.stages import WorkItem, run_all


def _td(text: str, rs: int = 1, cs: int = 1) -> str:
    span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    return f'<td nowrap="nowrap"{span}><p align="center">{text or "&nbsp;"}</p></td>'


def _row(*cells: str) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def shanghai_like_page() -> bytes:
    """A 2019 report page as a city portal published it: gb2019 table 2 with the amount written
    with its unit, table 3 with &nbsp; for empty cells (and one 总计 left empty), table 4 with
    empty blocks."""
    t2 = "".join([
        _row(_td("第二十条第（一）项", cs=5)),
        _row(_td("信息内容"), _td("本年新<br />制作数量"), _td("本年新<br />公开数量", cs=2),
             _td("对外公开总数量")),
        _row(_td("规章"), _td("13"), _td("13", cs=2), _td("524")),
        _row(_td("规范性文件"), _td("60"), _td("60", cs=2), _td("368")),
        _row(_td("第二十条第（九）项", cs=5)),
        _row(_td("信息内容"), _td("采购项目数量", cs=2), _td("采购总金额", cs=2)),
        _row(_td("政府集中采购"), _td("6", cs=2), _td("251000元", cs=2)),
    ])
    head = [
        _row(_td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rs=3, cs=3),
             _td("申请人情况", cs=7)),
        _row(_td("自然人", rs=2), _td("法人或其他组织", cs=5), _td("总计", rs=2)),
        _row(_td("商业企业"), _td("科研机构"), _td("社会公益组织"), _td("法律服务机构"), _td("其他")),
    ]
    t3 = "".join(head + [
        _row(_td("一、本年新收政府信息公开申请数量", cs=3), _td("821"), _td("35"), _td(""), _td(""),
             _td("2"), _td("1"), _td("859")),
        _row(_td("三、本年度办理结果", rs=3), _td("（一）予以公开", cs=2), _td("258"), _td("12"),
             _td(""), _td(""), _td("1"), _td("1"), _td("")),
        _row(_td("（三）不予公开", rs=1), _td("1.属于国家秘密"), _td("14"), _td(""), _td(""), _td(""),
             _td(""), _td(""), _td("")),
        _row(_td("（七）总计", cs=2), _td("767"), _td("35"), _td(""), _td(""), _td("2"), _td("1"),
             _td("805")),
    ])
    t4 = "".join([
        _row(_td("行政复议", cs=5), _td("行政诉讼", cs=10)),
        _row(*[_td(x, rs=2) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")],
             _td("未经复议直接起诉", cs=5), _td("复议后起诉", cs=5)),
        _row(*[_td(x) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2]),
        _row(*[_td(x) for x in ("5", "", "", "2", "7", "8", "", "", "1", "9", "", "", "", "", "")]),
    ])
    body = (
        "<p>2019年上海市人民政府办公厅政府信息公开工作年度报告</p><p>发布日期：2020-01-31</p>"
        "<p>本年度报告中所列数据统计期限从2019年1月1日到12月31日止。</p><p>一、总体情况</p>"
        "<p>市政府办公厅代表市政府共受理政府信息公开申请859件。信息公开类行政复议7件，诉讼9件，均获维持。</p>"
        f"<p>二、主动公开政府信息情况</p><table border='1'><tbody>{t2}</tbody></table>"
        f"<p>三、收到和处理政府信息公开申请情况</p><table border='1'><tbody>{t3}</tbody></table>"
        f"<p><br />四、政府信息公开行政复议、行政诉讼情况</p><table border='1'><tbody>{t4}</tbody></table>"
        "<p>五、政府信息公开工作存在的主要问题及改进情况</p><p>六、其他需要报告的事项</p><p>无。</p>"
    )
    return ("<html><head><meta charset='utf-8'><title>上海市人民政府</title></head><body>"
            "<div class='nav'>首页 | 政务公开 | 政府信息公开年报</div>"
            f"<div class='article'>{body}</div><div class='footer'>版权所有 沪ICP备12345678号</div>"
            "</body></html>").encode("utf-8")


def test_city_portal_page_with_empty_cells_and_units_in_cells():
    it = run_all([WorkItem(source_uri="sh2019.html", data=shanghai_like_page())])[0]
    assert it.error is None, it.error
    rep = it.result.report
    assert (rep["region_name"], rep["region_code"], rep["report_year"], rep["template"],
            rep["template_version"]) == ("上海市", "310000", 2019, "gb2019", "gb2019")
    assert str(rep["published_on"]) == "2020-01-31"
    v = {(m["indicator_code"], m["breakdown"], m["period"]): m["value"] for m in it.result.metrics}
    assert v[("rules.issued", "", "year")] == 13 and v[("rules.public_total", "", "year")] == 524
    assert v[("procurement.amount", "", "year")] == 251000  # written as 251000元
    assert v[("procurement.projects", "", "year")] == 6
    assert v[("requests.received", "natural_person", "year")] == 821
    assert v[("requests.received", "", "year")] == 859
    assert ("requests.received", "research", "year") not in v  # &nbsp; is missing, not zero
    assert v[("requests.granted", "natural_person", "year")] == 258
    assert ("requests.granted", "", "year") not in v  # the page left this 总计 empty
    assert v[("requests.denied_state_secret", "natural_person", "year")] == 14
    assert v[("requests.answered", "", "year")] == 805
    assert v[("review.upheld", "", "year")] == 5 and v[("review.total", "", "year")] == 7
    assert ("review.corrected", "", "year") not in v
    assert v[("litigation.total", "direct", "year")] == 9
    assert not any(k[0].startswith("litigation") and k[1] == "after_review" for k in v)
    # prose repeats table figures: received 859 and review 7 agree with their tables
    agree = [c for c in it.result.checks if c["check"] == "prose_table_agreement"]
    assert agree and all(c["status"] == "pass" for c in agree)
