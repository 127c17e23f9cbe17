"""Settings for tests whose subject is not time.

The service's deadlines (request 5 s, readiness 1 s) are features, tested by the
fault suite with the real values (`nippo.faultload.TEST_SETTINGS`). A test of
input handling or of a credential rotation must not fail on a starved CI machine
because a request outlived those deadlines and was answered with a 503: such
tests build their settings here, with the deadlines far away.
"""

from __future__ import annotations

from typing import Any

from dbtier.config import Settings

REQUEST_TIMEOUT_S = 60.0
READINESS_TIMEOUT_S = 30.0


def unhurried_settings(**values: Any) -> Settings:
    """`Settings(**values)` with deadlines a loaded machine cannot reach."""
    return Settings(
        **{"request_timeout": REQUEST_TIMEOUT_S, "readiness_timeout": READINESS_TIMEOUT_S} | values
    )
