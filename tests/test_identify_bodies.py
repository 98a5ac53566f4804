"""Whose report it is, on small documents written like real ones: the body and its region, from
the title, the first lines, the signature, the rest of the text, the page and the URL, each guess
with the evidence it came from."""
from __future__ import annotations

from datetime import date

import duckdb

from extractors.base import RawDocument
from transforms.document import build_document
from transforms.identify import Identity, identify
from warehouse.schema import migrate

FILLER = "本年度我局持续做好政府信息公开工作,及时更新公开内容,保障公众知情权。" * 60  # ~2000 chars


def ident(*lines: str, **kw) -> Identity:
    """Identify a document given as its lines, after the normalization every report gets."""
    doc = build_document(RawDocument("text/plain", list(lines)))
    return identify(doc.text, **kw)


def where(i: Identity) -> tuple:
    return (i.region_name, i.region_code, i.province, i.admin_level, i.region_source)


def who(i: Identity) -> tuple:
    return (i.issuer, i.issuer_kind, i.issuer_type, i.issuer_source)


def test_department_named_in_the_first_lines():
    i = ident("一、总体情况",
              "2025年,开平市交通运输局严格按照新修订的《中华人民共和国政府信息公开条例》规定,"
              "贯彻落实市委、市政府的工作部署。市交通运输局依托开平市政府门户网站发布信息443条。",
              "二、主动公开政府信息情况")
    assert where(i) == ("开平市", "440783", "广东省", "county", "issuer")
    assert who(i) == ("开平市交通运输局", "department", "department", "text")


def test_department_of_a_prefecture_named_by_its_short_form_in_a_traditional_mirror():
    """臨夏州 is how reports write 临夏回族自治州; the mirror's pinyin must not hide the body."""
    i = ident("臨夏州交通運(yùn)輸局2019年政府信息公開工作年度報(bào)告",
              "一、總體情況",
              "2019年,州交通運(yùn)輸局按照《中華人民共和國政府信息公開條例》規(guī)定和州委州政府要求,"
              "以州政府門戶網(wǎng)站為載體公開信息69條。")
    assert i.title == "临夏州交通运输局2019年政府信息公开工作年度报告"
    assert where(i) == ("临夏州", "622900", "甘肃省", "prefecture", "title")
    assert who(i) == ("临夏州交通运输局", "department", "department", "title")


def test_a_place_named_once_deep_in_the_text_when_the_first_lines_say_only_wo_ju():
    i = ident("一、总体情况", "2020年,我局认真贯彻落实《条例》,全年公开信息120条。", FILLER,
              "五、存在的主要问题及改进情况", "下一步,道县财政局将进一步规范公开流程。")
    assert where(i) == ("道县", "431124", "湖南省", "county", "text")
    # a bureau's report that names its district's site (我局以滨江区政府信息公开网站为平台)
    j = ident("一、主动公开政府信息的情况", FILLER,
              "2017年我局以滨江区政府信息公开网站为平台,主动公开本机构职能、领导信息。")
    assert where(j) == ("滨江区", "330108", "浙江省", "county", "text")


def test_bodies_of_two_places_name_no_region():
    i = ident("一、总体情况", "2020年,我局认真贯彻落实《条例》。", FILLER,
              "学习借鉴道县财政局、随县财政局的经验。")
    assert where(i) == (None, None, None, None, None)


def test_short_names():
    assert where(ident("道县2019年政府信息公开工作年度报告", "一、总体情况")) == \
        ("道县", "431124", "湖南省", "county", "title")
    i = ident("随县人民政府2020年政府信息公开工作年度报告", "一、总体情况")
    assert where(i) == ("随县", "421321", "湖北省", "county", "title")
    assert who(i) == ("随县人民政府", "government", "government", "title")


def test_a_short_name_inside_a_word_is_no_place():
    i = ident("2020年政府信息公开工作年度报告", "一、总体情况",
              "我县伴随县域经济发展,让群众知道县里的政策。")
    assert i.region_name is None and i.region_code is None


def test_district_named_without_its_city_is_settled_by_another_name():
    i = ident("鼓楼区2020年政府信息公开工作年度报告", "一、总体情况",
              "2020年,在福州市委、市政府的领导下,本区认真贯彻《条例》。")
    assert where(i) == ("鼓楼区", "350102", "福建省", "county", "title")
    j = ident("滨江区2020年政府信息公开工作年度报告", "根据杭州市要求,本区认真贯彻《条例》。")
    assert where(j) == ("滨江区", "330108", "浙江省", "county", "title")


def test_an_ambiguous_name_keeps_no_code():
    """Four 鼓楼区 (南京, 徐州, 开封, 福州): the name is as written, code and province unknown."""
    i = ident("鼓楼区2020年政府信息公开工作年度报告", "一、总体情况", "本区认真贯彻《条例》。")
    assert (i.region_name, i.region_code, i.province) == ("鼓楼区", None, None)
    assert i.admin_level == "county"  # all four are districts
    # a host two divisions share (开平市 in 广东, 开平区 in 唐山) names neither
    j = ident("2020年政府信息公开工作年度报告", "我局认真贯彻《条例》。",
              source_uri="http://www.kaiping.gov.cn/zwgk/post_1.html")
    assert where(j) == (None, None, None, None, None)


def test_township():
    i = ident("平阳县水头镇2008年政府信息公开工作", "年度报告",
              "如对本年报有任何疑问,请与本单位联系(地址:平阳县水头镇剧院路3号水头镇人民政府)。")
    assert where(i) == ("水头镇", None, "浙江省", "township", "title")
    assert who(i) == ("水头镇人民政府", "township", "other", "text")
    # named alone in the title: the county comes from where the text writes it before the town
    j = ident("水头镇人民政府2019年政府信息公开工作年度报告", "一、总体情况",
              "2019年,平阳县水头镇认真贯彻《条例》。")
    assert where(j) == ("水头镇", None, "浙江省", "township", "title")
    # a street office under its district's government
    k = ident("一、总体情况", "2020年我街道通过渝中区人民政府大溪沟街道办事处子网站主动公开信息19条。")
    assert where(k) == ("大溪沟街道", None, "重庆市", "township", "issuer")
    assert who(k) == ("渝中区人民政府大溪沟街道办事处", "township", "other", "text")


def test_zone_that_is_no_division():
    i = ident("平潭综合实验区2021年度政府信息公开工作年度报告",
              "本报告的电子版可在平潭综合实验区党工委管委会政府门户网站下载。")
    assert where(i) == ("平潭综合实验区", None, "福建省", None, "title")
    assert who(i) == ("平潭综合实验区党工委管委会", "zone", "other", "text")
    j = ident("平潭综合实验区管委会办公室2013年政府信息公开工作年度报告", "一、概述")
    assert who(j) == ("平潭综合实验区管委会办公室", "zone", "other", "title")


def test_url_host_page_title_and_file_name_when_the_text_names_nothing():
    text = ("2021年政府信息公开工作年度报告", "一、总体情况", "我局认真贯彻《条例》。")
    host = ident(*text, source_uri="http://www.laifeng.gov.cn/xxgk/gknb/202201/t20220124_1.shtml")
    assert where(host) == ("来凤县", "422827", "湖北省", "county", "url")
    page = ident(*text, title_hint="政务服务和大数据管理局年报_来凤县人民政府")
    assert where(page) == ("来凤县", "422827", "湖北省", "county", "page")
    portal = ident(*text, source_uri="https://www.gd.gov.cn/zwgk/a.html")
    assert where(portal) == ("广东省", "440000", "广东省", "province", "url")
    under = ident(*text, source_uri="http://yc.cq.gov.cn/bm/zwgk/a.html")  # a site under it
    assert (under.region_name, under.province) == (None, "重庆市")
    named = ident(*text, source_uri="/data/crawl/laifeng_2021_report.txt")
    assert where(named) == ("来凤县", "422827", "湖北省", "county", "url")
    folder = ident(*text, source_uri="/crawl/80613_平潭综合实验区2021年度政府信息公开工作年度报告/page.txt")
    assert where(folder) == ("平潭综合实验区", None, "福建省", None, "url")


def test_the_text_outranks_the_source():
    i = ident("道县2019年政府信息公开工作年度报告", "一、总体情况",
              source_uri="http://www.laifeng.gov.cn/a.html", hints={"region": "随县"})
    assert where(i) == ("道县", "431124", "湖南省", "county", "title")
    h = ident("2019年政府信息公开工作年度报告", "我局认真贯彻《条例》。",
              source_uri="http://www.laifeng.gov.cn/a.html", hints={"region": "随县"})
    assert where(h) == ("随县", "421321", "湖北省", "county", "hint")


def test_signature_names_the_body_and_dates_the_report():
    """A crawl's one-line text: the body and the date stand between two sentences."""
    i = ident("2012年政府信息公开工作年度报告",
              "发布时间: 2013-01-17 00:00",
              "本报告所列数据的统计期限自2012年1月1日起至2012年12月31日。……考核工作常规化。"
              " 平潭县人民政府 2013年1月16日 附件1:2012年政府信息公开情况统计表")
    assert where(i) == ("平潭县", "350128", "福建省", "county", "issuer")
    assert who(i) == ("平潭县人民政府", "government", "government", "text")
    assert i.published_on == date(2013, 1, 16)


def test_another_documents_issuer_is_not_the_reporter():
    i = ident("一、总体情况",
              "根据《福建省人民政府办公厅关于编制公布2021年政府信息公开工作年度报告有关事项的通知》,"
              "我局编制了本报告。")
    assert where(i) == (None, None, "福建省", None, None)
    assert i.issuer is None


def test_the_new_columns_are_loaded(seed_run):
    con = duckdb.connect(str(seed_run["warehouse"]), read_only=True)
    try:
        rows = con.execute("""select region_name, region_source, issuer, issuer_kind, issuer_type,
                                     issuer_source from reports order by source_uri""").fetchall()
    finally:
        con.close()
    assert rows[0] == ("巴中市", "title", "巴中市人民政府", "government", "government", "text")
    assert rows[2] == (None, None, None, None, None, None)  # the stripped copy names nothing


def test_an_old_warehouse_gains_the_columns_and_keeps_its_rows():
    con = duckdb.connect(":memory:")
    migrate(con, upto=3)
    con.execute("insert into reports (report_id, region_name) values ('a', '北碚区')")
    assert 4 in migrate(con)
    assert con.execute("select region_name, region_source, issuer_kind from reports").fetchall() \
        == [("北碚区", None, None)]
