"""The real nippo app, served by uvicorn on a free port, for the load to hit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import URL

POOL_SIZE = 10
MAX_OVERFLOW = 10


def free_port() -> int:
    """A port nothing listens on now (bind port 0, read it, let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(url: URL, log: Path, workers: int = 1) -> Iterator[str]:
    """Run `uvicorn nippo.app:create_app` (`workers` processes, as that many service tasks
    would) against `url`; yields its base URL; stops it by PID."""
    port = free_port()
    env = {
        **os.environ,
        "DBTIER_DATABASE_URL": url.render_as_string(hide_password=False),
        "DBTIER_POOL_SIZE": str(POOL_SIZE),
        "DBTIER_MAX_OVERFLOW": str(MAX_OVERFLOW),
        "DBTIER_LOG_LEVEL": "WARNING",
    }
    env.pop("DBTIER_DB_SECRET_ID", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "nippo.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}; see its log")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"nippo did not answer on {base} within {timeout:g}s")


__all__ = ["free_port", "serve"]
