"""Answer a read with the output model it has already built: serialized once, by pydantic.

An output model (`nippo.schemas.*Out`) is validated when it is built. FastAPI
would validate it again against the route's `response_model`, and for a sync
route do that in a worker thread of its own: a second thread hop per request
(docs/performance.md). The read routes return `json_answer(model)` instead and
keep `response_model=` on the decorator, so the OpenAPI document, and every
test that checks answers against it (schemathesis included), are unchanged.
A list is written by pydantic-core in one call (`to_json`): the same bytes as
joining each model's `model_dump_json()`, without a string per model.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Response
from pydantic import BaseModel
from pydantic_core import to_json

JSON = "application/json"


def json_answer(value: BaseModel | Sequence[BaseModel], status_code: int = 200) -> Response:
    """`value` (a model, or a list of models) as a JSON response."""
    # by_alias=False: what `model_dump_json()` writes by default.
    return Response(to_json(value, by_alias=False), status_code=status_code, media_type=JSON)


__all__ = ["json_answer"]
