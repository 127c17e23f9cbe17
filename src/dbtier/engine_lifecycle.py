"""RDS support dates of each engine major version, and what dbtier does about them.

A table of facts, one row per engine the workload profile accepts: when RDS
standard support ends, whether RDS offers paid Extended Support after it, and
the `EngineLifecycleSupport` the stack sets on the DB instance. The stack
warns at synthesis when an engine is past (or within `WARN_DAYS` of) the end
of standard support, and `dbtier cost estimate` adds the Extended Support
charge for an instance that runs on it.

EngineLifecycleSupport, set explicitly (RDS's default is to enroll):

- an engine still in standard support gets
  `open-source-rds-extended-support-disabled`: paying Extended Support must be
  a choice someone makes, not a bill that starts on its own the day standard
  support ends. The synthesis warning starts `WARN_DAYS` before that day, so
  there is time to upgrade; the property is updatable in place (not
  create-only), so a team that cannot upgrade in time switches to Extended
  Support with a plain template change.
- an engine already past the end (MySQL 8.0 since 2026-07-31) gets
  `open-source-rds-extended-support`: with `-disabled` RDS refuses to create
  the instance. The stack warns and the estimate shows the charge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WARN_DAYS = 180
EXTENDED = "open-source-rds-extended-support"
DISABLED = "open-source-rds-extended-support-disabled"


@dataclass(frozen=True)
class EngineSupport:
    """RDS's support calendar for one engine major version."""

    engine: str  # the profile's engine key, e.g. mysql8.4
    label: str  # e.g. MySQL 8.4
    standard_support_ends: dt.date
    source: str
    extended_support: bool  # RDS offers paid Extended Support after the date
    lifecycle: str | None  # EngineLifecycleSupport the stack sets; None where RDS has none
    upgrade_to: str | None = None  # the engine key to move to

    def past_standard_support(self, today: dt.date) -> bool:
        """True once RDS standard support has ended."""
        return today > self.standard_support_ends

    def warning(self, today: dt.date) -> str | None:
        """A synthesis warning when the end of standard support is past or near; else None."""
        ends = self.standard_support_ends.isoformat()
        upgrade = (
            f"; upgrade to engine {self.upgrade_to} in the workload profile"
            if (self.upgrade_to)
            else ""
        )
        if self.past_standard_support(today):
            return (
                f"{self.label} reached the end of RDS standard support on {ends}: the instance "
                f"runs on paid RDS Extended Support (EngineLifecycleSupport={self.lifecycle}), "
                f"charged per vCPU-hour (`dbtier cost estimate` shows it){upgrade}."
            )
        if (self.standard_support_ends - today).days <= WARN_DAYS:
            return (
                f"{self.label} reaches the end of RDS standard support on {ends} "
                f"(EngineLifecycleSupport={self.lifecycle}: RDS upgrades the major version "
                f"then, or set Extended Support and pay per vCPU-hour){upgrade}."
            )
        return None


_AWS_MYSQL = "AWS RDS User Guide, Supported MySQL major versions on Amazon RDS"
_AWS_PG = "AWS RDS for PostgreSQL release calendar"
SUPPORT: dict[str, EngineSupport] = {
    s.engine: s
    for s in (
        EngineSupport(
            "mysql8.0",
            "MySQL 8.0",
            dt.date(2026, 7, 31),
            f"{_AWS_MYSQL} (issue 9; research ops_cost.md 2026-11-30)",
            extended_support=True,
            lifecycle=EXTENDED,
            upgrade_to="mysql8.4",
        ),
        EngineSupport(
            "mysql8.4",
            "MySQL 8.4",
            dt.date(2029, 7, 31),
            f"{_AWS_MYSQL} (not re-read this session)",
            extended_support=True,
            lifecycle=DISABLED,
        ),
        EngineSupport(
            "mariadb10.11",
            "MariaDB 10.11",
            dt.date(2028, 2, 16),
            "AWS RDS for MariaDB release calendar (not re-read this session); "
            "RDS offers no Extended Support for MariaDB",
            extended_support=False,
            lifecycle=None,
        ),
        EngineSupport(
            "postgres15",
            "PostgreSQL 15",
            dt.date(2028, 2, 29),
            f"{_AWS_PG} (not re-read this session)",
            extended_support=True,
            lifecycle=DISABLED,
            upgrade_to="postgres17",
        ),
        EngineSupport(
            "postgres16",
            "PostgreSQL 16",
            dt.date(2029, 2, 28),
            f"{_AWS_PG} (not re-read this session)",
            extended_support=True,
            lifecycle=DISABLED,
            upgrade_to="postgres17",
        ),
        EngineSupport(
            "postgres17",
            "PostgreSQL 17",
            dt.date(2030, 2, 28),
            f"{_AWS_PG} (not re-read this session)",
            extended_support=True,
            lifecycle=DISABLED,
        ),
    )
}


def support(engine: str) -> EngineSupport:
    """The support row of a profile engine key (mysql8.0, postgres17, ...)."""
    try:
        return SUPPORT[engine]
    except KeyError:
        known = ", ".join(SUPPORT)
        raise KeyError(f"no RDS support dates for engine {engine!r}; known: {known}") from None


def engine_key(engine: str, version: str) -> str | None:
    """The profile's engine key of an RDS `Engine` and `EngineVersion` (mysql 8.0.43 → mysql8.0)."""
    parts = version.split(".")
    if engine == "mysql" and len(parts) >= 2:
        key = f"mysql{parts[0]}.{parts[1]}"
    elif engine == "mariadb" and len(parts) >= 2:
        key = f"mariadb{parts[0]}.{parts[1]}"
    elif engine == "postgres" and parts and parts[0].isdigit():
        key = f"postgres{parts[0]}"
    else:
        return None
    return key if key in SUPPORT else None


__all__ = ["DISABLED", "EXTENDED", "SUPPORT", "WARN_DAYS", "EngineSupport", "engine_key", "support"]
