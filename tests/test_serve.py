"""`govinfo serve` end to end: a real Prefect server, a real minutely schedule, a real stop.

Why a subprocess and the wall clock: the point of `serve` is Prefect's own scheduling (the
server's scheduler service creating runs, the runner picking them up) and a clean shutdown that
leaves no Prefect server behind; neither can be observed in-process or with a fake clock. The
test gets its own GOVINFO_DATA / PREFECT_HOME so it never touches the repository's data/, and a
`govinfo run` uses that data/ first, as it would for a user who tries `run` before `serve`.
Cost: one run (~10 s), server start (~20 s here) + up to a minute to the next cron tick + one
run.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "data" / "samples"
GOVINFO = str(Path(sys.executable).with_name("govinfo"))
RUN_DEADLINE = 150.0
STOP_DEADLINE = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _completed_runs(warehouse: Path, env: dict[str, str]) -> int:
    """Rows in `runs`, read the way a user would: `govinfo query` (waits out a running load)."""
    if not warehouse.exists():
        return 0
    out = subprocess.run([GOVINFO, "query", "select count(*) as n from runs", "--format", "csv",
                          "--warehouse", str(warehouse), "--wait", "20"],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:  # e.g. the first run is still creating the schema
        return 0
    return int(out.stdout.strip().splitlines()[-1])


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_serve_runs_on_schedule_and_stops_with_its_server(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(seed, src / seed.name)
    warehouse = tmp_path / "w.duckdb"
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(GOVINFO_DATA=str(data), PREFECT_HOME=str(data / "prefect"))
    # a user runs before serving: `run` leaves this data/ marked "migrated" for its own
    # Prefect database, which once made the served database go unmigrated (HTTP 500 "no such
    # table: deployment", and no scheduled run ever)
    first = subprocess.run(
        [GOVINFO, "run", str(src), "--warehouse", str(tmp_path / "first.duckdb"),
         "--lake", str(tmp_path / "first-lake"), "--raw-dir", str(tmp_path / "raw")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert list((data / "prefect").glob(".migrated-*")), "the run did not mark its database"
    port = _free_port()
    log = tmp_path / "serve.log"
    cmd = [GOVINFO, "serve", "--cron", "* * * * *", str(src), "--warehouse", str(warehouse),
           "--lake", str(tmp_path / "lake"), "--raw-dir", str(tmp_path / "raw"),
           "--port", str(port), "--workers", "1"]
    seen: dict[int, psutil.Process] = {}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + RUN_DEADLINE
        runs = 0
        while runs < 1:
            assert proc.poll() is None, f"serve exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no completed run in time:\n{log.read_text()}"
            seen.update({p.pid: p for p in _descendants(proc.pid)})
            time.sleep(3)
            runs = _completed_runs(warehouse, env)
        seen.update({p.pid: p for p in _descendants(proc.pid)})
        servers = [p for p in seen.values() if _alive(p) and "server" in _cmdline(p)]
        assert servers, f"no Prefect server child found among {list(seen)}"

        proc.send_signal(signal.SIGTERM)
        code = proc.wait(STOP_DEADLINE)
        text = log.read_text()
        assert code == 0, text
        assert "stopped" in text.splitlines()[-1], text
        assert " completed: inputs 1, " in text, text  # the per-run log line
        gone_by = time.monotonic() + 10
        while any(_alive(p) for p in seen.values()) and time.monotonic() < gone_by:
            time.sleep(0.2)
        left = [(p.pid, _cmdline(p)) for p in seen.values() if _alive(p)]
        assert not left, f"processes left behind: {left}"
        with socket.socket() as s:  # and the server's port is free again (TIME_WAIT aside)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        assert "Traceback" not in text, text
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for p in seen.values():  # the server runs in its own process group
            if _alive(p):
                try:
                    os.killpg(p.pid, signal.SIGKILL) if os.getpgid(p.pid) == p.pid else p.kill()
                except (ProcessLookupError, psutil.NoSuchProcess):
                    pass
