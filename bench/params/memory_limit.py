"""Hold a throwaway server to the instance class's memory with a child memory cgroup.

The server is started inside a cgroup nested under this process's own (v1
``memory`` controller or v2 unified hierarchy), limited to the class's nominal
memory; page cache and shared memory count against it, as on the instance.
Where no writable hierarchy exists the limit is reported as not applied and the
benchmark still runs: the configurations themselves are scaled to the class.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class MemoryLimit:
    """A memory cgroup a server is started in; `procs_file` is None when none could be made."""

    limit_bytes: int
    procs_file: Path | None
    reason: str

    @property
    def applied(self) -> bool:
        """Whether servers really run under the limit."""
        return self.procs_file is not None


def _own_cgroup_dirs() -> list[tuple[Path, str, str]]:
    """Candidate (directory, limit file, procs file) for this process's memory cgroup."""
    candidates: list[tuple[Path, str, str]] = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            candidates.append(
                (
                    _CGROUP_ROOT / "memory" / path.lstrip("/"),
                    "memory.limit_in_bytes",
                    "cgroup.procs",
                )
            )
        elif hierarchy == "0":
            base = _CGROUP_ROOT / "unified"
            base = base if base.is_dir() else _CGROUP_ROOT
            candidates.append((base / path.lstrip("/"), "memory.max", "cgroup.procs"))
    return candidates


def create(name: str, limit_bytes: int) -> MemoryLimit:
    """Make a child cgroup `name` limited to `limit_bytes`, or say why it could not be made."""
    reasons: list[str] = []
    for parent, limit_file, procs_file in _own_cgroup_dirs():
        child = parent / name
        try:
            child.mkdir(exist_ok=True)
        except OSError as exc:
            reasons.append(f"{parent}: {exc.strerror}")
            continue
        if not (child / limit_file).exists():
            reasons.append(f"{parent}: no {limit_file} (memory controller not enabled)")
            child.rmdir()
            continue
        try:
            (child / limit_file).write_text(str(limit_bytes))
        except OSError as exc:
            reasons.append(f"{child / limit_file}: {exc.strerror}")
            child.rmdir()
            continue
        return MemoryLimit(limit_bytes, child / procs_file, f"cgroup {child}")
    return MemoryLimit(limit_bytes, None, "; ".join(reasons) or "no memory cgroup found")


class Cgroup(Protocol):
    """A child cgroup servers start in (memory here, block I/O in io_limit)."""

    @property
    def procs_file(self) -> Path | None: ...


def remove(limit: Cgroup) -> None:
    """Remove the child cgroup once its processes have exited (best effort, never raises)."""
    if limit.procs_file is None:
        return
    with contextlib.suppress(OSError):
        limit.procs_file.parent.rmdir()


def wrap(limit: Cgroup, argv: list[str]) -> list[str]:
    """`argv` run by a shell that first moves itself into the cgroup, then execs it."""
    if limit.procs_file is None:
        return argv
    return ["sh", "-c", f'echo $$ > {limit.procs_file} && exec "$@"', "sh", *argv]


def set_limit(limit: MemoryLimit, limit_bytes: int) -> None:
    """Hold the cgroup to `limit_bytes` from now on (a no-op without a cgroup)."""
    if limit.procs_file is None:
        return
    for name in ("memory.limit_in_bytes", "memory.max"):
        path = limit.procs_file.parent / name
        if path.exists():
            path.write_text(str(limit_bytes))
            return


def peak_usage(limit: MemoryLimit) -> int | None:
    """Peak memory the cgroup has charged, in bytes (None without a cgroup)."""
    if limit.procs_file is None:
        return None
    for name in ("memory.max_usage_in_bytes", "memory.peak"):
        path = limit.procs_file.parent / name
        if path.exists():
            with contextlib.suppress(OSError, ValueError):
                return int(path.read_text().split()[0])
    return None


def oom_kills(limit: MemoryLimit) -> int | None:
    """Processes the kernel's OOM killer has killed in the cgroup so far (None: not known).

    v1 `memory.oom_control` and v2 `memory.events` both carry an `oom_kill` line.
    """
    if limit.procs_file is None:
        return None
    for name in ("memory.oom_control", "memory.events"):
        path = limit.procs_file.parent / name
        with contextlib.suppress(OSError, ValueError):
            for line in path.read_text().splitlines():
                key, _, count = line.partition(" ")
                if key == "oom_kill":
                    return int(count)
    return None


__all__ = [
    "Cgroup",
    "MemoryLimit",
    "create",
    "oom_kills",
    "peak_usage",
    "remove",
    "set_limit",
    "wrap",
]
