"""bench/params' server CPU per transaction: counted from /proc around each timed run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.params import workloads
from bench.params.__main__ import QUICK
from bench.params.report import read_rates
from bench.params.run import Options, Reads, Results, Sample
from dbtier.testing.servers import cpu_seconds

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_a_reaped_child_counts_in_its_parent() -> None:
    """A process that has ended and been waited for counts in its parent's children's
    CPU (how a PostgreSQL backend's CPU stays in the server's total after it exits)."""
    before = cpu_seconds([os.getpid()])
    subprocess.run([sys.executable, "-c", BURN], check=True)
    assert cpu_seconds([os.getpid()]) - before >= 0.3


def test_a_process_that_is_gone_counts_nothing() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert cpu_seconds([child.pid]) == 0.0


def _sample(configuration: str, round_number: int, transactions: int, cpu_ms: int) -> Sample:
    measurement = workloads.Measurement(transactions / 15, 10.0, transactions, 0)
    reads = {"pages": 100 * transactions, "missed": 0, "server_cpu_ms": cpu_ms}
    return Sample("mariadb", "nippo mix", configuration, round_number, measurement, {}, reads)


def test_the_cpu_per_transaction_is_the_median_of_the_rounds() -> None:
    options = Options(["mariadb"], 15, 5, 3, QUICK, None, quick=True)
    results = Results(options, "2026-12-01 00:00:00 UTC")
    results.samples = [
        _sample("dbtier", 1, 1000, 2000),  # 2.0 ms
        _sample("dbtier", 2, 1000, 3000),  # 3.0 ms
        _sample("dbtier", 3, 2000, 5000),  # 2.5 ms
        _sample("rds-default", 1, 1000, 1500),
    ]
    rates = read_rates(results)
    assert rates[("mariadb", "nippo mix", "dbtier")].server_cpu_ms == pytest.approx(2.5)
    assert rates[("mariadb", "nippo mix", "rds-default")].server_cpu_ms == pytest.approx(1.5)


def test_a_reading_gives_the_cpu_between_two_readings() -> None:
    earlier = Reads(10, 1, None, cpu=1.25)
    later = Reads(30, 2, None, cpu=3.5)
    assert later.since(earlier) == {"pages": 20, "missed": 1, "server_cpu_ms": 2250}


def test_spills_are_counted_per_thousand_transactions() -> None:
    options = Options(["mariadb"], 15, 5, 1, QUICK, None, quick=True)
    results = Results(options, "2026-12-01 00:00:00 UTC")
    sample = _sample("dbtier", 1, 2000, 2000)
    sample.reads |= {"temp_to_disk": 3, "sort_merges": 1, "slow_queries": 10}
    results.samples = [sample]
    rate = read_rates(results)[("mariadb", "nippo mix", "dbtier")]
    assert rate.to_disk_per_1k == pytest.approx(2.0)
    assert rate.slow_per_1k == pytest.approx(5.0)


def test_a_reading_gives_the_spills_between_two_readings() -> None:
    earlier = Reads(0, 0, None, spills={"temp_to_disk": 4, "slow_queries": 1})
    later = Reads(0, 0, None, spills={"temp_to_disk": 9, "slow_queries": 1})
    assert later.since(earlier) == {"pages": 0, "missed": 0, "temp_to_disk": 5, "slow_queries": 0}
