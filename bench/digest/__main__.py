"""`uv run python -m bench.digest [--target-mb 40] [--skip-postgres] [--mariadb-log F] ...`.

1. Generates a MariaDB slow log (long_query_time = 0) and a PostgreSQL log
   (log_min_duration_statement = 0, RDS prefix) on throwaway servers under
   sysbench oltp_read_write and nippo's mix (or takes the logs given).
2. Runs dbtier and pt-query-digest on the slow log, dbtier and pgBadger on the
   PostgreSQL log, side by side, one after the other: MB/s and the ratio.
   dbtier runs twice: as a user runs it (one process per CPU for a large
   plain file) and with `--jobs 1` (one process), both against the same peer.
3. Matches the peers' top-10 classes by total time with dbtier's by fingerprint:
   counts and total times must agree within 1 %.
4. Memory: dbtier's peak RSS, summed over its processes, on a 10 MB cut and on
   a 100 MB log (copies of the slow log) must stay flat.

Each set of tools runs `--rounds` times (default 2), alternating, and the
fastest run of each counts. The load average is printed at the start and the
end. Prints the tables and saves them with the raw numbers under
bench/digest/results/. The machine may be shared: the ratios, measured in the
same run, are the result.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument("--skip-mariadb", action="store_true", help="PostgreSQL/pgBadger only")
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
    tools: list[Callable[[], measure.Run]],
    say: Callable[[str], None],
) -> list[measure.Run]:
    """Run the tools in turn `rounds` times; the fastest (wall) run of each counts."""
    runs: list[list[measure.Run]] = [[] for _ in tools]
    for number in range(1, max(rounds, 1) + 1):
        for tool, done in zip(tools, runs, strict=True):
            done.append(tool())
        say(
            f"  round {number}: "
            + ", ".join(
                f"{done[-1].tool} {done[-1].seconds:.2f} s ({done[-1].cpu_seconds:.2f} s CPU)"
                for done in runs
            )
        )
    return [min(done, key=lambda r: r.seconds) for done in runs]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _record(run: measure.Run) -> dict[str, Any]:
    return asdict(run) | {"mb_per_s": run.mb_per_s, "mb_per_cpu_s": run.mb_per_cpu_s}


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


def _speed_table(groups: list[tuple[list[measure.Run], measure.Run]]) -> Table:
    table = Table(title="Throughput, side by side (same machine, same run)", title_justify="left")
    headers = ("log", "MB", "tool", "wall s", "MB/s", "× peer", "CPU s", "MB/CPU-s")
    for header in (*headers, "× peer", "peak RSS MB", "tree RSS MB"):
        table.add_column(header, justify="right")
    for ours, peer in groups:
        for run in (*ours, peer):
            cpu_ratio = _ratio(run.mb_per_cpu_s, peer.mb_per_cpu_s)
            table.add_row(
                run.output.stem.split(".")[0],
                f"{run.log_bytes / 1e6:.1f}",
                run.tool,
                f"{run.seconds:.2f}",
                f"{run.mb_per_s:.2f}",
                f"{run.mb_per_s / peer.mb_per_s:.1f}",
                f"{run.cpu_seconds:.2f}",
                f"{run.mb_per_cpu_s:.2f}",
                "-" if cpu_ratio is None else f"{cpu_ratio:.1f}",
                f"{run.peak_rss_mb:.0f}",
                f"{run.tree_rss_mb:.0f}",
            )
    return table


Compare = Callable[[Path, Path], list[compare.Row]]


def _against(
    rounds: int,
    log: Path,
    work: Path,
    stem: str,
    peer: Callable[[], measure.Run],
    rows_of: Compare,
    say: Callable[[str], None],
) -> tuple[dict[str, Any], tuple[list[measure.Run], measure.Run], list[compare.Row]]:
    """dbtier by default and with --jobs 1 against `peer` on `log`, with the top-10 check."""
    default, single, other = _best_of(
        rounds,
        [
            lambda: measure.dbtier(log, work / f"{stem}.dbtier.json"),
            lambda: measure.dbtier(log, work / f"{stem}.dbtier-1.json", jobs=1),
            peer,
        ],
        say,
    )
    rows = rows_of(other.output, default.output)
    result: dict[str, Any] = {
        "dbtier": _record(default),
        "dbtier --jobs 1": _record(single),
        other.tool: _record(other),
        "ratio": default.mb_per_s / other.mb_per_s,
        "ratio_jobs_1": single.mb_per_s / other.mb_per_s,
        "cpu_ratio": _ratio(default.mb_per_cpu_s, other.mb_per_cpu_s),
        "cpu_ratio_jobs_1": _ratio(single.mb_per_cpu_s, other.mb_per_cpu_s),
        "top10": [asdict(row) | {"ok": row.count_ok and row.total_ok} for row in rows],
        "top10_jobs_1_ok": sum(
            row.count_ok and row.total_ok for row in rows_of(other.output, single.output)
        ),
    }
    return result, ([default, single], other), rows


def _mariadb(
    options: argparse.Namespace, work: Path, target: int, say: Callable[[str], None]
) -> tuple[dict[str, Any], tuple[list[measure.Run], measure.Run], list[compare.Row]]:
    slow = options.mariadb_log or generate.mariadb_slow_log(work / "mariadb-slow.log", target, say)
    say(f"MariaDB slow log: {slow} ({slow.stat().st_size / 1e6:.1f} MB)")
    peer = lambda: measure.pt_query_digest(slow, work / "slow.pt.json")  # noqa: E731
    result, group, rows = _against(
        options.rounds, slow, work, "slow", peer, compare.compare_pt, say
    )
    small = _cut(slow, SMALL, work / "slow-10MB.log", b";\n#")
    large = _cut(slow, LARGE, work / "slow-100MB.log", b";\n#")
    memory = [
        measure.dbtier(path, work / f"{path.stem}.{name}.json", jobs)
        for jobs, name in ((None, "dbtier"), (1, "dbtier-1"))
        for path in (small, large)
    ]
    result["memory"] = [_record(run) for run in memory]
    return result, group, rows


def _postgres(
    options: argparse.Namespace, work: Path, target: int, say: Callable[[str], None]
) -> tuple[dict[str, Any], tuple[list[measure.Run], measure.Run], list[compare.Row]]:
    pglog = options.postgres_log or generate.postgres_log(work / "postgresql.log", target, say)
    say(f"PostgreSQL log: {pglog} ({pglog.stat().st_size / 1e6:.1f} MB)")
    peer = lambda: measure.pgbadger(pglog, work / "pg.pgbadger.json")  # noqa: E731
    return _against(options.pg_rounds, pglog, work, "pg", peer, compare.compare_pgbadger, say)


def _memory_table(memory: list[dict[str, Any]]) -> Table:
    flat = Table(title="dbtier memory as the log grows", title_justify="left")
    for header in ("tool", "log MB", "wall s", "MB/s", "CPU s", "peak RSS MB", "tree RSS MB"):
        flat.add_column(header, justify="right")
    for run in memory:
        flat.add_row(
            run["tool"],
            f"{run['log_bytes'] / 1e6:.0f}",
            f"{run['seconds']:.2f}",
            f"{run['mb_per_s']:.2f}",
            f"{run['cpu_seconds']:.2f}",
            f"{run['peak_rss_mb']:.0f}",
            f"{run['tree_rss_mb']:.0f}",
        )
    return flat


def _verdicts(results: dict[str, Any]) -> list[str]:
    lines = []
    if "mariadb" in results:
        mariadb = results["mariadb"]
        lines += [
            f"MariaDB: dbtier (default, {results['cpus']} CPUs) {mariadb['ratio']:.1f}× "
            f"pt-query-digest's MB/s wall; --jobs 1 {mariadb['ratio_jobs_1']:.1f}× wall, "
            f"{mariadb['cpu_ratio_jobs_1'] or 0:.1f}× per CPU second (target ≥ 10×)",
            "pt-query-digest top 10 matched within 1 %: "
            f"{sum(row['ok'] for row in mariadb['top10'])}/{len(mariadb['top10'])} "
            f"(--jobs 1: {mariadb['top10_jobs_1_ok']}/{len(mariadb['top10'])})",
        ]
        memory = mariadb["memory"]
        for small, large in ((memory[0], memory[1]), (memory[2], memory[3])):
            lines.append(
                f"{small['tool']}: RSS summed over its processes, 100 MB vs 10 MB: "
                f"{large['tree_rss_mb']:.0f} vs {small['tree_rss_mb']:.0f} MB, "
                f"{large['tree_rss_mb'] / small['tree_rss_mb']:.2f}× (flat means ~1×)"
            )
    if "postgres" in results:
        postgres = results["postgres"]
        lines += [
            f"PostgreSQL: dbtier {postgres['ratio']:.1f}× pgBadger's MB/s wall "
            f"(--jobs 1: {postgres['ratio_jobs_1']:.1f}×; pgBadger -j 1, its CPU is spent in "
            "a forked parser GNU time does not count)",
            "pgBadger top 10 matched within 1 %: "
            f"{sum(row['ok'] for row in postgres['top10'])}/{len(postgres['top10'])} "
            f"(--jobs 1: {postgres['top10_jobs_1_ok']}/{len(postgres['top10'])})",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    console = Console()
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="dbtier-bench-digest-"))
    work.mkdir(parents=True, exist_ok=True)
    target = options.target_mb * 1000 * 1000
    say = console.log
    cpus = len(os.sched_getaffinity(0))
    results: dict[str, Any] = {
        "work_dir": str(work),
        "target_mb": options.target_mb,
        "cpus": cpus,
        "load_at_start": _load(),
    }
    say(f"load average (1, 5, 15 min) at the start: {results['load_at_start']}; {cpus} CPUs")
    groups: list[tuple[list[measure.Run], measure.Run]] = []
    record = Console(record=True, width=150)
    tables: list[Table] = []
    if not options.skip_mariadb:
        results["mariadb"], group, rows = _mariadb(options, work, target, say)
        groups.append(group)
        tables.append(_rows_table("Top 10 by total time: pt-query-digest vs dbtier", rows, True))
        tables.append(_memory_table(results["mariadb"]["memory"]))
    if not options.skip_postgres:
        results["postgres"], group, rows = _postgres(options, work, target, say)
        groups.append(group)
        tables.append(_rows_table("Top 10 by total time: pgBadger vs dbtier", rows, False))
    results["load_at_end"] = _load()
    record.print(
        f"load average (1, 5, 15 min): {results['load_at_start']} at the start, "
        f"{results['load_at_end']} at the end; {cpus} CPUs",
        highlight=False,
    )
    record.print(_speed_table(groups))
    for table in tables:
        record.print(table)
    results["verdicts"] = _verdicts(results)
    for line in results["verdicts"]:
        record.print(line, highlight=False)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H%M%S", time.gmtime())
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS_DIR / f"{stamp}.txt").write_text(record.export_text())
    console.print(record.export_text(), highlight=False, markup=False)
    say(f"saved {RESULTS_DIR / stamp}.json/.txt; logs and outputs in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
