"""MHTML web archives (.mht, and Word's "single file web page" often renamed .doc).

The report is the archive's HTML part, usually quoted-printable with its own charset; we hand
the decoded bytes to the HTML reader with that charset as a hint only.
"""
from __future__ import annotations

import email
import email.policy

from extractors.base import RawDocument, Unreadable
from extractors.html import read_html
from extractors.limits import Deadline


def read_mht(data: bytes, deadline: Deadline | None = None) -> RawDocument:
    """Read the first HTML part of an MHTML archive."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or not payload.strip():
                continue
            doc = read_html(payload, part.get_content_charset(), deadline,
                            media_type="multipart/related")
            doc.warnings.insert(0, "read the HTML part of an MHT web archive")
            return doc
    raise Unreadable("MHT web archive without an HTML part")
