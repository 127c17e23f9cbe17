"""Run a tool over a log as a child process: wall and CPU time, peak RSS, its output.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`), a small process that
forks the tool: a child's ru_maxrss starts from its parent's RSS at fork, so
reading it from the benchmark's own `wait4` would report the benchmark's size.
Without GNU time, wait4's figure is used and marked as an upper bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One tool over one log."""

    tool: str
    log_bytes: int
    seconds: float
    peak_rss_mb: float
    output: Path
    cpu_seconds: float = 0.0

    @property
    def mb_per_s(self) -> float:
        """MB of log per second of wall time."""
        return self.log_bytes / 1e6 / self.seconds if self.seconds else 0.0

    @property
    def mb_per_cpu_s(self) -> float:
        """MB of log per CPU second (user + system): steadier than wall time when busy."""
        return self.log_bytes / 1e6 / self.cpu_seconds if self.cpu_seconds else 0.0


GNU_TIME = Path("/usr/bin/time")


def run(tool: str, argv: list[str], log: Path, output: Path) -> Run:
    """Run `argv` with stdout to `output`; fail loudly with its stderr when it fails."""
    rss_file = output.with_suffix(".rss")
    if GNU_TIME.exists():
        argv = [str(GNU_TIME), "-f", "%M %U %S", "-o", str(rss_file), *argv]
    with output.open("wb") as out, (output.with_suffix(".stderr")).open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{tool} exited {process.returncode}:\n"
            + output.with_suffix(".stderr").read_text(errors="replace")[-2000:]
        )
    # Peak RSS in KiB on Linux; CPU is user + system seconds of the tool and its children.
    if GNU_TIME.exists():
        peak, user, system = rss_file.read_text().split()[-3:]
        peak_kib, cpu = int(peak), float(user) + float(system)
    else:
        peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    return Run(tool, log.stat().st_size, seconds, peak_kib / 1024, output, cpu)


def dbtier(log: Path, output: Path) -> Run:
    """`dbtier logs digest LOG --format json --top 0`."""
    argv = [sys.executable, "-m", "dbtier", "logs", "digest", str(log), "-f", "json", "--top", "0"]
    return run("dbtier", argv, log, output)


def pt_query_digest(log: Path, output: Path) -> Run:
    """pt-query-digest with every class in its JSON report."""
    argv = ["pt-query-digest", "--output", "json", "--limit", "100%", str(log)]
    return run("pt-query-digest", argv, log, output)


def pgbadger(log: Path, output: Path) -> Run:
    """pgBadger, one job, RDS format, JSON report."""
    argv = ["pgbadger", "-f", "rds", "-j", "1", "-q", "-o", str(output), str(log)]
    result = run("pgbadger", argv, log, output.with_suffix(".stdout"))
    return Run(result.tool, result.log_bytes, result.seconds, result.peak_rss_mb, output)


__all__ = ["Run", "dbtier", "pgbadger", "pt_query_digest", "run"]
