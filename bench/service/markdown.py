"""`python -m bench.service.markdown RESULTS.json...`: the tables of docs/performance.md.

One table per engine: a row per route, a column per stack, each cell
`req/s (ratio to that stack's SELECT 1 ceiling)`, and the load averages; then
the study-time statement's cost per history length.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CEILING = "ceiling: SELECT 1"


def _cell(run: dict[str, Any], ceiling: float | None) -> str:
    text = f"{run['rps']:,.0f}"
    if run["route"] == CEILING:
        return f"**{text}**"
    if run["statements"] is not None and ceiling:
        text += f" ({run['rps'] / ceiling:.2f}×)"
    if run["non_2xx"] or run["errors"]:
        text += f", {run['non_2xx'] + run['errors']} non-2xx"
    return text


def tables(results: list[dict[str, Any]]) -> str:
    runs = [run for result in results for run in result["runs"]]
    out: list[str] = []
    for engine in dict.fromkeys(run["stack"].split("/")[0] for run in runs):
        stacks = list(dict.fromkeys(r["stack"] for r in runs if r["stack"].startswith(engine)))
        routes = list(dict.fromkeys(r["route"] for r in runs if r["stack"] in stacks))
        by = {(r["stack"], r["route"]): r for r in runs}
        ceilings = {s: by[(s, CEILING)]["rps"] if (s, CEILING) in by else None for s in stacks}
        out.append(f"| route ({engine}) | " + " | ".join(stacks) + " |")
        out.append("|---|" + "---:|" * len(stacks))
        for route in routes:
            cells = [_cell(by[(s, route)], ceilings[s]) if (s, route) in by else "" for s in stacks]
            out.append(f"| {route} | " + " | ".join(cells) + " |")
        loads = []
        for s in stacks:
            mine = [r for r in runs if r["stack"] == s]
            loads.append(f"{mine[0]['load_before'][0]:.1f}→{mine[-1]['load_after'][0]:.1f}")
        out.append("| load average (1 min) | " + " | ".join(loads) + " |")
        out.append("")
    scaling = [s for result in results for s in result["scaling"]]
    if scaling:
        out.append("| stack | years | reports | study-time statement, median ms | load |")
        out.append("|---|---:|---:|---:|---:|")
        for s in scaling:
            out.append(
                f"| {s['stack']} | {s['years']} | {s['reports']} | {s['statement_ms']:.2f} "
                f"| {s['load_after'][0]:.1f} |"
            )
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(tables([json.loads(Path(p).read_text()) for p in argv]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
