"""Run a tool over a log as a child process: wall and CPU time, peak RSS, its output.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`), a small process that
forks the tool: a child's ru_maxrss starts from its parent's RSS at fork, so
reading it from the benchmark's own `wait4` would report the benchmark's size.
Without GNU time, wait4's figure is used and marked as an upper bound.
GNU time gives the largest single process; a tool that forks workers (dbtier
on a large file, pgBadger) uses more, so the benchmark also walks the tool's
process tree every 10 ms (GNU time itself left out), keeps each process's own
peak RSS (`VmHWM`, the kernel's high-water mark) and sums them: `tree_rss_mb`.
Peaks that did not coincide and pages a forked child shares with its parent
are both counted, so the sum is an upper bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dbtier.testing.servers import process_tree


@dataclass(frozen=True)
class Run:
    """One tool over one log."""

    tool: str
    log_bytes: int
    seconds: float
    peak_rss_mb: float
    output: Path
    cpu_seconds: float = 0.0
    tree_rss_mb: float = 0.0

    @property
    def mb_per_s(self) -> float:
        """MB of log per second of wall time."""
        return self.log_bytes / 1e6 / self.seconds if self.seconds else 0.0

    @property
    def mb_per_cpu_s(self) -> float:
        """MB of log per CPU second (user + system): steadier than wall time when busy."""
        return self.log_bytes / 1e6 / self.cpu_seconds if self.cpu_seconds else 0.0


GNU_TIME = Path("/usr/bin/time")
SAMPLE_S = 0.01


def _peak_rss_kib(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_tree(root: int, include_root: bool, peaks: dict[int, int]) -> None:
    """Record in `peaks` the peak RSS (KiB) of `root`'s descendants (and `root` if asked)."""
    for pid in process_tree(root)[0 if include_root else 1 :]:
        peaks[pid] = max(peaks.get(pid, 0), _peak_rss_kib(pid))


def run(tool: str, argv: list[str], log: Path, output: Path) -> Run:
    """Run `argv` with stdout to `output`; fail loudly with its stderr when it fails."""
    rss_file = output.with_suffix(".rss")
    wrapped = GNU_TIME.exists()
    if wrapped:
        argv = [str(GNU_TIME), "-f", "%M %U %S", "-o", str(rss_file), *argv]
    peaks: dict[int, int] = {}
    with output.open("wb") as out, (output.with_suffix(".stderr")).open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            sample_tree(process.pid, not wrapped, peaks)
            time.sleep(SAMPLE_S)
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
    tree = max(sum(peaks.values()), peak_kib)
    return Run(tool, log.stat().st_size, seconds, peak_kib / 1024, output, cpu, tree / 1024)


def dbtier(log: Path, output: Path, jobs: int | None = None) -> Run:
    """`dbtier logs digest LOG --format json --top 0`, with `--jobs N` when given
    (without it: the default, one process per CPU for a large plain file)."""
    argv = [sys.executable, "-m", "dbtier", "logs", "digest", str(log), "-f", "json", "--top", "0"]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    name = "dbtier" if jobs is None else f"dbtier --jobs {jobs}"
    return run(name, argv, log, output)


def pt_query_digest(log: Path, output: Path) -> Run:
    """pt-query-digest with every class in its JSON report."""
    argv = ["pt-query-digest", "--output", "json", "--limit", "100%", str(log)]
    return run("pt-query-digest", argv, log, output)


def pgbadger(log: Path, output: Path) -> Run:
    """pgBadger, one job, RDS format, JSON report."""
    argv = ["pgbadger", "-f", "rds", "-j", "1", "-q", "-o", str(output), str(log)]
    result = run("pgbadger", argv, log, output.with_suffix(".stdout"))
    # No CPU figure: pgBadger parses in a forked process GNU time does not count.
    return Run(
        result.tool,
        result.log_bytes,
        result.seconds,
        result.peak_rss_mb,
        output,
        tree_rss_mb=result.tree_rss_mb,
    )


__all__ = ["Run", "dbtier", "pgbadger", "pt_query_digest", "run", "sample_tree"]
