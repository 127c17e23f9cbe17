"""Two synthesized stacks shared by the whole test session (a synthesis costs seconds).

`dev`: the defaults (MySQL 8.0, dev stage, HTTP). `prod_postgres`: PostgreSQL,
prod stage, a certificate (HTTPS with redirect), a 14-day backup retention, an
alarm e-mail and the WAF web ACL. Tests read the synthesized JSON (`Template.from_json`) and the
cloud assembly's annotations, so nothing is synthesized twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from infra_synthesis import PROD_POSTGRES, Synthesis, synthesize_for_tests


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    yield synthesize_for_tests(tmp_path_factory.mktemp("cdk-dev"), {})


@pytest.fixture(scope="session")
def prod_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    yield synthesize_for_tests(tmp_path_factory.mktemp("cdk-prod-postgres"), PROD_POSTGRES)


@pytest.fixture(scope="session", params=["dev", "prod_postgres"])
def synthesis(request: pytest.FixtureRequest) -> Synthesis:
    """Each synthesized stack in turn, for checks every stage must pass."""
    result: Synthesis = request.getfixturevalue(request.param)
    return result
