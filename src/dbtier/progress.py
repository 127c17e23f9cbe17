"""Progress of long work on stderr: a rich bar on a terminal, JSON lines elsewhere.

One reporter for every long job (`dbtier running-total`, `python -m bench.params`): on a
terminal a transient rich bar with the step's description, its count and the time spent;
under nohup, CI or a container, one JSON object a line (structlog), so the log says where
the time went without a screen.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Reporter:
    """Progress on stderr: a rich bar on a terminal, else one JSON log line per `log` call.

    `console` decides what a terminal is (rich's own test); without one, stderr's `isatty`.
    `context` is bound to every JSON line (e.g. `component="running-total"`).
    """

    def __init__(
        self,
        description: str,
        *,
        total: int | None = None,
        unit: str = "",
        console: Console | None = None,
        **context: Any,
    ) -> None:
        self.description = description
        self.total = total
        self.completed = 0
        self.unit = unit
        self.is_terminal = console.is_terminal if console is not None else sys.stderr.isatty()
        self._console = console
        self._context = context
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._log: Any = None

    def __enter__(self) -> Reporter:
        if self.is_terminal:
            counts = "{task.completed}/{task.total}" + (f" {self.unit}" if self.unit else "")
            self._bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TextColumn(counts),
                TimeElapsedColumn(),
                console=self._console or Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        else:
            self._log = structlog.wrap_logger(
                structlog.PrintLogger(sys.stderr),
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer(),
                ],
            ).bind(**self._context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = self._task = None
        self._log = None

    def update(
        self,
        *,
        completed: int | None = None,
        total: int | None = None,
        description: str | None = None,
    ) -> None:
        """Move the bar (a terminal only): the count done, the total, the step's text."""
        if completed is not None:
            self.completed = completed
        if total is not None:
            self.total = total
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=self.completed, total=self.total, description=description
            )

    def advance(self, steps: int = 1) -> None:
        """`steps` more are done."""
        self.update(completed=self.completed + steps)

    def log(self, event: str, **fields: Any) -> None:
        """One JSON line `event` with `fields` (off a terminal only; the bar shows the rest)."""
        if self._log is not None:
            self._log.info(event, **fields)


__all__ = ["Reporter"]
