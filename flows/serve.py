"""`govinfo serve`: run the `ingest` flow on a cron schedule with Prefect's own scheduling.

Why a real server: `govinfo run` uses Prefect's ephemeral API, which has no scheduler service, so a
schedule registered there never produces a run. Unless the user already points PREFECT_API_URL at
a server, `serve` therefore starts `prefect server start` on 127.0.0.1 (state under the project's
PREFECT_HOME, scheduler service switched on for that process only), waits for it to be healthy,
serves the flow through it, and on Ctrl-C / SIGTERM stops serving and then stops that server -
and only that one: it runs in its own process group, which is what gets signalled.

Why one run at a time: DuckDB allows a single writer, so a run that outlasts its cron interval
must delay the next one rather than make it fail on the lock (`limit=1` on the runner).
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from flows.cli import task_runner
from flows.processes import die_with_parent, hold_interrupts
from flows.settings import prefect_env

__all__ = ["ServeError", "serve", "server_env", "start_server", "stop_server", "wait_healthy"]

HOST = "127.0.0.1"
HEALTH_TIMEOUT = 120.0  # a cold server on a busy machine migrates its database first
STOP_TIMEOUT = 20.0
EXIT_SERVE = 2

# The started server needs the scheduler (flows.settings switches it off for ephemeral runs);
# UI and analytics stay as flows.settings / the user set them. Unless the user chose a database,
# it gets its own file, so `govinfo run` (ephemeral API, prefect.db) never waits on its locks.
_SERVER_OVERRIDES = {"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true"}
_DB_VARS = ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL")


class ServeError(RuntimeError):
    """Serving could not start (server did not come up, port taken, bad schedule)."""


def _say(message: str) -> None:
    """One timestamped line on stdout: the operator's log of what the service is doing."""
    print(f"{datetime.now().isoformat(timespec='seconds')} govinfo serve: {message}", flush=True)


def _prefect_home() -> Path:
    """Where the started server keeps its database and log (flows.settings put it under data/)."""
    return Path(os.environ.get("PREFECT_HOME") or prefect_env()["PREFECT_HOME"])


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the started server: ours, with the scheduler on and its own DB.

    PREFECT_API_URL is dropped because it would describe the server it is about to become.
    """
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)
    env.update(_SERVER_OVERRIDES)
    home = Path(env.get("PREFECT_HOME") or _prefect_home())
    env["PREFECT_HOME"] = str(home)
    if not any(env.get(v) for v in _DB_VARS):
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home / 'served.db'}"
        # flows.settings turns start-up migration off once `govinfo run` has migrated
        # prefect.db; that says nothing about this file, which a server that skipped its
        # migration served without tables (HTTP 500 "no such table: deployment"). Migrating
        # a current database is a quick no-op.
        env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "true"
    return env


def _prefect_command() -> list[str]:
    """The venv's own `prefect` script, so the server runs the same Prefect as the flow."""
    exe = Path(sys.executable).with_name("prefect")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "prefect"]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def start_server(port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `prefect server start` on 127.0.0.1:port in its own process group.

    Its output goes to PREFECT_HOME/server-PORT.log so our terminal shows only our own log.
    """
    if not _port_is_free(port):
        raise ServeError(f"port {port} on {HOST} is already in use; choose another with --port "
                         "or point PREFECT_API_URL at a running Prefect server")
    env = server_env()
    home = Path(env["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / f"server-{port}.log"
    cmd = _prefect_command() + ["server", "start", "--host", HOST, "--port", str(port)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=die_with_parent())
    return proc, log_path


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None = None,
                 timeout: float = HEALTH_TIMEOUT, log_path: Path | None = None) -> None:
    """Block until `url`/health answers; fail fast if the server process dies meanwhile."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            tail = _log_tail(log_path) if log_path else ""
            raise ServeError(f"the Prefect server exited with code {proc.returncode} before it "
                             f"was ready" + (f"; last lines of {log_path}:\n{tail}" if tail else ""))
        try:
            with opener.open(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            where = f" (its log: {log_path})" if log_path else ""
            raise ServeError(f"the Prefect server at {url} did not answer /health within "
                             f"{timeout:.0f} s{where}")
        time.sleep(0.5)


def stop_server(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the server's process group (it is its leader), SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class _Interrupted(KeyboardInterrupt):
    """SIGTERM while starting up (before the runner handles it): unwind like Ctrl-C."""


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted(signal.Signals(signum).name)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Make SIGTERM unwind (so `finally` stops the server); restore the old handler after."""
    main = sys.platform != "win32" and _in_main_thread()
    old = signal.signal(signal.SIGTERM, _raise_interrupt) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)


def _in_main_thread() -> bool:
    """Signal handlers can only be changed from the main thread."""
    return threading.current_thread() is threading.main_thread()


def _absolute(parameters: dict[str, Any]) -> dict[str, Any]:
    """Store output paths absolute in the deployment, so they mean the same in every run."""
    out = dict(parameters)
    for key in ("warehouse", "lake", "raw_dir", "manifest"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = os.path.abspath(out[key])
    return out


# Flow-run state hooks. They run in the flow-run process (the runner spawns one per run) and
# write to the same stdout as the service, giving one line per run start and finish.
def _on_running(flow: Any, flow_run: Any, state: Any) -> None:
    _say(f"run {flow_run.name} ({flow_run.id}) started")


def _on_finished(flow: Any, flow_run: Any, state: Any) -> None:
    detail = ""
    if state.is_completed():
        try:
            s = state.result(raise_on_failure=False)
            if isinstance(s, dict):
                detail = (f": inputs {s.get('inputs')}, loaded {s.get('loaded')}, skipped "
                          f"{s.get('skipped')}, quarantined {s.get('quarantined')}, metrics "
                          f"{s.get('metrics')}, {s.get('seconds')} s")
        except Exception:  # noqa: BLE001 - the log line must never fail the run
            pass
    elif state.message:
        detail = f": {state.message}"
    _say(f"run {flow_run.name} ({flow_run.id}) {state.name.lower()}{detail}")


def _check_cron(cron: str) -> None:
    """Reject a bad schedule before spending a minute starting a server for it."""
    from prefect.client.schemas.schedules import CronSchedule
    try:
        CronSchedule(cron=cron)
    except ValueError as e:  # pydantic's ValidationError: keep its one useful line
        errors = getattr(e, "errors", None)
        why = errors()[0].get("msg", str(e)) if callable(errors) and errors() else str(e)
        raise ServeError(f"invalid cron schedule {cron!r}: {why}") from None


def serve(cron: str, name: str, port: int, parameters: dict[str, Any],
          runner: tuple[str, int, str | None]) -> int:
    """Serve `ingest` with `parameters` on the `cron` schedule until interrupted; exit code.

    `runner` is (kind, workers, dask_address) as for `govinfo run`. Returns 0 after a requested
    stop (Ctrl-C / SIGTERM), 2 when serving could not start or broke down.
    """
    server: subprocess.Popen[bytes] | None = None
    code = 0
    try:
        with _sigterm_as_interrupt():
            _check_cron(cron)
            api_url = os.environ.get("PREFECT_API_URL")
            if api_url:
                _say(f"using the Prefect API at {api_url}")
            else:
                server, log_path = start_server(port)
                api_url = f"http://{HOST}:{port}/api"
                _say(f"started a Prefect server (pid {server.pid}, log {log_path}); "
                     f"waiting for {api_url}")
                wait_healthy(api_url, server, HEALTH_TIMEOUT, log_path)
                os.environ["PREFECT_API_URL"] = api_url  # inherited by every flow run
            _serve_flow(cron, name, api_url, parameters, runner)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see _sigterm_as_interrupt and _Runner)
        pass
    except ServeError as e:
        print(f"govinfo serve: {e}", file=sys.stderr)
        code = EXIT_SERVE
    except Exception as e:  # noqa: BLE001 - say what broke, then still stop the server
        print(f"govinfo serve: serving failed: {type(e).__name__}: {e}", file=sys.stderr)
        code = EXIT_SERVE
    finally:
        if server is not None:
            with hold_interrupts():  # a second Ctrl-C must not orphan the server
                _say(f"stopping the Prefect server (pid {server.pid})")
                stop_server(server)
    if code == 0:
        _say("stopped")
    return code


def _serve_flow(cron: str, name: str, api_url: str, parameters: dict[str, Any],
                runner: tuple[str, int, str | None]) -> None:
    """Register the deployment and poll for its runs (blocks until a signal stops it).

    This is `Flow.serve` (a Runner, `add_flow`, `start`) with one change. Prefect 3.8.8's own
    SIGTERM handler calls `Runner.stop()` from synchronous code inside the running loop, which
    only creates an un-awaited coroutine ("coroutine 'Runner.astop' was never awaited") and then
    `sys.exit`s out of the middle of the loop. Here SIGTERM does what Ctrl-C does under
    `asyncio.run`: cancel the main task, so the runner unwinds normally - a flow run in progress
    is allowed to finish, the schedule is paused while the server is still up - and then `serve`
    stops the server. (Ctrl-C at a terminal also reaches the flow-run process, which then
    crashes the run; loads are one transaction per batch, so the warehouse stays consistent.)
    """
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.ingest import ingest

    main: dict[str, Any] = {}

    class _Runner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            if main.get("stopping"):  # a second SIGTERM must not cut the orderly shutdown short
                return
            main["stopping"] = True
            main["loop"].call_soon_threadsafe(main["task"].cancel)

    async def run_until_cancelled(r: Runner) -> None:
        main.update(loop=asyncio.get_running_loop(), task=asyncio.current_task())
        await r.start()

    hooks = {"on_running": [_on_running], "on_completion": [_on_finished],
             "on_failure": [_on_finished], "on_crashed": [_on_finished],
             "on_cancellation": [_on_finished]}
    flow = ingest.with_options(task_runner=task_runner(*runner), **hooks)
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        prefect_runner = _Runner(name=name, pause_on_shutdown=True, limit=1)
        prefect_runner.add_flow(flow, name=name, cron=cron, parameters=_absolute(parameters))
        _say(f"serving flow 'ingest' as deployment {name!r} on cron {cron!r}; "
             "stop with Ctrl-C or SIGTERM")
        try:
            asyncio.run(run_until_cancelled(prefect_runner))
        except asyncio.CancelledError:
            if not main.get("stopping"):
                raise
            _say("SIGTERM received; stopped serving")
