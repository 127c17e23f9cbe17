"""bench/params' progress: a bar on a terminal, JSON lines with each step's seconds elsewhere."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from bench.params.run import Status


def test_off_a_terminal_each_step_is_a_json_line_with_its_seconds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    with Status(console, total=2) as status:
        status.say("postgres: loading pgbench")
        status.say("postgres r1: RDS defaults: nippo mix")
        status.advance()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["step"] for line in lines] == [
        "postgres: loading pgbench",
        "postgres r1: RDS defaults: nippo mix",
    ]
    assert all(line["seconds"] >= 0 and line["event"] == "step" for line in lines)
    assert lines[-1]["runs"] == "1/2"
    assert all(line["timestamp"].endswith("Z") for line in lines)


def test_on_a_terminal_nothing_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    with Status(console, total=1) as status:
        status.say("mariadb: loading sbtest")
        status.advance()
    assert capsys.readouterr().err == ""
