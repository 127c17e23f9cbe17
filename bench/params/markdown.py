"""A saved run as Markdown tables, for the README: `python -m bench.params.markdown FILE.json`."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.params.report import checkpoint_cell, checkpoint_rates, number, paired_ratios

LABELS = {
    "defaults": "engine defaults",
    "rds-default": "RDS defaults",
    "pgtune": "PGTune",
    "dbtier": "**dbtier design**",
    "ablation": "",  # labelled from the run: "dbtier, NAME=VALUE"
}


def tables(data: dict[str, Any]) -> str:
    """One Markdown table per engine: TPS and p95 with spreads, ratios to dbtier's design."""
    found = {(s["engine"], s["workload"], s["configuration"]): s for s in data["summaries"]}
    paired = paired_ratios(
        {
            (s["engine"], s["workload"], s["configuration"], s["round"]): s["measurement"]["tps"]
            for s in data["samples"]
        }
    )
    lines: list[str] = []
    for engine in data["engines"]:
        name = engine["engine"]
        labels = {c["key"]: c["label"] for c in engine["configurations"]}
        notes = [
            f"huge pages: {engine['huge_pages']}" if engine.get("huge_pages") else "",
            f"storage: {engine.get('io_limit', '')}",
            engine.get("io_check", ""),
        ]
        notes += [
            f"load average at {label}: {' '.join(f'{x:.2f}' for x in values)}"
            for label, values in engine.get("load_averages", [])
        ]
        lines += [
            "",
            f"{engine['profile_engine']} on {engine['instance_class']}:",
            "",
            *(f"- {note}" for note in notes if note),
            "",
            "| workload | configuration | TPS (spread) | p95 ms (spread) "
            "| dbtier TPS ÷ this | per round: median (spread), dbtier ahead "
            "| this p95 ÷ dbtier p95 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        workloads = list(
            dict.fromkeys(s["workload"] for s in data["summaries"] if s["engine"] == name)
        )
        for workload in workloads:
            ours = found[(name, workload, "dbtier")]
            first = True
            extra = [key for key in labels if key.startswith("ablation-")]
            for key, label in [*LABELS.items(), *((key, "") for key in extra)]:
                summary = found.get((name, workload, key))
                if summary is None:
                    continue
                label = label or f"({labels.get(key, key)})"
                mine = key == "dbtier"
                tps_ratio = "" if mine else f"{ours['tps'] / summary['tps']:.2f}×"
                p95_ratio = "" if mine else f"{summary['p95_ms'] / ours['p95_ms']:.2f}×"
                tps = f"{summary['tps']:.0f} ({summary['tps_min']:.0f}–{summary['tps_max']:.0f})"
                p95 = f"{summary['p95_ms']:.1f} ({summary['p95_min']:.1f}–{summary['p95_max']:.1f})"
                per_round = paired.get((name, workload, key))
                lines.append(
                    f"| {workload if first else ''} | {label} | {tps} | {p95} "
                    f"| {tps_ratio} | {per_round.describe() if per_round else ''} "
                    f"| {p95_ratio} |"
                )
                first = False
        lines += _reads(data, name, labels)
    return "\n".join(lines) + "\n"


def _reads(data: dict[str, Any], engine: str, labels: dict[str, str]) -> list[str]:
    """The reads per transaction of `engine`'s timed runs, where the run counted them."""
    rows = [r for r in data.get("reads", []) if r["engine"] == engine]
    if not rows:
        return []
    workloads = list(
        dict.fromkeys(s["workload"] for s in data["summaries"] if s["engine"] == engine)
    )
    keys = list(labels)
    rows.sort(key=lambda r: (workloads.index(r["workload"]), keys.index(r["configuration"])))

    lines = [
        "",
        "| workload | configuration | pages read / txn | missed % | volume reads / txn "
        "| volume reads/s | volume writes/s | volume I/O / txn | server CPU ms / txn "
        "| to disk / 1k txn | slow log / 1k txn | WAL KiB / txn | checkpoint pages/s (windows) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous = ""
    for row in rows:
        label = labels.get(row["configuration"], row["configuration"])
        lines.append(
            f"| {row['workload'] if row['workload'] != previous else ''} "
            f"| {'**' + label + '**' if row['configuration'] == 'dbtier' else label} "
            f"| {number(row['pages'], 1)} | {number(row['missed_percent'], 1)} "
            f"| {number(row['device_reads'], 2)} | {number(row['device_reads_per_s'], 0)} "
            f"| {number(row['device_writes_per_s'], 0)} "
            f"| {number(row.get('device_ios') or _ios(data, row), 2)} "
            f"| {number(row.get('server_cpu_ms'), 3)} "
            f"| {number(row.get('to_disk_per_1k'), 1)} | {number(row.get('slow_per_1k'), 1)} "
            f"| {number(row.get('wal_kib'), 1)} | {_checkpoint(data, row)} |"
        )
        previous = row["workload"]
    return lines


def _checkpoint(data: dict[str, Any], row: dict[str, Any]) -> str:
    """The checkpointer's pages per second and the windows it wrote in, from the row, or
    from the samples of a file saved before the rows carried them (sessions 16-17)."""
    if "checkpoint_pages_per_s" in row:
        per_s, windows = row["checkpoint_pages_per_s"], row.get("checkpoint_windows")
    else:
        reads = [s["reads"] for s in _samples(data, row)]
        per_s, windows = checkpoint_rates(reads, data["options"]["duration"])
    return checkpoint_cell(per_s, windows, row["rounds"])


def _ios(data: dict[str, Any], row: dict[str, Any]) -> float | None:
    """Read and write requests per transaction, from the samples of a file saved before the
    reads rows carried them (session 13); None where the run counted no device I/O."""
    values = [
        (s["reads"]["device_reads"] + s["reads"]["device_writes"])
        / s["measurement"]["transactions"]
        for s in _samples(data, row)
        if "device_writes" in s["reads"]
    ]
    return statistics.median(values) if values else None


def _samples(data: dict[str, Any], row: dict[str, Any]) -> list[dict[str, Any]]:
    """The timed windows behind one reads row that counted anything (as `read_rates` takes
    them: a reading and at least one transaction)."""
    return [
        s
        for s in data["samples"]
        if (s["engine"], s["workload"], s["configuration"])
        == (row["engine"], row["workload"], row["configuration"])
        and s.get("reads")
        and s["measurement"]["transactions"] > 0
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the tables of the JSON file given."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.params.markdown RESULTS.json", file=sys.stderr)
        return 2
    print(tables(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
