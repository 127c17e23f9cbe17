"""Connecting with bounded retries and exponential backoff.

A scheduled task may start while the database is rebooting or failing over;
a few retries with backoff ride that out, and then the job gives up with exit
code 3 instead of hanging. Credentials refused, or a database that does not
exist, are configuration errors (exit 2): retrying them only delays the page.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from dbtier.db import describe, is_auth_failure
from dbtier.errors import ConfigError, DatabaseUnreachable
from dbtier.logs import get_logger
from dbtier.migrate.timeouts import error_code

# MySQL 1049 unknown database; PostgreSQL 3D000 invalid_catalog_name.
_NO_DATABASE = frozenset({"1049", "3D000"})


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {first}"


_JITTER = 0.2


def backoff_delays(retries: int, *, base: float = 0.5, cap: float = 8.0) -> list[float]:
    """The waits between attempts: base·2ⁿ capped, with up to 20% jitter added."""
    return [min(cap, base * 2**n) * (1 + random.random() * _JITTER) for n in range(retries)]  # noqa: S311


def backoff_ceiling(retries: int, *, base: float = 0.5, cap: float = 8.0) -> float:
    """The longest the waits of `backoff_delays` can add up to."""
    return float(sum(min(cap, base * 2**n) * (1 + _JITTER) for n in range(retries)))


def _no_database(exc: BaseException) -> bool:
    # psycopg leaves `sqlstate` empty when the connection itself is refused (as for
    # a database that does not exist), so its server message is read as well.
    if error_code(exc) in _NO_DATABASE:
        return True
    text = str(getattr(exc, "orig", exc))
    return "database" in text and "does not exist" in text


def connect_with_retries(
    engine: Engine,
    *,
    retries: int,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Connection:
    """Connect, retrying `retries` times with backoff; DatabaseUnreachable after that."""
    log = get_logger("migrate")
    where = describe(engine.url)
    delays = backoff_delays(retries, base=base_delay)
    for attempt in range(retries + 1):
        try:
            return engine.connect()
        except DBAPIError as exc:
            if is_auth_failure(exc):
                raise ConfigError(
                    f"{where}: the database refused the credentials; check the secret "
                    "or --database-url"
                ) from None
            if _no_database(exc):
                raise ConfigError(
                    f"{where}: the database does not exist; create it first"
                ) from None
            if attempt == retries:
                raise DatabaseUnreachable(
                    f"{where} did not answer after {retries + 1} attempts "
                    f"(last: {_reason(exc)}); check that it is running and reachable "
                    "from here (security group, host, port)"
                ) from None
            delay = delays[attempt]
            log.warning(
                "database not answering; retrying",
                step="connect",
                attempt=attempt + 1,
                retry_in_s=round(delay, 2),
                reason=_reason(exc),
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


__all__ = ["backoff_ceiling", "backoff_delays", "connect_with_retries"]
