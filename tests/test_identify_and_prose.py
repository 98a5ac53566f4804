"""Identification of reports and reading figures from sentences, on small texts."""
from __future__ import annotations

from datetime import date

from extractors.base import RawDocument
from transforms.catalog import catalog, label_key
from transforms.document import build_document
from transforms.extract import extract
from transforms.identify import identify
from transforms.numbers import find_numbers


def metrics(text: str, year: int | None = 2015) -> dict:
    doc = build_document(RawDocument("text/plain", [text]))
    return {k: (m.value, m.qualifier, m.method) for k, m in extract(doc, year).metrics.items()}


def test_region_code_from_the_division_table_of_the_report_year():
    i = identify("北碚区2018年政府信息公开工作年度报告\n……")
    assert (i.region_name, i.region_code, i.province, i.admin_level) == \
        ("北碚区", "500109", "重庆市", "county")
    old = identify("北碚区1996年政务公开工作报告\n……")
    assert old.region_code == "510215" and old.province == "四川省"  # before Chongqing existed


def test_ambiguous_name_is_settled_by_other_places_or_left_unknown():
    settled = identify("市中区2015年政府信息公开工作年度报告\n乐山市市中区人民政府办公室编制。")
    assert settled.region_name == "市中区" and settled.region_code == "511102"
    assert settled.province == "四川省"
    unsettled = identify("市中区2015年政府信息公开工作年度报告\n本区认真贯彻条例。")
    assert unsettled.region_name == "市中区" and unsettled.region_code is None


def test_short_written_forms_and_departments():
    i = identify("临夏州交通运输局2019年政府信息公开工作年度报告\n……")
    assert (i.region_name, i.region_code, i.issuer, i.issuer_type, i.admin_level) == \
        ("临夏州", "622900", "临夏州交通运输局", "department", "prefecture")
    s = identify("上海市人民政府办公厅2019年政府信息公开工作年度报告\n……")
    assert (s.region_name, s.province, s.admin_level, s.issuer_type) == \
        ("上海市", "上海市", "province", "government")
    n = identify("教育部2019年政府信息公开工作年度报告\n根据国务院办公厅要求……")
    assert n.region_name is None and n.admin_level == "national" and n.issuer == "教育部"


def test_region_stays_empty_when_the_text_does_not_name_it():
    i = identify("市政信息公开工作汇报\n现公布市人民政府年政务信息公开工作年度报告。《条例》实施第一年开局良好。"
                 "转发《广东省政务信息公开保密审查办法》。")
    assert i.region_name is None and i.region_code is None
    assert i.province == "广东省" and i.admin_level == "prefecture"
    assert i.report_year == 2008


def test_year_and_date():
    i = identify("根据条例……本报告中所列数据的统计期限自2013年1月1日起至2013年12月31日止。\n"
                 "2012年工作回顾……\n二〇一四年三月五日")
    assert i.report_year == 2013 and i.published_on == date(2014, 3, 5)
    j = identify("某县2016年政府信息公开工作年度报告\n发布日期:2017-02-10\n……")
    assert j.published_on == date(2017, 2, 10)
    k = identify("某县2016年政府信息公开工作年度报告\n时间:2022-07-07 11:16:00\n……")
    assert k.published_on is None  # a mirror site's upload date is not the report's


def test_template_detection():
    gb = identify("2021年政府信息公开工作年度报告\n本年新收政府信息公开申请数量 |\n本年度办理结果 |\n"
                  "本年制发件数 |")
    assert (gb.template, gb.template_version) == ("gb2019", "gb2021")
    assert identify("2012年政府信息公开工作年度报告").template == "legacy"


def test_numbers_in_running_text():
    got = [(n.value, n.unit, n.qualifier) for n in find_numbers(
        "经费38万元,发布信息1万余条,培训三十二期,两千余条,近百次,四川省第一次会议")]
    assert got == [(380000.0, "元", "exact"), (10000.0, "条", "approx"),
                   (32.0, "期", "exact"), (2000.0, "条", "approx")]


def test_prose_figures_map_to_codes_with_qualifiers_and_periods():
    m = metrics("二、主动公开政府信息情况\n全年主动公开政府信息2万余条,其中通过政府网站公开12500条。"
                "累计主动公开政府信息88000条。\n三、依申请公开情况\n"
                "共受理政府信息公开申请125件,其中当面申请100件,占80%;网上申请25件。"
                "同意公开110件,不同意公开15件。2011年受理申请300件。")
    assert m[("proactive.total", "", "year")] == (20000.0, "approx", "prose")
    assert m[("proactive.website", "", "year")] == (12500.0, "exact", "prose")
    assert m[("proactive.total", "", "cumulative")] == (88000.0, "exact", "prose")
    assert m[("requests.received", "", "year")][0] == 125.0  # not 2011's 300
    assert m[("requests.received_in_person", "", "year")][0] == 100.0
    assert m[("requests.received_online", "", "year")][0] == 25.0
    assert m[("requests.granted", "", "year")][0] == 110.0
    assert m[("requests.denied", "", "year")][0] == 15.0


def test_reconsideration_and_litigation_by_nearest_context():
    m = metrics("发生行政复议案件5件,其中维持具体行政行为3件,被依法纠错2件。"
                "提起行政诉讼案件4件,其中维持具体行政行为或者驳回诉讼请求4件。")
    assert m[("review.total", "", "year")][0] == 5 and m[("review.upheld", "", "year")][0] == 3
    assert m[("review.corrected", "", "year")][0] == 2
    assert m[("litigation.total", "", "year")][0] == 4
    assert m[("litigation.upheld", "", "year")][0] == 4


def test_zero_statements_and_labels_naming_two_indicators():
    m = metrics("本年度未收取任何费用。全年未发生因政府信息公开引起的行政复议和行政诉讼案件。"
                "在不予公开件中,属涉密或涉及个人隐私的5件。")
    assert m[("fees.collected", "", "year")] == (0.0, "exact", "prose")
    assert m[("review.total", "", "year")][0] == 0 and m[("litigation.total", "", "year")][0] == 0
    assert ("requests.denied_privacy", "", "year") not in m


def test_channel_sums_are_not_one_channel():
    m = metrics("通过户外政务公开栏、报纸、广播、微信微博等方式公开政府信息7230条。")
    assert ("proactive.other_channels", "", "year") not in m


def test_categories_of_proactive_items():
    m = metrics("二、主动公开政府信息情况\n其中:概况类379条,工作动态类113800条,其他信息1217条。\n"
                "三、依申请公开\n申请内容劳动就业类17件。")
    assert m[("proactive.by_category", "概况", "year")][0] == 379
    assert m[("proactive.by_category", "工作动态", "year")][0] == 113800
    assert m[("proactive.by_category", "其他", "year")][0] == 1217
    assert not any(k[0] == "proactive.by_category" and k[1] == "劳动就业" for k in m)


def test_label_keys_and_matching():
    assert label_key("(一)主动公开政府信息数 (不同渠道和方式公开相同信息计1条)") == "主动公开政府信息数"
    assert label_key("其中:⑴专职人员数") == "专职人员数"
    assert label_key("13年发生数") == "13年发生数"  # a year, not a row number
    c = catalog()
    assert c.match("对政府信息公开申请的答复数").code == "requests.answered"
    assert c.match("属于已主动公开信息的", unit="件").code == "requests.already_public"
    assert c.match("", "行政诉讼/复议后起诉/结果维持", "").code == "litigation.upheld"
    assert c.match("总计", "", "三、本年度办理结果").code == "requests.answered"


def test_dirty_copies_pinyin_and_wrapped_figures():
    """Mirror sites print pinyin beside characters; PDF copies wrap a figure onto its own line."""
    m = metrics("二、主动公开政府信息情况\n本区到年底累(lei)计主动公开政(zheng)府(fu)信息\n5928\n条,"
                "全文电子化率达\n90.3%\n,其中,本年度新增主动公开政府信息\n2110\n条。")
    assert m[("proactive.total", "", "cumulative")][0] == 5928
    assert m[("proactive.total", "", "year")][0] == 2110


def test_county_report_wording():
    m = metrics("三、依申请公开政府信息情况\n全年共受理政府信息公开申请45件。已办结45件,其中同意公开38件。"
                "全县共有信息公开工作人员56名,其中专职12名,兼职44名。举办培训班8期,培训人员420人次。"
                "全县设立政府信息公开查阅点25个,接待查阅群众1200人次。"
                "四、其他\n通过群工系统共受理群众事项9449件,已办结9362件。", 2010)
    assert m[("requests.answered", "", "year")][0] == 45  # not the 9362 群众事项
    assert m[("staff.total", "", "year")][0] == 56
    assert m[("staff.full_time", "", "year")][0] == 12 and m[("staff.part_time", "", "year")][0] == 44
    assert m[("training.sessions", "", "year")][0] == 8
    assert m[("training.attendees", "", "year")][0] == 420
    assert m[("reading_rooms.count", "", "year")][0] == 25
    assert m[("reading_rooms.visitors", "", "year")][0] == 1200


def test_figures_stated_for_part_of_the_body_are_not_its_total():
    # a county's total split by who published it: only the whole county's figure is the total
    m = metrics("2013年县直各单位主动公开政府信息3933条，占79%。各乡镇主动公开政府信息1037条，占21%。")
    assert ("proactive.total", "", "year") not in m
    m = metrics("县直各单位主动公开政府信息3933条。全县各乡镇、县直各单位共主动公开政府信息4970条。")
    assert m[("proactive.total", "", "year")] == (4970.0, "exact", "prose")
    m = metrics("县直各单位和各乡镇共主动公开政府信息4970条。")
    assert m[("proactive.total", "", "year")] == (4970.0, "exact", "prose")


def test_legacy_outcome_words_that_are_no_single_outcome():
    m = metrics("对依申请公开的答复总数21条，其中同意公开答复数17条，其它公开答复数2条，免于公开答复数2条。"
                "制作政府信息总数3978条，不予公开信息数1854条。")
    assert m[("requests.answered", "", "year")] == (21.0, "exact", "prose")
    assert m[("requests.granted", "", "year")] == (17.0, "exact", "prose")
    assert m[("requests.denied", "", "year")] == (2.0, "exact", "prose")


def test_cases_of_both_kinds_counted_together():
    # the combined count is neither kind alone; with one kind stated, the other is the rest
    m = metrics("全年共发生4起因政府信息公开申请行政复议、提起行政诉讼的案件。另外2起行政复议也已妥善处理。")
    assert m[("disputes.total", "", "year")] == (4.0, "exact", "prose")
    assert m[("review.total", "", "year")] == (2.0, "exact", "prose")
    assert m[("litigation.total", "", "year")] == (2.0, "exact", "derived")
    m = metrics("发生行政复议和行政诉讼案件3起。")
    assert m[("disputes.total", "", "year")] == (3.0, "exact", "prose")
    assert ("litigation.total", "", "year") not in m and ("review.total", "", "year") not in m
