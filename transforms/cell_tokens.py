"""The figures of one table row, from the text between its label and the next row's label.

Whatever the layout, a row's cells follow its label: on the same line between pipes, one per
line, one per paragraph, spaced by blanks, or run together with no separator at all (crawler
text: `640020470` is 64 0 0 2 0 4 70). This module turns that stretch of text into tokens
(figures, printed-empty cells, text) and then lists every way the tokens can fill the row's
columns. Which way is right is not decided here but by the table's arithmetic
(`identities.py`); a reading is only ever one of the ways the printed characters allow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Callable, Iterator

from transforms.numbers import cell_unit, parse_cell

_MD_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_PAGE_NO = re.compile(r"^\s*(-\s*\d+\s*-|第\s*\d+\s*页(共\s*\d+\s*页)?)\s*$")
# in run-together text: a figure, or anything else (a dash between figures is an empty cell)
_RUN = re.compile(r"[+\-]?\d+(?:\.\d+)?|[^\d+\-]+|[+\-]")
_NOT_A_FIGURE_AFTER = "年月日号时%‰"
_DASHES = frozenset("-—–/\\－")
MAX_DIGITS = 10  # no cell of these tables needs more digits


@dataclass(frozen=True)
class Token:
    kind: str  # num | empty | text
    text: str
    start: int
    end: int
    value: float | None = None
    qualifier: str = "exact"
    unit: str | None = None
    splittable: bool = False  # a run of digits that may hold several cells


@dataclass(frozen=True)
class Piece:
    """One cell of a reading: its figure (None when printed empty) and where it was printed."""

    value: float | None
    start: int
    end: int
    qualifier: str = "exact"
    unit: str | None = None
    split_from: str | None = None  # the run-together digits it was cut from


Reading = tuple[Piece | None, ...]  # one entry per column; None: nothing printed there


def cell_token(text: str, start: int, end: int) -> Token:
    s = text.strip()
    if not s:
        return Token("empty", s, start, end)
    kind, value, qual = parse_cell(s)
    if kind == "num" and value is not None:
        return Token("num", s, start, end, value, qual, cell_unit(s))
    if kind in ("blank", "dash"):
        return Token("empty", s, start, end)
    return Token("text", s, start, end)


def _collapsed_tokens(chunk: str, at: int) -> Iterator[Token]:
    """A chunk of run-together text: figures wherever digits stand, glued to words or not."""
    for m in _RUN.finditer(chunk):
        s, a, b = m.group(), at + m.start(), at + m.end()
        if s[0].isdigit() or (len(s) > 1 and s[0] in "+-"):
            nxt = chunk[m.end():m.end() + 1]
            prev = chunk[m.start() - 1:m.start()] if m.start() else ""
            if (nxt and nxt in _NOT_A_FIGURE_AFTER) or prev == "第" or \
                    (nxt == "." and not chunk[m.end() + 1:m.end() + 2].isdigit()):
                yield Token("text", s, a, b)  # 2019年, 第3页, a row number 2.
                continue
            value = float(s.lstrip("+"))
            plain = s.isdigit()
            yield Token("num", s, a, b, value, "exact", None, plain and len(s) > 1)
        elif set(s) <= _DASHES:
            yield Token("empty", s, a, b)
        else:
            yield Token("text", s, a, b)


def segment_tokens(text: str, start: int, end: int, collapsed: bool) -> list[Token]:
    """Tokens of text[start:end], the stretch after a row's label.

    Pipes delimit cells (an empty piece between pipes is a printed-empty cell; a trailing pipe
    ends a row); otherwise blanks do. The first piece of the first line is the rest of the
    label's own cell. In collapsed (crawler) text, digits glued to words are still figures;
    elsewhere a word with a digit in it (数据1, 第3页) is text.
    """
    out: list[Token] = []
    pos = start
    for li, line in enumerate(text[start:end].split("\n")):
        line_at = pos
        pos += len(line) + 1
        if not line.strip() or _MD_RULE.match(line) or _PAGE_NO.match(line):
            continue
        if not line.strip().strip("|"):
            # a line of pipes alone: in cell-per-line copies each pipe ends one empty cell
            # (on the label's own line, the first pipe ends the label's cell)
            pipes = [line_at + k for k, ch in enumerate(line) if ch == "|"]
            out.extend(Token("empty", "", at, at) for at in pipes[1 if li == 0 else 0:])
            continue
        if "|" in line:
            pieces: list[tuple[str, int]] = []
            off = line_at
            for p in line.split("|"):
                pieces.append((p, off))
                off += len(p) + 1
            lead_pipe = line.lstrip().startswith("|")
            for k, (p, off) in enumerate(pieces):
                last = k == len(pieces) - 1
                if k == 0 and (li == 0 or lead_pipe):
                    if p.strip():  # the rest of the label's cell
                        out.append(Token("text", p.strip(), off, off + len(p)))
                    continue
                if last and not p.strip():
                    continue  # a trailing pipe ends the row
                out.append(cell_token(p, off, off + len(p)))
            continue
        for m in re.finditer(r"\S+", line):
            a, b = line_at + m.start(), line_at + m.end()
            if collapsed:
                out.extend(_collapsed_tokens(m.group(), a))
                continue
            token = cell_token(m.group(), a, b)
            # a chunk glued to the label (数量20 0 0…) or to the next row's (…0 00四、) is read
            # as run-together text: figures and words apart
            if token.kind == "text" and (a == start or m.group()[0].isdigit()):
                out.extend(_collapsed_tokens(m.group(), a))
            else:
                out.append(token)
    return out


def _is_note(token: Token) -> bool:
    t = token.text
    return t.startswith("(") and t.endswith(")")


def figure_run(tokens: list[Token], max_lead_text: int = 80) -> list[Token]:
    """The row's own cells: from the first figure or empty cell to the first text after a figure.

    Text before the figures is the label's rest or a repeated header; a parenthesised note after
    a figure belongs to its cell; other text after the figures is the next row's business.
    """
    run: list[Token] = []
    lead = 0
    seen_figure = False
    for t in tokens:
        if t.kind == "text":
            if seen_figure:
                if _is_note(t):
                    continue
                break
            if run:  # an empty cell then text: the empties were the label row's padding
                run = []
            lead += len(t.text)
            if lead > max_lead_text:
                return []
            continue
        run.append(t)
        seen_figure = seen_figure or t.kind == "num"
    return run if seen_figure else []


def _splits(digits: str, parts: int) -> Iterator[tuple[str, ...]]:
    """Every way to cut a digit string into `parts` numbers without leading zeros."""
    if len(digits) > parts * MAX_DIGITS or len(digits) < parts:
        return  # too long or too short for that many cells: no cut to try
    if parts == 1:
        if len(digits) <= MAX_DIGITS and (digits == "0" or digits[0] != "0"):
            yield (digits,)
        return
    first_max = 1 if digits[0] == "0" else min(MAX_DIGITS, len(digits) - parts + 1)
    for k in range(1, first_max + 1):
        for rest in _splits(digits[k:], parts - 1):
            yield (digits[:k],) + rest


def readings(run: list[Token], n: int, collapsed: bool, limit: int = 3000,
             accept: Callable[[tuple[Piece | None, ...]], bool] | None = None
             ) -> list[Reading] | None:
    """Every way the printed tokens can fill n columns; None when there are more than `limit`.

    As printed, when the count fits (trailing empty cells dropped if they are too many).
    Otherwise: in separated layouts a missing cell may stand anywhere and surplus empty cells may
    be padding; in run-together text a run of digits may hold several cells. `accept` sees each
    partial reading (so a table-4 block can be checked as soon as its five cells are cut).
    """
    pieces = [Piece(t.value, t.start, t.end, t.qualifier, t.unit) for t in run]
    if collapsed and any(t.splittable for t in run):
        return _cuts(run, pieces, n, limit, accept)
    out = _separated(run, pieces, n, limit)
    short = len([t for t in run if t.kind != "empty"]) < n
    joinable = [t.kind == "num" and t.text.isdigit() and len(t.text) > 1 for t in run]
    if out is None or not short or not any(joinable):
        return out
    joined = [replace(t, splittable=True) if j else t for t, j in zip(run, joinable)]
    # a copy may also have lost the blank between two cells (0 0 0 0 0 00): those cuts are
    # readings too, which `identities.choose` keeps only where the row's arithmetic confirms one
    cuts = _cuts(joined, pieces, n, limit, accept)
    return None if cuts is None else cuts + out


def _cuts(run: list[Token], pieces: list[Piece], n: int, limit: int,
          accept: Callable[[tuple[Piece | None, ...]], bool] | None) -> list[Reading] | None:
    """Readings of run-together digits: every cut of each splittable run into cells.

    The walk is bounded: each run is cut into only as many cells as the runs after it leave
    room for, and past `limit` readings or `limit` × 10 steps the row has too many readings to
    settle (None), which makes its cells doubtful rather than the run slow."""
    out: list[Reading] = []
    # the most cells the runs from i on can hold
    most = [0] * (len(run) + 1)
    for i in range(len(run) - 1, -1, -1):
        most[i] = most[i + 1] + (len(run[i].text) if run[i].splittable else 1)
    steps = [limit * 10]

    def walk(i: int, acc: tuple[Piece | None, ...]) -> bool:
        steps[0] -= 1
        if steps[0] < 0:
            return False
        if accept is not None and acc and not accept(acc):
            return True
        if len(acc) > n:
            return True
        if i == len(run):
            if len(acc) == n:
                out.append(acc)
            return len(out) <= limit
        t = run[i]
        if not t.splittable:
            return walk(i + 1, acc + (pieces[i],))
        room = n - len(acc) - (len(run) - i - 1)
        fewest = max(1, n - len(acc) - most[i + 1])
        for parts in range(fewest, min(room, len(t.text)) + 1):
            for cut in _splits(t.text, parts):
                cells: list[Piece] = []
                at = t.start
                for c in cut:
                    cells.append(Piece(float(c), at, at + len(c), "exact", None, t.text))
                    at += len(c)
                if not walk(i + 1, acc + tuple(cells)):
                    return False
        return True

    if not walk(0, ()):
        return None
    return out


def _separated(run: list[Token], pieces: list[Piece], n: int, limit: int
               ) -> list[Reading] | None:
    cells: list[Piece | None] = [None if t.kind == "empty" else p for t, p in zip(run, pieces)]
    as_printed = [(p if t.kind == "num" else Piece(None, t.start, t.end)) for t, p in zip(run, cells)]
    if len(as_printed) == n:
        return [tuple(as_printed)]
    trimmed = list(as_printed)
    while trimmed and trimmed[-1].value is None and len(trimmed) > n:
        trimmed.pop()
    if len(trimmed) == n:
        return [tuple(trimmed)]
    if len(trimmed) > n:
        empties = [i for i, p in enumerate(trimmed) if p.value is None]
        extra = len(trimmed) - n
        if len(empties) < extra:
            return []
        out = []
        for drop in combinations(empties, extra):
            out.append(tuple(p for i, p in enumerate(trimmed) if i not in drop))
            if len(out) > limit:
                return None
        return out
    missing = n - len(trimmed)
    out = []
    for holes in combinations(range(n), missing):
        it = iter(trimmed)
        out.append(tuple(None if i in holes else next(it) for i in range(n)))
        if len(out) > limit:
            return None
    return out
