"""Logging: rich on a terminal, JSON lines (one object a line) when not on a TTY.

CloudWatch Logs reads the JSON lines of the container's stdout, so the same
code logs well on a laptop and in a Fargate task.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def _current_stdout_logger(*_args: Any) -> structlog.PrintLogger:
    # The stdout of the moment, not of configuration time: under test runners
    # and redirections the earlier stream may be closed by now.
    return structlog.PrintLogger(sys.stdout)


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog and stdlib logging once for the process."""
    as_json = not sys.stdout.isatty() if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=True)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=_current_stdout_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger bound to a component name."""
    return structlog.get_logger(component=name)


__all__ = ["configure_logging", "get_logger"]
