"""nippo's own errors: the HTTP-flavoured refusals of the reference service.

They extend `dbtier.errors.UsageError` (so the CLI maps them to exit 2), and
`nippo.api.errors` maps each to its status code:

    UsageError (dbtier)
    ├── NotFound          HTTP 404  absent, or not the caller's to see (ids do not leak)
    ├── Conflict          HTTP 409  would break a uniqueness rule
    ├── Unauthenticated   HTTP 401  no or unknown bearer token
    └── Forbidden         HTTP 403  visible, not the caller's to change

dbtier never imports this module: the database tier knows nothing of HTTP.
"""

from __future__ import annotations

from dbtier.errors import UsageError


class NotFound(UsageError):
    """A thing the caller named does not exist, or is not theirs to see (ids do not leak)."""


class Conflict(UsageError):
    """The change would break a uniqueness rule (a second report for a date, a taken name)."""


class Unauthenticated(UsageError):
    """No bearer token, or one that matches no user."""


class Forbidden(UsageError):
    """The caller may see the thing but not change it (a mentor editing a report)."""


__all__ = ["Conflict", "Forbidden", "NotFound", "Unauthenticated"]
