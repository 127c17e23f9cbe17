"""One write, one transaction: commit when the block succeeds, roll everything back when not.

A failed check after a flush (an import whose declared totals do not match)
therefore leaves no row behind.

A transaction the server itself gave up on (an InnoDB deadlock victim, a
snapshot older than a table an online schema change just swapped in,
PostgreSQL's deadlock or serialization failure: `RETRY_TRANSACTION_CODES`)
is run again, whole, by `retried`: the server's message says to, and since
the failed attempt was rolled back entirely, the repeat cannot apply
anything twice. Only a unit that began its transaction is repeated; nested
inside another one, it is left to the outer unit, and called from inside a
transaction someone else opened, it is not repeated at all. At most
`ATTEMPTS` runs, a short random pause between them; then the error goes up
and the service answers 503 with Retry-After as before.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from dbtier.db_timeouts import RETRY_TRANSACTION_CODES
from dbtier.logs import get_logger
from dbtier.migrate.timeouts import error_code
from nippo.errors import Conflict

ATTEMPTS = 3
PAUSE_S = (0.01, 0.05)  # uniform, times the attempt number
_RUNNING = "nippo.unit_of_work.retried"  # in session.info while a retried unit runs

log = get_logger("nippo.service")
P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def writing(session: Session, *, conflict: str) -> Iterator[Session]:
    """Commit on success; on any error roll back; a uniqueness race becomes `Conflict(conflict)`."""
    try:
        yield session
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(conflict) from None
    except BaseException:
        session.rollback()
        raise


def retried(
    work: Callable[Concatenate[Session, P], T],
) -> Callable[Concatenate[Session, P], T]:
    """`work(session, ...)` run again, whole, when the server gave up on its transaction."""

    @functools.wraps(work)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if session.info.get(_RUNNING) or session.in_transaction():
            return work(session, *args, **kwargs)
        session.info[_RUNNING] = True
        try:
            attempt = 1
            while True:
                try:
                    return work(session, *args, **kwargs)
                except DBAPIError as exc:
                    code = error_code(exc)
                    if code not in RETRY_TRANSACTION_CODES or attempt >= ATTEMPTS:
                        raise
                    session.rollback()
                    log.info("transaction retried", unit=work.__name__, code=code, attempt=attempt)
                    time.sleep(random.uniform(*PAUSE_S) * attempt)  # noqa: S311 - jitter
                    attempt += 1
        finally:
            session.info.pop(_RUNNING, None)

    return run


__all__ = ["ATTEMPTS", "retried", "writing"]
