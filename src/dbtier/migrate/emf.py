"""The job's CloudWatch Embedded Metric Format line.

CloudWatch Logs turns a JSON log line with an `_aws` member into metrics, so
the container's stdout is the only metrics pipe the task needs (no agent, no
PutMetricData permission). One line per run, at the end: the duration in
milliseconds and a count of 1 for the outcome (0 for the others), so alarms
can sum `Failed`, `Refused` or `Unreachable` over a period. `Refused` is a run
that would not migrate (a dirty database left by a half-applied migration).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

NAMESPACE = "dbtier"
OUTCOMES = {
    "succeeded": "Succeeded",
    "noop": "Noop",
    "skipped": "Skipped",
    "failed": "Failed",
    "refused": "Refused",
    "unreachable": "Unreachable",
}


def emf_record(
    status: str,
    duration_ms: float,
    *,
    job: str = "migrate",
    timestamp_ms: int | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """The EMF object for one run: Duration plus one count per outcome."""
    metrics = [{"Name": "Duration", "Unit": "Milliseconds"}] + [
        {"Name": name, "Unit": "Count"} for name in OUTCOMES.values()
    ]
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [["Job"]], "Metrics": metrics}
            ],
        },
        "Job": job,
        "Duration": round(duration_ms, 3),
        "status": status,
    }
    for key, name in OUTCOMES.items():
        record[name] = 1 if key == status else 0
    record.update({k: v for k, v in properties.items() if v is not None})
    return record


def emit(record: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write the record as one JSON line (stdout by default)."""
    out = stream or sys.stdout
    out.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
    out.flush()


__all__ = ["NAMESPACE", "OUTCOMES", "emf_record", "emit"]
