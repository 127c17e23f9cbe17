"""One write, one transaction: commit when the block succeeds, roll everything back when not.

A failed check after a flush (an import whose declared totals do not match)
therefore leaves no row behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nippo.errors import Conflict


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


__all__ = ["writing"]
