"""Hostile and good inputs the reliability tests write, and a batch function that kills its worker.

Everything here is made by the tests themselves (no shared fixtures), so that each test names
the hostile input it is about.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from tests.corpus import national

REPO = Path(__file__).resolve().parents[1]
GOVINFO = str(Path(sys.executable).with_name("govinfo"))
# what made extract use 7.9 GB: tens of thousands of figures in one "sentence" (no 。)
QUADRATIC_UNIT = "本年收到申请1件，答复1件，占100%，"
KILL_MARKER = "这一份让工作进程退出"  # a report carrying this kills the worker (kill_on_marker)


def quadratic_text(size_bytes: int = 480_000) -> str:
    """The ~480 KB text of the issue: an annual-report title, then the unit repeated."""
    n = size_bytes // len(QUADRATIC_UNIT.encode("utf-8"))
    return "某某县人民政府2020年政府信息公开工作年度报告\n" + QUADRATIC_UNIT * n


def write_good_reports(folder: Path, n: int, start: int = 0) -> list[Path]:
    """n distinct, valid national-template reports as text files."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(start, start + n):
        rep = national.make_report(national.VERSIONS[i % 2], seed=1000 + i, region="北碚区",
                                   issuer="北碚区人民政府办公室", year=2019 + i % 5)
        p = folder / f"good_{i:04d}.txt"
        p.write_text(national.to_flat_text(rep), encoding="utf-8")
        out.append(p)
    return out


def kill_on_marker(items: list[Any]) -> Any:
    """The batch task, except that the worker process dies (SIGKILL, as the kernel's
    out-of-memory killer does it) when the batch holds a file containing KILL_MARKER."""
    from flows import stages
    for it in items:
        path = it.path or it.source_uri
        try:
            if KILL_MARKER.encode("utf-8") in Path(path).read_bytes():
                os.kill(os.getpid(), signal.SIGKILL)
        except OSError:
            pass
    return stages.run_batch(items)


def memory_limited(limit_bytes: int) -> Any:
    """preexec_fn for subprocess: cap the address space of govinfo and its workers."""
    def apply() -> None:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def run_govinfo(args: list[str], timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess:
    env = dict(os.environ, PREFECT_HOME=str(REPO / "data" / "prefect"), MALLOC_ARENA_MAX="2")
    env.update(kw.pop("env", {}))
    return subprocess.run([GOVINFO, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(REPO), **kw)


def run_govinfo_killing_workers(args: list[str], timeout: float = 600
                                ) -> subprocess.CompletedProcess:
    """`govinfo ARGS` in a child Python whose batch task is `kill_on_marker`.

    The child starts its own Prefect API server before Prefect is imported, as `govinfo` does
    (so that process workers use it instead of each starting one), and runs in a session of
    its own: whatever it leaves behind when it is killed (its API server) is stopped here."""
    code = ("import sys; from flows.settings import apply_prefect_env; apply_prefect_env(); "
            "from flows.api_server import start_if_needed; start_if_needed(); "
            "import flows.ingest as ing, tests.hostile as h; "
            "ing.extract_task = ing._task('extract-batch', h.kill_on_marker); "
            "from flows.cli import main; sys.exit(main(sys.argv[1:]))")
    env = dict(os.environ, PREFECT_HOME=str(REPO / "data" / "prefect"))
    p = subprocess.Popen([sys.executable, "-c", code, *args], cwd=str(REPO), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(p.pid, signal.SIGTERM)  # the session's leftovers (p itself is done)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def rows(warehouse: Path, sql: str, *params: Any) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
