"""Figures a report states for part of its body: "县直各单位主动公开政府信息2475条，各乡镇…1503条".

A county's report often splits a total by who published it. Those figures carry the total's
words (主动公开政府信息) but are parts of it: read as the total they would contradict the table
and, where the table is missing, replace the total with a part. A clause is a part when its
subject is one of the words in `catalog/part_subjects.csv`, unless it also claims the whole
area (全县, 全市…: "全县各乡镇共主动公开…" is the total) or names parts of two kinds
("县直各单位和各乡镇共…": departments and townships together are the whole). Such a figure stays an
observation, with its indicator left empty and a note, so it never becomes the body's metric.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from transforms.catalog import _rows

_WHOLE_AREA = re.compile(r"全(?:省|市|州|盟|县|区|旗|镇|乡)")


@lru_cache(maxsize=1)
def _part_words() -> tuple[tuple[str, str], ...]:
    return tuple((unicodedata.normalize("NFKC", r["word"]), r["note"])
                 for r in _rows("part_subjects.csv"))


def part_named(label: str) -> str | None:
    """The part of the reporting body a prose label is about (县直各单位), or None when the
    label is about the whole body."""
    text = unicodedata.normalize("NFKC", label)  # （ as (, as the word list writes it
    if _WHOLE_AREA.search(text):
        return None
    found = [(word, kind) for word, kind in _part_words() if word in text]
    if len({kind for _, kind in found}) != 1:
        return None
    return found[0][0]
