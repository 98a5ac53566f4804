"""Legacy binary Office files (.doc, .wps, .xls) through command-line converters.

No maintained pure-Python reader exists for Word 97 binaries, so we use antiword or catdoc
for .doc/.wps and xls2csv (from catdoc) for .xls when they are installed
(extractors/install_legacy_tools.sh). They run in a subprocess with a timeout, on a temporary
copy of the bytes, with no shell.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile

from extractors.base import Block, RawDocument, Table, Unreadable
from extractors.limits import Deadline
from extractors.textutil import clean_inline, normalize_grid, strip_controls

_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")


def read_legacy_word(data: bytes, kind: str, deadline: Deadline | None = None) -> RawDocument:
    """Read .doc or .wps bytes via antiword (preferred: keeps tables) or catdoc."""
    label = "legacy Word .doc" if kind == "doc" else "WPS .wps"
    deadline = deadline or Deadline(None)
    attempts: list[str] = []
    for tool, args in (("antiword", ["-m", "UTF-8.txt", "-w", "0"]),
                       ("catdoc", ["-d", "utf-8", "-w"])):
        exe = shutil.which(tool)
        if exe is None:
            continue
        out = _run(exe, args, data, deadline, label)
        if out is None:
            attempts.append(f"{tool} failed")
            continue
        blocks = _text_blocks(out) if tool == "catdoc" else _antiword_blocks(out)
        if blocks:
            return RawDocument(media_type="application/msword", blocks=blocks,
                               encoding="utf-8", warnings=[f"converted with {tool}"])
        attempts.append(f"{tool} found no text")
    if not attempts:
        raise Unreadable(f"{label}: install antiword or catdoc to read it")
    raise Unreadable(f"{label} could not be converted ({'; '.join(attempts)})")


def read_legacy_excel(data: bytes, deadline: Deadline | None = None) -> RawDocument:
    """Read .xls bytes via xls2csv: one Table per sheet (merged cells are not filled)."""
    deadline = deadline or Deadline(None)
    exe = shutil.which("xls2csv")
    if exe is None:
        raise Unreadable("legacy Excel .xls: install catdoc (provides xls2csv) to read it")
    out = _run(exe, ["-d", "utf-8", "-c", ",", "-q", "3"], data, deadline, "legacy Excel .xls")
    if out is None:
        raise Unreadable("legacy Excel .xls could not be converted (xls2csv failed)")
    blocks: list[Block] = []
    for sheet in out.split("\f"):
        rows = normalize_grid([[clean_inline(c) for c in r]
                               for r in csv.reader(io.StringIO(sheet))])
        if rows:
            blocks.append(Table(rows=rows))
    return RawDocument(media_type="application/vnd.ms-excel", blocks=blocks, encoding="utf-8",
                       warnings=["converted with xls2csv; merged cells not filled"])


def _run(exe: str, args: list[str], data: bytes, deadline: Deadline, label: str) -> str | None:
    remaining = None if deadline.seconds is None else max(1.0, deadline.seconds - deadline.elapsed())
    fd, path = tempfile.mkstemp(suffix=".bin", prefix="govinfo-legacy-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        proc = subprocess.run([exe, *args, path], capture_output=True, timeout=remaining,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise Unreadable(f"{label}: converter took longer than {remaining:.0f} s") from None
    except OSError:
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return strip_controls(proc.stdout.decode("utf-8", errors="replace").replace("\f", "\n"))


def _text_blocks(text: str) -> list[Block]:
    return [t for t in (clean_inline(p) for p in re.split(r"\n", text)) if t]


def _antiword_blocks(text: str) -> list[Block]:
    """antiword draws tables as '|cell|cell|' lines: turn runs of them into Tables."""
    blocks: list[Block] = []
    rows: list[list[str]] = []
    for line in text.split("\n"):
        if _TABLE_LINE.match(line):
            rows.append([clean_inline(c) for c in line.strip()[1:-1].split("|")])
            continue
        if rows:
            grid = normalize_grid(rows)
            if grid:
                blocks.append(Table(rows=grid))
            rows = []
        t = clean_inline(line)
        if t:
            blocks.append(t)
    if rows and (grid := normalize_grid(rows)):
        blocks.append(Table(rows=grid))
    return blocks
