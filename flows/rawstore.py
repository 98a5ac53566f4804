"""Content-addressed store for raw report bytes, and the memory of what each URL last returned.

Why content addressing: `reports.report_id` is the sha256 of the raw bytes, so storing bodies
by that hash makes the store the single copy of every input (the same PDF fetched from two
mirrors is kept once) and lets any later stage re-read exactly the bytes a report came from.

Why temp file + rename: a crash or a kill in the middle of a write must never leave a file
whose name claims a hash its content does not have. `os.replace` within one directory tree
is atomic on POSIX and Windows, so a reader sees either no file or the complete one.

Why `FetchState`: government sites are slow and fragile; re-downloading every report on every
scheduled run is rude and wasteful. Remembering ETag / Last-Modified per URL lets the next run
ask "changed since?" and get a cheap 304 instead of the body.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".part-"


def _check_sha(sha: str) -> str:
    """Refuse anything that is not a lowercase hex sha256, so a hash can never be a path trick."""
    if not isinstance(sha, str) or not _SHA_RE.match(sha):
        raise ValueError(f"not a sha256 hex digest: {sha!r}")
    return sha


def _fsync_and_replace(fd: int, tmp: str, target: Path) -> None:
    """Flush a written temp file to disk and move it over `target` in one atomic step."""
    os.fsync(fd)
    os.close(fd)
    os.replace(tmp, target)


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that readers see the old file or the new one, never half.

    The temp file lives next to the target because a rename is only atomic within one
    file system.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX)
    try:
        _write_all(fd, data)
        _fsync_and_replace(fd, tmp, target)
    except BaseException:
        _discard(fd, tmp)
        raise


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked; loop until everything is on its way to disk."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _discard(fd: int, tmp: str) -> None:
    """Best-effort cleanup of a temp file whose write failed."""
    try:
        os.close(fd)
    except OSError:
        pass
    try:
        os.unlink(tmp)
    except OSError:
        pass


class RawStore:
    """Bodies stored as `raw_dir/ab/abcdef…` (full sha256 as the file name).

    The two-character shard directory keeps any single directory small enough for file
    systems and `ls` to stay fast with tens of thousands of reports.
    """

    def __init__(self, raw_dir: Path | str) -> None:
        self.root = Path(raw_dir)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        """Where the body with this hash lives (whether or not it is stored yet)."""
        _check_sha(sha)
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        """True when the body is stored, so callers can skip work they already did."""
        return self.path(sha).is_file()

    def get(self, sha: str) -> bytes:
        """The stored bytes; FileNotFoundError if this hash was never stored."""
        return self.path(sha).read_bytes()

    def put(self, data: bytes) -> str:
        """Store `data` and return its sha256; storing the same bytes twice is a no-op."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            atomic_write(self.path(sha), data)
        return sha

    def put_stream(self, chunks: Iterable[bytes]) -> str:
        """Store a body that arrives in pieces, hashing as it is written.

        Used for downloads so a 50 MB PDF is never held in memory twice. If the iterator raises
        (size limit, timeout, dropped connection) the temp file is removed and nothing is stored.
        """
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=_TEMP_PREFIX)
        try:
            for chunk in chunks:
                digest.update(chunk)
                _write_all(fd, chunk)
            sha = digest.hexdigest()
            target = self.path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync_and_replace(fd, tmp, target)
            return sha
        except BaseException:
            _discard(fd, tmp)
            raise


@dataclass
class CacheEntry:
    """What a URL answered last time: the validators to send and the body they stand for."""

    sha256: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    declared_charset: str | None = None


class FetchState:
    """Per-URL validators and body hash, kept in `raw_dir/fetch_state.json`.

    One JSON file is plenty for tens of thousands of URLs and can be read by a person. It is
    loaded once, updated in memory (thread-safe) and written atomically by `save()`, which
    `fetch_all` calls when it finishes. A corrupt or unreadable file is treated as empty: the
    cost is one full re-download, not a failed run.
    """

    FILENAME = "fetch_state.json"
    _VERSION = 1

    def __init__(self, raw_dir: Path | str) -> None:
        self.path = Path(raw_dir) / self.FILENAME
        self._lock = threading.Lock()
        self._entries: dict[str, CacheEntry] = self._load()

    def _load(self) -> dict[str, CacheEntry]:
        """Read the state file, or start empty if it is missing or damaged."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return {url: CacheEntry(**fields) for url, fields in doc["urls"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable fetch state %s: %s", self.path, exc)
            return {}

    def get(self, url: str) -> CacheEntry | None:
        """The entry remembered for `url`, if any."""
        with self._lock:
            return self._entries.get(url)

    def remember(self, url: str, entry: CacheEntry) -> None:
        """Record what `url` just answered."""
        with self._lock:
            self._entries[url] = entry

    def forget(self, url: str) -> None:
        """Drop `url`, e.g. when the server stopped sending validators."""
        with self._lock:
            self._entries.pop(url, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def save(self) -> None:
        """Write the state atomically so a crash mid-save keeps the previous version intact."""
        with self._lock:
            doc = {"version": self._VERSION,
                   "urls": {url: asdict(e) for url, e in sorted(self._entries.items())}}
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write(self.path, data)
