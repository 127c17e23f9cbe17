"""dbtier.progress: a bar on a terminal, one JSON line per logged event elsewhere."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from dbtier.progress import Reporter


def test_off_a_terminal_each_event_is_a_json_line_with_the_bound_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    with Reporter("check", total=4, unit="users", console=console, component="x") as reporter:
        assert not reporter.is_terminal
        reporter.update(completed=2)
        reporter.log("batch checked", completed=reporter.completed, drifted=1)
        reporter.advance(2)
        reporter.log("batch checked", completed=reporter.completed, drifted=1)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["event"], line["completed"]) for line in lines] == [
        ("batch checked", 2),
        ("batch checked", 4),
    ]
    assert all(line["component"] == "x" and line["level"] == "info" for line in lines)
    assert all(line["timestamp"].endswith("Z") for line in lines)


def test_on_a_terminal_the_bar_moves_and_nothing_is_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with Reporter("repair", total=3, unit="learners", console=console) as reporter:
        assert reporter.is_terminal
        reporter.advance()
        reporter.update(description="repairing learner 7")
        reporter.log("learner rebuilt", learner_id=7)
        console.print("a line the bar must not eat")
    assert reporter.completed == 1
    assert capsys.readouterr().err == ""
    assert "a line the bar must not eat" in screen.getvalue()


def test_without_a_console_stderr_decides(capsys: pytest.CaptureFixture[str]) -> None:
    # pytest's captured stderr is no terminal: JSON lines.
    with Reporter("work", component="y") as reporter:
        reporter.log("done")
    assert json.loads(capsys.readouterr().err)["event"] == "done"
