"""schemathesis over the service's OpenAPI, on SQLite, MariaDB and PostgreSQL.

Every built-in check, 100 examples per operation (positive and negative),
fuzzing and stateful phases (the stateful one follows the OpenAPI links from
a created report), against the ASGI app in process with a learner's valid
token. The coverage phase (boundary values and request-shape probes, which do
not depend on the backend) runs on SQLite only, to keep the run to a few
minutes per backend; the schema has no examples, so the examples phase has
nothing to do. The run must end with no failure at all: no server error, no
response-schema violation, no undocumented status or header.

Two allowances, both stated here. The operations in SEMANTIC_422 have rules
the schema cannot state (the daily total, a date not after tomorrow, a range
of a year at most, a blank field, the Markdown grammar), so a schema-valid
request may get a 422 naming the rule; for them `positive_data_acceptance`
also expects 422. And 413 counts as a rejection for `negative_data_rejection`
(a string past its maxLength can also push the whole body past 1 MiB, and
413 is how the service refuses that). Every other check and operation runs
with schemathesis' defaults.
"""

from __future__ import annotations

import collections
from typing import Any

import pytest
import schemathesis
from nippo_helpers import People
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from sqlalchemy.engine import Engine

from dbtier.testing.unhurried import unhurried_settings
from nippo.app import create_app

pytestmark = pytest.mark.slow

EXAMPLES = 100
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NEGATIVE_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]
# Rules beyond the schema: Markdown grammar and the tasks and study time an import must
# find; a date not after tomorrow and the daily total; a range of a year at most; a body
# not blank; a time zone zoneinfo knows (the schema states only its spelling).
SEMANTIC_422 = (
    "PATCH /api/v1/me",
    "POST /api/v1/reports",
    "PUT /api/v1/reports/{report_id}",
    "POST /api/v1/reports/import",
    "GET /api/v1/learners/{learner_id}/reports",
    "POST /api/v1/reports/{report_id}/feedback",
)


def _config(token: str, *, coverage: bool) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 8,
            "checks": {
                "enabled": True,
                "negative_data_rejection": {"expected-statuses": [*NEGATIVE_STATUSES, "413"]},
            },
            "generation": {"max-examples": EXAMPLES},
            "headers": {"Authorization": f"Bearer {token}"},
            "phases": {
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            "operations": [
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_STATUSES, "422"]
                        }
                    },
                }
                for name in SEMANTIC_422
            ],
        }
    )


def _failures(stream: Any) -> tuple[collections.Counter[str], list[str], set[str]]:
    counts: collections.Counter[str] = collections.Counter()
    samples: list[str] = []
    phases: set[str] = set()
    for event in stream:
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            samples.append(f"error: {event.info.format()}")
            counts["error"] += 1
        if isinstance(event, events.PhaseFinished) and event.status != Status.SKIP:
            phases.add(event.phase.name.value)
            print(f"phase {event.phase.name.value}: {event.status.value} at {event.timestamp:.0f}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                counts[check.name] += 1
                if len(samples) < 10:
                    case = event.recorder.cases[case_id].value
                    failure = check.failure_info.failure
                    samples.append(f"{check.name}: {case.method} {case.formatted_path}: {failure}")
    return counts, samples, phases


def test_schemathesis_finds_nothing(backend: str, engine: Engine, people: People) -> None:
    url = engine.url.render_as_string(hide_password=False)
    # Schemathesis' ignored_auth check sends wrong tokens on purpose: no throttling here.
    # Its subject is input, not time: deadlines a loaded machine cannot reach.
    settings = unhurried_settings(database_url=url, auth_failures_per_minute=1_000_000)
    app = create_app(settings, engine=engine)
    schema = schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", app, config=_config(people.learner, coverage=backend == "sqlite")
    )
    counts, samples, phases = _failures(from_schema(schema).execute())
    assert not counts, "\n".join(samples)
    expected = {"fuzzing", "stateful"} | ({"coverage"} if backend == "sqlite" else set())
    assert expected <= phases, phases
