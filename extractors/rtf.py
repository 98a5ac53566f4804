"""RTF documents (often served as .doc by WPS and older CMS exports): paragraphs and tables.

A small tokenizer rather than a dependency: RTF text is ASCII with `\\'hh` escapes in the
document's ANSI code page (936 for GBK) and `\\uN` escapes for Unicode. Destinations that are
not body text (font tables, pictures, headers, field instructions) are skipped as whole groups.
Tables are rows of `\\cell`-terminated cells ended by `\\row`; vertical and horizontal merges
(`\\clvmrg`, `\\clmrg`) are filled with the merged cell's text.
"""
from __future__ import annotations

import re

from extractors.base import Block, RawDocument, Table, Unreadable
from extractors.limits import Deadline
from extractors.textutil import clean_inline, normalize_grid, smart_join

_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+",
                    re.S)
_SKIP_DEST = frozenset({
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "headerl",
    "headerr", "headerf", "footer", "footerl", "footerr", "footerf", "footnote", "fldinst",
    "listtable", "listoverridetable", "rsidtbl", "generator", "themedata",
    "colorschememapping", "datastore", "latentstyles", "pgdsctbl", "xmlnstbl", "filetbl",
    "revtbl", "shppict", "nonshppict", "bkmkstart", "bkmkend", "field_inst", "mmathPr",
    "fldtype", "annotation", "atnid", "atnauthor", "comment", "template", "userprops",
    "docvar", "wgrffmtfilter", "protusertbl", "operator", "author", "title", "company",
})
_SPECIAL = {"emdash": "—", "endash": "–", "lquote": "‘", "rquote": "’", "ldblquote": "“",
            "rdblquote": "”", "bullet": "•", "emspace": " ", "enspace": " ", "qmspace": " ",
            "tab": "\t"}
_CHARSET_CP = {134: "gb18030", 136: "cp950", 128: "cp932", 129: "cp949"}


def read_rtf(data: bytes, deadline: Deadline | None = None) -> RawDocument:
    """Read RTF bytes into paragraphs and Tables."""
    deadline = deadline or Deadline(None)
    return _Parser(data, deadline).run()


class _Parser:
    def __init__(self, data: bytes, deadline: Deadline) -> None:
        self.data = data
        self.deadline = deadline
        self.codec = self._codepage(data[:20000])
        self.blocks: list[Block] = []
        self.text: list[str] = []  # current paragraph or cell
        self.pending = bytearray()  # \'hh bytes waiting to be decoded together
        self.cells: list[str] = []  # finished cells of the current row
        self.rows: list[list[str]] = []  # finished rows of the current table
        self.merges: list[str] = []  # per cell definition of the current row: '', 'v', 'h'
        self.cell_flag = ""  # merge flag of the cell definition being read
        self.intbl = False

    @staticmethod
    def _codepage(head: bytes) -> str:
        m = re.search(rb"\\ansicpg(\d+)", head)
        cp = int(m.group(1)) if m else 1252
        if cp == 936:
            return "gb18030"
        if cp != 1252:
            return f"cp{cp}"
        for charset in re.findall(rb"\\fcharset(\d+)", head):
            if int(charset) in _CHARSET_CP:
                return _CHARSET_CP[int(charset)]
        return "cp1252"

    def _flush_bytes(self) -> None:
        if self.pending:
            self.text.append(bytes(self.pending).decode(self.codec, errors="replace"))
            self.pending.clear()

    def _emit(self, s: str) -> None:
        self._flush_bytes()
        self.text.append(s)

    def _end_paragraph(self) -> None:
        self._flush_bytes()
        t = clean_inline("".join(self.text))
        self.text = []
        if self.intbl:
            if t:
                self.text = [t + "\n"]
            return
        self._end_table()
        if t:
            self.blocks.append(t)

    def _end_cell(self) -> None:
        self._flush_bytes()
        parts = "".join(self.text).split("\n")
        self.cells.append(smart_join([clean_inline(p) for p in parts]))
        self.text = []

    def _end_row(self) -> None:
        self._flush_bytes()
        row = list(self.cells)
        above = self.rows[-1] if self.rows else []
        for k, flag in enumerate(self.merges[: len(row)]):
            if flag == "v" and k < len(above):
                row[k] = above[k]
            elif flag == "h" and k > 0:
                row[k] = row[k - 1]
        self.rows.append(row)
        self.cells = []
        self.text = []

    def _end_table(self) -> None:
        if self.rows:
            grid = normalize_grid(self.rows)
            if grid:
                self.blocks.append(Table(rows=grid))
            self.rows = []

    def run(self) -> RawDocument:
        skip_depth: int | None = None  # group depth at which an ignored destination began
        depth = 0
        uc = [1]
        to_skip = 0  # characters still to skip after a \uN
        tokens = 0
        for m in _TOKEN.finditer(self.data):
            tokens += 1
            if tokens % 20000 == 0:
                self.deadline.check()
            word, arg, hexbyte, sym, brace, plain = m.groups()
            if brace == b"{":
                depth += 1
                uc.append(uc[-1])
                continue
            if brace == b"}":
                if skip_depth is not None and depth <= skip_depth:
                    skip_depth = None
                depth -= 1
                if len(uc) > 1:
                    uc.pop()
                continue
            if skip_depth is not None:
                continue
            if sym is not None:
                if sym == b"*":
                    skip_depth = depth  # an optional destination: never body text
                elif sym in (b"\\", b"{", b"}"):
                    self._skip_or(sym.decode(), to_skip)
                    to_skip = max(0, to_skip - 1)
                elif sym == b"~":
                    self._emit(" ")
                elif sym == b"_":
                    self._emit("-")
                continue
            if hexbyte is not None:
                if to_skip:
                    to_skip -= 1
                else:
                    self.pending.append(int(hexbyte, 16))
                continue
            if plain is not None:
                if to_skip:
                    skipped = min(to_skip, len(plain))
                    plain, to_skip = plain[skipped:], to_skip - skipped
                self.pending.extend(plain)  # raw 8-bit text is in the ANSI code page too
                continue
            if word is None:
                continue
            w = word.decode("ascii")
            n = int(arg) if arg is not None else None
            if w in _SKIP_DEST:
                skip_depth = depth
                continue
            if w == "bin" and n:
                continue  # binary payloads only occur inside skipped picture groups
            if w == "uc" and n is not None:
                uc[-1] = max(0, n)
            elif w == "u" and n is not None:
                self._emit(chr(n + 65536 if n < 0 else n) if -32768 <= n <= 65535 else "")
                to_skip = uc[-1]
            elif w in ("par", "sect", "page"):
                self._end_paragraph()
            elif w == "line":
                self._emit("\n" if self.intbl else " ")
                if not self.intbl:
                    self._end_paragraph()
            elif w in _SPECIAL:
                self._emit(_SPECIAL[w])
            elif w == "pard":
                self.intbl = False
            elif w == "intbl":
                self.intbl = True
            elif w == "trowd":
                self.merges, self.cell_flag = [], ""
            elif w == "clvmrg":
                self.cell_flag = "v"
            elif w == "clmrg":
                self.cell_flag = "h"
            elif w == "cellx":
                self.merges.append(self.cell_flag)
                self.cell_flag = ""
            elif w == "cell":
                self._end_cell()
            elif w == "row":
                self._end_row()
            elif w in ("nestcell", "nestrow"):
                self._emit(" ")
        self._end_paragraph()
        self.intbl = False
        self._end_table()
        if not self.blocks:
            raise Unreadable("RTF document without readable text")
        return RawDocument(media_type="application/rtf", blocks=self.blocks, encoding=self.codec)

    def _skip_or(self, ch: str, to_skip: int) -> None:
        if not to_skip:
            self._emit(ch)
