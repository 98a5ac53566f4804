"""Odd entries in a walked folder end in quarantine with their reason; the rest load.

The hostile entries are made here: a file whose name is not valid UTF-8 (b'bad\\xff\\xfe.txt'),
a named pipe (FIFO), a dangling symbolic link, a subfolder that cannot be listed. Before, the
first failed the whole run on every attempt (the warehouse cannot store the name), a FIFO could
block it, and the others vanished without a trace.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.cli import main
from flows.sources import discover
from tests import hostile
from tests.hostile import rows
from warehouse import store

BAD_NAME = b"bad\xff\xfe.txt"


def _deep_folder(parent: Path) -> str:
    """A subfolder nested so deep that its path is longer than the system allows (PATH_MAX):
    it cannot be listed, even by root (for whom a chmod 000 folder is readable). Made with
    paths relative to open folders, the only way to create it."""
    top = parent / "deep"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    name = "层" * 60  # 180 bytes a level
    try:
        for _ in range(25):
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open("report.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, "政府信息公开工作年度报告".encode())
        os.close(wfd)
    finally:
        os.close(fd)
    return str(top)


@pytest.fixture()
def odd_folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    good = hostile.write_good_reports(src, 3)
    with open(os.path.join(os.fsencode(src), BAD_NAME), "wb") as f:
        f.write(good[0].read_bytes() + "另附说明。".encode())  # a good report, badly named
    os.mkfifo(src / "pipe.txt")
    (src / "dangling.txt").symlink_to(src / "nowhere.txt")
    _deep_folder(src)
    return src


def test_odd_entries_are_rejected_with_their_reason(odd_folder: Path) -> None:
    found = {os.path.basename(s.uri): s for s in discover([str(odd_folder)])}
    assert found["bad\\xff\\xfe.txt"].kind == "rejected"
    assert "not valid UTF-8" in (found["bad\\xff\\xfe.txt"].reason or "")
    assert "named pipe" in (found["pipe.txt"].reason or "")
    assert "broken symbolic link" in (found["dangling.txt"].reason or "")
    deep = [s for s in found.values() if "cannot read folder" in (s.reason or "")]
    assert len(deep) == 1 and "too long" in (deep[0].reason or "")
    assert sorted(n for n, s in found.items() if s.kind == "file") == [
        "good_0000.txt", "good_0001.txt", "good_0002.txt"]


def test_a_run_over_odd_entries_loads_the_rest_every_time(odd_folder: Path,
                                                           tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    args = ["run", str(odd_folder), "--warehouse", str(wh), "--lake", str(tmp_path / "lake")]
    for _ in range(2):  # the same again changes nothing and still works
        assert main(args) == 0
        assert rows(wh, "select count(*) from reports")[0][0] == 3
        reasons = {os.path.basename(u): r for u, r in
                   rows(wh, "select source_uri, reason from quarantine")}
        assert set(reasons) >= {"bad\\xff\\xfe.txt", "pipe.txt", "dangling.txt"}
        assert len(reasons) == 4  # and the folder that cannot be listed
        assert all(r for r in reasons.values())
    assert rows(wh, "select status, inputs, loaded, quarantined from runs "
                    "order by started_at") == [("finished", 7, 3, 4), ("finished", 7, 0, 4)]


def test_a_quarantine_row_can_never_fail_a_load(tmp_path: Path) -> None:
    """Strings the warehouse cannot hold (lone surrogates of undecodable bytes, a NUL) are
    stored escaped, whatever stage produced them."""
    con = store.connect(tmp_path / "w.duckdb")
    try:
        batch = store.to_batch([], [
            store.Quarantined("/in/bad\udcff\udcfe.txt", None, "cannot read \udcff\x00 here"),
            store.Quarantined("/in/odd\ud800.txt", "ab" * 32, "lone surrogate \ud800")])
        store.load_batch(con, batch, "run-1")
        got = sorted(con.execute("select source_uri, reason from quarantine").fetchall())
    finally:
        con.close()
    assert got == [("/in/bad\\xff\\xfe.txt", "cannot read \\xff\x00 here"),
                   ("/in/odd\\ud800.txt", "lone surrogate \\ud800")]
