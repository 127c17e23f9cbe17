"""The models a live schema is compared with: nippo's, none, or any `MODULE:ATTR` MetaData."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import MetaData

from dbtier.errors import UsageError


def load_models(spec: str) -> MetaData | None:
    """`nippo` (the reference service's models), `none`, or `package.module:attribute`."""
    if spec == "none":
        return None
    if spec == "nippo":
        import nippo.models  # noqa: F401  (registers the tables on Base.metadata)
        from nippo.db import Base

        return Base.metadata
    module_name, _, attr = spec.partition(":")
    try:
        found: Any = getattr(importlib.import_module(module_name), attr or "metadata")
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--models {spec}: {exc}; give MODULE:ATTR naming a MetaData") from None
    metadata = getattr(found, "metadata", found)
    if not isinstance(metadata, MetaData):
        raise UsageError(f"--models {spec}: {type(found).__name__} is not a SQLAlchemy MetaData")
    return metadata


__all__ = ["load_models"]
