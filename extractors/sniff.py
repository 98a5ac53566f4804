"""Decide what format an input really is from its bytes; the file name only breaks ties.

Government sites serve PDFs named .html, web pages named .doc, Word's "web page" and MHT
exports renamed .doc, and text files named .docx. Trusting the extension sends such files to a
reader that fails with a confusing error, so we look at magic numbers and container contents.
"""
from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile

from extractors.encoding import chinese_score

TEXT = "text/plain"
HTML = "text/html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
WPS = "application/vnd.ms-works"  # Kingsoft WPS .wps (an OLE2 file; Word-like streams)
OLE = "application/x-ole-storage"  # OLE2 compound file of another or unknown kind
RTF = "application/rtf"
MHT = "multipart/related"  # MHTML web archive (.mht, also Word "single file web page")
ZIP = "application/zip"  # a zip that is neither DOCX nor XLSX
BINARY = "application/octet-stream"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_HTML_EXTS = (".html", ".htm", ".shtml", ".xhtml", ".jsp", ".asp", ".aspx", ".php", ".do")
_STRONG_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title)\b", re.I)
_ANY_TAG = re.compile(
    rb"<\s*/?\s*(?:p|div|span|table|tr|td|th|br|a|font|center|h[1-6]|ul|li|strong|b|img)\b[^>]{0,500}>",
    re.I,
)


def sniff(data: bytes, name: str = "") -> str:
    """Return the media type of `data` (one of the constants of this module)."""
    ext = _ext(name)
    head = data[:4096]
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, ext)
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(data)
    if head.lstrip().startswith(b"{\\rtf"):
        return RTF
    if _binary_magic(head):
        return BINARY
    if not _looks_textual(data[:65536]):
        return BINARY
    sample = _ascii_view(data[:65536])
    if _is_mht(sample):
        return MHT
    return HTML if _looks_html(sample, ext) else TEXT


def describe_binary(data: bytes) -> str:
    """A human label for bytes no reader handles, for the quarantine reason."""
    for magic, label in _MAGICS:
        if data.startswith(magic):
            return label
    return "starts with " + " ".join(f"{b:02X}" for b in data[:8])


_MAGICS: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "ELF executable"),
    (b"AT&TFORM", "DjVu document"),
    (b"ITSF", "CHM help file"),
    (b"RIFF", "RIFF media file"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"ID3", "MP3 audio"),
    (b"SQLite format 3\x00", "SQLite database"),
]


def _binary_magic(head: bytes) -> bool:
    return any(head.startswith(m) for m, _ in _MAGICS if len(m) >= 3 or m == b"\x1f\x8b")


def _ext(name: str) -> str:
    name = name.lower().split("?")[0]
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def _looks_textual(sample: bytes) -> bool:
    """Text (in any of the genre's encodings) rather than binary, tolerating stray NUL bytes."""
    if not sample:
        return False
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if sample.startswith(bom):
            return True
    if _looks_utf16(sample):
        return True
    stripped = sample.replace(b"\x00", b"")
    if len(stripped) < len(sample) * 0.5:
        return False  # mostly NULs: padding or a binary structure
    if not stripped:
        return False
    controls = len(stripped) - len(stripped.translate(None, _CONTROL_DELETE))
    if controls > 2 + 0.01 * len(stripped):
        return _reads_as_utf16_chinese(sample)
    for codec in ("utf-8", "gb18030", "cp950"):
        for cut in range(4):  # the sample may end inside a multi-byte character
            try:
                stripped[: len(stripped) - cut].decode(codec)
                return True
            except UnicodeDecodeError:
                continue
    # damaged text: accept when only a few byte sequences fail to decode
    best = min(stripped.decode(c, errors="replace").count("\ufffd") for c in ("utf-8", "gb18030"))
    return best <= 0.02 * len(stripped)


_CONTROL_BYTES = [b for b in range(0x01, 0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B)] + [0x7F]
_CONTROL_DELETE = bytes(_CONTROL_BYTES)  # counted in one pass: what translate() deletes


def _reads_as_utf16_chinese(sample: bytes) -> bool:
    """UTF-16 Chinese without BOM and without a single ASCII character (so without NULs)."""
    even = sample[: len(sample) - len(sample) % 2]
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = even.decode(codec)
        except UnicodeDecodeError:
            continue
        if chinese_score(text) > 0.3:
            return True
    return False


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a BOM: NUL bytes on one parity only (the high byte of ASCII characters)."""
    head = sample[:4000]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 8:
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) / 2
    return (odd > 0.2 * half and even < 0.02 * half) or (even > 0.2 * half and odd < 0.02 * half)


def _ascii_view(sample: bytes) -> bytes:
    """Bytes where ASCII markup is visible even when the text is UTF-16."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(sample):
        return sample.replace(b"\x00", b"")
    return sample


def _is_mht(sample: bytes) -> bool:
    head = sample[:4096].lower()
    return b"mime-version:" in head and b"multipart/related" in head


def _looks_html(sample: bytes, ext: str) -> bool:
    start = sample.lstrip(b" \t\r\n\xef\xbb\xbf")
    if _STRONG_HTML.search(sample[:8192]) and start.startswith(b"<"):
        return True
    tags = len(_ANY_TAG.findall(sample))
    if tags >= 5 and (_STRONG_HTML.search(sample) or start.startswith(b"<")):
        return True
    if tags >= 20:
        return True
    return tags >= 1 and ext in _HTML_EXTS


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return ZIP
    if "word/document.xml" in names or any(n.startswith("word/document") for n in names):
        return DOCX
    if "xl/workbook.xml" in names or any(n.startswith("xl/workbook") for n in names):
        return XLSX
    return ZIP


def _ole_kind(data: bytes, ext: str) -> str:
    streams = ole_stream_names(data)
    if "EncryptedPackage" in streams:
        return OLE  # password-protected DOCX/XLSX: reported as such by dispatch
    if "WordDocument" in streams:
        return WPS if ext == ".wps" else DOC
    if "Workbook" in streams or "Book" in streams:
        return XLS
    if ext == ".wps":
        return WPS
    return OLE


def ole_stream_names(data: bytes) -> set[str]:
    """Names in an OLE2 compound file's directory (WordDocument, Workbook, EncryptedPackage...).

    A minimal reader of the directory: enough to tell a Word file from an Excel file without a
    dependency. Falls back to searching for the UTF-16 names when the structure is damaged.
    """
    try:
        return _ole_directory(data)
    except (struct.error, ValueError, IndexError, KeyError):
        found = set()
        for n in ("WordDocument", "Workbook", "Book", "EncryptedPackage", "PowerPoint Document"):
            if n.encode("utf-16-le") in data:
                found.add(n)
        return found


def _ole_directory(data: bytes) -> set[str]:
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        raise ValueError("not OLE")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector size")
    size = 1 << shift
    n_fat = struct.unpack_from("<I", data, 44)[0]
    first_dir = struct.unpack_from("<I", data, 48)[0]
    first_difat, n_difat = struct.unpack_from("<II", data, 68)
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    guard = 0
    while first_difat < 0xFFFFFFFA and guard < n_difat and guard < 1000:
        off = 512 + first_difat * size if shift == 9 else (first_difat + 1) * size
        vals = struct.unpack_from(f"<{size // 4}I", data, off)
        fat_sectors.extend(v for v in vals[:-1] if v < 0xFFFFFFFA)
        first_difat = vals[-1]
        guard += 1
    fat_sectors = fat_sectors[: max(n_fat, 1)]

    def offset(sector: int) -> int:
        return (sector + 1) * size

    fat: list[int] = []
    for s in fat_sectors:
        fat.extend(struct.unpack_from(f"<{size // 4}I", data, offset(s)))
    names: set[str] = set()
    sector, seen = first_dir, 0
    while sector < 0xFFFFFFFA and seen < 10000:
        base = offset(sector)
        for i in range(size // 128):
            entry = data[base + i * 128: base + (i + 1) * 128]
            if len(entry) < 128:
                raise ValueError("truncated directory")
            length = struct.unpack_from("<H", entry, 64)[0]
            if 2 <= length <= 64 and entry[66] in (1, 2, 5):
                names.add(entry[: length - 2].decode("utf-16-le", errors="replace"))
        sector = fat[sector]
        seen += 1
    if not names:
        raise ValueError("empty directory")
    return names
