"""bench/params' server CPU per transaction: counted from /proc around each timed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.params import workloads
from bench.params.__main__ import QUICK
from bench.params.markdown import tables
from bench.params.report import checkpoint_cell, read_rates, to_json
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


def _pg_sample(configuration: str, round_number: int, checkpoint_pages: int) -> Sample:
    measurement = workloads.Measurement(100.0, 10.0, 1500, 0)
    reads = {
        "pages": 150_000,
        "missed": 0,
        "checkpoints": 0,
        "checkpoint_pages": checkpoint_pages,
        "wal_bytes": 1500 * 6 * 1024,  # 6 KiB of WAL per transaction
    }
    return Sample("postgres", "nippo mix", configuration, round_number, measurement, {}, reads)


def test_the_checkpointer_is_counted_per_second_with_the_windows_it_wrote_in() -> None:
    """Session 18: a checkpoint inside a window is what separated RDS's defaults from the
    design on nippo's mix; the reads table says so per configuration."""
    options = Options(["postgres"], 15, 5, 3, QUICK, None, quick=True)
    results = Results(options, "2026-12-02 00:00:00 UTC")
    results.samples = [
        _pg_sample("rds-default", 1, 39_000),
        _pg_sample("rds-default", 2, 42_000),
        _pg_sample("rds-default", 3, 0),
        _pg_sample("dbtier", 1, 0),
    ]
    rates = read_rates(results)
    rds = rates[("postgres", "nippo mix", "rds-default")]
    assert rds.checkpoint_pages_per_s == pytest.approx(2600.0)  # median 39,000 / 15 s
    assert rds.checkpoint_windows == 2
    assert rds.wal_kib == pytest.approx(6.0)
    assert checkpoint_cell(rds.checkpoint_pages_per_s, rds.checkpoint_windows, rds.rounds) == (
        "2,600 (2/3)"
    )
    data = to_json(results)
    row = next(r for r in data["reads"] if r["configuration"] == "dbtier")
    assert (row["checkpoint_pages_per_s"], row["checkpoint_windows"]) == (0.0, 0)


def test_an_engine_that_does_not_count_the_checkpointer_gets_a_blank() -> None:
    options = Options(["mariadb"], 15, 5, 1, QUICK, None, quick=True)
    results = Results(options, "2026-12-01 00:00:00 UTC")
    results.samples = [_sample("dbtier", 1, 1000, 2000)]
    rate = read_rates(results)[("mariadb", "nippo mix", "dbtier")]
    assert (rate.checkpoint_pages_per_s, rate.checkpoint_windows, rate.wal_kib) == (None,) * 3
    assert checkpoint_cell(rate.checkpoint_pages_per_s, rate.checkpoint_windows, 1) == ""


def test_the_markdown_tables_count_the_checkpointer_in_a_file_saved_before_they_did() -> None:
    """Session 18's run Z was saved before the reads rows carried the checkpointer: the
    Markdown takes it from the samples (RDS's defaults: 39,229 pages in each window's
    median, 3 of 3 windows; the design none)."""
    path = Path(__file__).parents[2] / "bench/params/results/2026-12-02T045254-fits.json"
    text = tables(json.loads(path.read_text()))
    nippo = text[text.index("| nippo mix | RDS defaults | 472.8") :].splitlines()
    assert nippo[0].endswith("| 2,615 (3/3) |")
    assert nippo[1].startswith("|  | **dbtier design** |")
    assert nippo[1].endswith("| 0 (0/3) |")
