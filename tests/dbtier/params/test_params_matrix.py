"""Every engine × the classes the issue names: a design that passes its checks, in every format."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from dbtier.errors import DesignError, UsageError
from dbtier.params import (
    ENGINES,
    FORMATS,
    aws_batches,
    cdk_parameters,
    design,
    engine_facts,
    load_profile,
    render,
)
from dbtier.params.engines import ParamSpec
from dbtier.params.rules import Setting

# `dbtier.params.design` is the function; the module holds the rule list.
design_module = importlib.import_module("dbtier.params.design")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"
CLASSES = ("db.t4g.medium", "db.m7g.large", "db.r7g.2xlarge")


@pytest.mark.parametrize("instance_class", CLASSES)
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_design_passes_checks_and_renders_in_every_format(
    make_profile: Any, engine: str, instance_class: str
) -> None:
    result = design(make_profile(engine=engine, instance_class=instance_class))
    assert result.family == engine
    assert result.memory.ok and result.memory.fraction <= 0.90
    facts = engine_facts(engine)
    for p in result.parameters:
        facts.spec(p.name).check(p.value)
        assert p.apply_method == facts.spec(p.name).apply_method
    outputs = {fmt: render(result, fmt) for fmt in FORMATS}
    assert all(text.strip() for text in outputs.values())
    assert "max_connections" in outputs["table"]
    note = outputs["markdown"]
    for heading in ("## Profile", "## Parameters", "## Memory budget", "## Left at default"):
        assert heading in note
    data = json.loads(outputs["json"])
    assert {"name", "value", "unit", "apply_method", "rule", "rationale"} <= set(
        data["parameters"][0]
    )
    assert data["memory"]["worst_case_bytes"] == result.memory.worst_case_bytes
    batches = json.loads(outputs["aws"])
    assert all(len(batch["Parameters"]) <= 20 for batch in batches)
    sent = [p["ParameterName"] for batch in batches for p in batch["Parameters"]]
    assert sent == [p.name for p in result.parameters]
    assert set(batches[0]["Parameters"][0]) == {"ParameterName", "ParameterValue", "ApplyMethod"}
    assert json.loads(outputs["cdk"]) == cdk_parameters(result) == result.values
    assert all(isinstance(v, str) for v in cdk_parameters(result).values())
    conf = outputs["conf"]
    assert ("[mysqld]" in conf) == (facts.dialect == "mysql")


def test_aws_batches_split_at_twenty(make_profile: Any) -> None:
    result = design(make_profile(engine="postgres16", workload__read_ratio=0.5))
    assert len(result.parameters) > 20
    batches = aws_batches(result)
    assert len(batches[0]["Parameters"]) == 20
    assert sum(len(b["Parameters"]) for b in batches) == len(result.parameters)
    assert batches[0]["DBParameterGroupName"] == "nippo-postgres16"


def test_unknown_format_is_a_usage_error(make_profile: Any) -> None:
    with pytest.raises(UsageError, match="--format"):
        render(design(make_profile()), "yaml")


def _rule_emitting(setting: Setting) -> Any:
    def bad_rule(ctx: Any) -> list[Setting]:
        return [setting]

    return bad_rule


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        (Setting("innodb_buffer_pool_sise", "1", "typo"), "not a known mysql8.4 parameter"),
        (Setting("max_connections", "0", "too few"), "below the minimum"),
        (Setting("long_query_time", "soon", "not a number"), "not a number"),
        (Setting("log_output", "SYSLOG", "not a choice"), "not one of FILE, TABLE, NONE"),
        (Setting("slow_query_log", "yes", "not 0/1"), "takes 0 or 1"),
    ],
)
def test_unknown_names_and_out_of_range_values_are_never_emitted(
    make_profile: Any, monkeypatch: pytest.MonkeyPatch, setting: Setting, words: str
) -> None:
    monkeypatch.setattr(design_module, "RULES", (_rule_emitting(setting),))
    with pytest.raises(DesignError, match=words):
        design(make_profile())


def test_param_spec_range_check() -> None:
    spec = ParamSpec("x", "int", "bytes", 10, 20)
    spec.check("15")
    with pytest.raises(DesignError, match="above the maximum 20 bytes"):
        spec.check("21")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_designs_within_the_memory_limit(path: Path) -> None:
    result = design(load_profile(path))
    assert result.memory.ok
    assert result.family == result.profile.engine
