"""A steady, open-loop read/write load on the nippo API, and its latencies by time window.

Open loop: request k is due at start + k/rate whatever happened to the
requests before it, and its latency runs from when it was due, so a stall
shows up in the figures instead of slowing the load down (no coordinated
omission). A request fails on any status other than the one expected, or
on no answer within the client timeout.

The mix, per learner picked at random: 40% read a report (report + tasks),
20% study time (a SUM over the learner's tasks), 10% list a month of
reports, 30% write a new report with three tasks (a new date per request).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.online_migration.data import REPORTS_PER_LEARNER

TIMEOUT_S = 10.0
# At most this many requests in flight: a stalled server then queues requests
# here (their latency still counts from when they were due) instead of in
# httpcore's pool, whose bookkeeping grows with the square of its queue.
IN_FLIGHT = 64
MIX = (("read", 40), ("study_time", 20), ("list", 10), ("write", 30))


@dataclass(frozen=True)
class Sample:
    """One request: when it was due (monotonic s), its latency from then, and whether it worked."""

    due: float
    latency_ms: float
    ok: bool
    kind: str


@dataclass(frozen=True)
class Stats:
    """Requests due in a window: how many, how many failed, p50 and p99 latency."""

    requests: int
    failed: int
    p50_ms: float
    p99_ms: float

    @staticmethod
    def of(samples: list[Sample]) -> Stats:
        latencies = sorted(s.latency_ms for s in samples)
        if not latencies:
            return Stats(0, 0, 0.0, 0.0)
        cuts = (
            statistics.quantiles(latencies, n=100, method="inclusive")
            if len(latencies) > 1
            else latencies * 99
        )
        return Stats(
            requests=len(samples),
            failed=sum(not s.ok for s in samples),
            p50_ms=round(cuts[49], 1),
            p99_ms=round(cuts[98], 1),
        )


@dataclass
class Load:
    """The running load; `samples` grows as requests complete."""

    base_url: str
    learners: int
    rate: float
    samples: list[Sample] = field(default_factory=list)
    _next_day: dict[int, int] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(7))

    def window(self, start: float, end: float) -> Stats:
        """Stats of the requests due in [start, end)."""
        return Stats.of([s for s in self.samples if start <= s.due < end])

    async def run(self, stop: asyncio.Event) -> None:
        """Send requests at `rate` per second until `stop` is set, then wait for those in flight."""
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        gate = asyncio.Semaphore(IN_FLIGHT)
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=TIMEOUT_S, limits=limits
        ) as client:
            tasks: set[asyncio.Task[None]] = set()
            start = time.monotonic()
            k = 0
            while not stop.is_set():
                due = start + k / self.rate
                delay = due - time.monotonic()
                await asyncio.sleep(max(0.0, delay))  # yields even when behind
                task = asyncio.create_task(self._one(client, gate, due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                k += 1
            if tasks:
                await asyncio.gather(*tasks)

    async def _one(self, client: httpx.AsyncClient, gate: asyncio.Semaphore, due: float) -> None:
        kind = self._rng.choices([m for m, _ in MIX], weights=[w for _, w in MIX])[0]
        learner = self._rng.randint(1, self.learners)
        headers = {"Authorization": f"Bearer tok-{learner}"}
        async with gate:
            try:
                response = await self._send(client, kind, learner, headers)
                ok = response.status_code == (201 if kind == "write" else 200)
            except httpx.HTTPError:
                ok = False
        self.samples.append(Sample(due, (time.monotonic() - due) * 1000, ok, kind))

    async def _send(
        self, client: httpx.AsyncClient, kind: str, learner: int, headers: dict[str, str]
    ) -> httpx.Response:
        if kind == "read":
            report = (learner - 1) * REPORTS_PER_LEARNER + self._rng.randint(1, REPORTS_PER_LEARNER)
            return await client.get(f"/api/v1/reports/{report}", headers=headers)
        if kind == "study_time":
            return await client.get(
                f"/api/v1/learners/{learner}/study-time?date=2026-02-15", headers=headers
            )
        if kind == "list":
            return await client.get(
                f"/api/v1/learners/{learner}/reports?from=2026-01-01&to=2026-01-31",
                headers=headers,
            )
        back = self._next_day.get(learner, 0) + 1
        self._next_day[learner] = back
        day = dt.date(2025, 12, 31) - dt.timedelta(days=back)
        body = {
            "date": day.isoformat(),
            "title": f"bench {back}",
            "tasks": [{"title": f"t{i}", "minutes": 30 + i} for i in range(3)],
        }
        return await client.post("/api/v1/reports", json=body, headers=headers)


__all__ = ["MIX", "TIMEOUT_S", "Load", "Sample", "Stats"]
