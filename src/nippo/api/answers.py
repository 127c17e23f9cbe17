"""Answer a read with the output model it has already built: serialized once, by pydantic.

An output model (`nippo.schemas.*Out`) is validated when it is built. FastAPI
would validate it again against the route's `response_model`, and for a sync
route do that in a worker thread of its own: a second thread hop per request
(docs/performance.md). The read routes return `json_answer(model)` instead and
keep `response_model=` on the decorator, so the OpenAPI document, and every
test that checks answers against it (schemathesis included), are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Response
from pydantic import BaseModel

JSON = "application/json"


def json_answer(value: BaseModel | Sequence[BaseModel], status_code: int = 200) -> Response:
    """`value` (a model, or a list of models) as a JSON response."""
    if isinstance(value, BaseModel):
        body = value.model_dump_json()
    else:
        body = "[" + ",".join(item.model_dump_json() for item in value) + "]"
    return Response(body, status_code=status_code, media_type=JSON)


__all__ = ["json_answer"]
