"""Cost: an offline monthly estimate from the synthesized template, and Cost Explorer reports.

The local profile's Cost Explorer is `estimate`; on AWS, `report` reads the
real figures through Cost Explorer's GetCostAndUsage.
"""

from __future__ import annotations

from dbtier.cost.estimate import Estimate, LineItem, estimate_templates
from dbtier.cost.prices import PriceTable, load_price_table
from dbtier.cost.report import CostRow, get_cost_and_usage

__all__ = [
    "CostRow",
    "Estimate",
    "LineItem",
    "PriceTable",
    "estimate_templates",
    "get_cost_and_usage",
    "load_price_table",
]
