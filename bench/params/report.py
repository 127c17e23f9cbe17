"""The benchmark's tables (rich) and its raw results (JSON), ratios against dbtier's design.

Per engine: for each workload, each configuration's TPS and p95 (median over the
rounds, with the min–max spread) and the ratios "dbtier TPS ÷ this TPS" and
"this p95 ÷ dbtier p95" (both above 1 when dbtier's design is faster). Then the
issue's targets, each with its figure. It prints; it asserts nothing.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.params.run import Results, Sample


@dataclass(frozen=True)
class Target:
    """A ratio the issue asks for: dbtier's TPS over a baseline's, on one workload."""

    engine: str
    workload: str
    baseline: str
    at_least: float


# Issue 4: 1.3x engine defaults on MariaDB's oltp_read_write. Issue 14: at least RDS defaults
# and PGTune on every workload (targets()).
TARGETS = [Target("mariadb", "sysbench oltp_read_write", "defaults", 1.3)]
EVERY_WORKLOAD_BASELINES = ("rds-default", "pgtune")


def targets(results: Results) -> list[Target]:
    """The fixed targets, then dbtier >= 1.0x each of RDS defaults and PGTune on every workload."""
    found = [*TARGETS]
    seen = list(dict.fromkeys((s.engine, s.workload) for s in results.samples))
    for baseline in EVERY_WORKLOAD_BASELINES:
        found += [Target(engine, workload, baseline, 1.0) for engine, workload in seen]
    return found


@dataclass(frozen=True)
class Summary:
    """One workload under one configuration, over the rounds."""

    tps: float
    tps_min: float
    tps_max: float
    p95_ms: float
    p95_min: float
    p95_max: float
    errors: int


def summarize(samples: list[Sample]) -> Summary:
    """Median and spread of the rounds' TPS and p95."""
    tps = [s.measurement.tps for s in samples]
    p95 = [s.measurement.p95_ms for s in samples]
    return Summary(
        tps=statistics.median(tps),
        tps_min=min(tps),
        tps_max=max(tps),
        p95_ms=statistics.median(p95),
        p95_min=min(p95),
        p95_max=max(p95),
        errors=sum(s.measurement.errors for s in samples),
    )


def summaries(results: Results) -> dict[tuple[str, str, str], Summary]:
    """(engine, workload, configuration) -> its summary."""
    grouped: dict[tuple[str, str, str], list[Sample]] = {}
    for sample in results.samples:
        grouped.setdefault((sample.engine, sample.workload, sample.configuration), []).append(
            sample
        )
    return {key: summarize(group) for key, group in grouped.items()}


@dataclass(frozen=True)
class Paired:
    """dbtier's TPS over one configuration's in the same round, over the rounds.

    Configurations are interleaved within each round, so a round's ratio compares runs
    minutes apart on the same machine; the median of those ratios is not moved by a
    round that was slow for every configuration, which the ratio of the medians is.
    """

    median: float
    low: float
    high: float
    wins: int  # rounds where dbtier's design ran more transactions
    rounds: int

    def describe(self) -> str:
        """E.g. `1.04× (0.93–1.12), 4/5`."""
        return f"{self.median:.2f}× ({self.low:.2f}–{self.high:.2f}), {self.wins}/{self.rounds}"


def paired_ratios(
    tps: dict[tuple[str, str, str, int], float],
) -> dict[tuple[str, str, str], Paired]:
    """(engine, workload, configuration) -> dbtier ÷ it per round, from (…, round) -> TPS."""
    ratios: dict[tuple[str, str, str], list[float]] = {}
    for (engine, workload, key, round_), value in tps.items():
        ours = tps.get((engine, workload, "dbtier", round_))
        if key != "dbtier" and ours is not None and value > 0:
            ratios.setdefault((engine, workload, key), []).append(ours / value)
    return {
        key: Paired(
            median=statistics.median(found),
            low=min(found),
            high=max(found),
            wins=sum(ratio > 1 for ratio in found),
            rounds=len(found),
        )
        for key, found in ratios.items()
    }


def sample_tps(results: Results) -> dict[tuple[str, str, str, int], float]:
    """(engine, workload, configuration, round) -> TPS."""
    return {
        (s.engine, s.workload, s.configuration, s.round): s.measurement.tps for s in results.samples
    }


@dataclass(frozen=True)
class ReadRates:
    """What one workload under one configuration read, per transaction: medians of the rounds.

    In an IOPS-bound run the throughput is the cap over the device reads per transaction,
    so these say why one configuration ran faster than another (a larger cache misses less).
    """

    pages: float  # pages read per transaction, from the cache or not
    missed_percent: float  # share of those fetched from outside the server's own cache
    device_reads: float | None  # read requests to the volume per transaction
    device_reads_per_s: float | None
    device_writes_per_s: float | None
    rounds: int
    # read and write requests to the volume per transaction: what each transaction takes of
    # gp3's one IOPS budget (a volume-bound run's TPS is the budget over this)
    device_ios: float | None = None
    # the server's CPU (user + system) per transaction, ms: what a transaction costs where
    # the CPU is the bound, and steadier there than the TPS, which the client's share of the
    # same cores moves (None in a file saved before session 16)
    server_cpu_ms: float | None = None
    # per 1,000 transactions: temporary tables or files written to disk and (MariaDB) sort
    # merge passes, what smaller buffers cost; statements the slow log took (MariaDB)
    to_disk_per_1k: float | None = None
    slow_per_1k: float | None = None
    # PostgreSQL: pages the checkpointer wrote per second of the window (buffers_checkpoint)
    # and in how many of the rounds' windows it wrote any. A checkpoint inside a window
    # writes the dirty pages and starts a round of full-page images in WAL, so on a volume
    # at its budget it is what separates two configurations (session 18). None where the
    # samples did not count it (MariaDB; files saved before session 16)
    checkpoint_pages_per_s: float | None = None
    checkpoint_windows: int | None = None
    # PostgreSQL: WAL written per transaction, KiB (full-page images included): at a given
    # TPS, how soon a configuration reaches the WAL volume that requests a checkpoint
    wal_kib: float | None = None


def checkpoint_rates(
    reads: Sequence[Mapping[str, int]], seconds: float
) -> tuple[float | None, int | None]:
    """The checkpointer's pages per second (median of the windows) and the windows it wrote
    in, from the windows' `Sample.reads`; (None, None) where none counted it."""
    pages = [r["checkpoint_pages"] for r in reads if "checkpoint_pages" in r]
    if not pages:
        return None, None
    return statistics.median(pages) / seconds, sum(1 for p in pages if p > 0)


def checkpoint_cell(per_s: float | None, windows: int | None, rounds: int) -> str:
    """The checkpointer's pages per second, with the windows it wrote in: `2,751 (5/5)`;
    blank where the samples did not count it."""
    if per_s is None or windows is None:
        return ""
    return f"{number(per_s, 0)} ({windows}/{rounds})"


def read_rates(results: Results) -> dict[tuple[str, str, str], ReadRates]:
    """(engine, workload, configuration) -> its reads, where the samples counted them."""
    grouped: dict[tuple[str, str, str], list[Sample]] = {}
    for sample in results.samples:
        if sample.reads and sample.measurement.transactions > 0:
            key = (sample.engine, sample.workload, sample.configuration)
            grouped.setdefault(key, []).append(sample)
    seconds = results.options.duration
    found: dict[tuple[str, str, str], ReadRates] = {}
    median = statistics.median
    for key, group in grouped.items():

        def device(name: str, per: str, group: list[Sample] = group) -> float | None:
            values = [
                s.reads[name] / (s.measurement.transactions if per == "transaction" else seconds)
                for s in group
                if name in s.reads
            ]
            return median(values) if values else None

        ios = [
            (s.reads["device_reads"] + s.reads["device_writes"]) / s.measurement.transactions
            for s in group
            if "device_reads" in s.reads and "device_writes" in s.reads
        ]

        cpu = [
            s.reads["server_cpu_ms"] / s.measurement.transactions
            for s in group
            if "server_cpu_ms" in s.reads
        ]

        def per_1k(*names: str, group: list[Sample] = group) -> float | None:
            """Those of `names` a sample counted, summed, per 1,000 of its transactions."""
            values = [
                1000 * sum(s.reads.get(name, 0) for name in names) / s.measurement.transactions
                for s in group
                if any(name in s.reads for name in names)
            ]
            return median(values) if values else None

        wal = device("wal_bytes", "transaction")
        checkpoint_per_s, checkpoint_windows = checkpoint_rates([s.reads for s in group], seconds)
        found[key] = ReadRates(
            pages=median([s.reads["pages"] / s.measurement.transactions for s in group]),
            missed_percent=median(
                [100 * s.reads["missed"] / s.reads["pages"] for s in group if s.reads["pages"]]
                or [0.0]
            ),
            device_reads=device("device_reads", "transaction"),
            device_reads_per_s=device("device_reads", "second"),
            device_writes_per_s=device("device_writes", "second"),
            rounds=len(group),
            device_ios=median(ios) if ios else None,
            server_cpu_ms=median(cpu) if cpu else None,
            to_disk_per_1k=per_1k("temp_to_disk", "sort_merges"),
            slow_per_1k=per_1k("slow_queries"),
            checkpoint_pages_per_s=checkpoint_per_s,
            checkpoint_windows=checkpoint_windows,
            wal_kib=None if wal is None else wal / 1024,
        )
    return found


MISSED_MEANS = {
    "mariadb": "read from the volume (the buffer pool's misses)",
    "postgres": "read from outside shared_buffers (the page cache or the volume)",
}


def reads_table(results: Results, engine: str) -> Table | None:
    """Per workload and configuration: pages read, cache misses and the volume's reads."""
    run = next(r for r in results.engine_runs if r.engine == engine)
    rates = read_rates(results)
    if not any(key[0] == engine for key in rates):
        return None
    table = Table(
        title=f"{engine}: reads during the timed runs, per transaction (medians of the rounds);"
        f" missed = {MISSED_MEANS.get(engine, 'outside the cache')}; volume I/O = read and"
        " write requests per transaction, what each takes of gp3's one budget; server CPU ="
        " the server's CPU ms per transaction; to disk = temporary tables or files written"
        " and sort merge passes, slow = slow-log entries, both per 1,000 transactions;"
        " WAL = KiB of WAL written per transaction; checkpoint = pages the checkpointer"
        " wrote per second (windows it wrote in)",
        title_justify="left",
    )
    columns = ("workload", "configuration", "pages", "missed %", "volume reads", "reads/s")
    rest = ("writes/s", "volume I/O", "server CPU", "to disk", "slow", "WAL", "checkpoint")
    for column in (*columns, *rest):
        table.add_column(column, justify="left" if column in columns[:2] else "right")
    workloads = list(dict.fromkeys(s.workload for s in results.samples if s.engine == engine))

    for workload in workloads:
        first = True
        for configuration in run.configurations:
            rate = rates.get((engine, workload, configuration.key))
            if rate is None:
                continue
            table.add_row(
                workload if first else "",
                ("[bold]" if configuration.key == "dbtier" else "") + configuration.label,
                number(rate.pages, 1),
                number(rate.missed_percent, 1),
                number(rate.device_reads, 2),
                number(rate.device_reads_per_s, 0),
                number(rate.device_writes_per_s, 0),
                number(rate.device_ios, 2),
                number(rate.server_cpu_ms, 3),
                number(rate.to_disk_per_1k, 1),
                number(rate.slow_per_1k, 1),
                number(rate.wal_kib, 1),
                checkpoint_cell(rate.checkpoint_pages_per_s, rate.checkpoint_windows, rate.rounds),
            )
            first = False
        table.add_section()
    return table


def number(value: float | None, digits: int) -> str:
    """`value` with thousands separators and `digits` decimals; blank where not counted."""
    return "" if value is None else f"{value:,.{digits}f}"


def _spread(low: float, high: float, digits: int) -> str:
    return f"{low:.{digits}f}–{high:.{digits}f}" if high != low else ""


def engine_table(results: Results, engine: str) -> Table:
    """One engine's table: workload × configuration, TPS, p95, ratios to dbtier."""
    run = next(r for r in results.engine_runs if r.engine == engine)
    table = Table(
        title=f"{run.profile_engine} on {run.instance_class} — {results.options.rounds} round(s)"
        f" × {results.options.duration}s, {results.options.sizes.threads} threads",
        title_justify="left",
    )
    for column in ("workload", "configuration", "TPS", "TPS spread", "p95 ms", "p95 spread"):
        table.add_column(
            column, justify="left" if column in ("workload", "configuration") else "right"
        )
    table.add_column("dbtier TPS ÷ this", justify="right")
    table.add_column("per round: median (spread), dbtier ahead", justify="right")
    table.add_column("this p95 ÷ dbtier p95", justify="right")
    found = summaries(results)
    paired = paired_ratios(sample_tps(results))
    workloads = list(dict.fromkeys(s.workload for s in results.samples if s.engine == engine))
    for workload in workloads:
        ours = found.get((engine, workload, "dbtier"))
        for index, configuration in enumerate(run.configurations):
            summary = found.get((engine, workload, configuration.key))
            if summary is None:
                continue
            is_ours = configuration.key == "dbtier"
            tps_ratio = "" if ours is None or is_ours else f"{ours.tps / summary.tps:.2f}×"
            p95_ratio = "" if ours is None or is_ours else f"{summary.p95_ms / ours.p95_ms:.2f}×"
            per_round = paired.get((engine, workload, configuration.key))
            table.add_row(
                workload if index == 0 else "",
                ("[bold]" if is_ours else "") + configuration.label,
                f"{summary.tps:.1f}",
                _spread(summary.tps_min, summary.tps_max, 1),
                f"{summary.p95_ms:.2f}",
                _spread(summary.p95_min, summary.p95_max, 2),
                tps_ratio,
                per_round.describe() if per_round else "",
                p95_ratio,
                end_section=index == len(run.configurations) - 1,
            )
    return table


def targets_table(results: Results) -> Table:
    """The issue's targets with the measured ratios."""
    table = Table(
        title="Targets (issues 4 and 14): dbtier TPS ÷ baseline TPS (medians)", title_justify="left"
    )
    for column in ("engine", "workload", "baseline", "ratio", "target", "", "per round"):
        table.add_column(column)
    found = summaries(results)
    paired = paired_ratios(sample_tps(results))
    for target in targets(results):
        ours = found.get((target.engine, target.workload, "dbtier"))
        theirs = found.get((target.engine, target.workload, target.baseline))
        if ours is None or theirs is None:
            continue
        ratio = ours.tps / theirs.tps
        verdict = "[green]met" if ratio >= target.at_least else "[red]missed"
        per_round = paired.get((target.engine, target.workload, target.baseline))
        table.add_row(
            target.engine,
            target.workload,
            target.baseline,
            f"{ratio:.2f}×",
            f"≥ {target.at_least:.1f}×",
            verdict,
            per_round.describe() if per_round else "",
        )
    return table


def settings_table(results: Results, engine: str) -> Table:
    """What each configuration set, as read back from the running server."""
    run = next(r for r in results.engine_runs if r.engine == engine)
    table = Table(title=f"{engine}: effective settings (read back)", title_justify="left")
    table.add_column("setting")
    keys = [c.key for c in run.configurations if c.key in run.settings]
    labels = {c.key: c.label for c in run.configurations}
    for key in keys:
        table.add_column(labels[key])
    names = list(next(iter(run.settings.values()), {}).keys())
    for name in names:
        table.add_row(name, *(run.settings[key].get(name, "") for key in keys))
    return table


def maintenance_table(results: Results, engine: str) -> Table | None:
    """Background maintenance seen during the timed runs, seconds summed over the rounds.

    A short timed run favours a configuration whose autovacuum waits longer: the work it
    defers falls outside the window. This table shows what each one was charged for.
    """
    run = next(r for r in results.engine_runs if r.engine == engine)
    labels = {c.key: c.label for c in run.configurations}
    totals: dict[tuple[str, str], dict[str, float]] = {}
    for sample in results.samples:
        if sample.engine != engine:
            continue
        seen = totals.setdefault((sample.workload, sample.configuration), {})
        for what, seconds in sample.maintenance.items():
            seen[what] = seen.get(what, 0.0) + seconds
    if not any(totals.values()):
        return None
    table = Table(
        title=f"{engine}: autovacuum during the timed runs (seconds, all rounds together)",
        title_justify="left",
    )
    for column in ("workload", "configuration", "ran", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for (workload, key), seen in totals.items():
        for what, seconds in sorted(seen.items(), key=lambda item: -item[1]) or [("—", 0.0)]:
            table.add_row(workload, labels.get(key, key), what, f"{seconds:.1f}")
    return table


def render(results: Results, console: Console) -> None:
    """Print every table and the notes on what was adapted for the local servers."""
    for run in results.engine_runs:
        console.print()
        console.print(engine_table(results, run.engine))
        console.print(settings_table(results, run.engine))
        for extra in (reads_table(results, run.engine), maintenance_table(results, run.engine)):
            if extra is not None:
                console.print(extra)
        data = ", ".join(f"{db} {size / 2**30:.2f} GiB" for db, size in run.data_bytes.items())
        console.print(f"data: {data} (loaded in {run.load_seconds:.0f}s)")
        console.print(
            "  each configuration on a fresh copy of it (CREATE DATABASE … TEMPLATE, untimed)"
            if run.fresh_data
            else "  one copy for all configurations, settled after each (slow shutdown)"
        )
        console.print(f"  prewarmed: {run.prewarm}")
        peak = f", peak {run.peak_memory_bytes / 2**30:.2f} GiB" if run.peak_memory_bytes else ""
        console.print(f"memory: {run.memory_limit}{peak}")
        if run.huge_pages:
            console.print(f"  huge pages: {run.huge_pages}")
        console.print(f"storage: {run.io_limit}")
        if run.io_check:
            console.print(f"  {run.io_check}")
        for label, (one, five, fifteen) in run.load_averages:
            console.print(f"  load average at {label}: {one:.2f} {five:.2f} {fifteen:.2f}")
        for configuration in run.configurations:
            for line in configuration.not_applied(run.profile_engine):
                console.print(f"  {configuration.label}, not applied locally: {line}")
    console.print()
    console.print(targets_table(results))
    console.print(f"total time {results.seconds / 60:.1f} min")


def to_json(results: Results) -> dict[str, Any]:
    """The raw results as plain data."""
    found = summaries(results)
    return {
        "started": results.started,
        "seconds": round(results.seconds, 1),
        "options": dataclasses.asdict(results.options),
        "engines": [
            {
                "engine": run.engine,
                "profile_engine": run.profile_engine,
                "instance_class": run.instance_class,
                "memory_limit": run.memory_limit,
                "huge_pages": run.huge_pages,
                "io_limit": run.io_limit,
                "io_check": run.io_check,
                "load_averages": run.load_averages,
                "peak_memory_bytes": run.peak_memory_bytes,
                "data_bytes": run.data_bytes,
                "load_seconds": round(run.load_seconds, 1),
                "fresh_data": run.fresh_data,
                "prewarm": run.prewarm,
                "configurations": [dataclasses.asdict(c) for c in run.configurations],
                "settings": run.settings,
            }
            for run in results.engine_runs
        ],
        "samples": [dataclasses.asdict(s) for s in results.samples],
        "summaries": [
            {"engine": e, "workload": w, "configuration": c, **dataclasses.asdict(s)}
            for (e, w, c), s in found.items()
        ],
        "reads": [
            {"engine": e, "workload": w, "configuration": c, **dataclasses.asdict(r)}
            for (e, w, c), r in read_rates(results).items()
        ],
        "paired": [
            {"engine": e, "workload": w, "configuration": c, **dataclasses.asdict(r)}
            for (e, w, c), r in paired_ratios(sample_tps(results)).items()
        ],
    }


def save(results: Results, text: str, directory: Path) -> tuple[Path, Path]:
    """Write the JSON and the printed text under `directory`; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = results.started.replace(" UTC", "").replace(" ", "T").replace(":", "")
    mode = "quick" if results.options.quick else results.options.scenario
    json_path = directory / f"{stamp}-{mode}.json"
    text_path = directory / f"{stamp}-{mode}.txt"
    json_path.write_text(json.dumps(to_json(results), indent=2) + "\n")
    text_path.write_text(text)
    return json_path, text_path


__all__ = [
    "EVERY_WORKLOAD_BASELINES",
    "MISSED_MEANS",
    "TARGETS",
    "Paired",
    "ReadRates",
    "Summary",
    "Target",
    "maintenance_table",
    "paired_ratios",
    "read_rates",
    "reads_table",
    "render",
    "sample_tps",
    "save",
    "summaries",
    "targets",
    "to_json",
]
