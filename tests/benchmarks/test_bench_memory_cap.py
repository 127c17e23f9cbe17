"""bench/params' memory cap: a server held to the class's memory, and what the OOM killer did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.params import memory_limit

MiB = 1024 * 1024


def _fake(tmp_path: Path, name: str, text: str) -> memory_limit.MemoryLimit:
    (tmp_path / name).write_text(text)
    return memory_limit.MemoryLimit(64 * MiB, tmp_path / "cgroup.procs", "fake")


def test_oom_kills_read_from_either_cgroup_version(tmp_path: Path) -> None:
    v1_dir = tmp_path / "v1"
    v1_dir.mkdir()
    v1 = _fake(v1_dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    assert memory_limit.oom_kills(v1) == 3
    v2_dir = tmp_path / "v2"
    v2_dir.mkdir()
    v2 = _fake(v2_dir, "memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n")
    assert memory_limit.oom_kills(v2) == 2


def test_oom_kills_are_unknown_without_a_cgroup_or_its_count(tmp_path: Path) -> None:
    assert memory_limit.oom_kills(memory_limit.MemoryLimit(0, None, "none")) is None
    old_kernel = _fake(tmp_path, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n")
    assert memory_limit.oom_kills(old_kernel) is None


def test_the_kernel_kills_what_outgrows_the_cap() -> None:
    """A process that touches 256 MiB in a 64 MiB cgroup is killed, and the count says so."""
    if os.geteuid() != 0:
        pytest.skip("memory cgroups need root")
    limit = memory_limit.create(f"dbtier-test-oom-{os.getpid()}", 64 * MiB)
    if not limit.applied:
        pytest.skip(f"no memory cgroup here: {limit.reason}")
    try:
        before = memory_limit.oom_kills(limit)
        if before is None:
            pytest.skip("this kernel does not count OOM kills per cgroup")
        touch = "b = bytearray(256 * 1024 * 1024); print(len(b))"
        result = subprocess.run(
            memory_limit.wrap(limit, [sys.executable, "-c", touch]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), result
        assert memory_limit.oom_kills(limit) == before + 1
    finally:
        memory_limit.remove(limit)
