"""/readyz within about a second, both ways: one check at a time, each with a deadline.

A probe that waited on a frozen database would answer late, and probes
arriving every second would each park a thread. So one check runs at a time
(later probes await the same one), on its own engine with short connect/read
timeouts, and a probe answers "unreachable" once `timeout` has passed without
a result. When the database returns, the check in flight completes and the
next probe sees it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from nippo.service.health import Readiness, readiness


class ReadinessProbe:
    """Single-flight readiness with a deadline (seconds)."""

    def __init__(self, engine: Engine, heads: tuple[str, ...], timeout: float) -> None:
        self.engine = engine
        self.heads = heads
        self.timeout = timeout
        self._check: asyncio.Future[Readiness] | None = None

    async def check(self) -> Readiness:
        """The database's readiness, or "unreachable" after `timeout`."""
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(
                run_in_threadpool(readiness, self.engine, self.heads)
            )
        try:
            return await asyncio.wait_for(asyncio.shield(self._check), self.timeout)
        except TimeoutError:
            head = ",".join(self.heads) or None
            return Readiness(False, f"unreachable (no answer in {self.timeout:g}s)", None, head)


__all__ = ["ReadinessProbe"]
