"""The price table shipped with the package: ap-northeast-1 on-demand prices with sources."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from dbtier.errors import ConfigError


@dataclass(frozen=True)
class Price:
    """One price, with where it came from."""

    key: str
    price: float
    unit: str
    source: str
    date: str
    confidence: str


@dataclass(frozen=True)
class PriceTable:
    """Prices by key, RDS prices by instance class, and the usage assumptions."""

    region: str
    hours_per_month: float
    prices: dict[str, Price]
    rds_by_class: dict[str, float]
    rds_price: Price
    assumptions: dict[str, float]

    def __getitem__(self, key: str) -> float:
        return self.prices[key].price

    def rds_hourly(self, instance_class: str) -> float:
        try:
            return self.rds_by_class[instance_class]
        except KeyError:
            known = ", ".join(sorted(self.rds_by_class))
            raise ConfigError(
                f"no price for RDS class {instance_class!r} in {self.region}; known: {known}"
            ) from None


def load_price_table() -> PriceTable:
    """Read `prices_ap_northeast_1.yaml` from the package."""
    text = resources.files("dbtier.cost").joinpath("prices_ap_northeast_1.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    prices: dict[str, Price] = {}
    rds: dict[str, float] = {}
    rds_price: Price | None = None
    for key, entry in data["prices"].items():
        price = Price(
            key=key,
            price=float(entry.get("price", 0.0)),
            unit=str(entry["unit"]),
            source=str(entry["source"]),
            date=str(entry["date"]),
            confidence=str(entry["confidence"]),
        )
        if "by_class" in entry:
            rds = {str(k): float(v) for k, v in entry["by_class"].items()}
            rds_price = price
        else:
            prices[key] = price
    if rds_price is None:  # pragma: no cover - the shipped table has it
        raise ConfigError("price table lacks rds_instance_hour")
    return PriceTable(
        region=str(data["region"]),
        hours_per_month=float(data["hours_per_month"]),
        prices=prices,
        rds_by_class=rds,
        rds_price=rds_price,
        assumptions={k: float(v) for k, v in data["assumptions"].items()},
    )


__all__ = ["Price", "PriceTable", "load_price_table"]
