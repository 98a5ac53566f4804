"""`govinfo run` in a real terminal: a pseudo-terminal, Ctrl-C typed into it, kill -9.

Why a pty: what differs on a terminal is what broke there. The progress bar is drawn only when
stderr is a terminal, and it once travelled with every batch to the process pool ("cannot
pickle '_thread.RLock' object": every input quarantined, exit 0); Prefect prints its telemetry
notice only to a terminal. Ctrl-C at a terminal signals every process of the foreground group
at once (the run, its API server, the forkserver, the workers), which is not what a plain
SIGINT to one process does, so it is typed into the pty as a user would (^C). And a run killed
outright (kill -9) runs no clean-up code at all: its children must go by themselves.

Each test runs the installed `govinfo` with its own GOVINFO_DATA (Prefect's state) and
generated reports: copies of the bundled samples, each made distinct by one added line.
"""
from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, seed_paths
from tests.hostile import rows as _query

GOVINFO = str(Path(sys.executable).with_name("govinfo"))
BATCH = 10
# Prefect turns telemetry off by itself where one of these is set (CI); the test wants to see
# that govinfo turns it off, so they are removed
_CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TRAVIS", "CIRCLECI",
            "BUILDKITE", "TF_BUILD", "CODEBUILD_BUILD_ID", "BITBUCKET_COMMIT",
            "TEAMCITY_VERSION", "DRONE", "SEMAPHORE", "APPVEYOR", "BUDDY", "CI_NAME")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")

def _write_reports(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    seeds = [p.read_bytes() for p in seed_paths()]
    for i in range(n):
        (folder / f"r{i:05d}.txt").write_bytes(seeds[i % len(seeds)] + f"\n附注{i}\n".encode())
    return folder


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough reports that a run is still working seconds after its first batches load."""
    return _write_reports(tmp_path_factory.mktemp("big") / "in", 2500)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data/ folder Prefect has never used (the first test meets a first run)."""
    return tmp_path_factory.mktemp("govinfo-data")


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k not in _CI_VARS and k != "DO_NOT_TRACK"}
    env.update(GOVINFO_DATA=str(data), TERM="xterm-256color")
    return env


class Terminal:
    """A command running in a new pseudo-terminal, as its controlling terminal."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

        def become_session_leader_on_the_pty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=ROOT, preexec_fn=become_session_leader_on_the_pty)
        os.close(slave)
        self.master = master
        self._out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every process holding the terminal has gone
                return
            if not chunk:
                return
            self._out.extend(chunk)

    @property
    def text(self) -> str:
        return _ANSI.sub("", bytes(self._out).decode("utf-8", errors="replace"))

    def progress(self) -> int:
        """Documents done, as the progress bar last showed it."""
        found = re.findall(r"(\d+)/(\d+)", self.text)
        return int(found[-1][0]) if found else 0

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        self._reader.join(5)
        os.close(self.master)


def _watch(pid: int, seen: dict[int, psutil.Process]) -> None:
    """Remember every process below `pid` (once it dies, its orphans have another parent)."""
    try:
        for p in psutil.Process(pid).children(recursive=True):
            seen.setdefault(p.pid, p)
    except psutil.NoSuchProcess:
        pass


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _left_behind(seen: dict[int, psutil.Process], within: float) -> list[tuple[int, str]]:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in seen.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [(p.pid, _cmdline(p)[:120]) for p in seen.values() if _alive(p)]


def _kill_all(seen: dict[int, psutil.Process], proc: subprocess.Popen[bytes]) -> None:
    """Clean-up after a failed assertion: nothing of a test may outlive it."""
    for p in [*seen.values()]:
        if _alive(p):
            p.kill()
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _run_args(src: Path, tmp: Path) -> list[str]:
    return [GOVINFO, "run", str(src), "--task-runner", "process", "--workers", "2",
            "--warehouse", str(tmp / "w.duckdb"), "--lake", str(tmp / "lake"),
            "--raw-dir", str(tmp / "raw")]


def test_a_terminal_run_of_300_files_loads_them_all(tmp_path: Path, data_dir: Path) -> None:
    """The process pool under a progress bar, and a first run in a terminal stays quiet."""
    src = _write_reports(tmp_path / "in", 300)
    term = Terminal(_run_args(src, tmp_path), _env(data_dir))
    try:
        code = term.proc.wait(600)
    finally:
        _kill_all({}, term.proc)
        term.close()
    text = term.text
    assert code == 0, text[-3000:]
    assert "300/300" in text  # the progress bar was drawn: this ran on a terminal
    assert "reports loaded    300" in text and "quarantined       0" in text, text[-3000:]
    assert "cannot pickle" not in text
    assert _query(tmp_path / "w.duckdb", "select count(*) from reports") == [(300,)]
    # analytics are off: no first-run notice, nothing written for it
    assert "anonymous usage data" not in text
    assert not (data_dir / "prefect" / ".sdk_telemetry").exists()
    # and nothing else reaches the user's terminal at exit
    assert "nanobind" not in text and "Traceback" not in text, text[-3000:]


def test_ctrl_c_stops_the_run_keeps_whole_batches_and_leaves_no_process(
        tmp_path: Path, data_dir: Path, big_corpus: Path) -> None:
    term = Terminal(_run_args(big_corpus, tmp_path) + ["--batch-size", str(BATCH)],
                    _env(data_dir))
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 300
        while term.progress() < 2 * BATCH:  # two batches loaded, the pool busy with more
            assert term.proc.poll() is None, term.text[-3000:]
            assert time.monotonic() < deadline, term.text[-3000:]
            _watch(term.proc.pid, seen)
            time.sleep(0.1)
        _watch(term.proc.pid, seen)
        commands = [_cmdline(p) for p in seen.values()]
        term.type(b"\x03")  # ^C: SIGINT to the terminal's foreground process group
        pressed = time.monotonic()
        code = term.proc.wait(30)
        took = time.monotonic() - pressed
        left = _left_behind(seen, within=10)
    finally:
        _kill_all(seen, term.proc)
        term.close()
    text = term.text
    assert any("uvicorn" in c for c in commands), commands  # the API server,
    assert sum("forkserver" in c for c in commands) >= 3, commands  # forkserver and workers
    assert took < 10, f"{took:.1f} s after Ctrl-C"
    assert code == 130, text[-3000:]
    assert left == [], f"processes left behind: {left}"
    assert "interrupted" in text.splitlines()[-1], text[-2000:]
    assert "nanobind" not in text and "Traceback" not in text, text[-3000:]
    wh = tmp_path / "w.duckdb"
    [(status, loaded, inputs)] = _query(wh, "select status, loaded, inputs from runs")
    [(reports,)] = _query(wh, "select count(*) from reports")
    assert status == "interrupted" and inputs == 2500
    assert loaded == reports and 0 < reports < 2500
    assert reports % BATCH == 0, f"{reports} reports: a batch was loaded in part"
    assert _query(wh, "select count(*) from quarantine") == [(0,)]


def test_kill_9_leaves_no_process(tmp_path: Path, data_dir: Path, big_corpus: Path) -> None:
    """Killed outright, the run runs no clean-up: its server and workers go by themselves."""
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(_run_args(big_corpus, tmp_path), env=_env(data_dir), cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 300
        while sum("forkserver" in _cmdline(p) for p in seen.values() if _alive(p)) < 3:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            _watch(proc.pid, seen)
            time.sleep(0.1)
        _watch(proc.pid, seen)
        commands = [_cmdline(p) for p in seen.values()]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        left = _left_behind(seen, within=10)
    finally:
        _kill_all(seen, proc)
    assert any("uvicorn" in c for c in commands), commands
    assert sum("forkserver" in c for c in commands) >= 3, commands
    assert left == [], f"processes left behind: {left}"
