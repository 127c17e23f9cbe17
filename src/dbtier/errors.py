"""Every way dbtier can fail, in one tree, with the exit code the CLI maps it to.

    DbtierError                      exit 1  (base; never raised bare)
    ├── UsageError                   exit 2  bad flag, bad input file, bad expression
    │   ├── ConfigError              exit 2  settings or secret that cannot be used
    │   ├── ProfileError             exit 2  an invalid workload profile (params)
    │   └── ScheduleExpressionError  exit 2  an invalid EventBridge Scheduler expression
    ├── DatabaseUnreachable          exit 3  no connection after bounded retries
    ├── MigrationFailed              exit 1  a migration raised; names the revision
    ├── LaunchFailed                 exit 1  the launcher could not start the migration job
    ├── DesignError                  exit 1  a parameter design that fails its checks
    ├── DigestFailed                 exit 1  a log digest's worker process died
    └── SynthesisError               exit 1  the CDK app reported errors (e.g. cdk-nag)

The reference service's HTTP-flavoured refusals (NotFound, Conflict,
Unauthenticated, Forbidden) extend UsageError in `nippo.errors`; dbtier knows
nothing of HTTP.

Messages name what was wrong, where, and what to do. They never carry a password.
"""

from __future__ import annotations


class DbtierError(Exception):
    """Base of every error dbtier raises on purpose."""

    exit_code: int = 1


class UsageError(DbtierError):
    """The user gave input dbtier cannot use: a flag, a file, an expression."""

    exit_code = 2


class ConfigError(UsageError):
    """Settings or a secret are missing, malformed or contradictory."""


class ProfileError(UsageError):
    """A workload profile does not validate; the message names the field."""


class ScheduleExpressionError(UsageError):
    """An EventBridge Scheduler expression is invalid; the message names the field."""


class DatabaseUnreachable(DbtierError):
    """The database did not answer within the bounded retries."""

    exit_code = 3


class MigrationFailed(DbtierError):
    """A migration raised while running; the message names the revision."""

    exit_code = 1


class LaunchFailed(DbtierError):
    """The launcher could not start the migration job (RunTask or the local subprocess)."""

    exit_code = 1


class DesignError(DbtierError):
    """A parameter design fails a check (memory safety, unknown name, out of range)."""

    exit_code = 1


class DigestFailed(DbtierError):
    """A process digesting part of a log ended without a result (killed, out of memory)."""

    exit_code = 1


class SynthesisError(DbtierError):
    """The CDK app synthesized with error annotations (an unsuppressed cdk-nag finding)."""

    exit_code = 1


__all__ = [
    "ConfigError",
    "DatabaseUnreachable",
    "DbtierError",
    "DesignError",
    "DigestFailed",
    "LaunchFailed",
    "MigrationFailed",
    "ProfileError",
    "ScheduleExpressionError",
    "SynthesisError",
    "UsageError",
]
