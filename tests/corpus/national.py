"""Synthetic annual reports in the national standard template (gb2019 / gb2021).

Why this exists: the seeds (bundled in ``data/samples``) are five real reports, mostly legacy
prose. The extractor also has to read the four fixed tables of the 2019 and 2021 national formats
in every shape they reach us (portal HTML, mirror-site flattened text, ``pdftotext -layout``
text, Word, PDF).  Real documents of that kind come without an answer key; these come with
one.  ``make_report`` builds one structured report whose tables balance, and ``expected``
says, cell by cell, what a correct extractor must produce.  The renderers then turn the
same report into each document format, so a failure can be traced to the format and not
to the numbers.

Everything is deterministic for a given (version, seed, region, issuer, year).
"""

from __future__ import annotations

import html
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterator

Key = tuple[str, str, str]
"""(indicator_code, breakdown, period) — the grain of the ``metrics`` table."""

VERSIONS = ("gb2019", "gb2021")

#: Table 3 requester columns in template order; the 总计 column is breakdown ''.
REQUESTERS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("business", "商业企业"),
    ("research", "科研机构"),
    ("social_org", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
)
BREAKDOWNS: tuple[str, ...] = tuple(code for code, _ in REQUESTERS) + ("",)

CORNER_TEXT = "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"

#: Outcome groups of table 3 row 三: (group label, [(leaf label, code)]).  A group with a
#: single leaf whose label is None is a one-row group (label spans two columns).
_DENIED = [
    ("1.属于国家秘密", "requests.denied_state_secret"),
    ("2.其他法律行政法规禁止公开", "requests.denied_law_prohibited"),
    ("3.危及“三安全一稳定”", "requests.denied_security_stability"),
    ("4.保护第三方合法权益", "requests.denied_third_party"),
    ("5.属于三类内部事务信息", "requests.denied_internal_affairs"),
    ("6.属于四类过程性信息", "requests.denied_process_info"),
    ("7.属于行政执法案卷", "requests.denied_enforcement_file"),
    ("8.属于行政查询事项", "requests.denied_admin_inquiry"),
]
_CANNOT = [
    ("1.本机关不掌握相关政府信息", "requests.not_held"),
    ("2.没有现成信息需要另行制作", "requests.need_create"),
    ("3.补正后申请内容仍不明确", "requests.unclear"),
]
_NOT_PROCESSED = [
    ("1.信访举报投诉类申请", "requests.not_processed_petition"),
    ("2.重复申请", "requests.not_processed_duplicate"),
    ("3.要求提供公开出版物", "requests.not_processed_publication"),
    ("4.无正当理由大量反复申请", "requests.not_processed_massive"),
    ("5.要求行政机关确认或重新出具已获取信息", "requests.not_processed_confirm"),
]
_OTHER_2021 = [
    ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
     "requests.other_result_no_correction"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
     "requests.other_result_no_fee"),
    ("3.其他", "requests.other_result"),
]


def outcome_groups(version: str) -> list[tuple[str, list[tuple[str | None, str]]]]:
    """The outcome rows of table 3 for a template version, in template order.

    Why a function: gb2019 and gb2021 differ only in （六）其他处理, and both the generator
    and the self-test need the same list (R2 sums exactly these leaves).
    """
    other: list[tuple[str | None, str]] = (
        list(_OTHER_2021) if version == "gb2021" else [(None, "requests.other_result")]
    )
    return [
        ("（一）予以公开", [(None, "requests.granted")]),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
         [(None, "requests.partially_granted")]),
        ("（三）不予公开", list(_DENIED)),
        ("（四）无法提供", list(_CANNOT)),
        ("（五）不予处理", list(_NOT_PROCESSED)),
        ("（六）其他处理", other),
    ]


def outcome_leaf_codes(version: str) -> list[str]:
    """Codes of every outcome leaf row (the addends of R2) for a template version."""
    return [code for _, leaves in outcome_groups(version) for _, code in leaves]


#: Sums a checker can compute from table 3 that the template does not state as a row.
GROUP_SUMS: dict[str, str] = {
    "requests.denied": "（三）不予公开",
    "requests.cannot_provide": "（四）无法提供",
    "requests.not_processed": "（五）不予处理",
}

REVIEW_COLS: tuple[tuple[str, str], ...] = (
    ("结果维持", "upheld"),
    ("结果纠正", "corrected"),
    ("其他结果", "other"),
    ("尚未审结", "pending"),
    ("总计", "total"),
)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Cell:
    """One table cell as it sits in the HTML: spanned-over slots have no Cell.

    ``key`` is set on every numeric cell whose figure maps to an indicator; ``value`` is the
    figure in the unit the cell shows (万元 for money), ``text`` what is printed.
    """

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    key: Key | None = None
    value: float | None = None

    @property
    def numeric(self) -> bool:
        """True for a data cell holding a figure (mapped to an indicator or not)."""
        return self.value is not None


@dataclass(frozen=True)
class PlacedCell:
    """A cell with its top-left grid position, after resolving rowspan/colspan."""

    row: int
    col: int
    cell: Cell


@dataclass
class ReportTable:
    """A template table: rows of cells in HTML order (a spanned cell appears once).

    ``header_rows`` counts the leading header rows (repeated on PDF page breaks); table 2
    has none because its block headings sit between data rows.
    """

    number: int
    rows: list[list[Cell]]
    header_rows: int = 0
    caption: str = ""

    def placed(self) -> list[PlacedCell]:
        """Resolve spans with the HTML table algorithm; why: DOCX, PDF and the spaced text
        need grid coordinates, the HTML and the flat text only the row lists."""
        taken: set[tuple[int, int]] = set()
        out: list[PlacedCell] = []
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                out.append(PlacedCell(r, c, cell))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, c + dc))
                c += cell.colspan
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the resolved grid."""
        placed = self.placed()
        n_rows = max(p.row + p.cell.rowspan for p in placed)
        n_cols = max(p.col + p.cell.colspan for p in placed)
        return n_rows, n_cols

    def grid(self) -> list[list[Cell | None]]:
        """Full grid where every slot holds the cell covering it (None if uncovered).

        Why: arithmetic checks by position (R3 along a row, R1/R2 down a column) are easiest
        on a rectangular grid.
        """
        n_rows, n_cols = self.shape
        g: list[list[Cell | None]] = [[None] * n_cols for _ in range(n_rows)]
        for p in self.placed():
            for dr in range(p.cell.rowspan):
                for dc in range(p.cell.colspan):
                    g[p.row + dr][p.col + dc] = p.cell
        return g

    def cells(self) -> Iterator[Cell]:
        """Every cell once, in document order."""
        for row in self.rows:
            yield from row


@dataclass
class Section:
    """One of the six numbered sections: heading, prose, and the table it carries."""

    heading: str
    paragraphs: list[str]
    table: ReportTable | None = None
    table_intro: str = ""


@dataclass
class NationalReport:
    """A generated report plus its answer key.

    - ``expected``: (code, breakdown, period) -> value in canonical units, for every mapped
      numeric cell of tables 2-4, the litigation.* '' sums (the pipeline must output them,
      method derived) and fees.collected (stated in prose of section 六).
    - ``derived``: sums a checker could compute but no cell states (requests.denied,
      requests.cannot_provide, requests.not_processed per breakdown; litigation.* '').
    - ``unmapped``: figures in cells the catalog has no code for (gb2019 其他对外管理服务事项),
      keyed with a made-up ``other_services.*`` code so tests can still account for them.
    - ``expected_fields``: the ``reports`` columns the pipeline must fill.
    """

    version: str
    seed: int
    region: str
    issuer: str
    year: int
    title: str
    published_on: date
    preamble: list[str]
    sections: list[Section]
    signature: list[str]
    expected: dict[Key, float] = field(default_factory=dict)
    derived: dict[Key, float] = field(default_factory=dict)
    unmapped: dict[Key, float] = field(default_factory=dict)
    expected_fields: dict[str, object] = field(default_factory=dict)

    @property
    def tables(self) -> list[ReportTable]:
        """Tables 2, 3, 4 in document order."""
        return [s.table for s in self.sections if s.table is not None]

    def table(self, number: int) -> ReportTable:
        """The table with the template number 2, 3 or 4."""
        for t in self.tables:
            if t.number == number:
                return t
        raise KeyError(number)


# --------------------------------------------------------------------------- numbers


def _fmt_amount(wan: Decimal) -> str:
    """万元 as a report prints it: no trailing zeros, no exponent (12.5, 0.35, 86)."""
    s = format(wan, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _random_wan(rng: random.Random, zero_p: float = 0.2) -> Decimal:
    """A money figure in 万元 with the mix of shapes seen in reports."""
    roll = rng.random()
    if roll < zero_p:
        return Decimal(0)
    shape = rng.choice(("int", "one", "two", "small"))
    if shape == "int":
        return Decimal(rng.randint(1, 900))
    if shape == "one":
        return Decimal(rng.randint(11, 9999)) / Decimal(10)
    if shape == "two":
        return Decimal(rng.randint(101, 999999)) / Decimal(100)
    return Decimal(rng.randint(1, 99)) / Decimal(100)


def _yuan(wan: Decimal) -> float:
    """万元 -> yuan as the warehouse stores it."""
    return float(wan * 10000)


def _count(rng: random.Random, lo: int, hi: int, zero_p: float = 0.0) -> int:
    """An integer in [lo, hi], zero with probability zero_p."""
    if zero_p and rng.random() < zero_p:
        return 0
    return rng.randint(lo, hi)


def _num(value: float, key: Key | None, text: str | None = None, colspan: int = 1) -> Cell:
    """A numeric data cell."""
    if text is None:
        text = str(int(value)) if float(value).is_integer() else str(value)
    return Cell(text=text, colspan=colspan, key=key, value=float(value))


def _lbl(text: str, rowspan: int = 1, colspan: int = 1, header: bool = False) -> Cell:
    """A label or header cell."""
    return Cell(text=text, rowspan=rowspan, colspan=colspan, header=header)


def _y(code: str, breakdown: str = "") -> Key:
    return (code, breakdown, "year")


# --------------------------------------------------------------------------- tables


def _table2_gb2021(rng: random.Random) -> ReportTable:
    """Table 2 of 国办公开办函〔2021〕30号: 制发/废止/现行有效, decisions, fee amount."""
    rules_in_force = _count(rng, 1, 40, zero_p=0.6)
    nd_in_force = rng.randint(5, 260)
    rows: list[list[Cell]] = [
        [_lbl("第二十条第（一）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("本年制发件数", header=True),
         _lbl("本年废止件数", header=True), _lbl("现行有效件数", header=True)],
        [_lbl("规章"),
         _num(_count(rng, 1, 5, zero_p=0.8) if rules_in_force else 0, _y("rules.issued")),
         _num(_count(rng, 1, 3, zero_p=0.8) if rules_in_force else 0, _y("rules.repealed")),
         _num(rules_in_force, _y("rules.in_force"))],
        [_lbl("行政规范性文件"),
         _num(_count(rng, 1, 45, zero_p=0.1), _y("normative_docs.issued")),
         _num(_count(rng, 1, 30, zero_p=0.35), _y("normative_docs.repealed")),
         _num(nd_in_force, _y("normative_docs.in_force"))],
        [_lbl("第二十条第（五）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("本年处理决定数量", colspan=3, header=True)],
        [_lbl("行政许可"),
         _num(_count(rng, 10, 38000, zero_p=0.05), _y("licensing.decisions"), colspan=3)],
        [_lbl("第二十条第（六）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("本年处理决定数量", colspan=3, header=True)],
        [_lbl("行政处罚"),
         _num(_count(rng, 1, 6500, zero_p=0.1), _y("penalties.decisions"), colspan=3)],
        [_lbl("行政强制"),
         _num(_count(rng, 1, 300, zero_p=0.3), _y("coercion.decisions"), colspan=3)],
        [_lbl("第二十条第（八）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True),
         _lbl("本年收费金额（单位：万元）", colspan=3, header=True)],
    ]
    wan = _random_wan(rng, zero_p=0.15)
    rows.append([_lbl("行政事业性收费"),
                 Cell(text=_fmt_amount(wan), colspan=3, key=_y("admin_fees.amount"),
                      value=float(wan))])
    return ReportTable(number=2, rows=rows, header_rows=0)


def _table2_gb2019(rng: random.Random) -> ReportTable:
    """Table 2 of the 2019 trial format (国办公开办函〔2019〕60号): 新制作/新公开/对外公开总数量,
    项目数量 and 增/减, procurement."""

    def triple_prev_change_decisions(prefix: str | None, label: str, big: int) -> list[Cell]:
        prev = rng.randint(0, 400)
        change = rng.choice((0, 0, rng.randint(1, 25), -rng.randint(1, min(prev, 20) or 1)))
        change = max(change, -prev)
        decisions = _count(rng, 1, big, zero_p=0.1)
        def mk(suffix: str) -> Key:
            return _y(f"{prefix or 'other_services'}.{suffix}")

        return [_lbl(label), _num(prev, mk("items_prev")), _num(change, mk("items_change")),
                _num(decisions, mk("decisions"))]

    def hdr3() -> list[Cell]:
        return [_lbl("信息内容", header=True), _lbl("上一年项目数量", header=True),
                _lbl("本年增/减", header=True), _lbl("处理决定数量", header=True)]

    rules_total = _count(rng, 1, 40, zero_p=0.6)
    nd_total = rng.randint(5, 300)
    nd_new = _count(rng, 1, 45, zero_p=0.1)
    rows: list[list[Cell]] = [
        [_lbl("第二十条第（一）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("本年新制作数量", header=True),
         _lbl("本年新公开数量", header=True), _lbl("对外公开总数量", header=True)],
    ]
    r_new = _count(rng, 1, 5, zero_p=0.8) if rules_total else 0
    rows.append([_lbl("规章"), _num(r_new, _y("rules.issued")),
                 _num(r_new, _y("rules.published_new")),
                 _num(rules_total, _y("rules.public_total"))])
    rows.append([_lbl("规范性文件"), _num(nd_new, _y("normative_docs.issued")),
                 _num(nd_new - rng.randint(0, min(2, nd_new)), _y("normative_docs.published_new")),
                 _num(nd_total, _y("normative_docs.public_total"))])
    rows += [
        [_lbl("第二十条第（五）项", colspan=4, header=True)],
        hdr3(),
        triple_prev_change_decisions("licensing", "行政许可", 38000),
        triple_prev_change_decisions(None, "其他对外管理服务事项", 3000),
        [_lbl("第二十条第（六）项", colspan=4, header=True)],
        hdr3(),
        triple_prev_change_decisions("penalties", "行政处罚", 6500),
        triple_prev_change_decisions("coercion", "行政强制", 300),
        [_lbl("第二十条第（八）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("上一年项目数量", header=True),
         _lbl("本年增/减", colspan=2, header=True)],
    ]
    fee_prev = rng.randint(0, 60)
    fee_change = max(-fee_prev, rng.choice((0, 0, 1, 2, -1, -3)))
    rows.append([_lbl("行政事业性收费"), _num(fee_prev, _y("admin_fees.items_prev")),
                 _num(fee_change, _y("admin_fees.items_change"), colspan=2)])
    rows += [
        [_lbl("第二十条第（九）项", colspan=4, header=True)],
        [_lbl("信息内容", header=True), _lbl("采购项目数量", header=True),
         _lbl("采购总金额（万元）", colspan=2, header=True)],
    ]
    projects = _count(rng, 1, 400, zero_p=0.15)
    wan = _random_wan(rng, zero_p=0.0) if projects else Decimal(0)
    rows.append([_lbl("政府集中采购"), _num(projects, _y("procurement.projects")),
                 Cell(text=_fmt_amount(wan), colspan=2, key=_y("procurement.amount"),
                      value=float(wan))])
    return ReportTable(number=2, rows=rows, header_rows=0)


def _table3_values(rng: random.Random, version: str) -> dict[str, dict[str, int]]:
    """code -> breakdown -> count for table 3, balanced by construction (R1, R2, R3).

    Why multinomial draws: the figures must look like real ones (many zeros in the rare
    reasons and small requester types, hundreds in granted / not held for natural persons)
    while the identities hold exactly.
    """
    leaves = outcome_leaf_codes(version)
    base = {
        "requests.granted": 30, "requests.partially_granted": 8,
        "requests.denied_state_secret": 0.3, "requests.denied_law_prohibited": 0.6,
        "requests.denied_security_stability": 0.3, "requests.denied_third_party": 2,
        "requests.denied_internal_affairs": 1.5, "requests.denied_process_info": 2,
        "requests.denied_enforcement_file": 1, "requests.denied_admin_inquiry": 1.5,
        "requests.not_held": 22, "requests.need_create": 5, "requests.unclear": 3,
        "requests.not_processed_petition": 3, "requests.not_processed_duplicate": 3,
        "requests.not_processed_publication": 0.5, "requests.not_processed_massive": 1,
        "requests.not_processed_confirm": 1,
        "requests.other_result_no_correction": 2, "requests.other_result_no_fee": 0.2,
        "requests.other_result": 2,
    }
    weights = {}
    for code in leaves:
        w = base[code] * rng.uniform(0.3, 2.0)
        if code not in ("requests.granted", "requests.not_held") and rng.random() < 0.3:
            w = 0.0
        weights[code] = w
    sizes = {
        "natural_person": (15, 650, 0.0),
        "business": (1, 90, 0.15),
        "research": (1, 3, 0.8),
        "social_org": (1, 6, 0.6),
        "legal_service": (1, 25, 0.35),
        "other_org": (1, 12, 0.45),
    }
    vals: dict[str, dict[str, int]] = {}

    def put(code: str, b: str, v: int) -> None:
        vals.setdefault(code, {})[b] = v

    for b, _ in REQUESTERS:
        lo, hi, zp = sizes[b]
        received = _count(rng, lo, hi, zero_p=zp)
        carried_over = _count(rng, 0, max(1, received // 8), zero_p=0.4) if received else 0
        available = received + carried_over
        carried_forward = _count(rng, 0, max(0, available // 6), zero_p=0.35)
        answered = available - carried_forward
        drawn = Counter(rng.choices(leaves, weights=[weights[c] for c in leaves], k=answered))
        put("requests.received", b, received)
        put("requests.carried_over", b, carried_over)
        for code in leaves:
            put(code, b, drawn.get(code, 0))
        put("requests.answered", b, answered)
        put("requests.carried_forward", b, carried_forward)
    for code, by_b in vals.items():
        by_b[""] = sum(by_b[b] for b, _ in REQUESTERS)
    return vals


def _table3(vals: dict[str, dict[str, int]], version: str) -> ReportTable:
    """Table 3 with the official three-row header and three label columns."""

    def nums(code: str) -> list[Cell]:
        return [_num(vals[code][b], _y(code, b)) for b in BREAKDOWNS]

    rows: list[list[Cell]] = [
        [_lbl(CORNER_TEXT, rowspan=3, colspan=3, header=True),
         _lbl("申请人情况", colspan=7, header=True)],
        [_lbl("自然人", rowspan=2, header=True),
         _lbl("法人或其他组织", colspan=5, header=True),
         _lbl("总计", rowspan=2, header=True)],
        [_lbl(label, header=True) for _, label in REQUESTERS[1:]],
        [_lbl("一、本年新收政府信息公开申请数量", colspan=3)] + nums("requests.received"),
        [_lbl("二、上年结转政府信息公开申请数量", colspan=3)] + nums("requests.carried_over"),
    ]
    groups = outcome_groups(version)
    n_result_rows = sum(len(leaves) for _, leaves in groups) + 1  # + （七）总计
    first = True
    for glabel, leaves in groups:
        for i, (leaf_label, code) in enumerate(leaves):
            row: list[Cell] = []
            if first:
                row.append(_lbl("三、本年度办理结果", rowspan=n_result_rows))
                first = False
            if leaf_label is None:
                row.append(_lbl(glabel, colspan=2))
            else:
                if i == 0:
                    row.append(_lbl(glabel, rowspan=len(leaves)))
                row.append(_lbl(leaf_label))
            rows.append(row + nums(code))
    rows.append([_lbl("（七）总计", colspan=2)] + nums("requests.answered"))
    rows.append([_lbl("四、结转下年度继续办理", colspan=3)] + nums("requests.carried_forward"))
    return ReportTable(number=3, rows=rows, header_rows=3)


def _table4(rng: random.Random) -> tuple[ReportTable, dict[str, dict[str, int]]]:
    """Table 4: one row of 15 figures, three blocks each balancing (R4)."""

    def block(scale: int) -> dict[str, int]:
        if rng.random() < 0.3:
            parts = [0, 0, 0, 0]
        else:
            parts = [_count(rng, 1, scale, zero_p=0.3), _count(rng, 1, max(1, scale // 4), zero_p=0.6),
                     _count(rng, 1, max(1, scale // 3), zero_p=0.5),
                     _count(rng, 1, max(1, scale // 3), zero_p=0.5)]
        d = dict(zip(("upheld", "corrected", "other", "pending"), parts))
        d["total"] = sum(parts)
        return d

    blocks = {"review": block(14), "direct": block(18), "after_review": block(6)}
    rows: list[list[Cell]] = [
        [_lbl("行政复议", colspan=5, header=True), _lbl("行政诉讼", colspan=10, header=True)],
        [_lbl(label, rowspan=2, header=True) for label, _ in REVIEW_COLS]
        + [_lbl("未经复议直接起诉", colspan=5, header=True),
           _lbl("复议后起诉", colspan=5, header=True)],
        [_lbl(label, header=True) for label, _ in REVIEW_COLS] * 2,
    ]
    data: list[Cell] = []
    for _, part in REVIEW_COLS:
        data.append(_num(blocks["review"][part], _y(f"review.{part}")))
    for b in ("direct", "after_review"):
        for _, part in REVIEW_COLS:
            data.append(_num(blocks[b][part], _y(f"litigation.{part}", b)))
    rows.append(data)
    return ReportTable(number=4, rows=rows, header_rows=3), blocks


# --------------------------------------------------------------------------- prose


def _fee_sentence(rng: random.Random, year: int) -> tuple[str, float]:
    """Sentence of section 六 about 信息处理费 and the yuan it states."""
    basis = "依据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），" if year >= 2021 else ""
    roll = rng.random()
    if roll < 0.55:
        return basis + rng.choice(("本年度未收取信息处理费。", "本机关本年度未收取信息处理费。")), 0.0
    if roll < 0.8:
        wan = Decimal(rng.choice((5, 12, 35, 50, 120))) / Decimal(100)
        return basis + f"本年度收取信息处理费{_fmt_amount(wan)}万元。", _yuan(wan)
    yuan = rng.choice((100, 260, 350, 800, 1200))
    return basis + f"本年度共收取信息处理费{yuan}元。", float(yuan)


def make_report(version: str = "gb2021", seed: int = 0, region: str = "北碚区",
                issuer: str = "重庆市北碚区人民政府办公室", year: int = 2021) -> NationalReport:
    """Build one balanced national-template report and its answer key.

    Why one structured object feeding every renderer: the answer key is computed once,
    from the same cells every format prints, so format tests compare like with like.
    The year is taken as given (a gb2019 table in a 2021 report is odd but happens).
    """
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, not {version!r}")
    rng = random.Random(f"{version}|{seed}|{region}|{issuer}|{year}")

    table2 = _table2_gb2021(rng) if version == "gb2021" else _table2_gb2019(rng)
    t3 = _table3_values(rng, version)
    table3 = _table3(t3, version)
    table4, blocks = _table4(rng)

    signed = date(year + 1, 1, rng.randint(8, 31))
    fee_text, fee_yuan = _fee_sentence(rng, year)
    doc_no = ("《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）"
              if version == "gb2021" else
              "《中华人民共和国政府信息公开工作年度报告格式（试行）》（国办公开办函〔2019〕60号）")
    title = f"{issuer}{year}年政府信息公开工作年度报告"
    preamble = [
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{doc_no}要求编制。"
        f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
        f"本报告电子版可在{region}人民政府门户网站查阅或下载。如对本报告有疑问，"
        f"请与{issuer}联系。",
    ]
    received = t3["requests.received"][""]
    carried = t3["requests.carried_over"][""]
    answered = t3["requests.answered"][""]
    forward = t3["requests.carried_forward"][""]
    lit_total = blocks["direct"]["total"] + blocks["after_review"]["total"]
    h4 = rng.choice(("四、政府信息公开行政复议、行政诉讼情况",
                     "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"))
    h5 = rng.choice(("五、存在的主要问题及改进情况", "五、存在问题及改进情况"))
    sections = [
        Section("一、总体情况", [
            f"{year}年，{issuer}坚持以人民为中心的发展思想，认真贯彻落实《条例》和上级关于政务公开"
            f"工作的部署，围绕{region}经济社会发展大局，持续深化决策、执行、管理、服务、结果公开，"
            "政府信息公开工作取得新进展。",
            "一是加强组织领导，明确分管领导和工作机构，完善信息发布审查机制。二是规范依申请公开"
            "办理流程，严格按照法定时限答复。三是强化平台建设，优化政府网站信息公开专栏。",
        ]),
        Section("二、主动公开政府信息情况", [
            f"本年度，{issuer}依托政府门户网站、政务新媒体等渠道及时主动公开政府信息，"
            "重点领域信息公开持续推进。具体情况如下：",
        ], table=table2),
        Section("三、收到和处理政府信息公开申请情况", [
            f"本年度共新收政府信息公开申请{received}件，上年结转{carried}件，办结{answered}件，"
            f"结转下年度继续办理{forward}件。具体情况如下：",
        ], table=table3),
        Section(h4, [
            f"本年度因政府信息公开工作被申请行政复议{blocks['review']['total']}件，"
            f"被提起行政诉讼{lit_total}件。具体情况如下：",
        ], table=table4),
        Section(h5, [
            "存在的主要问题：一是部分单位对政务公开工作重视程度不够，公开内容不够全面；"
            "二是政策解读形式较为单一，解读质量有待提升。",
            "改进情况：一是加强业务培训，提升工作人员业务能力；二是丰富解读形式，"
            "推行图片、图表、音视频等多样化解读；三是加强督促检查，推动公开工作落到实处。",
        ]),
        Section("六、其他需要报告的事项", [
            fee_text + rng.choice(("本年度无其他需要报告的事项。",
                                   "本机关认真落实政务公开工作要点，按要求完成各项任务。")),
        ]),
    ]
    signature = [issuer, f"{signed.year}年{signed.month}月{signed.day}日"]

    report = NationalReport(
        version=version, seed=seed, region=region, issuer=issuer, year=year, title=title,
        published_on=signed, preamble=preamble, sections=sections, signature=signature,
    )
    for table in (table2, table3, table4):
        for cell in table.cells():
            if cell.key is None or cell.value is None:
                continue
            value = cell.value
            if cell.key[0] in ("admin_fees.amount", "procurement.amount"):
                value = _yuan(Decimal(cell.text))
            if cell.key[0].startswith("other_services."):
                report.unmapped[cell.key] = value
            else:
                report.expected[cell.key] = value
    for _, part in REVIEW_COLS:
        total = float(blocks["direct"][part] + blocks["after_review"][part])
        report.expected[_y(f"litigation.{part}")] = total
        report.derived[_y(f"litigation.{part}")] = total
    report.expected[_y("fees.collected")] = fee_yuan
    groups = dict(outcome_groups(version))
    for code, glabel in GROUP_SUMS.items():
        for b in BREAKDOWNS:
            report.derived[_y(code, b)] = float(sum(t3[c][b] for _, c in groups[glabel]))
    report.expected_fields = {
        "region_name": region,
        "report_year": year,
        "published_on": signed.isoformat(),
        "template": "gb2019",
        "issuer": issuer,
    }
    return report


# --------------------------------------------------------------------------- HTML


_CSS = """body{font-family:"Microsoft YaHei",SimSun,sans-serif;margin:0}
.nav{background:#b80e12}.nav a{color:#fff;padding:0 14px;line-height:40px}
.content{width:1000px;margin:0 auto}.content table{border-collapse:collapse;margin:0 auto}
.content td{border:1px solid #000;padding:2px 4px;font-size:14px}
.footer{border-top:2px solid #b80e12;text-align:center;font-size:12px;color:#666}"""


def _html_table(table: ReportTable) -> str:
    """A table the way Word-pasted portal HTML writes it: all td, inline spans."""
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%"'
           ' style="border-collapse:collapse">', "<tbody>"]
    for row in table.rows:
        out.append("<tr>")
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            align = "center" if cell.header or cell.numeric else "left"
            text = html.escape(cell.text)
            if cell.header:
                text = f"<strong>{text}</strong>"
            out.append(f'<td{attrs} valign="middle"><p style="text-align:{align}">'
                       f'<span style="font-family:宋体;font-size:14px">{text}</span></p></td>')
        out.append("</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def to_html(report: NationalReport, charset: str = "utf-8") -> bytes:
    """A realistic government-portal page holding the report.

    Why the chrome (nav, breadcrumb, footer with 版权所有 and ICP numbers, scripts): the
    extractor must find the report inside a page full of other text and numbers.  With
    charset "gb2312" the page is labelled gb2312 but encoded GB18030, as many portals do
    (the bytes equal GB2312 unless a name holds a character outside GB2312, e.g. 𬭎, in which
    case a strict gb2312 decoder fails — the hazard this option is for).
    """
    cs = charset.lower()
    encoding = "gb18030" if cs in ("gb2312", "gbk", "gb18030") else cs
    site = f"{report.region}人民政府"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        f'<meta charset="{charset}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(report.title)}_{html.escape(site)}</title>",
        f'<meta name="ArticleTitle" content="{html.escape(report.title)}">',
        f'<meta name="PubDate" content="{report.published_on.isoformat()} 09:30">',
        f"<style>{_CSS}</style>",
        '<script src="/js/jquery.min.js"></script>',
        "</head>",
        "<body>",
        f'<div class="header"><h2>{html.escape(site)}</h2>'
        '<form class="search"><input type="text" name="q" placeholder="请输入关键字">'
        "<button>搜索</button></form></div>",
        '<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a>'
        '<a href="/zwfw/">政务服务</a><a href="/hdjl/">互动交流</a>'
        '<a href="/zjxx/">走进' + html.escape(report.region) + "</a></div>",
        '<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>'
        ' &gt; <a href="/zwgk/xxgkndbg/">政府信息公开年报</a></div>',
        '<div class="content" id="zoom">',
        f'<h1 style="text-align:center">{html.escape(report.title)}</h1>',
        f'<div class="info">发布日期：{report.published_on.isoformat()}　'
        f"来源：{html.escape(report.issuer)}　字号：[大 中 小]</div>",
    ]
    for p in report.preamble:
        parts.append(f'<p style="text-indent:2em">{html.escape(p)}</p>')
    for s in report.sections:
        parts.append(f'<p style="text-indent:2em"><strong>{html.escape(s.heading)}</strong></p>')
        for p in s.paragraphs:
            parts.append(f'<p style="text-indent:2em">{html.escape(p)}</p>')
        if s.table is not None:
            parts.append(_html_table(s.table))
    for line in report.signature:
        parts.append(f'<p style="text-align:right">{html.escape(line)}</p>')
    parts += [
        "</div>",
        '<div class="footer">'
        f"<p>主办：{html.escape(report.issuer)}　版权所有：{html.escape(site)}</p>"
        "<p>网站标识码：5001090001　渝ICP备05003300号-1　渝公网安备 50010902000123号</p>"
        "<p>联系电话：023-68211133　建议使用1920×1080分辨率浏览</p></div>",
        "<script>var _hmt=_hmt||[];(function(){var hm=document.createElement('script');"
        "hm.src='https://hm.baidu.com/hm.js?0123456789abcdef';"
        "var s=document.getElementsByTagName('script')[0];s.parentNode.insertBefore(hm,s);})();"
        "</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts).encode(encoding)


# --------------------------------------------------------------------------- texts


def _flat_cell(text: str) -> str:
    return f"{text} |" if text else "|"


def to_flat_text(report: NationalReport) -> str:
    """The mirror-site flattening of seeds 001/003: one cell per line ending " |".

    Why: copy sites strip the markup; what survives is the td order of the HTML, so a
    rowspan/colspan cell appears once and row boundaries are lost.  Empty cells are a
    lone "|".  Prose paragraphs stay one per line.
    """
    lines = [report.title]
    lines += report.preamble
    for s in report.sections:
        lines.append(s.heading)
        lines += s.paragraphs
        if s.table is not None:
            if s.table.caption:
                lines.append(s.table.caption)
            lines += [_flat_cell(cell.text) for cell in s.table.cells()]
    lines += report.signature
    return "\n".join(lines) + "\n"


def display_width(text: str) -> int:
    """Columns a string takes in a monospaced layout (CJK and full-width count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad_to(line: str, width: int) -> str:
    return line + " " * max(0, width - display_width(line))


def _spaced_table(table: ReportTable) -> list[str]:
    """Lay a table out like ``pdftotext -layout``: one line per grid row.

    A rowspan label prints on the middle row of its span (vertically centred text), which
    is where pdftotext puts it, so e.g. （三）不予公开 shares a line with 4.保护第三方合法权益.
    """
    n_rows, n_cols = table.shape
    placed = table.placed()
    widths = [4] * n_cols
    for p in placed:
        if p.cell.colspan == 1:
            widths[p.col] = max(widths[p.col], display_width(p.cell.text) + 3)
    for p in placed:
        if p.cell.colspan > 1:
            need = display_width(p.cell.text) + 3
            have = sum(widths[p.col:p.col + p.cell.colspan])
            if need > have:
                widths[p.col + p.cell.colspan - 1] += need - have
    starts = [sum(widths[:c]) for c in range(n_cols)]
    by_row: dict[int, list[PlacedCell]] = {}
    for p in placed:
        if not p.cell.text:
            continue
        by_row.setdefault(p.row + (p.cell.rowspan - 1) // 2, []).append(p)
    lines = []
    for r in range(n_rows):
        line = ""
        for p in sorted(by_row.get(r, []), key=lambda q: q.col):
            span_w = sum(widths[p.col:p.col + p.cell.colspan])
            if p.cell.numeric:
                x = starts[p.col] + span_w - 2 - display_width(p.cell.text)
            elif p.cell.header:
                x = starts[p.col] + max(0, (span_w - display_width(p.cell.text)) // 2)
            else:
                x = starts[p.col]
            x = max(x, display_width(line) + 2 if line else x)
            line = _pad_to(line, x) + p.cell.text
        lines.append(line.rstrip())
    return lines


_NO_LINE_START = set("，。、；：？！）》」』”’%")


def _wrap(text: str, width: int = 76, indent: str = "    ") -> list[str]:
    """Wrap CJK prose at a display width, first line indented.

    Why not textwrap: it counts characters and would split "193件" into "19" / "3件";
    a laid-out PDF keeps a digit run on one line and never starts a line with ，or 。.
    """
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and ch.isalnum() and tokens[-1][-1].isascii() \
                and (tokens[-1][-1].isalnum() or tokens[-1][-1] == "."):
            tokens[-1] += ch
        elif tokens and ch == "." and tokens[-1][-1].isdigit():
            tokens[-1] += ch
        elif tokens and ch in _NO_LINE_START:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    lines: list[str] = []
    line = indent
    for tok in tokens:
        if display_width(line) + display_width(tok) > width and line.strip():
            lines.append(line)
            line = ""
        line += tok
    if line.strip():
        lines.append(line)
    return lines


def to_spaced_text(report: NationalReport, page_lines: int = 0) -> str:
    """What ``pdftotext -layout`` gives for the PDF of this report.

    Each table row on one line, labels then figures separated by runs of spaces, header
    rows as words separated by spaces, prose wrapped at 76 columns (38 CJK characters).  With
    ``page_lines`` > 0 a page foot "- N -" and a form feed are inserted every that many
    lines, which can split a table (a real hazard); 0 keeps one page.
    """
    body: list[str] = [" " * 16 + report.title, ""]
    for p in report.preamble:
        body += _wrap(p)
    for s in report.sections:
        body.append(s.heading)
        for p in s.paragraphs:
            body += _wrap(p)
        if s.table is not None:
            body.append("")
            body += _spaced_table(s.table)
            body.append("")
    body.append("")
    body += [" " * 50 + line for line in report.signature]
    if page_lines <= 0:
        return "\n".join(body) + "\n"
    pages = []
    for page, start in enumerate(range(0, len(body), page_lines), start=1):
        chunk = body[start:start + page_lines] + ["", " " * 36 + f"- {page} -"]
        pages.append("\n".join(chunk) + "\n")
    return "\f".join(pages) + "\f"


# --------------------------------------------------------------------------- DOCX


def to_docx(report: NationalReport, path: str | Path) -> Path:
    """A Word file with real tables and merged cells (cell.merge), as agencies write them.

    Why merged cells matter: python-docx reports a merged cell once per grid slot it
    covers, so a reader that counts cells per row sees the label repeated.
    """
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(report.title)
    run.bold = True
    run.font.size = Pt(16)
    for p in report.preamble:
        doc.add_paragraph(p).paragraph_format.first_line_indent = Pt(22)
    for s in report.sections:
        h = doc.add_paragraph()
        h.add_run(s.heading).bold = True
        for p in s.paragraphs:
            doc.add_paragraph(p).paragraph_format.first_line_indent = Pt(22)
        if s.table is None:
            continue
        n_rows, n_cols = s.table.shape
        t = doc.add_table(rows=n_rows, cols=n_cols)
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for p in s.table.placed():
            target = t.cell(p.row, p.col)
            if p.cell.rowspan > 1 or p.cell.colspan > 1:
                target = target.merge(t.cell(p.row + p.cell.rowspan - 1,
                                             p.col + p.cell.colspan - 1))
            target.text = p.cell.text
            para = target.paragraphs[0]
            if p.cell.header or p.cell.numeric:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for r in para.runs:
                r.font.size = Pt(9)
                r.bold = p.cell.header
        doc.add_paragraph()
    for line in report.signature:
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = Path(path)
    doc.save(str(out))
    return out


# --------------------------------------------------------------------------- PDF

_PDF_FONT = "STSong-Light"


def _register_pdf_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))


def _pdf_col_widths(table: ReportTable, usable: float) -> list[float]:
    """Column widths in points: label columns sized for the template text, figures even."""
    _, n_cols = table.shape
    if table.number == 3:
        label = [22.0, 56.0, 130.0]
        rest = (usable - sum(label)) / 7
        return label + [rest] * 7
    if table.number == 2:
        first = 130.0
        return [first] + [(usable - first) / (n_cols - 1)] * (n_cols - 1)
    return [usable / n_cols] * n_cols


def to_pdf(report: NationalReport, path: str | Path) -> Path:
    """A text-layer PDF drawn with reportlab and the built-in CID font STSong-Light.

    Ruled tables with SPAN and GRID, header rows repeated when a table breaks across pages,
    prose wrapped CJK-style, page foot "- N -" — the features the PDF extractor meets.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_pdf_font()
    base = dict(fontName=_PDF_FONT, wordWrap="CJK")
    title_st = ParagraphStyle("title", fontSize=16, leading=24, alignment=TA_CENTER, **base)
    body_st = ParagraphStyle("body", fontSize=11, leading=18, firstLineIndent=22,
                             alignment=TA_LEFT, **base)
    head_st = ParagraphStyle("head", fontSize=12, leading=20, spaceBefore=6, **base)
    sign_st = ParagraphStyle("sign", fontSize=11, leading=18, alignment=TA_RIGHT, **base)

    def cell_style(table: ReportTable, cell: Cell) -> ParagraphStyle:
        size = 7.5 if table.number == 4 else 8.5
        align = TA_CENTER if (cell.header or cell.numeric) else TA_LEFT
        return ParagraphStyle(f"c{table.number}{align}", fontSize=size, leading=size + 2.5,
                              alignment=align, **base)

    out = Path(path)
    margin = 20 * mm
    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin, title=report.title,
                            author=report.issuer)
    usable = A4[0] - 2 * margin

    story: list[object] = [Paragraph(html.escape(report.title), title_st), Spacer(1, 8)]
    story += [Paragraph(html.escape(p), body_st) for p in report.preamble]
    for s in report.sections:
        story.append(Paragraph(html.escape(s.heading), head_st))
        story += [Paragraph(html.escape(p), body_st) for p in s.paragraphs]
        if s.table is None:
            continue
        n_rows, n_cols = s.table.shape
        data: list[list[object]] = [[""] * n_cols for _ in range(n_rows)]
        cmds: list[tuple] = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
        for p in s.table.placed():
            data[p.row][p.col] = Paragraph(html.escape(p.cell.text), cell_style(s.table, p.cell))
            if p.cell.rowspan > 1 or p.cell.colspan > 1:
                cmds.append(("SPAN", (p.col, p.row),
                             (p.col + p.cell.colspan - 1, p.row + p.cell.rowspan - 1)))
        story.append(Spacer(1, 4))
        story.append(Table(data, colWidths=_pdf_col_widths(s.table, usable),
                           repeatRows=s.table.header_rows, style=TableStyle(cmds)))
        story.append(Spacer(1, 6))
    story.append(Spacer(1, 18))
    story += [Paragraph(html.escape(line), sign_st) for line in report.signature]

    def foot(canvas, document) -> None:  # noqa: ANN001 - reportlab callback signature
        canvas.saveState()
        canvas.setFont(_PDF_FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {document.page} -")
        canvas.restoreState()

    doc.build(story, onFirstPage=foot, onLaterPages=foot)
    return out
