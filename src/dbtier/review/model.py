"""The design document's shape: sections of pass / warn / fail items, each with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "info"]
STATUS_ORDER: dict[Status, int] = {"fail": 0, "warn": 1, "pass": 2, "info": 3}


@dataclass(frozen=True)
class Item:
    check: str
    status: Status
    evidence: str
    source: str = ""  # where the evidence came from: template, live database, profile, ...


@dataclass
class Section:
    key: str
    title: str
    seed: str  # the seed's words for this stage of the lifecycle
    items: list[Item] = field(default_factory=list)
    body: str = ""  # Markdown shown after the items (tables, diagrams)
    skipped: str | None = None  # why the section has no evidence, if it has none

    def add(self, check: str, status: Status, evidence: str, source: str = "") -> None:
        self.items.append(Item(check, status, evidence, source))

    @property
    def worst(self) -> Status:
        if not self.items:
            return "info"
        return min((i.status for i in self.items), key=lambda s: STATUS_ORDER[s])


@dataclass
class Review:
    title: str
    sections: list[Section]
    inputs: dict[str, str]
    generated_at: str

    def count(self, status: Status) -> int:
        return sum(1 for s in self.sections for i in s.items if i.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generated_at": self.generated_at,
            "inputs": self.inputs,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "skipped": s.skipped,
                    "items": [i.__dict__ for i in s.items],
                }
                for s in self.sections
            ],
        }


__all__ = ["STATUS_ORDER", "Item", "Review", "Section", "Status"]
