"""`uv run python -m bench.digest [--target-mb 40] [--skip-postgres] [--mariadb-log F] ...`.

1. Generates a MariaDB slow log (long_query_time = 0) and a PostgreSQL log
   (log_min_duration_statement = 0, RDS prefix) on throwaway servers under
   sysbench oltp_read_write and nippo's mix (or takes the logs given).
2. Runs dbtier and pt-query-digest on the slow log, dbtier and pgBadger on the
   PostgreSQL log, side by side, one after the other: MB/s and the ratio.
3. Matches the peers' top-10 classes by total time with dbtier's by fingerprint:
   counts and total times must agree within 1 %.
4. Memory: dbtier's peak RSS on a 10 MB cut and on a 100 MB log (copies of the
   slow log) must stay flat.

Each pair of tools runs `--rounds` times (default 2), alternating, and the
fastest run of each counts. Prints the tables and saves them with the raw
numbers under bench/digest/results/. The machine may be shared: the ratios,
measured in the same run, are the result.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.digest import compare, generate, measure

RESULTS_DIR = Path(__file__).with_name("results")
SMALL = 10 * 1000 * 1000
LARGE = 100 * 1000 * 1000


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__)
    parser.add_argument("--target-mb", type=int, default=40, help="size of each generated log")
    parser.add_argument("--mariadb-log", type=Path, help="use this slow log, do not generate")
    parser.add_argument("--postgres-log", type=Path, help="use this PostgreSQL log")
    parser.add_argument("--skip-postgres", action="store_true", help="MariaDB/pt-query-digest only")
    parser.add_argument("--work-dir", type=Path, help="keep logs and outputs here")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each tool, alternating; the fastest counts"
    )
    parser.add_argument(
        "--pg-rounds", type=int, default=1, help="the same for pgBadger (about 4 minutes a run)"
    )
    return parser.parse_args(argv)


def _cut(source: Path, size: int, out: Path, separator: bytes) -> Path:
    """`out`: `source` repeated as needed and cut at an entry boundary near `size` bytes.

    Written piece by piece: the benchmark stays small, since a child process's
    peak RSS is measured and must not inherit a large parent.
    """
    written = 0
    with out.open("wb") as sink:
        while written < size:
            with source.open("rb") as feed:
                while written < size and (piece := feed.read(1 << 22)):
                    if written + len(piece) >= size:
                        cut = piece.rfind(separator, 0, size - written)
                        piece = piece[: cut + len(separator) - 1] if cut >= 0 else piece
                        sink.write(piece)
                        return out
                    sink.write(piece)
                    written += len(piece)
    return out


def _ratio(ours: float, peer: float) -> float | None:
    return ours / peer if peer else None


def _best_of(
    rounds: int,
    ours: Callable[[], measure.Run],
    peer: Callable[[], measure.Run],
    say: Callable[[str], None],
) -> tuple[measure.Run, measure.Run]:
    """Run the two tools alternately `rounds` times; the fastest (wall) run of each counts."""
    mine: list[measure.Run] = []
    theirs: list[measure.Run] = []
    for number in range(1, max(rounds, 1) + 1):
        mine.append(ours())
        theirs.append(peer())
        say(
            f"  round {number}: {mine[-1].tool} {mine[-1].seconds:.1f} s "
            f"({mine[-1].cpu_seconds:.1f} s CPU), {theirs[-1].tool} {theirs[-1].seconds:.1f} s "
            f"({theirs[-1].cpu_seconds:.1f} s CPU)"
        )
    return min(mine, key=lambda r: r.seconds), min(theirs, key=lambda r: r.seconds)


def _rows_table(title: str, rows: list[compare.Row], p95: bool) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("#", "peer count", "dbtier count", "peer total s", "dbtier total s", "ok"):
        table.add_column(header, justify="right")
    if p95:
        table.add_column("peer 95% s", justify="right")
        table.add_column("dbtier p95 s", justify="right")
    table.add_column("fingerprint")
    for rank, row in enumerate(rows, 1):
        cells = [
            str(rank),
            str(row.peer_count),
            str(row.ours_count),
            f"{row.peer_total_s:.6f}",
            "-" if row.ours_total_s is None else f"{row.ours_total_s:.6f}",
            "yes" if row.count_ok and row.total_ok else "NO",
        ]
        if p95:
            cells += [f"{row.peer_p95_s or 0:.6f}", f"{row.ours_p95_s or 0:.6f}"]
        table.add_row(*cells, row.fingerprint[:60])
    return table


def _speed_table(pairs: list[tuple[measure.Run, measure.Run]]) -> Table:
    table = Table(title="Throughput, side by side (same machine, same run)", title_justify="left")
    headers = ("log", "MB", "tool", "wall s", "MB/s", "dbtier ×", "CPU s", "MB/CPU-s")
    for header in (*headers, "dbtier ×", "peak RSS MB"):
        table.add_column(header, justify="right")
    for ours, peer in pairs:
        for run in (ours, peer):
            ratio = ours.mb_per_s / peer.mb_per_s if run is ours else 1.0
            cpu_ratio = _ratio(ours.mb_per_cpu_s, peer.mb_per_cpu_s) if run is ours else 1.0
            table.add_row(
                run.output.stem.split(".")[0],
                f"{run.log_bytes / 1e6:.1f}",
                run.tool,
                f"{run.seconds:.2f}",
                f"{run.mb_per_s:.2f}",
                f"{ratio:.1f}",
                f"{run.cpu_seconds:.2f}",
                f"{run.mb_per_cpu_s:.2f}",
                "-" if cpu_ratio is None else f"{cpu_ratio:.1f}",
                f"{run.peak_rss_mb:.0f}",
            )
    return table


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    console = Console()
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="dbtier-bench-digest-"))
    work.mkdir(parents=True, exist_ok=True)
    target = options.target_mb * 1000 * 1000
    say = console.log
    results: dict[str, Any] = {"work_dir": str(work), "target_mb": options.target_mb}

    slow = options.mariadb_log or generate.mariadb_slow_log(work / "mariadb-slow.log", target, say)
    say(f"MariaDB slow log: {slow} ({slow.stat().st_size / 1e6:.1f} MB)")
    ours, peer = _best_of(
        options.rounds,
        lambda: measure.dbtier(slow, work / "slow.dbtier.json"),
        lambda: measure.pt_query_digest(slow, work / "slow.pt.json"),
        say,
    )
    pairs = [(ours, peer)]
    pt_rows = compare.compare_pt(peer.output, ours.output)
    results["mariadb"] = {
        "dbtier": asdict(ours) | {"mb_per_s": ours.mb_per_s, "mb_per_cpu_s": ours.mb_per_cpu_s},
        "pt-query-digest": asdict(peer)
        | {"mb_per_s": peer.mb_per_s, "mb_per_cpu_s": peer.mb_per_cpu_s},
        "ratio": ours.mb_per_s / peer.mb_per_s,
        "cpu_ratio": _ratio(ours.mb_per_cpu_s, peer.mb_per_cpu_s),
        "top10": [asdict(row) | {"ok": row.count_ok and row.total_ok} for row in pt_rows],
    }

    small = _cut(slow, SMALL, work / "slow-10MB.log", b";\n#")
    large = _cut(slow, LARGE, work / "slow-100MB.log", b";\n#")
    memory = [measure.dbtier(path, work / f"{path.stem}.dbtier.json") for path in (small, large)]
    results["memory"] = [asdict(run) | {"mb_per_s": run.mb_per_s} for run in memory]

    pg_rows: list[compare.Row] = []
    if not options.skip_postgres:
        pglog = options.postgres_log or generate.postgres_log(work / "postgresql.log", target, say)
        say(f"PostgreSQL log: {pglog} ({pglog.stat().st_size / 1e6:.1f} MB)")
        pg_ours, pg_peer = _best_of(
            options.pg_rounds,
            lambda: measure.dbtier(pglog, work / "pg.dbtier.json"),
            lambda: measure.pgbadger(pglog, work / "pg.pgbadger.json"),
            say,
        )
        pairs.append((pg_ours, pg_peer))
        pg_rows = compare.compare_pgbadger(pg_peer.output, pg_ours.output)
        results["postgres"] = {
            "dbtier": asdict(pg_ours)
            | {"mb_per_s": pg_ours.mb_per_s, "mb_per_cpu_s": pg_ours.mb_per_cpu_s},
            "pgbadger": asdict(pg_peer)
            | {"mb_per_s": pg_peer.mb_per_s, "mb_per_cpu_s": pg_peer.mb_per_cpu_s},
            "ratio": pg_ours.mb_per_s / pg_peer.mb_per_s,
            # pgBadger parses in a forked process GNU time does not see: no CPU ratio.
            "cpu_ratio": _ratio(pg_ours.mb_per_cpu_s, pg_peer.mb_per_cpu_s),
            "top10": [asdict(row) | {"ok": row.count_ok and row.total_ok} for row in pg_rows],
        }

    record = Console(record=True, width=150)
    record.print(_speed_table(pairs))
    record.print(_rows_table("Top 10 by total time: pt-query-digest vs dbtier", pt_rows, True))
    if pg_rows:
        record.print(_rows_table("Top 10 by total time: pgBadger vs dbtier", pg_rows, False))
    flat = Table(title="dbtier memory as the log grows", title_justify="left")
    for header in ("log MB", "wall s", "MB/s", "CPU s", "MB/CPU-s", "peak RSS MB"):
        flat.add_column(header, justify="right")
    for run in memory:
        flat.add_row(
            f"{run.log_bytes / 1e6:.0f}",
            f"{run.seconds:.2f}",
            f"{run.mb_per_s:.2f}",
            f"{run.cpu_seconds:.2f}",
            f"{run.mb_per_cpu_s:.2f}",
            f"{run.peak_rss_mb:.0f}",
        )
    record.print(flat)
    growth = memory[1].peak_rss_mb / memory[0].peak_rss_mb
    verdicts = [
        f"MariaDB: dbtier {results['mariadb']['ratio']:.1f}× pt-query-digest's MB/s wall, "
        f"{results['mariadb']['cpu_ratio'] or 0:.1f}× per CPU second (target ≥ 10×)",
        "pt-query-digest top 10 matched within 1 %: "
        f"{sum(r.count_ok and r.total_ok for r in pt_rows)}/{len(pt_rows)}",
        f"peak RSS 100 MB vs 10 MB: {growth:.2f}× (flat means ~1×)",
    ]
    if pg_rows:
        verdicts.append(
            f"PostgreSQL: dbtier {results['postgres']['ratio']:.1f}× pgBadger's MB/s wall "
            "(pgBadger's CPU is spent in a forked parser GNU time does not count)"
        )
        verdicts.append(
            "pgBadger top 10 matched within 1 %: "
            f"{sum(r.count_ok and r.total_ok for r in pg_rows)}/{len(pg_rows)}"
        )
    for line in verdicts:
        record.print(line, highlight=False)
    results["verdicts"] = verdicts
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H%M%S", time.gmtime())
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS_DIR / f"{stamp}.txt").write_text(record.export_text())
    console.print(record.export_text(), highlight=False, markup=False)
    say(f"saved {RESULTS_DIR / stamp}.json/.txt; logs and outputs in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
