"""`uv run python -m bench.service.instructions`: instructions per request, under callgrind.

wrk's req/s on a shared 2-core machine move by ±10 % between runs of the same
code; an instruction count does not. For each engine (MariaDB with mysqlclient,
PostgreSQL; throwaway servers from `dbtier.testing.servers`, never the shared
3306/5432) this seeds a learner with a year of reports (`bench.service.data`),
then, for the ceiling's `SELECT 1` and each one-statement nippo route, starts a
child Python under `valgrind --tool=callgrind --instr-atstart=no` that builds
the app in-process (`nippo.app.create_app`, `bench.service.ceiling.create_app`:
every middleware and check on), drives it as raw ASGI (one request in flight,
so that the count repeats to ±0.2 %), switches instrumentation on after a
warm-up with `callgrind_control` and off after `--requests` requests. The
figure is the Python process's instructions per request (event loop and worker
thread; uvicorn's HTTP parsing and the database server are not in it), and each
route's ratio to the ceiling. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.service.__main__ import MYSQL_DRIVERS, ROUTES, SERVERS, new_database, route_values
from bench.service.data import Seeded, seed

CEILING = "ceiling: SELECT 1"
ONE_STATEMENT = [route for route in ROUTES if route.statements == 1]
WARMUP = 200

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


# the child: one route, in-process, under callgrind ------------------------------------
def _scope(path: str, token: str) -> dict[str, Any]:
    route, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"user-agent", b"bench.service.instructions"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _drive(app: Any, path: str, token: str, requests: int) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    for _ in range(requests):
        statuses: list[int] = []

        async def send(message: dict[str, Any], statuses: list[int] = statuses) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(_scope(path, token), receive, send)
        if statuses != [200]:
            raise RuntimeError(f"GET {path}: {statuses}")


async def _started(app: Any) -> asyncio.Task[None]:
    """The app's lifespan, started (the task keeps it running until the process ends)."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    ready = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            ready.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task: asyncio.Task[None] = asyncio.ensure_future(app(scope, messages.get, send))
    await ready.wait()
    return task


def _callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True
    )


def child(app_name: str, path: str, token: str, requests: int) -> None:
    """Build the app, warm it up, count `requests` requests (the parent reads the count)."""
    if app_name == "ceiling":
        from bench.service.ceiling import create_app
    else:
        from nippo.app import create_app
    app = create_app()

    async def run() -> None:
        lifespan = await _started(app)
        await _drive(app, path, token, WARMUP)
        _callgrind("on")
        await _drive(app, path, token, requests)
        _callgrind("off")
        lifespan.cancel()

    asyncio.run(run())


# the parent ------------------------------------------------------------------------------
def count(url: str, app_name: str, path: str, token: str, requests: int, tmp: Path) -> float:
    """Instructions per request of one route, from a child under callgrind."""
    out = tmp / f"callgrind.{app_name}.{abs(hash(path))}.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}
    env |= {"DBTIER_DATABASE_URL": url, "DBTIER_DATA_DIR": str(tmp)}
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "bench.service.instructions",
        "--child",
        json.dumps([app_name, path, token, requests]),
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{app_name} {path}: exit {done.returncode}\n{done.stderr[-2000:]}")
    totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    if totals is None:
        raise RuntimeError(f"no totals in {out}")
    return int(totals.group(1)) / requests


def paths(seeded: Seeded) -> dict[str, tuple[str, str]]:
    """Route name -> (app, path) for the ceiling and every one-statement nippo route."""
    values = route_values(seeded)
    chosen = {CEILING: ("ceiling", "/select1")}
    for route in ONE_STATEMENT:
        chosen[route.name] = ("nippo", route.path.format(**values))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.service.instructions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--engines", default="mariadb,postgres")
    parser.add_argument("--requests", type=int, default=300, help="requests counted per route")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        app_name, path, token, requests = json.loads(options.child)
        child(app_name, path, token, requests)
        return 0
    console = Console(stderr=True)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            console.print(f"[red]{tool} not found: apt-get install valgrind")
            return 2
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(SERVERS))
    if unknown:
        known = ", ".join(SERVERS)
        console.print(f"[red]--engines: unknown {', '.join(unknown)} (choose from {known})")
        return 2
    table = Table(title=f"instructions per request (M), {options.requests} requests, 1 in flight")
    table.add_column("route")
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as name:
        tmp = Path(name)
        for engine in engines:
            server_class = SERVERS[engine]
            problem = server_class.available()
            if problem:
                console.print(f"[yellow]skipping {engine}: {problem}")
                continue
            with server_class() as server:
                driver = MYSQL_DRIVERS["mysqlclient"] if engine == "mariadb" else None
                url = new_database(server, tmp, driver)
                seeded = seed(url, 1)
                rendered = url.render_as_string(hide_password=False)
                figures[engine] = {}
                for route, (app_name, path) in paths(seeded).items():
                    per_request = count(
                        rendered, app_name, path, seeded.token, options.requests, tmp
                    )
                    figures[engine][route] = per_request
                    console.print(f"  {engine:9} {route:18} {per_request / 1e6:.3f} M")
            table.add_column(engine, justify="right")
    for route in [CEILING, *(r.name for r in ONE_STATEMENT)]:
        cells = []
        for engine in figures:
            value = figures[engine][route]
            ratio = figures[engine][CEILING] / value
            cells.append(f"{value / 1e6:.3f}" + ("" if route == CEILING else f" ({ratio:.2f}×)"))
        table.add_row(route, *cells)
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
