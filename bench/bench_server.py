"""A `rapport serve` process on a free port for the single-server benchmarks
(socket_events.py, photo_stall.py): gevent, rate limits off, on the given Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(code_dir: Path, redis_url: str, tmp: Path, **settings: str,
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Serve the tree at `code_dir` (`settings`: extra RAPPORT_* variables); returns the process
    and its URL once /healthz answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(REDIS_URL=redis_url, ASYNC_MODE="gevent", RAPPORT_RATE_LIMITS="off",
               SECRET_KEY="bench-secret-key-0123456789", PYTHONPATH=str(code_dir),
               RAPPORT_INSTANCE_PATH=str(tmp / f"instance-{port}"), **settings)
    log = (tmp / f"server-{port}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port)],
                            cwd=code_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {tmp}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.1)  # waiting for an external process to listen
    raise RuntimeError("server did not start")
