"""`uv run python -m bench.params [--quick] [--engines mariadb,postgres] [--duration S]`.

Runs the parameter benchmark on throwaway servers (ports 3307 and 5433), prints
the tables and saves the raw results under bench/params/results/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from rich.console import Console

from bench.params import nippo_data, report, run, servers, workloads

RESULTS_DIR = Path(__file__).with_name("results")
ENGINES = ("mariadb", "postgres")
CONFIGS = ("defaults", "rds-default", "pgtune", "dbtier")

FULL = workloads.Sizes(
    sysbench_tables=8,
    sysbench_table_size=500_000,
    pgbench_scale=100,
    nippo=nippo_data.NippoSize(learners=10_000, days=90),
    threads=16,
)
# Each workload's data larger than the buffer caches compared on db.t4g.small (2 GiB;
# profiles/<engine>-larger.yaml): sysbench 1.8 GiB, pgbench 1.5 GiB, nippo ~2.1 GiB. nippo's
# was 1.3 GiB (10,000 learners) until session 5: it fitted RDS's over-committed MariaDB pool
# (1,354 MiB) and not dbtier's (1,253 MiB), a cliff that read as 0.49x (docs/benchmarks.md).
LARGER = workloads.Sizes(
    sysbench_tables=8,
    sysbench_table_size=1_000_000,
    pgbench_scale=100,
    nippo=nippo_data.NippoSize(learners=16_000, days=180),
    threads=16,
)
SCENARIOS = ("fits", "larger")
QUICK = workloads.Sizes(
    sysbench_tables=4,
    sysbench_table_size=250_000,
    pgbench_scale=20,
    nippo=nippo_data.NippoSize(learners=4_000, days=60),
    threads=16,
)


def _engines(text: str) -> list[str]:
    engines = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        raise argparse.ArgumentTypeError(
            f"unknown engine(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(ENGINES)}"
        )
    return engines


def _configs(text: str) -> list[str]:
    keys = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [k for k in keys if k not in CONFIGS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown configuration(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(CONFIGS)}"
        )
    return keys


WORKLOADS = ("oltp_read_write", "oltp_read_only", "tpcb-like", "select-only", "nippo")


def _workloads(text: str) -> list[str]:
    keys = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown workload(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(WORKLOADS)}"
        )
    return keys


def _ablation(text: str) -> dict[str, str]:
    pairs = [part.strip() for part in text.split(",") if part.strip()]
    if not pairs or any("=" not in pair or pair.startswith("=") for pair in pairs):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE[,NAME=VALUE...], got {text!r}")
    return dict(pair.split("=", 1) for pair in pairs)


def parse(argv: list[str]) -> run.Options:
    """Options from the command line (argparse exits 2 on a bad flag)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.params",
        description="Benchmark dbtier's parameter design against engine defaults, "
        "RDS defaults and PGTune on throwaway local servers.",
    )
    parser.add_argument("--quick", action="store_true", help="small data, short runs, one round")
    parser.add_argument("--engines", type=_engines, default=list(ENGINES), help="mariadb,postgres")
    parser.add_argument("--duration", type=int, help="seconds per timed run (20; quick 10)")
    parser.add_argument("--warmup", type=int, help="untimed seconds before each run (5; quick 3)")
    parser.add_argument("--rounds", type=int, help="rounds, alternating order (2; quick 1)")
    parser.add_argument("--threads", type=int, help="client threads (16)")
    parser.add_argument(
        "--configs",
        type=_configs,
        help=f"only these configurations, e.g. rds-default,dbtier (all: {','.join(CONFIGS)})",
    )
    parser.add_argument(
        "--workloads",
        type=_workloads,
        help="time only these workloads, e.g. nippo (every workload's data is still loaded, "
        "so what competes for memory stays the same; each timed one is prewarmed before it; "
        f"all: {','.join(WORKLOADS)})",
    )
    parser.add_argument("--instance-class", help="override the profiles' class (db.m7g.large)")
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="fits",
        help="fits: db.m7g.large, data in memory; larger: db.t4g.small, each data set "
        "larger than memory",
    )
    parser.add_argument("--no-gp3", action="store_true", help="no I/O cap (local disk as it is)")
    parser.add_argument(
        "--no-huge-pages",
        action="store_true",
        help="map PostgreSQL's shared memory in 4 KiB pages even where RDS uses huge pages",
    )
    parser.add_argument(
        "--gp3-split",
        action="store_true",
        help="cap reads and writes each to the whole budget, as runs before session 13 did "
        "(default: one budget for both, as gp3 has)",
    )
    parser.add_argument(
        "--gp3-trace",
        metavar="FILE",
        help="append one JSON line per 100 ms to FILE: the I/O issued and the read/write "
        "caps the shared budget set (to see how it splits through a checkpoint)",
    )
    parser.add_argument(
        "--lock",
        help="hold this flock file (e.g. /work/wt/.bench.lock) around each round only, at "
        "normal priority; load data and wait at nice 19",
    )
    parser.add_argument(
        "--ablate",
        type=_ablation,
        action="append",
        default=[],
        help="also run dbtier's design with these values, e.g. random_page_cost=1.1; "
        "repeat for more variants (each one more configuration in every round)",
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        help="add this to the ports 3307/5433 (two runs of one engine at once)",
    )
    args = parser.parse_args(argv)
    if args.gp3_trace is not None and (args.no_gp3 or args.gp3_split):
        parser.error("--gp3-trace traces the shared budget: not with --no-gp3 or --gp3-split")
    if not 0 <= args.port_offset <= 1000:
        parser.error("--port-offset must be between 0 and 1000")
    sizes = QUICK if args.quick else (LARGER if args.scenario == "larger" else FULL)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        sizes = workloads.Sizes(**{**sizes.__dict__, "threads": args.threads})
    problem = run.ablation_error(args.engines, args.scenario, args.ablate)
    if problem is not None:
        parser.error(problem)
    for name in ("duration", "warmup", "rounds"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "warmup" else 1):
            parser.error(f"--{name} must be at least {0 if name == 'warmup' else 1}")
    return run.Options(
        engines=args.engines,
        duration=args.duration or (10 if args.quick else 20),
        warmup=args.warmup if args.warmup is not None else (3 if args.quick else 5),
        rounds=args.rounds or (1 if args.quick else 2),
        sizes=sizes,
        instance_class=args.instance_class,
        quick=args.quick,
        only=args.configs,
        workloads=args.workloads,
        scenario=args.scenario,
        gp3=not args.no_gp3,
        huge_pages=not args.no_huge_pages,
        gp3_shared=not args.gp3_split,
        gp3_trace=args.gp3_trace,
        lock=args.lock,
        ablations=args.ablate,
        port_offset=args.port_offset,
    )


def _missing_tools(engines: list[str]) -> list[str]:
    needed = {"mariadb": ["mariadbd", "mariadb-install-db", "sysbench"], "postgres": ["pgbench"]}
    tools = [tool for engine in engines for tool in needed[engine]]
    if "postgres" in engines:
        tools.append("sysbench")
    return sorted({tool for tool in tools if shutil.which(tool) is None})


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (whatever the figures), 2 on bad flags, 1 on failure."""
    options = parse(sys.argv[1:] if argv is None else argv)
    # Wide enough for the tables in the saved text too (a pipe would otherwise give 80).
    console = Console(record=True, width=max(Console().width, 150))
    missing = _missing_tools(options.engines)
    if missing:
        console.print(
            f"[red]missing tools: {', '.join(missing)}[/] — install them "
            "(e.g. apt-get install -y sysbench) and run again"
        )
        return 2
    try:
        results = run.run(options, console)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; the throwaway servers were stopped and removed")
        return 130
    except (servers.ServerError, workloads.WorkloadError) as exc:
        console.print(f"[red]benchmark failed:[/] {exc}")
        console.print("the throwaway servers were stopped and removed")
        return 1
    report.render(results, console)
    json_path, text_path = report.save(results, console.export_text(), RESULTS_DIR)
    console.print(f"raw results: {json_path} and {text_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
