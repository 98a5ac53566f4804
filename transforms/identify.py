"""Who reports, for which year, in which format: the identifying columns of `reports`.

Each field comes from the strongest evidence the text offers, and stays NULL when there is none.
Whose report it is (issuer, region) is read by `transforms.reporter`, which keeps where each
guess came from; this module adds the title, the year covered, the signing date and the template.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from transforms.numbers import cn_to_number
from transforms.places import ISSUER_TYPE, Place
from transforms.regions import MUNICIPALITIES, candidates, find_names, province_of
from transforms.reporter import find_reporter

_TITLE_WORDS = re.compile(r"(年度报告|工作报告|年报|工作汇报|年度工作报告)")
_CN_YEAR = re.compile(r"([二〇○零一三四五六七八九]{4})年")
_DATE_CN = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_CN_WORDS = re.compile(r"([二〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月"
                            r"([一二三四五六七八九十]{1,3})日")
_DATE_ISO = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
_LABELED_DATE = re.compile(r"(?:发布日期|发布时间|日期|时间|成文日期|印发日期)\s*[:：]?\s*"
                           r"((?:19|20)\d{2}[-/.年]\s*\d{1,2}[-/.月]\s*\d{1,2}日?)")
_GB2021 = ("本年制发件数", "本年废止件数", "现行有效件数", "逾期不补正", "逾期未按收费通知")
_GB2019 = ("本年新收政府信息公开申请数量", "第二十条第(一)项", "第二十条第(五)项",
           "收到和处理政府信息公开申请情况", "本年新制作数量", "对外公开总数量", "结转下年度继续办理",
           "申请人情况", "本年度办理结果")
_GB2019_TRIAL = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
# compiled once: identify runs per report, and patterns built per call (the issuer's region
# pattern, one per region) churned re's cache and recompiled the [\u4e00-\u9fff] ones (~3 ms each)
_PUNCT = re.compile(r"[。:,;]")
# a line that is a sentence (本报告是根据…编制的…年度报告。) is no title
_SENTENCE = re.compile(r"。|^(?:本报告|根据|依据|按照)")
_PREV_TITLE_END = re.compile(r"\d{4}年$|政府$|局$")
_LINE_TITLE_END = re.compile(r"(\d{4}年|年度|政府|局|委|办公室|厅|公开工作)$")
_TITLE_IN_TEXT = re.compile(r"(?:编制|公布|发布)了?([\u4e00-\u9fff]{2,20}?(?:19|20)\d{2}\s*年度?"
                            r"(?:政府信息公开|政务公开)[\u4e00-\u9fff]{0,6}?(?:年度报告|工作报告))")
_YEAR_WORD = re.compile(r"((?:19|20)\d{2})\s*年")
_STAT_PERIOD = re.compile(r"统计期限[^。]{0,10}?((?:19|20)\d{2})年")
_STAT_SPAN = re.compile(r"(?:起止时间|统计时间|时间跨度)[^。]{0,8}?((?:19|20)\d{2})年\s*1月\s*1日")
_JAN_FIRST = re.compile(r"((?:19|20)\d{2})年1月1日[起至到]")
_YEAR_REPORT = re.compile(r"((?:19|20)\d{2})\s*年度?(?:本级|全市|全区|全县|全省)?(?:政府信息公开|政务公开)"
                          r"[^。]{0,8}(?:年度报告|工作报告|年报)")
_FIRST_YEAR = re.compile(r"条例(?:》)?(?:实施|施行)(?:的)?第一(?:个)?年|条例(?:》)?施行的第一个年度")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_TOWNSHIP_BODY = re.compile(r"(镇|乡|街道)(人民政府|办事处)")
_PROVINCE_GOV = re.compile(r"(?<![\u4e00-\u9fff]{2}[市县区])省人民政府|^省人民政府|省政府办公厅")
_PREFECTURE_GOV = re.compile(r"(市|州|盟)人民政府")
_COUNTY_GOV = re.compile(r"(县|区|旗)人民政府")
_QUOTED = re.compile(r"《[^》]{0,100}》")
_NATIONAL_WORDS = re.compile(r"国务院|中央|国家")
_LEGACY = ("统计指标", "申请答复数", "依申请公开情况", "主动公开情况", "依申请公开政府信息",
           "主动公开政府信息情况", "答复数", "否决公开")


@dataclass
class Identity:
    title: str | None = None
    region_name: str | None = None
    region_code: str | None = None
    province: str | None = None
    admin_level: str | None = None
    issuer: str | None = None
    issuer_type: str | None = None  # government | department | other (the contract's)
    issuer_kind: str | None = None  # government | general_office | department | township | zone
    issuer_source: str | None = None  # title | text | hint
    region_source: str | None = None  # title | issuer | text | hint | page | url
    report_year: int | None = None
    published_on: date | None = None
    template: str = "unknown"
    template_version: str | None = None
    notes: list[str] = field(default_factory=list)


def find_title(text: str, hint: str | None) -> str | None:
    # a markdown heading's marks are not part of the title
    lines = [ln.strip().lstrip("#").strip() for ln in text.split("\n", 40)[:40] if ln.strip()]
    for i, ln in enumerate(lines):
        if "|" in ln or len(ln) > 70 or _SENTENCE.search(ln):
            continue
        if ":" in ln and _TITLE_WORDS.search(ln.rsplit(":", 1)[1]):
            ln = ln.rsplit(":", 1)[1].strip()
        if _TITLE_WORDS.search(ln) and ("公开" in ln or "政务" in ln):
            prev = lines[i - 1] if i else ""
            if prev and len(prev) <= 30 and not _TITLE_WORDS.search(prev) and \
                    not _PUNCT.search(prev) and _PREV_TITLE_END.search(prev):
                return prev + ln
            return ln
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt and len(ln) <= 30 and _TITLE_WORDS.search(nxt) and "公开" in ln + nxt and \
                not _PUNCT.search(ln + nxt) and _LINE_TITLE_END.search(ln):
            return ln + nxt
    if hint and _TITLE_WORDS.search(hint):
        return hint
    m = _TITLE_IN_TEXT.search(text[:2000])
    if m and not m.group(1).startswith(("我", "本")):  # 编制我单位2021年…: a sentence, no title
        return m.group(1)
    return None


def _year_candidates(text: str, title: str | None) -> int | None:
    if title:
        m = _YEAR_WORD.search(title)
        if m:
            return int(m.group(1))
        m = _CN_YEAR.search(title)
        if m:
            v = cn_to_number(m.group(1).replace("〇", "零").replace("○", "零"))
            digits = "".join(str("零一二三四五六七八九".find(c)) if c not in "〇○" else "0"
                             for c in m.group(1))
            if digits.isdigit():
                return int(digits)
            if v:
                return int(v)
    head = text[:3000]
    m = _STAT_PERIOD.search(head) or _STAT_SPAN.search(head) or _JAN_FIRST.search(head)
    if m:
        return int(m.group(1))
    m = _YEAR_REPORT.search(head)
    if m:
        return int(m.group(1))
    if _FIRST_YEAR.search(text):
        return 2008
    counts: dict[int, int] = {}
    for y in _ANY_YEAR.findall(text):
        yi = int(y)
        if 2007 <= yi <= 2035:
            counts[yi] = counts.get(yi, 0) + 1
    if counts:
        return max(counts, key=lambda y: (counts[y], -y))
    return None


def _parse_date(s: str) -> date | None:
    m = _DATE_CN.search(s) or _DATE_ISO.search(s)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_CN_WORDS.search(s)
        if m:
            y = int("".join(str("零一二三四五六七八九".find(c)) if c not in "〇○" else "0"
                            for c in m.group(1)))
            mo = cn_to_number(m.group(2))
            d = cn_to_number(m.group(3))
            if mo and d:
                return date(y, int(mo), int(d))
    except ValueError:
        return None
    return None


def find_published(text: str, report_year: int | None, hint: str | None,
                   signed: str | None = None) -> date | None:
    """The date under the signature (a line that is only a date, else the date after the
    signing body), else a labelled date near the top, else the page's date."""
    def plausible(d: date | None) -> bool:
        return d is not None and (report_year is None or report_year <= d.year <= report_year + 2)

    # a line that is only a date: the signature of the report. Both date forms end in 日, so
    # only the lines holding one are looked at (not every line of the report), in order.
    found: date | None = None
    at = text.find("日")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        ln = text[start:end].strip()
        if len(ln) <= 20:
            cand = ln.replace(" ", "")
            if _DATE_CN.fullmatch(cand) or _DATE_CN_WORDS.fullmatch(cand):
                d = _parse_date(cand)
                if plausible(d):
                    found = d
        at = text.find("日", end)
    if found:
        return found
    if signed:
        d = _parse_date(signed.replace(" ", ""))
        if plausible(d):
            return d
    for m in _LABELED_DATE.finditer(text[:2000]):
        d = _parse_date(m.group(1))
        if plausible(d):
            return d
    if hint:
        d = _parse_date(hint)
        if plausible(d):
            return d
    return None


def find_template(text: str, report_year: int | None) -> tuple[str, str | None]:
    compact = text.replace(" ", "")
    hits = sum(1 for k in _GB2019 if k in compact)
    if hits >= 2 or "国办公开办函〔2019〕60号" in compact or "国办公开办函〔2021〕30号" in compact:
        if any(k in compact for k in _GB2021):
            return "gb2019", "gb2021"
        if any(k in compact for k in _GB2019_TRIAL):
            return "gb2019", "gb2019"
        return "gb2019", "gb2021" if (report_year or 0) >= 2021 else "gb2019"
    if report_year is not None and report_year <= 2018:
        return "legacy", "legacy"
    if any(k in compact for k in _LEGACY):
        return "legacy", "legacy"
    return "unknown", None


def _level_from_words(s: str) -> str | None:
    if _TOWNSHIP_BODY.search(s):
        return "township"
    if _PROVINCE_GOV.search(s):
        return "province"
    if _PREFECTURE_GOV.search(s):
        return "prefecture"
    if _COUNTY_GOV.search(s):
        return "county"
    return None


def _level(place: Place | None, year: int | None) -> str | None:
    if place is None:
        return None
    if place.kind == "township":
        return "township"
    if place.division is not None:
        return "province" if place.division.name in MUNICIPALITIES else place.division.level
    if place.kind == "division":  # a name several divisions share, all of one level (鼓楼区)
        levels = {d.level for d in candidates(place.name, year)}
        return levels.pop() if len(levels) == 1 else None
    return None


def identify(text: str, title_hint: str | None = None, date_hint: str | None = None,
             hints: dict[str, str] | None = None, source_uri: str | None = None) -> Identity:
    """The identifying columns of a report; `title_hint` is the web page's <title>,
    `source_uri` where the bytes came from (read only when the text names no region)."""
    hints = hints or {}
    ident = Identity()
    ident.title = find_title(text, title_hint)
    year = _year_candidates(text, ident.title)
    if year is None and hints.get("year", "").isdigit():
        year = int(hints["year"])
    ident.report_year = year
    ident.template, ident.template_version = find_template(text, year)

    head = text[:1500]
    mentions = find_names(text, year)
    rep = find_reporter(text, ident.title, year, mentions, hints, title_hint, source_uri)
    ident.published_on = find_published(text, year, date_hint, rep.signed)
    place = rep.place
    if place is not None:
        ident.region_name = place.name
        ident.region_code = place.division.code if place.division else None
        ident.region_source = rep.region_source
    ident.province = rep.province
    if ident.province is None and place is not None and place.kind == "division":
        ident.province = province_of(place.name, year)  # 鼓楼区: unknown; 城关区…: maybe one
    if ident.province is None:
        provs: dict[str, int] = {}
        for _, _, n in mentions:
            if n.endswith(("省", "自治区")) or n in MUNICIPALITIES:
                provs[n] = provs.get(n, 0) + 1
        if provs:
            ident.province = max(provs, key=lambda p: provs[p])
    if hints.get("region_code") and not ident.region_code and (
            rep.region_source in (None, "hint") or hints.get("region") == ident.region_name):
        ident.region_code = hints["region_code"]
    ident.issuer, ident.issuer_kind, ident.issuer_source = (rep.issuer, rep.issuer_kind,
                                                            rep.issuer_source)
    ident.issuer_type = ISSUER_TYPE.get(ident.issuer_kind) if ident.issuer_kind else None
    ident.admin_level = _level(place, year)
    if ident.admin_level is None and (place is None or place.kind != "zone"):
        # the words of the report itself, not of the documents it cites (《…省人民政府…》)
        ident.admin_level = _level_from_words((ident.issuer or "") + " " + _QUOTED.sub("", head))
    if place is None and _is_central(ident.issuer, head):
        ident.admin_level = "national"
    return ident


_CENTRAL = re.compile(r"^(?:中华人民共和国)?(?:国务院[\u4e00-\u9fff]{0,10}|[\u4e00-\u9fff]{1,10}"
                      r"(?:部|总局|总署|委员会|银行|署))$")


def _is_central(issuer: str | None, head: str) -> bool:
    """A ministry or commission of the State Council reports for the whole country."""
    if not issuer or not _CENTRAL.match(issuer):
        return False
    return bool(_NATIONAL_WORDS.search(issuer + head[:600]))
