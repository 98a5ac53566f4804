"""Who reports, for which year, in which format: the identifying columns of `reports`.

Each field comes from the strongest evidence the text offers, and stays NULL when there is none:
a region is taken only where the text names it as the reporting body (in the title, before
人民政府 or before the year of the report), never from a neighbouring word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from transforms.numbers import cn_to_number
from transforms.regions import MUNICIPALITIES, find_names, province_of, resolve

_TITLE_WORDS = re.compile(r"(年度报告|工作报告|年报|工作汇报|年度工作报告)")
_BODY_SUFFIX = (
    "人民政府办公室", "人民政府办公厅", "人民政府", "政府办公室", "政府办公厅", "政府办", "办公厅",
    "管理委员会", "管委会", "委员会", "办公室", "街道办事处", "局", "委", "厅", "署", "中心",
    "院", "所", "站", "办", "政府", "部", "总局", "总署", "银行",
)
_GOV_SUFFIX = ("人民政府", "人民政府办公室", "人民政府办公厅", "政府办公室", "政府办公厅", "政府办",
               "政府")
_COMPILED_BY = re.compile(r"由([\u4e00-\u9fff()]{3,30}?(?:" + "|".join(_BODY_SUFFIX) + r"))(?:负责)?编制")
_OTHER_SUFFIX = ("管理委员会", "管委会", "街道办事处", "镇人民政府", "乡人民政府", "开发区", "园区")
_CN_YEAR = re.compile(r"([二〇零一三四五六七八九]{4})年")
_DATE_CN = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_CN_WORDS = re.compile(r"([二〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月"
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
_PREV_TITLE_END = re.compile(r"\d{4}年$|政府$|局$")
_LINE_TITLE_END = re.compile(r"(\d{4}年|年度|政府|局|委|办公室|厅)$")
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
_SUBJECT_END = re.compile(r"(?:19|20)\d{2}\s*年|[二〇零一三四五六七八九]{4}年|政府信息公开|政务公开|关于")
_TOWNSHIP_BODY = re.compile(r"(镇|乡|街道)(人民政府|办事处)")
_TOWNSHIP_END = re.compile(r"(镇|乡|街道)(人民政府|办事处)$")
_PROVINCE_GOV = re.compile(r"(?<![\u4e00-\u9fff]{2}[市县区])省人民政府|^省人民政府|省政府办公厅")
_PREFECTURE_GOV = re.compile(r"(市|州|盟)人民政府")
_COUNTY_GOV = re.compile(r"(县|区|旗)人民政府")
_BODY_AFTER_NAME = re.compile(r"(人民政府|政府办公室|政府办|政府\d{4}年|\d{4}年(?:度)?(?:政府信息公开|政务公开))")
_GOV_AFTER_REGION = re.compile(r"[\u4e00-\u9fff]{0,12}?(?:人民政府办公室|人民政府办公厅|人民政府)")
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
    issuer_type: str | None = None
    report_year: int | None = None
    published_on: date | None = None
    template: str = "unknown"
    template_version: str | None = None
    notes: list[str] = field(default_factory=list)


def find_title(text: str, hint: str | None) -> str | None:
    lines = [ln.strip() for ln in text.split("\n", 40)[:40] if ln.strip()]
    for i, ln in enumerate(lines):
        if "|" in ln or len(ln) > 70:
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
    if m:
        return m.group(1)
    return None


def _year_candidates(text: str, title: str | None) -> int | None:
    if title:
        m = _YEAR_WORD.search(title)
        if m:
            return int(m.group(1))
        m = _CN_YEAR.search(title)
        if m:
            v = cn_to_number(m.group(1).replace("〇", "零"))
            digits = "".join(str("零一二三四五六七八九".find(c)) if c != "〇" else "0"
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
            y = int("".join(str("零一二三四五六七八九".find(c)) if c not in "〇" else "0"
                            for c in m.group(1)))
            mo = cn_to_number(m.group(2))
            d = cn_to_number(m.group(3))
            if mo and d:
                return date(y, int(mo), int(d))
    except ValueError:
        return None
    return None


def find_published(text: str, report_year: int | None, hint: str | None) -> date | None:
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


def _subject(title: str) -> str:
    """The part of a title before its year: who reports."""
    subj = _SUBJECT_END.split(title, 1)[0]
    return subj.strip(" 《》")


def _issuer(text: str, title: str | None, region: str | None) -> str | None:
    if title:
        subj = _subject(title)
        if subj.endswith(_BODY_SUFFIX) and len(subj) >= 2:
            return subj
    head = text[:1500]
    m = _COMPILED_BY.search(head)
    if m:
        return m.group(1)
    if region and title and region in title:
        # the first place the region is followed by its government (re.escape(region) + the
        # tail, searched; without compiling a pattern per region)
        at = head.find(region)
        while at >= 0:
            m = _GOV_AFTER_REGION.match(head, at + len(region))
            if m:
                return head[at:m.end()]
            at = head.find(region, at + 1)
    return None


def _issuer_type(issuer: str | None, title_subject_is_region: bool) -> str | None:
    if issuer:
        if issuer.endswith(_OTHER_SUFFIX) or _TOWNSHIP_END.search(issuer):
            return "other"
        if issuer.endswith(_GOV_SUFFIX):
            return "government"
        return "department"
    return "government" if title_subject_is_region else None


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


def identify(text: str, title_hint: str | None = None, date_hint: str | None = None,
             hints: dict[str, str] | None = None) -> Identity:
    hints = hints or {}
    ident = Identity()
    ident.title = find_title(text, title_hint)
    year = _year_candidates(text, ident.title)
    if year is None and hints.get("year", "").isdigit():
        year = int(hints["year"])
    ident.report_year = year
    ident.published_on = find_published(text, year, date_hint)
    ident.template, ident.template_version = find_template(text, year)

    head = text[:1500]
    tail = text[-800:]
    mentions = find_names(text, year)
    mentioned = {n for _, _, n in mentions}
    region: str | None = None
    # 1. the title's subject
    if ident.title:
        t_names = find_names(ident.title, year)
        if t_names:
            region = t_names[-1][2] if _same_chain(t_names, year) else t_names[0][2]
    # 2. a name written as the reporting body or before the report's year
    if region is None:
        for s, e, n in find_names(head, year) + [(s + len(text) - len(tail), e + len(text) - len(tail), n)
                                                for s, e, n in find_names(tail, year)]:
            if _BODY_AFTER_NAME.match(text[e:e + 12]):
                region = n
                break
    if region is None and hints.get("region"):
        region = hints["region"]
    ident.region_name = region
    div = resolve(region, year, mentioned) if region else None
    if div:
        ident.region_code = div.code
        ident.province = div.province
        ident.admin_level = "province" if div.name in MUNICIPALITIES else div.level
    elif region:
        ident.province = province_of(region, year)
    if ident.province is None:
        provs: dict[str, int] = {}
        for _, _, n in mentions:
            if n.endswith(("省", "自治区")) or n in MUNICIPALITIES:
                provs[n] = provs.get(n, 0) + 1
        if provs:
            ident.province = max(provs, key=lambda p: provs[p])
    if hints.get("region_code") and not ident.region_code:
        ident.region_code = hints["region_code"]
    ident.issuer = _issuer(text, ident.title, region) or hints.get("issuer")
    subject_is_region = bool(ident.title and region and
                             "".join(n for _, _, n in find_names(_subject(ident.title), year))
                             == _subject(ident.title))
    ident.issuer_type = _issuer_type(ident.issuer, subject_is_region)
    if ident.admin_level is None:
        ident.admin_level = _level_from_words((ident.issuer or "") + " " + head)
    if ident.issuer and _TOWNSHIP_END.search(ident.issuer):
        ident.admin_level = "township"
    if region is None and _is_central(ident.issuer, head):
        ident.admin_level = "national"
    return ident


_CENTRAL = re.compile(r"^(?:中华人民共和国)?(?:国务院[\u4e00-\u9fff]{0,10}|[\u4e00-\u9fff]{1,10}"
                      r"(?:部|总局|总署|委员会|银行|署))$")


def _is_central(issuer: str | None, head: str) -> bool:
    """A ministry or commission of the State Council reports for the whole country."""
    if not issuer or not _CENTRAL.match(issuer):
        return False
    return bool(_NATIONAL_WORDS.search(issuer + head[:600]))


def _same_chain(names: list[tuple[int, int, str]], year: int | None) -> bool:
    """Names in a title like 吉林市龙潭区 form a chain: the last (lowest) one is the subject."""
    return len(names) > 1 and all(b[0] == a[1] for a, b in zip(names, names[1:]))
