"""`to_conf`: parameter values as a my.cnf or postgresql.conf fragment for a self-managed server.

RDS units become what the server's own config file takes: 8kB pages and kB
become `'512MB'`/`'8192kB'`, milliseconds `'250ms'`, booleans `on`/`off`.
Settings that only RDS understands (`rds.*`), or that would lock a server out
without more setup (TLS enforcement without certificates), are written as
comments saying why. A named time zone becomes its fixed UTC offset on MySQL,
whose servers reject names until their time-zone tables are loaded.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping

from dbtier.params.engines import UNIT_BYTES, EngineFacts, ParamSpec, engine_facts

_TIME_SUFFIX = {"ms": "ms", "s": "s", "min": "min"}


def _pg_value(spec: ParamSpec, value: str) -> str:
    if spec.kind == "bool":
        return "on" if value == "1" else "off"
    if spec.unit in UNIT_BYTES and spec.kind == "int" and int(value) >= 0:
        size = int(value) * UNIT_BYTES[spec.unit]
        return f"'{size // 2**20}MB'" if size % 2**20 == 0 else f"'{size // 1024}kB'"
    if spec.unit in _TIME_SUFFIX and int(value) >= 0:
        return f"'{value}{_TIME_SUFFIX[spec.unit]}'"
    if spec.kind in ("enum", "string", "list"):
        return f"'{value}'"
    return value


def fixed_offset(zone: str) -> str | None:
    """'+09:00' for a zone without daylight saving this year, else None."""
    tz = zoneinfo.ZoneInfo(zone)
    year = dt.datetime.now(dt.UTC).year
    offsets = {dt.datetime(year, month, 1, tzinfo=tz).utcoffset() for month in (1, 7)}
    if len(offsets) != 1:
        return None
    offset = offsets.pop() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _mysql_line(spec: ParamSpec, value: str) -> str:
    if spec.name == "time_zone" and (value == "SYSTEM" or value[:1] in "+-"):
        return f"default_time_zone = '{value}'"
    if spec.name == "time_zone":
        offset = "+00:00" if value == "UTC" else fixed_offset(value)
        if offset is None:
            return f"default_time_zone = '{value}'  # needs the server's time-zone tables loaded"
        return f"default_time_zone = '{offset}'  # {value}"
    if spec.kind == "bool":
        value = "ON" if value == "1" else "OFF"
    return f"{spec.name} = {value}"


def _line(facts: EngineFacts, name: str, value: str) -> str:
    spec = facts.spec(name)
    if spec.rds_only:
        return f"# {name} = {value}  # RDS only; not a setting of a self-managed server"
    if spec.needs_tls and value == "1":
        return f"# {name} = on  # needs TLS certificates on a self-managed server first"
    if name == "huge_pages" and value == "on":
        # 'on' refuses to start where the OS reserves no huge pages, and 'try' then falls
        # back to 4 KiB pages: bench/params measured that at 0.80x on one-row reads.
        return (
            "huge_pages = 'try'  # as on RDS once vm.nr_hugepages holds what "
            "`postgres -C shared_memory_size_in_huge_pages` prints"
        )
    if facts.dialect == "postgres":
        return f"{name} = {_pg_value(spec, value)}"
    return _mysql_line(spec, value)


def to_conf(engine: str, values: Mapping[str, str]) -> str:
    """A config fragment setting `values` (RDS units) on a self-managed `engine` server."""
    facts = engine_facts(engine)
    lines = [f"# dbtier: {len(values)} {engine} parameters for a self-managed server"]
    if facts.dialect == "mysql":
        lines.append("[mysqld]")
    lines += [_line(facts, name, value) for name, value in values.items()]
    return "\n".join(lines) + "\n"


__all__ = ["fixed_offset", "to_conf"]
