"""Lists of what was disclosed, by content: "主动公开政务信息443条，其中工作动态189条，公示公开105条…".

Reports name their content categories freely (工作动态, 部门文件, 政府信息公开指南, 机构概况类信息),
so no alias list can hold them. What marks a category list is its shape: after a figure of
items disclosed, in the same sentence, two or more short labels each with a count of 条 that
no other indicator claims, adding up to no more than that figure. Those become
proactive.by_category with the category as written. A list of channels (门户网站, 公报: words in
`catalog/channel_words.csv`) is where items were published, not what they are about.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib.resources import files

from transforms.catalog import label_key

BY_CATEGORY = "proactive.by_category"
# codes a list item may carry and still be a category: the catalog's own guesses at category-like
# labels (规范性文件类信息 is read as proactive.normative_documents when it stands alone)
_CATEGORY_LIKE = {None, BY_CATEGORY, "proactive.normative_documents"}
_LEAD = re.compile(r"^(?:其中|包括|主要有|分别为|共|有)[:,]?")
_TRAIL = re.compile(r"(?:类信息|类政府信息|信息|类|等|方面)$")
MAX_NAME = 20


@lru_cache(maxsize=1)
def _channel_words() -> tuple[str, ...]:
    with files("transforms").joinpath("catalog/channel_words.csv").open(encoding="utf-8") as f:
        return tuple(r["word"] for r in csv.DictReader(f) if not r["word"].startswith("#"))


def _category(label: str) -> str:
    name = _LEAD.sub("", label.strip(" ,、:;"))
    key = label_key(name)
    trimmed = _TRAIL.sub("", key)
    return trimmed if len(trimmed) >= 2 else key


def _is_total(o) -> bool:
    return o.unit == "条" and not o.part_of and (
        (o.indicator_code or "").startswith("proactive.") or "公开" in o.label)


def _run(prose: list, j: int, text: str) -> list[tuple[object, str]]:
    """The category-like items from prose[j] on, in one sentence, with their category names."""
    items: list[tuple[object, str]] = []
    while j < len(prose):
        o = prose[j]
        between = text[prose[j - 1].span_end:o.span_start] if items else ""
        if "。" in between or "\n" in between or o.unit != "条" or \
                o.indicator_code not in _CATEGORY_LIKE:
            break
        name = _category(o.label)
        if not name or len(name) > MAX_NAME or any(w in name for w in _channel_words()):
            break  # a channel (门户网站12000条) is where items went, not what they are
        items.append((o, name))
        j += 1
    return items


def _mark(items: list[tuple[object, str]], why: str) -> None:
    for o, name in items:
        o.indicator_code, o.breakdown = BY_CATEGORY, name  # type: ignore[attr-defined]
        o.note = why  # type: ignore[attr-defined]


def mark_category_lists(prose: list, text: str) -> None:
    """Map the items of each category list found among prose observations (in text order):
    a list after a figure of items disclosed that it does not exceed, or a list in which the
    catalog already knows some items as categories (机构职能类信息211条，政策、规范性文件类信息82条)."""
    i = 0
    while i < len(prose):
        total = prose[i]
        if _is_total(total) and total.indicator_code != BY_CATEGORY:
            items = _run(prose, i + 1, text)
            if len(items) >= 2 and sum(o.value for o, _ in items) <= total.value + 1e-9:
                _mark(items, f"category of the {total.value:g} items disclosed")
                i += 1 + len(items)
                continue
        if total.indicator_code in _CATEGORY_LIKE and (i == 0 or total is not prose[i - 1]):
            items = _run(prose, i, text)
            known = sum(1 for o, _ in items if o.indicator_code == BY_CATEGORY)
            if len(items) >= 3 and known >= 2:
                _mark([(o, n) for o, n in items if o.indicator_code != BY_CATEGORY],
                      "in a list of categories")
                i += len(items)
                continue
        i += 1
