"""Turn what the user typed (`govinfo run SOURCE ... --manifest FILE`) into a list of inputs.

Why a separate step: the flow must know every input before it starts, count them in the run
summary, and quarantine the bad ones with a reason. So discovery never raises for one bad
entry: a missing path, a `file://` or `ftp://` line, an unreadable manifest all become a
`Source` of kind "rejected" carrying the reason, and the rest of the run goes on.

Only http and https are fetched: other schemes would let a manifest read arbitrary local
files or talk protocols we have no politeness rules for.

Nothing found in a folder vanishes without a trace: a subfolder that cannot be listed, a named
pipe, a socket, a dangling symbolic link or a file whose name is not valid UTF-8 becomes a
rejected `Source` with the reason (a FIFO is never opened: reading one would block the run).
A name that is not UTF-8 is stored with its bytes escaped (`bad\\xff.txt`), since the
warehouse holds text only.
"""
from __future__ import annotations

import csv
import glob
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Source", "SourceKind", "discover", "has_at_least", "read_manifest"]

SourceKind = Literal["file", "url", "rejected"]
_GLOB_CHARS = frozenset("*?[")
_MANIFEST_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in a Chinese locale saves CSV as GBK


@dataclass
class Source:
    """One input: a local file, a URL to fetch, or an entry rejected with `reason`.

    `hints` carries what a CSV manifest says about the report (region, region_code, year,
    issuer, ...) so the extractor can use it when the document itself is silent.
    """

    uri: str
    kind: SourceKind
    hints: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    # the folder a file was found in by walking: files gone from it are "missing" (see ingest)
    root: str | None = field(default=None, compare=False)


def discover(sources: list[str], manifest: str | None = None) -> list[Source]:
    """Expand command-line sources, then manifest entries, into unique `Source`s.

    Order is stable: sources in the order given, each directory or glob expanded in sorted
    path order. A source met twice is returned once, at its first position; hints from later
    mentions fill in keys the first one lacked.
    """
    found: list[Source] = []
    for entry in sources:
        found.extend(_expand(entry, Path.cwd(), {}))
    if manifest is not None:
        found.extend(read_manifest(manifest))
    return _dedupe(found)


def has_at_least(sources: list[str], manifest: str | None, n: int) -> bool:
    """Whether the sources stand for at least `n` inputs, counted cheaply and only up to `n`.

    Used before the run starts (to choose a task runner), when a full `discover` would walk
    a large tree twice. Folders and globs are walked lazily; a URL or a manifest line counts
    as one input; nothing is read, fetched or rejected here.
    """
    seen = 0
    for entry in sources:
        seen += _count_up_to(entry, n - seen)
        if seen >= n:
            return True
    if manifest is not None:
        text, _ = _read_text(Path(manifest).expanduser())
        for _ in _manifest_entries(text or ""):
            seen += 1
            if seen >= n:
                return True
    return seen >= n


def _count_up_to(entry: str, limit: int) -> int:
    try:
        if _scheme(entry) in ("http", "https"):
            return 1
        path = Path(os.path.expanduser(entry))
        if path.is_dir():
            return sum(1 for _ in islice(_visible_entries(path), limit))
        if path.exists() or not _GLOB_CHARS & set(entry):
            return 1
        count = 0
        for _ in glob.iglob(os.path.expanduser(entry), recursive=True):
            count += 1
            if count >= limit:
                break
        return count
    except (OSError, ValueError):
        return 1


def read_manifest(manifest: str | os.PathLike[str]) -> list[Source]:
    """Sources listed in a manifest: one per line, or a CSV with a `source` column.

    Relative paths are resolved against the manifest's folder, so a manifest travels with
    its files. An unreadable manifest is itself one rejected source.
    """
    path = Path(manifest).expanduser()
    text, problem = _read_text(path)
    if text is None:
        return [Source(_uri(str(path)), "rejected", reason=problem)]
    base = path.absolute().parent
    found: list[Source] = []
    for entry, hints in _manifest_entries(text):
        found.extend(_expand(entry, base, hints))
    return found


def _read_text(path: Path) -> tuple[str | None, str | None]:
    """The manifest's text, trying UTF-8 then GB18030; or None and why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "no such manifest file"
    except IsADirectoryError:
        return None, "manifest is a directory"
    except OSError as exc:
        return None, f"cannot read manifest: {exc.strerror or exc}"
    for encoding in _MANIFEST_ENCODINGS:
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return None, "manifest is neither UTF-8 nor GB18030 text"


def _manifest_entries(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(entry, hints) pairs; a header row naming a `source` column makes it a CSV."""
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if not _is_skippable(line)), None)
    if header_at is None:
        return
    delimiter = "\t" if "\t" in lines[header_at] else ","
    header = [c.strip().lower() for c in next(csv.reader([lines[header_at]], delimiter=delimiter))]
    if "source" in header:
        yield from _csv_entries("\n".join(lines[header_at:]), delimiter)
    else:
        yield from ((line.strip(), {}) for line in lines if not _is_skippable(line))


def _is_skippable(line: str) -> bool:
    """Blank lines and `#` comments carry no source."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _csv_entries(text: str, delimiter: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of a CSV manifest: the `source` cell plus every other non-empty cell as a hint."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
    for row in reader:
        entry = (row.get("source") or "").strip()
        if _is_skippable(entry):
            continue
        hints = {key: value.strip() for key, value in row.items()
                 if key and key != "source" and isinstance(value, str) and value.strip()}
        yield entry, hints


def _expand(entry: str, base: Path, hints: dict[str, str]) -> list[Source]:
    """One entry -> the sources it stands for; an entry the OS chokes on is rejected, not raised."""
    try:
        return _expand_entry(entry, base, hints)
    except (OSError, ValueError) as exc:  # e.g. a NUL byte, a name too long, EACCES on a folder
        return [Source(entry, "rejected", dict(hints), f"unusable path: {exc}")]


def _expand_entry(entry: str, base: Path, hints: dict[str, str]) -> list[Source]:
    """A URL, the files a path / directory / glob stands for, or one rejection."""
    if not entry.strip():
        return [Source(entry, "rejected", dict(hints), "empty source")]
    scheme = _scheme(entry)
    # a one-letter "scheme" is a Windows drive; `report:2023.pdf` may be a real file name
    if scheme in ("http", "https") or (len(scheme) > 1 and not (base / entry).exists()):
        return [_url_source(entry, scheme, hints)]
    entry = os.path.expanduser(entry)
    if os.path.isabs(entry):
        return _path_sources(Path(entry), entry, hints)
    # the manifest's folder is literal even if its name happens to contain [ or *
    return _path_sources(base / entry, os.path.join(glob.escape(str(base)), entry), hints)


def _scheme(entry: str) -> str:
    """The URL scheme of an entry, '' for a plain path (urlsplit itself can raise)."""
    head, sep, _ = entry.partition(":")
    if sep and head[:1].isalpha() and all(c.isalnum() or c in "+-." for c in head):
        return head.lower()
    return ""


def _url_source(entry: str, scheme: str, hints: dict[str, str]) -> Source:
    """http(s) URLs are accepted (normalized for de-duplication); any other scheme is not."""
    if scheme not in ("http", "https"):
        return Source(entry, "rejected", dict(hints),
                      f"unsupported URL scheme '{scheme}' (only http and https)")
    try:
        parts = urlsplit(entry)
        host, _ = parts.hostname, parts.port  # .port raises on a non-numeric port
    except ValueError as exc:
        return Source(entry, "rejected", dict(hints), f"invalid URL: {exc}")
    if not host:
        return Source(entry, "rejected", dict(hints), "invalid URL: no host")
    normalized = urlunsplit((scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    return Source(normalized, "url", dict(hints))


def _path_sources(path: Path, pattern: str, hints: dict[str, str]) -> list[Source]:
    """A file, every visible file under a directory, or every match of a glob.

    An existing path wins over a glob reading, so a file literally named `report[1].pdf`
    is still found.
    """
    if path.is_dir():
        return _walk(path, hints)
    if path.exists() or path.is_symlink():
        return [_file_source(path, hints)]
    if _GLOB_CHARS & set(pattern):
        return _glob_sources(path, pattern, hints)
    return [Source(_uri(str(path)), "rejected", dict(hints), "no such file")]


def _file_source(path: Path, hints: dict[str, str]) -> Source:
    """An explicitly named file, rejected if it cannot possibly be read."""
    problem = _entry_problem(str(path))
    if problem is None and not os.access(path, os.R_OK):
        problem = "permission denied"
    if problem is not None:
        return Source(_uri(str(path)), "rejected", dict(hints), problem)
    return Source(_abspath(path), "file", dict(hints))


def _glob_sources(path: Path, pattern: str, hints: dict[str, str]) -> list[Source]:
    """Expand a glob (`**` crosses directories); matched directories are walked too."""
    found: list[Source] = []
    for match in sorted(glob.glob(pattern, recursive=True)):
        if os.path.isdir(match):
            found.extend(_walk(Path(match), hints))
        else:
            found.append(_entry_source(match, hints))
    if not found:
        return [Source(_uri(str(path)), "rejected", dict(hints), "no file matches the pattern")]
    return found


def _walk(root: Path, hints: dict[str, str]) -> list[Source]:
    """Every visible entry under `root` as a source, sorted; hidden files and folders skipped.

    Hidden entries are editor backups, VCS metadata, `.DS_Store`: never reports. Symlinked
    folders are not followed, so a link loop cannot make discovery endless. Entries that
    cannot be inputs (see the module notes) are rejected with their reason."""
    top = _abspath(root)
    found = [_entry_source(full, hints, problem) for full, problem in _visible_entries(root)]
    for s in found:
        s.root = top
    return sorted(found, key=lambda s: s.uri)


def _visible_entries(root: Path) -> Iterator[tuple[str, str | None]]:
    """(path, problem) of each visible entry `_walk` reports, lazily (`has_at_least` stops
    early): problem is None for a regular file, else why it cannot be an input."""
    unreadable: list[OSError] = []
    for folder, dirs, names in os.walk(root, onerror=unreadable.append):
        yield from _folder_errors(unreadable)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                full = os.path.join(folder, name)
                yield full, _entry_problem(full)
    yield from _folder_errors(unreadable)


def _folder_errors(errors: list[OSError]) -> Iterator[tuple[str, str | None]]:
    """The folders os.walk could not list (it reports them through onerror, then skips)."""
    while errors:
        e = errors.pop(0)
        yield str(e.filename), f"cannot read folder: {e.strerror or e}"


def _entry_problem(full: str) -> str | None:
    """Why the entry at `full` cannot be an input, or None for a regular file."""
    try:
        full.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8 (stored with its bytes escaped); rename it to load it"
    try:
        mode = os.stat(full).st_mode
    except FileNotFoundError:
        if os.path.islink(full):
            return f"broken symbolic link (to {_uri(os.readlink(full))}, which does not exist)"
        return "file disappeared while the folder was read"
    except OSError as e:
        return f"cannot read: {e.strerror or e}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file; it is not opened"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISDIR(mode):
        return "a folder reached through a symbolic link (not followed)"
    return "not a regular file"


def _entry_source(full: str, hints: dict[str, str], problem: str | None = "?") -> Source:
    """A found entry as a file source or a rejection (`problem` is looked up when not given)."""
    if problem == "?":
        problem = _entry_problem(full)
    if problem is None:
        return Source(_abspath(Path(full)), "file", dict(hints))
    return Source(_uri(full), "rejected", dict(hints), problem)


def _abspath(path: Path) -> str:
    """Absolute, normalized, symlinks kept: the path as the user would recognise it."""
    return os.path.abspath(path)


def _uri(path: str) -> str:
    """The absolute path as text the warehouse can hold: bytes that are not UTF-8 (which
    Python keeps as lone surrogates) are written as \\xNN escapes."""
    full = os.path.abspath(path)
    try:
        full.encode("utf-8")
        return full
    except UnicodeEncodeError:
        return os.fsencode(full).decode("utf-8", "backslashreplace")


def _dedupe(found: list[Source]) -> list[Source]:
    """Keep the first mention of each (kind, uri); merge hints from later mentions."""
    unique: dict[tuple[str, str], Source] = {}
    for source in found:
        key = (source.kind, source.uri)
        first = unique.setdefault(key, source)
        if first is not source:
            for name, value in source.hints.items():
                first.hints.setdefault(name, value)
    return list(unique.values())
