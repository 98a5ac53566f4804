"""Open DOCX/XLSX containers only after checking the zip directory for bombs and DTD tricks.

A 40 KB zip can declare gigabytes of XML. The central directory states every member's sizes
before anything is inflated, and Python's zipfile refuses to yield more than the declared size,
so checking the directory bounds the work. Office XML never contains a DTD, so a DOCTYPE or
ENTITY declaration (billion laughs, external entities) is refused outright.
"""
from __future__ import annotations

import io
import re
import zipfile

from extractors.base import Unreadable
from extractors.limits import MAX_UNZIPPED_BYTES, MAX_ZIP_MEMBERS, MAX_ZIP_RATIO

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)


def open_checked_zip(data: bytes, kind: str,
                     max_total: int = MAX_UNZIPPED_BYTES,
                     max_ratio: float = MAX_ZIP_RATIO,
                     max_members: int = MAX_ZIP_MEMBERS) -> zipfile.ZipFile:
    """Return an open ZipFile, or raise Unreadable when the archive is damaged or a bomb."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise Unreadable(f"damaged {kind} file (zip container unreadable: {e})") from None
    if len(infos) > max_members:
        raise Unreadable(f"{kind} refused: {len(infos)} files in the zip container "
                         f"(limit {max_members})")
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise Unreadable(f"{kind} refused as a zip bomb: declares {total} bytes uncompressed "
                         f"(limit {max_total})")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > max_ratio * max(1, i.compress_size):
            ratio = i.file_size / max(1, i.compress_size)
            raise Unreadable(f"{kind} refused as a zip bomb: {i.filename} expands {ratio:.0f}x "
                             f"to {i.file_size} bytes (limit {max_ratio:g}x)")
        if i.flag_bits & 0x1:
            raise Unreadable(f"{kind} is encrypted (password-protected zip)")
    for i in infos:
        if i.filename.endswith((".xml", ".rels")):
            try:
                with zf.open(i) as f:
                    head = f.read(4096)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
                raise Unreadable(f"damaged {kind} file ({i.filename}: {e})") from None
            if _DTD.search(head):
                raise Unreadable(f"{kind} refused: {i.filename} declares a DTD or entities "
                                 "(never present in genuine Office files)")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, kind: str) -> bytes:
    """Read one member, turning CRC and decompression errors into a readable reason."""
    try:
        return zf.read(name)
    except KeyError:
        raise Unreadable(f"damaged {kind} file (missing {name})") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as e:
        raise Unreadable(f"damaged {kind} file ({name}: {e})") from None
