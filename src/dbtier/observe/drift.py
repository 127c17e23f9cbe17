"""Drift: where a running server's values differ from the profile's parameter design.

Values are compared in one unit: the design's RDS unit and the server's own
(`pg_settings.unit` on PostgreSQL; MySQL and MariaDB report bytes and seconds
as the design does) are both turned into bytes or milliseconds first, booleans
into 1/0, and strings compared without case. Time zones are the same when they
keep the same clock: a zone without daylight saving and its fixed offset
(`Asia/Tokyo` and `+09:00`, the offset dbtier's own server config writes for
MySQL/MariaDB, whose servers rarely have the zone tables loaded; `UTC` and
`+00:00`). `rds.*` parameters exist only on
RDS and are left out on other servers. A value the server holds for after a
restart (PostgreSQL `pending_restart`, MySQL `SET PERSIST_ONLY`) is its own
kind of drift: set, but not in force.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from dbtier.observe.server import ServerSnapshot
from dbtier.params.conf import fixed_offset
from dbtier.params.design import ParameterDesign

DriftKind = Literal["differs", "pending-restart", "absent"]

# Unit → factor to bytes (memory) or milliseconds (time); both sides use these names.
UNIT_FACTORS: dict[str, float] = {
    "": 1,
    "bytes": 1,
    "B": 1,
    "kB": 1024,
    "8kB": 8192,
    "16kB": 16384,
    "MB": 1024**2,
    "16MB": 16 * 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
    "us": 0.001,
    "ms": 1,
    "s": 1000,
    "min": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
}
# MySQL/MariaDB `time_zone`, PostgreSQL `timezone` and `log_timezone`.
TIME_ZONE_SETTINGS = frozenset({"time_zone", "timezone", "log_timezone"})
_OFFSET = re.compile(r"([+-])(\d{1,2}):(\d\d)")
_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}


@dataclass(frozen=True)
class Drift:
    """One designed parameter whose running value is not the design's."""

    name: str
    kind: DriftKind
    designed: str
    running: str | None
    pending: str | None
    unit: str
    rule: str
    apply_method: str

    def describe(self) -> str:
        """One line for a person."""
        unit = f" {self.unit}" if self.unit and self.unit != "bytes" else ""
        if self.kind == "absent":
            return (
                f"{self.name}: designed {self.designed}{unit}, but this server has no such setting"
            )
        if self.kind == "pending-restart":
            return (
                f"{self.name}: running {self.running}, {self.pending} waits for a restart "
                f"(designed {self.designed}{unit})"
            )
        return f"{self.name}: running {self.running}, designed {self.designed}{unit}"


# PostgreSQL accepts a unit after the number ('936MB', '15min'); pg_file_settings keeps it so.
_WITH_UNIT = re.compile(r"(-?\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB|us|ms|s|min|h|d)")


def _canonical(value: str, unit: str) -> str | float:
    text = value.strip().strip("'\"")
    lowered = text.lower()
    if lowered in _TRUE:
        return 1.0
    if lowered in _FALSE:
        return 0.0
    try:
        return float(text) * UNIT_FACTORS.get(unit, 1)
    except ValueError:
        pass
    with_unit = _WITH_UNIT.fullmatch(text)
    if with_unit:
        return float(with_unit.group(1)) * UNIT_FACTORS[with_unit.group(2)]
    return lowered


def _offset_of(zone: str) -> str | None:
    """`+HH:MM` for a fixed offset or a zone without daylight saving, else None."""
    text = zone.strip().strip("'\"")
    offset = _OFFSET.fullmatch(text)
    if offset:
        sign, hours, minutes = offset.groups()
        total = (int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1)
        return f"{'+' if total >= 0 else '-'}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
    try:
        return fixed_offset(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


def same_value(
    designed: str, design_unit: str, running: str, running_unit: str, *, zone: bool = False
) -> bool:
    """Whether a designed value and a running value are the same setting (`zone`: time zones)."""
    left = _canonical(designed, design_unit)
    right = _canonical(running, running_unit)
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if str(left) == str(right):
        return True
    if zone:
        offset = _offset_of(designed)
        return offset is not None and offset == _offset_of(running)
    return False


def find_drift(design: ParameterDesign, snapshot: ServerSnapshot) -> list[Drift]:
    """Every designed parameter that is absent, different, or different only after a restart."""
    drifts: list[Drift] = []
    for parameter in design.parameters:
        name = parameter.name.lower()
        if name.startswith("rds."):
            continue
        running = snapshot.settings.get(name)
        facts = (parameter.value, parameter.unit, parameter.rule, parameter.apply_method)
        if running is None:
            drifts.append(Drift(name, "absent", facts[0], None, None, *facts[1:]))
            continue
        running_unit = snapshot.units.get(name, parameter.unit)
        pending = snapshot.pending.get(name)
        zone = name in TIME_ZONE_SETTINGS
        if pending is not None and same_value(
            parameter.value, parameter.unit, pending, running_unit, zone=zone
        ):
            if not same_value(parameter.value, parameter.unit, running, running_unit, zone=zone):
                drifts.append(
                    Drift(name, "pending-restart", facts[0], running, pending, *facts[1:])
                )
            continue
        if not same_value(parameter.value, parameter.unit, running, running_unit, zone=zone):
            kind: DriftKind = "pending-restart" if pending is not None else "differs"
            drifts.append(Drift(name, kind, facts[0], running, pending, *facts[1:]))
    return drifts


__all__ = ["TIME_ZONE_SETTINGS", "UNIT_FACTORS", "Drift", "find_drift", "same_value"]
