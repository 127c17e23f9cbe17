"""nippo's tables (placeholder until the service lands)."""

from __future__ import annotations
