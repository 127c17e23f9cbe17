"""`/healthz` latency while the largest accepted Markdown import runs, against the idle baseline.

    uv run python -m bench.edge            # SQLite in a temp dir; prints a table and the ratio

Three runs in one process on one SQLite database: /healthz polled every 10 ms
with nothing else running (the baseline), during the largest import the
limits accept (1 MiB, 100 tasks, 2,000 bullets), and during the 100,000-bullet
document of issue 8 (now refused at its 2,101st bullet line). The ratio of the
worst /healthz latency during an import to the worst idle one is the figure
to watch: an import parsed on the event loop pushes it into the thousands.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from dbtier.config import Settings
from dbtier.db import make_engine
from nippo.app import create_app
from nippo.durations import format_duration
from nippo.limits import MAX_BODY_BYTES, MAX_NOTES, MAX_TASKS
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user

HEAD = "# 今日学んだこと\n\n## 取り組んだ課題一覧\n"


def largest_import() -> bytes:
    """Every task, every bullet, verbatim sections up to 1 MiB."""
    tasks = "".join(f"- task {i}（1m）\n" for i in range(MAX_TASKS))
    lists = "".join(
        f"\n## notes {n}\n" + "".join(f"- bullet {n}.{i}\n" for i in range(100))
        for n in range(MAX_NOTES // 100)
    )
    study = f"\n## 学習時間\nToday: {format_duration(MAX_TASKS)}\n"  # nothing to warn of
    text = HEAD + tasks + study + lists
    line = "x" * 1000 + "\n"
    sections: list[str] = []
    room = MAX_BODY_BYTES - len(text.encode()) - 64
    while room > len(line) * 2:
        count = min(150, room // len(line) - 1)
        sections.append(f"\n## verbatim {len(sections)}\n" + line * count)
        room -= len(sections[-1].encode())
    return (text + "".join(sections)).encode()


def issue_document() -> bytes:
    """Issue 8's 100,000 bullet lines."""
    return (HEAD + "- t（1m）\n\n## わかったこと\n" + "- x\n" * 100_000).encode()


async def _measure(engine: Engine, token: str, body: bytes | None, day: str) -> dict[str, float]:
    transport = httpx.ASGITransport(app=create_app(engine=engine))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/markdown"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        latencies: list[float] = []
        done = asyncio.Event()

        async def poll() -> None:
            while not done.is_set():
                start = time.perf_counter()
                await client.get("/healthz")
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.01)

        poller = asyncio.create_task(poll())
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        status = 0
        if body is None:
            await asyncio.sleep(1.0)
        else:
            url = f"/api/v1/reports/import?date={day}"
            status = (await client.post(url, content=body, headers=headers)).status_code
        elapsed = time.perf_counter() - start
        done.set()
        await poller
    latencies.sort()
    return {
        "status": status,
        "bytes": len(body or b""),
        "seconds": elapsed,
        "polls": len(latencies),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    """Run the three measurements and print them with the ratio to the idle baseline."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade_to_head(make_url(url))
        engine = make_engine(Settings(database_url=url))
        with Session(engine) as session:
            token = create_user(session, "bench", "learner").token
        runs = {
            "idle (baseline)": asyncio.run(_measure(engine, token, None, "")),
            "largest accepted import": asyncio.run(
                _measure(engine, token, largest_import(), "2025-04-25")
            ),
            "issue 8's 100,000 bullets": asyncio.run(
                _measure(engine, token, issue_document(), "2025-04-24")
            ),
        }
        engine.dispose()
    base = runs["idle (baseline)"]["max_ms"]
    print("| run | status | body bytes | seconds | /healthz polls | p50 ms | max ms | max / idle |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        print(
            f"| {name} | {int(r['status']) or '-'} | {int(r['bytes'])} | {r['seconds']:.2f} "
            f"| {int(r['polls'])} | {r['p50_ms']:.1f} | {r['max_ms']:.1f} "
            f"| {r['max_ms'] / base:.1f}x |"
        )


if __name__ == "__main__":
    main()
