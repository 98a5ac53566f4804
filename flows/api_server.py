"""Start Prefect's local API server at the very beginning of a run, in parallel with imports.

Prefect's ephemeral mode starts the same server (uvicorn with Prefect's app factory, on
127.0.0.1) lazily, when the flow first talks to the API, and waits for it: several seconds spent
after our own imports are done. Launching it first and pointing PREFECT_API_URL at it before
Prefect is imported overlaps the two. It is stopped when the process exits, like Prefect's own
temporary server (and dies with the process if that is killed outright); nothing listens beyond
the process and nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from flows.processes import die_with_parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalApiServer:
    """The run's own Prefect API server (only when the user has not named one)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "LocalApiServer":
        import importlib.util
        spec = importlib.util.find_spec("prefect")
        assert spec is not None and spec.origin is not None
        app_dir = str(Path(spec.origin).parent.parent)
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Ctrl-C at the terminal is for the run, which then stops this server itself:
            # killed first, it left the run failing on "Connection refused" (flows.processes)
            start_new_session=True, preexec_fn=die_with_parent())
        atexit.register(self.stop)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Block until the API answers; raise with the server's own words if it cannot."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"")[-2000:]
                raise RuntimeError("the local Prefect API server exited with code "
                                   f"{self.process.returncode}: {err.decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the local Prefect API server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        p, self.process = self.process, None
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


_SERVER: LocalApiServer | None = None


def start_if_needed() -> LocalApiServer | None:
    """Launch this process's API server unless PREFECT_API_URL names one (sets it). One per
    process, stopped at exit: Prefect reads the URL once, so later runs in the same process
    (tests, notebooks) must find the same server."""
    global _SERVER
    if _SERVER is not None and _SERVER.process is not None and _SERVER.process.poll() is None:
        return _SERVER
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None  # a named server, or Prefect already running on its own ephemeral one
    _SERVER = LocalApiServer().start()
    os.environ["PREFECT_API_URL"] = _SERVER.url
    return _SERVER
