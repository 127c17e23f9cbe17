"""`uv run python -m bench.online_migration [--engines mariadb,postgres] [--rows N] [--rate R]`.

Per engine: a database of its own on the shared server (127.0.0.1:3306 /
:5432; created and dropped here, nothing reconfigured), nippo's schema from
nippo's migrations, `--rows` task rows, the nippo app under uvicorn, a
steady open-loop load of `--rate` requests/s, and each migration of the set
run naively and the dbtier way. For each run: `--baseline` seconds of load
just before it (the baseline), then the migration (the window); failed
requests, p50/p99 in both, their ratio, and the migration's duration. The
table is printed and saved (Markdown and JSON) under
bench/online_migration/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import faulthandler
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bench.online_migration import app, data, migrations
from bench.online_migration.load import Load, Stats

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).with_name("results")
ENGINES = ("mariadb", "postgres")
WARMUP_S = 5.0
SETTLE_S = 1.0
console = Console(stderr=True)


@dataclass(frozen=True)
class Row:
    """One migration run one way on one engine."""

    engine: str
    migration: str
    way: str
    exit_code: int
    duration_s: float
    baseline: Stats
    during: Stats

    @property
    def p99_ratio(self) -> float:
        return round(self.during.p99_ms / self.baseline.p99_ms, 2) if self.baseline.p99_ms else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "p99_ratio": self.p99_ratio}


@dataclass(frozen=True)
class Window:
    migration: str
    way: str
    exit_code: int
    baseline: tuple[float, float]
    during: tuple[float, float]


def _run_sql(url: URL, statements: list[str], attempts: int = 5) -> None:
    """Set-up SQL outside the windows; retried, since DDL under load may deadlock or time out."""
    engine = create_engine(url)
    try:
        for attempt in range(attempts):
            try:
                with engine.connect() as conn:
                    if url.get_backend_name() == "postgresql":
                        conn.execute(text("SET lock_timeout = 2000"))
                    for statement in statements:
                        conn.execute(text(statement))
                    conn.commit()
                return
            except DBAPIError:
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
    finally:
        engine.dispose()


async def _migrate(
    command: list[str], url: URL, log: Path, ready: asyncio.Event, cue: asyncio.Event
) -> tuple[int, float, float]:
    """Start the command, set `ready` once it has loaded, run it when `cue` is set;
    (exit code, start, end)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DBTIER_DATABASE_URL": url.render_as_string(hide_password=False),
    }
    env.pop("DBTIER_DB_SECRET_ID", None)
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    line = await process.stdout.readline()
    if line.strip() != b"READY":
        raise RuntimeError(f"{command} did not start: {line!r}")
    ready.set()
    await cue.wait()
    start = time.monotonic()
    output, _ = await process.communicate(b"GO\n")
    end = time.monotonic()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode() + output)
    return int(process.returncode or 0), start, end


async def _one(
    engine_name: str,
    url: URL,
    migration: migrations.Migration,
    way: str,
    work: Path,
    baseline: float,
) -> Window:
    ini = migrations.project(Path(tempfile.mkdtemp(prefix="dbtier-om-")), migration, way, url)
    log = work / f"{engine_name}-{migration.name}-{way}.log"
    if migration.before.get(engine_name):
        await asyncio.to_thread(_run_sql, url, migration.before[engine_name])
    ready, cue = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(
        _migrate(migrations.upgrade_command(way, ini, sys.executable), url, log, ready, cue)
    )
    await asyncio.wait(
        [asyncio.ensure_future(ready.wait()), running], return_when=asyncio.FIRST_COMPLETED
    )
    if running.done():  # it failed to start: raise its error
        await running
    await asyncio.sleep(SETTLE_S)  # the child's start-up is over; then the baseline window
    t0 = time.monotonic()
    await asyncio.sleep(baseline)
    cue.set()
    code, t1, t2 = await running
    await asyncio.to_thread(migrations.reset, ini)
    if migration.after.get(engine_name):
        await asyncio.to_thread(_run_sql, url, migration.after[engine_name])
    console.print(f"  {engine_name} {migration.name:13} {way:6} exit {code} in {t2 - t1:6.1f}s")
    return Window(migration.name, way, code, (t0, t1), (t1, t2))


async def _engine(engine_name: str, url: URL, args: argparse.Namespace, work: Path) -> list[Row]:
    size = data.Size(args.rows)
    began = time.monotonic()
    console.print(
        f"[bold]{engine_name}[/]: loading {size.reports * 10:,} task rows into {url.database}"
    )
    await asyncio.to_thread(data.load, engine_name, url, size)
    console.print(f"  loaded in {time.monotonic() - began:.1f}s")
    with app.serve(url, work / f"{engine_name}-uvicorn.log", args.workers) as base:
        load = Load(base, size.learners, args.rate)
        stop = asyncio.Event()
        runner = asyncio.create_task(load.run(stop))
        await asyncio.sleep(WARMUP_S)
        windows = []
        for name in args.migrations:
            for way in migrations.WAYS:
                windows.append(
                    await _one(engine_name, url, migrations.BY_NAME[name], way, work, args.baseline)
                )
        stop.set()
        await runner
    return [
        Row(
            engine=engine_name,
            migration=w.migration,
            way=w.way,
            exit_code=w.exit_code,
            duration_s=round(w.during[1] - w.during[0], 2),
            baseline=load.window(*w.baseline),
            during=load.window(*w.during),
        )
        for w in windows
    ]


def markdown(rows: list[Row]) -> str:
    """The results table (Markdown), naive and dbtier side by side."""
    head = (
        "| engine | migration | way | exit | duration s | failed (baseline → during) "
        "| p50 ms (baseline → during) | p99 ms (baseline → during) | p99 × |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r.engine} | {migrations.BY_NAME[r.migration].title} | {r.way} | {r.exit_code} "
        f"| {r.duration_s:.1f} | {r.baseline.failed}/{r.baseline.requests} → "
        f"{r.during.failed}/{r.during.requests} | {r.baseline.p50_ms:.0f} → {r.during.p50_ms:.0f} "
        f"| {r.baseline.p99_ms:.0f} → {r.during.p99_ms:.0f} | {r.p99_ratio:.2f} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def _print(rows: list[Row]) -> None:
    table = Table(title="online migration: naive vs dbtier (baseline → during the migration)")
    for column in (
        "engine",
        "migration",
        "way",
        "exit",
        "dur s",
        "failed",
        "p50 ms",
        "p99 ms",
        "p99 ×",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.engine,
            r.migration,
            r.way,
            str(r.exit_code),
            f"{r.duration_s:.1f}",
            f"{r.baseline.failed}→{r.during.failed} of {r.during.requests}",
            f"{r.baseline.p50_ms:.0f}→{r.during.p50_ms:.0f}",
            f"{r.baseline.p99_ms:.0f}→{r.during.p99_ms:.0f}",
            f"{r.p99_ratio:.2f}",
        )
    Console(width=140).print(table)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.online_migration", description=__doc__)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1)"
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="task rows (default 1,000,000)")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second (default 50)")
    parser.add_argument("--baseline", type=float, default=10.0, help="baseline seconds per run")
    parser.add_argument("--migrations", default=",".join(m.name for m in migrations.SET))
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    args.migrations = [m.strip() for m in args.migrations.split(",") if m.strip()]
    bad = [e for e in args.engines if e not in ENGINES] + [
        m for m in args.migrations if m not in migrations.BY_NAME
    ]
    if bad or args.rows < 500 or args.rate <= 0 or args.workers < 1:
        parser.error(
            f"unknown engine or migration {bad}; engines {ENGINES}, migrations "
            f"{list(migrations.BY_NAME)}; --rows ≥ 500, --rate > 0, --workers ≥ 1"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints where it is
    args = _arguments(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%S")
    work = RESULTS / stamp
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    rows: list[Row] = []
    for engine_name in args.engines:
        # Started here, in the main thread, which outlives the server (see servers.py).
        with data.server(engine_name) as server:
            url = data.create_database(engine_name, server)
            rows += asyncio.run(_engine(engine_name, url, args, work))
    load_after = os.getloadavg()
    _print(rows)
    context = (
        f"rows={args.rows} rate={args.rate}/s baseline={args.baseline}s "
        f"workers={args.workers}; load average (1, 5, 15 min) before "
        f"{' '.join(f'{x:.1f}' for x in load_before)}, after "
        f"{' '.join(f'{x:.1f}' for x in load_after)} on {os.cpu_count()} CPUs"
    )
    console.print(context)
    (work / "results.md").write_text(markdown(rows) + f"\n{context}\n")
    (work / "results.json").write_text(
        json.dumps({"context": context, "rows": [r.to_json() for r in rows]}, indent=2)
    )
    console.print(f"saved {work / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
