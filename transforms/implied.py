"""Figures a sentence states in words for a second indicator: "收到申请1件，已在规定时间内办结答复"
(1 received, and so 1 answered); "行政诉讼1件，目前暂未开庭审理" (1 case, pending).

The phrases are data (`catalog/implied.csv`): which indicator's figure they follow, what they
imply, and the rule that no figure of their own follows in the clause (已答复8件 states its own).
"""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from functools import lru_cache
from importlib.resources import files

_SENTENCE_END = re.compile(r"[。!?\n]")


@lru_cache(maxsize=1)
def _rules() -> list[tuple[str, re.Pattern[str], str]]:
    with files("transforms").joinpath("catalog/implied.csv").open(encoding="utf-8") as f:
        return [(r["from"], re.compile(r["pattern"]), r["implies"]) for r in csv.DictReader(f)
                if not r["from"].startswith("#")]


def implied_observations(prose: list, text: str) -> list:
    """New prose observations for what the words after a stated figure imply."""
    out = []
    for o in prose:
        rules = [r for r in _rules() if r[0] == o.indicator_code]
        if not rules or o.qualifier != "exact" or o.breakdown:
            continue
        end = _SENTENCE_END.search(text, o.span_end)
        after = text[o.span_end:end.start() if end else len(text)]
        for _, rx, implies in rules:
            m = rx.search(after)
            if m:
                stop = o.span_end + m.end()
                out.append(replace(o, indicator_code=implies, evidence_end=stop,
                                   note=f"implied by «{m.group().strip(' ,')}» after the "
                                        f"{o.indicator_code} figure"))
    return out
