"""`python -m bench.online_migration.capacity [--engines ...] [--rows N] [--rates 20,30,...]`.

The highest request rate the benchmark's app holds on this machine, with the
benchmark's own database, app and load (no migration): per engine, the
same throwaway server and data as `bench.online_migration`, then each rate
of `--rates` for `--step` seconds, one after the other. Per step: requests,
failed, p50/p99, p50 in the step's first and second halves (a growing
queue shows as a later half slower than the first), and the CPU seconds
per second that the app (uvicorn), the database server and this process
(the load) used. A rate is held when no request failed and the second half
is not slower than the first by more than half as much again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from sqlalchemy.engine import URL

from bench.online_migration import app, data
from bench.online_migration.load import Load
from dbtier.testing.servers import ThrowawayServer, cpu_seconds, process_tree

WARMUP_S = 5.0


async def _engine(
    engine_name: str, server: ThrowawayServer, url: URL, args: argparse.Namespace, work: Path
) -> list[str]:
    size = data.Size(args.rows)
    await asyncio.to_thread(data.load, engine_name, url, size)
    lines = []
    with app.serve(url, work / f"capacity-{engine_name}-uvicorn.log", args.workers) as base:
        days: dict[int, int] = {}
        for rate in args.rates:
            # One report date per learner per write across all steps (else 409s).
            load = Load(base, size.learners, rate, _next_day=days)
            stop = asyncio.Event()
            runner = asyncio.create_task(load.run(stop))
            await asyncio.sleep(WARMUP_S)
            assert server.pid is not None
            db = process_tree(server.pid)
            # uvicorn: this process's other children (the server is one of them too)
            uvicorn = [p for p in process_tree(os.getpid()) if p != os.getpid() and p not in db]
            before = (cpu_seconds(uvicorn), cpu_seconds(db), cpu_seconds([os.getpid()]))
            t0 = time.monotonic()
            await asyncio.sleep(args.step)
            t1 = time.monotonic()
            after = (
                cpu_seconds(uvicorn),
                cpu_seconds(process_tree(server.pid)),
                cpu_seconds([os.getpid()]),
            )
            stop.set()
            await runner
            whole = load.window(t0, t1)
            first = load.window(t0, (t0 + t1) / 2)
            second = load.window((t0 + t1) / 2, t1)
            held = whole.failed == 0 and second.p50_ms <= 1.5 * max(first.p50_ms, 1.0)
            span = t1 - t0
            line = (
                f"{engine_name:8} {rate:5.0f}/s  {whole.requests:5} requests  "
                f"{whole.failed:4} failed  p50 {whole.p50_ms:7.0f} ms  p99 {whole.p99_ms:7.0f} ms"
                f"  p50 halves {first.p50_ms:6.0f} → {second.p50_ms:6.0f} ms  "
                f"CPU s/s app {(after[0] - before[0]) / span:.2f} "
                f"db {(after[1] - before[1]) / span:.2f}"
                f" load {(after[2] - before[2]) / span:.2f}  {'held' if held else 'NOT held'}"
            )
            print(line, flush=True)
            lines.append(line)
            await asyncio.sleep(2)  # let the server drain before the next step
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.online_migration.capacity", description=__doc__
    )
    parser.add_argument("--engines", default="mariadb,postgres")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1)"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rates", default="20,30,40,50,60")
    parser.add_argument("--step", type=float, default=30.0, help="seconds per rate")
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    try:
        args.rates = [float(r) for r in args.rates.split(",") if r]
    except ValueError:
        parser.error("--rates: comma-separated numbers")
    if (
        any(e not in data.CONFIG for e in engines)
        or not args.rates
        or min(args.rates) <= 0
        or args.workers < 1
    ):
        parser.error(f"engines from {list(data.CONFIG)}; rates > 0; --workers ≥ 1")
    work = Path(__file__).with_name("results") / time.strftime(
        "capacity-%Y-%m-%dT%H%M%S", time.gmtime()
    )
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    lines = []
    for engine_name in engines:
        with data.server(engine_name) as server:
            url = data.create_database(engine_name, server)
            lines += asyncio.run(_engine(engine_name, server, url, args, work))
    load_after = os.getloadavg()
    context = (
        f"rows={args.rows} step={args.step}s workers={args.workers}; "
        f"load average before {load_before[0]:.1f} "
        f"{load_before[1]:.1f} {load_before[2]:.1f}, after {load_after[0]:.1f} "
        f"{load_after[1]:.1f} {load_after[2]:.1f} on {os.cpu_count()} CPUs"
    )
    print(context)
    (work / "capacity.txt").write_text("\n".join([*lines, context, ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
