"""bench/params' gp3 emulation: reads and writes share one budget, as on the volume."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.params import io_limit
from bench.params.io_limit import SHARE_FLOOR, Split, next_caps

BUDGET = 3000


def _settle(
    read_demand: float, write_demand: float, efficiency: float = 1.0, intervals: int = 60
) -> tuple[float, float]:
    """What a load with these demands (per second) issues once the caps have settled.

    Each interval a direction issues what it wants up to its cap; `efficiency` below 1 is a
    load whose reads and writes wait on each other, so each uses only part of its cap.
    """
    split, reads, writes = Split(), 0.0, 0.0
    for _ in range(intervals):
        read_cap, write_cap, split = next_caps(BUDGET, split, reads, writes)
        reads = min(read_demand, read_cap * efficiency)
        writes = min(write_demand, write_cap * efficiency)
    return reads, writes


def test_a_direction_alone_has_the_whole_budget() -> None:
    assert _settle(10_000, 0) == pytest.approx((BUDGET, 0), rel=0.01)
    assert _settle(0, 10_000) == pytest.approx((0, BUDGET), rel=0.01)


def test_idle_caps_are_the_budget() -> None:
    read_cap, write_cap, _ = next_caps(BUDGET, Split(), 0, 0)
    assert (read_cap, write_cap) == (BUDGET, BUDGET)


def test_both_saturated_share_the_budget() -> None:
    reads, writes = _settle(6000, 4000)
    assert reads + writes == pytest.approx(BUDGET, rel=0.03)
    assert min(reads, writes) >= SHARE_FLOOR * BUDGET


def test_light_writes_leave_the_rest_to_reads() -> None:
    reads, writes = _settle(10_000, 300)
    assert writes == pytest.approx(300, rel=0.01)
    assert reads == pytest.approx(BUDGET - 300, rel=0.05)


def test_coupled_load_reaches_the_budget() -> None:
    """Reads and writes that wait on each other leave part of each cap unused; the gain
    makes up for it, so the volume still delivers its budget and not 8 % less."""
    reads, writes = _settle(6000, 4000, efficiency=0.92)
    assert reads + writes == pytest.approx(BUDGET, rel=0.03)


def test_below_the_budget_nothing_is_held_back() -> None:
    assert _settle(1200, 800) == pytest.approx((1200, 800), rel=0.01)


@given(
    read_demand=st.floats(0, 20_000),
    write_demand=st.floats(0, 20_000),
    efficiency=st.floats(0.85, 1.0),
)
def test_the_budget_holds_and_nothing_below_it_is_held_back(
    read_demand: float, write_demand: float, efficiency: float
) -> None:
    reads, writes = _settle(read_demand, write_demand, efficiency)
    assert reads + writes <= BUDGET * 1.05
    if read_demand + write_demand <= 0.8 * BUDGET and efficiency == 1.0:
        assert (reads, writes) == pytest.approx((read_demand, write_demand), rel=0.01)
    if read_demand >= BUDGET and write_demand >= BUDGET:
        assert reads + writes >= BUDGET * 0.95


# -- the kernel holds it -----------------------------------------------------------------------


@pytest.fixture
def cgroup(tmp_path: Path) -> Iterator[io_limit.IoLimit]:
    """A block-I/O cgroup capping `tmp_path`'s disk to 600 IOPS, or a skip saying why not."""
    if shutil.which("sysbench") is None:
        pytest.skip("sysbench is not installed (apt install sysbench)")
    if os.geteuid() != 0:
        pytest.skip("block-I/O cgroups need root")
    limit = io_limit.create(f"dbtier-test-gp3-{os.getpid()}", tmp_path, 600, 100 * io_limit.MiB)
    if not limit.applied:
        pytest.skip(f"no block-I/O cgroup here: {limit.reason}")
    yield limit
    io_limit.remove(limit)


def _mixed_iops(limit: io_limit.IoLimit, directory: Path) -> tuple[float, float]:
    size = ["--file-total-size=16M", "--file-num=1"]
    run = [
        "--time=3",
        "--threads=4",
        "--file-extra-flags=direct",
        "--file-test-mode=rndrw",
        "--file-fsync-freq=0",
        "run",
    ]
    subprocess.run(
        ["sysbench", "fileio", *size, "prepare"], cwd=directory, check=True, capture_output=True
    )
    try:
        out = subprocess.run(
            io_limit.wrap(limit, ["sysbench", "fileio", *size, *run]),
            cwd=directory,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(
            ["sysbench", "fileio", *size, "cleanup"],
            cwd=directory,
            check=False,
            capture_output=True,
        )
    reads = re.search(r"reads/s:\s+([\d.]+)", out)
    writes = re.search(r"writes/s:\s+([\d.]+)", out)
    assert reads is not None and writes is not None, out
    return float(reads.group(1)), float(writes.group(1))


def test_the_kernel_holds_reads_and_writes_to_one_budget(
    cgroup: io_limit.IoLimit, tmp_path: Path
) -> None:
    split_reads, split_writes = _mixed_iops(cgroup, tmp_path)
    # each direction capped alone: reads reach the whole budget, writes come on top
    assert split_reads + split_writes > 1.3 * cgroup.iops
    budget = io_limit.SharedBudget(cgroup)
    with budget:
        reads, writes = _mixed_iops(budget.limit, tmp_path)
    assert budget.error is None
    assert 0.6 * cgroup.iops < reads + writes < 1.2 * cgroup.iops
    assert writes > SHARE_FLOOR * cgroup.iops
    assert "one budget for reads and writes" in budget.limit.describe()
