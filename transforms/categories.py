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


def mark_category_lists(prose: list, text: str) -> None:
    """Map the items of each category list found among prose observations (in text order)."""
    i = 0
    while i < len(prose):
        total = prose[i]
        if not _is_total(total) or total.indicator_code == BY_CATEGORY:
            i += 1
            continue
        items = []
        j = i + 1
        while j < len(prose):
            o = prose[j]
            between = text[prose[j - 1].span_end:o.span_start]
            if "。" in between or "\n" in between or o.unit != "条" or \
                    o.indicator_code not in _CATEGORY_LIKE:
                break
            name = _category(o.label)
            if not name or len(name) > MAX_NAME or any(w in name for w in _channel_words()):
                break  # a channel (门户网站12000条) is where items went, not what they are
            items.append((o, name))
            j += 1
        if len(items) >= 2 and sum(o.value for o, _ in items) <= total.value + 1e-9:
            for o, name in items:
                o.indicator_code, o.breakdown = BY_CATEGORY, name
                o.note = f"category of the {total.value:g} items disclosed"
            i = j
        else:
            i += 1
