"""Failed-token throttling: too many bad bearer tokens from one address → 429 with Retry-After.

Every 401 for a request that sent an `Authorization` header is a failure
charged to the client's address. Once an address has `limit` failures within
the last 60 s, every `/api/` request from it that carries an `Authorization`
header is answered 429 (with `Retry-After`, the seconds until its oldest
failure leaves the window) before any token is looked up. Requests without a
token (the OpenAPI document, `/healthz`, `/readyz`) are never throttled.

The client's address is the peer's, unless the peer is a trusted proxy
(`DBTIER_TRUSTED_PROXIES`, e.g. the ALB's subnets): then it is the rightmost
`X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of
it are whatever the client wrote and are never believed.

The counts live in the process (one per Fargate task), bounded to
`MAX_CLIENTS` addresses (least recently failed dropped first). A sliding
window log of at most `limit` timestamps per address is a few lines, so it is
written here rather than pulling in a rate-limit library whose storage is
unbounded; the fleet-wide counterpart is the ALB's WAF rate-based rule
(docs/api-errors.md).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nippo.api.problems import problem_response

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 100_000
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FailedTokenThrottle:
    """Per-address sliding window of failed bearer tokens."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def record_failure(self, client: str) -> None:
        """Charge one failed token to `client`."""
        times = self._failures.pop(client, None) or deque(maxlen=self.limit)
        times.append(self.clock())
        self._failures[client] = times
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)

    @property
    def idle(self) -> bool:
        """No failure has been charged to anyone (the common case: nothing to look up)."""
        return not self._failures

    def retry_after(self, client: str) -> int | None:
        """Whole seconds `client` must wait, or None when it may go on."""
        times = self._failures.get(client)
        if times is None or len(times) < self.limit:
            return None
        wait = times[0] + self.window - self.clock()
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))


def client_address(scope: Scope, trusted: Sequence[Network]) -> str:
    """The peer address, or behind trusted proxies the rightmost untrusted X-Forwarded-For entry."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
    entries = [e.strip() for e in forwarded.decode("latin-1").split(",") if e.strip()]
    for entry in reversed(entries):
        if not _is_trusted(entry, trusted):
            return entry
    return entries[0] if entries else peer


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def record_failed_token(request: Request) -> None:
    """Charge a failed token to the request's client (used by the 401 handler)."""
    throttle: FailedTokenThrottle = request.app.state.throttle
    throttle.record_failure(client_address(request.scope, request.app.state.trusted_proxies))


class ThrottleFailedTokens:
    """ASGI middleware: 429 for an /api/ request with a token from an address over its limit."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not scope["app"].state.throttle.idle
            and scope["path"].startswith(self.prefix)
            and any(name == b"authorization" for name, _ in scope["headers"])
        ):
            state = scope["app"].state
            client = client_address(scope, state.trusted_proxies)
            wait = state.throttle.retry_after(client)
            if wait is not None:
                limit = state.throttle.limit
                response = problem_response(
                    429,
                    f"more than {limit} failed bearer tokens from {client} within a minute; "
                    f"wait {wait} s, then send a valid token",
                    headers={"Retry-After": str(wait)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = [
    "FailedTokenThrottle",
    "ThrottleFailedTokens",
    "client_address",
    "record_failed_token",
]
