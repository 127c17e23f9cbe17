"""The configurations compared: engine defaults, RDS defaults, PGTune, dbtier's design.

Each is a mapping of parameter name to value (RDS units), rendered by dbtier's
own `to_conf` (what `dbtier params design --format conf` prints) into a my.cnf /
postgresql.conf fragment. `to_conf` comments out what a self-managed server
cannot take (RDS-only names, TLS enforcement without certificates) and turns
`huge_pages = on` into `try`; it does so for every configuration alike, and the
report lists each such line, so the comparison stays like for like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbtier import params
from dbtier.params.profile import WorkloadProfile

PROFILES_DIR = Path(__file__).with_name("profiles")


@dataclass(frozen=True)
class Configuration:
    """One configuration to benchmark: a key, a label and its values in RDS units."""

    key: str
    label: str
    values: dict[str, str]

    def fragment(self, engine: str) -> str:
        """The configuration file fragment, from dbtier's own renderer (empty for defaults)."""
        return params.to_conf(engine, self.values) if self.values else ""

    def not_applied(self, engine: str) -> list[str]:
        """The values the fragment leaves commented out, with the renderer's reason."""
        return [
            line.lstrip("# ")
            for line in self.fragment(engine).splitlines()
            if line.startswith("# ") and "=" in line
        ]


def ablation_key(index: int) -> str:
    """The key of the `index`-th ablation (0-based): "ablation", "ablation-2", ..."""
    return "ablation" if index == 0 else f"ablation-{index + 1}"


def for_profile(
    profile: WorkloadProfile, ablations: list[dict[str, str]] | None = None
) -> list[Configuration]:
    """Engine defaults, RDS defaults, PGTune (PostgreSQL only) and dbtier, in that order.

    dbtier's values are RDS's defaults with the design's own on top, as the parameter group
    it deploys would be; PGTune's are a self-managed server's file, on the engine's defaults.

    Each of `ablations` (parameter -> value) adds one more: dbtier's design with those
    values instead, keyed by `ablation_key`, to show what one rule's value does.
    """
    rds = dict(params.rds_default_values(profile.engine, profile.instance_class))
    configurations = [
        Configuration("defaults", "engine defaults", {}),
        Configuration("rds-default", "RDS defaults", rds),
    ]
    if profile.dialect == "postgres":
        configurations.append(Configuration("pgtune", "PGTune", dict(params.pgtune(profile))))
    design = params.design(profile)
    # dbtier's design is a custom parameter group: on RDS, what it does not set keeps the
    # family's default, so here it is laid over RDS's defaults, not over the engine's.
    values = rds | {parameter.name: str(parameter.value) for parameter in design.parameters}
    configurations.append(Configuration("dbtier", "dbtier design", values))
    for index, ablation in enumerate(ablations or []):
        label = "dbtier, " + ", ".join(f"{k}={v}" for k, v in ablation.items())
        configurations.append(Configuration(ablation_key(index), label, {**values, **ablation}))
    return configurations


def load(engine: str, scenario: str = "fits") -> WorkloadProfile:
    """The benchmark's own profile for `engine` ("mariadb" or "postgres") in `scenario`.

    "fits": `<engine>.yaml` (db.m7g.large, the data fits in memory); "larger":
    `<engine>-larger.yaml` (db.t4g.small, each data set larger than memory).
    """
    suffix = "" if scenario == "fits" else f"-{scenario}"
    return params.load_profile(PROFILES_DIR / f"{engine}{suffix}.yaml")


__all__ = ["PROFILES_DIR", "Configuration", "ablation_key", "for_profile", "load"]
