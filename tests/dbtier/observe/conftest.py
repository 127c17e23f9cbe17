"""Fixtures of the observe tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from observe_samples import SAMPLES


@pytest.fixture
def samples() -> Path:
    return SAMPLES
