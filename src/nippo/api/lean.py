"""A lean request handler for the API's plain reads; FastAPI's own handler for the rest.

Why by hand (docs/performance.md, "Fourth pass"): FastAPI 0.165 solves a
route's parameters and dependencies per request with general machinery. For
each request it re-inspects each parameter's annotation (is it a sequence? a
model?), extracts path, query, header and cookie parameters for the route and
again for each dependency, builds a spare `Response`, and looks up its
telemetry context. On a one-statement read, that was the largest part of the
event loop's time, larger than the database round trip. No FastAPI setting
turns it off.

`LeanRoute` is an `APIRoute` (same OpenAPI operation, same matching, same
middleware and exception handling around the handler) whose handler, for a
route this module can prove plain, does the same work directly:

- each dependency is an `async` callable taking only the request (the bearer
  token), awaited first, as FastAPI does (so 401 comes before 422);
- each path and query parameter is a scalar, validated with the field's own
  pydantic validator (`ModelField.validate`), with FastAPI's error locations;
  a missing required one is FastAPI's `missing` error; errors raise
  `RequestValidationError`, which the app's handler turns into the same 422;
- the endpoint is a sync function that returns a `Response`, run in the
  worker thread pool.

Anything else (a body, a header or cookie parameter, a generator or sync
dependency, a list or model parameter, a response model to serialize) keeps
FastAPI's handler, and so does every request while dependency overrides or
FastAPI telemetry are active. `tests/nippo/test_lean_routes.py` holds the two
handlers to the same answers, good and bad input alike, on every route that
takes the lean one.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_SCALARS = (str, int, float, bool, bytes)


@dataclass(frozen=True)
class _Param:
    """One path or query parameter: where it is read from and how it is validated."""

    name: str
    alias: str
    in_path: bool
    required: bool
    default: Any
    validate: Callable[..., tuple[Any, list[dict[str, Any]]]]

    @property
    def loc(self) -> tuple[str, str]:
        return ("path" if self.in_path else "query", self.alias)


def _missing(loc: tuple[str, str]) -> dict[str, Any]:
    """FastAPI's error for a required parameter that was not sent."""
    error = ValidationError.from_exception_data(
        "Field required", [{"type": "missing", "loc": loc, "input": {}}]
    ).errors(include_url=False)[0]
    error["input"] = None
    return dict(error)


def _is_plain_type(annotation: Any) -> bool:
    """A scalar, a date-like class or an optional one: no sequence, no model."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_plain_type(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return all(_is_plain_type(arg) for arg in typing.get_args(annotation))
    if origin is not None or not isinstance(annotation, type):
        return False
    if issubclass(annotation, BaseModel):
        return False
    if issubclass(annotation, _SCALARS) or annotation is type(None):
        return True
    # a plain class that is not a collection (date, datetime, Decimal, UUID, an Enum)
    return not hasattr(annotation, "__iter__")


def _param(field: Any, *, in_path: bool) -> _Param | None:
    info = field.field_info
    expected = params.Path if in_path else params.Query
    if not isinstance(info, expected) or not _is_plain_type(info.annotation):
        return None
    alias = info.validation_alias if isinstance(info.validation_alias, str) else field.alias
    if info.validation_alias is not None and not isinstance(info.validation_alias, str):
        return None
    if not info.is_required() and info.validate_default:
        return None
    return _Param(
        name=field.name,
        alias=alias,
        in_path=in_path,
        required=info.is_required(),
        default=info.default,
        validate=field.validate,
    )


def _takes_more_than_the_lean_handler_gives(dependant: Dependant) -> bool:
    """A header, cookie or body parameter, or the response, background tasks, security
    scopes or a websocket: what only FastAPI's handler provides."""
    return bool(
        dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.websocket_param_name
    )


def _request_only(dependant: Dependant) -> str | None:
    """The keyword a dependency takes the request by, when that is all it takes."""
    if (
        _takes_more_than_the_lean_handler_gives(dependant)
        or dependant.dependencies
        or dependant.path_params
        or dependant.query_params
        or dependant.concurrency is not None
        or dependant.name is None
    ):
        return None
    call = dependant.call
    target = call if inspect.isfunction(call) else getattr(call, "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(target):
        return None
    names = [n for n in (dependant.request_param_name, dependant.http_connection_param_name) if n]
    return names[0] if len(names) == 1 else None


def _returns_response(call: Callable[..., Any]) -> bool:
    try:
        hints = typing.get_type_hints(call)
    except Exception:  # an annotation that does not resolve: not provably plain
        return False
    answer = hints.get("return")
    return isinstance(answer, type) and issubclass(answer, Response)


@dataclass(frozen=True)
class LeanPlan:
    """What a plain route's handler does, worked out once when the route is built."""

    dependencies: tuple[tuple[str, str, Callable[..., Awaitable[Any]]], ...]
    parameters: tuple[_Param, ...]
    request_name: str | None
    endpoint: Callable[..., Any]

    @classmethod
    def of(cls, route: APIRoute) -> LeanPlan | None:
        """The plan for `route`, or None when FastAPI's own handler must serve it."""
        dependant = route.dependant
        call = dependant.call
        if (
            call is None
            or route.body_field is not None
            or route.is_sse_stream
            or route.is_json_stream
            or route.stream_item_field is not None
            or _takes_more_than_the_lean_handler_gives(dependant)
            or dependant.http_connection_param_name
            or inspect.iscoroutinefunction(call)
            or inspect.isgeneratorfunction(call)
            or not _returns_response(call)
        ):
            return None
        dependencies = []
        for sub in dependant.dependencies:
            keyword = _request_only(sub)
            if keyword is None or sub.name is None or sub.call is None:
                return None
            dependencies.append((sub.name, keyword, sub.call))
        parameters = []
        for fields, in_path in ((dependant.path_params, True), (dependant.query_params, False)):
            for field in fields:
                param = _param(field, in_path=in_path)
                if param is None:
                    return None
                parameters.append(param)
        return cls(tuple(dependencies), tuple(parameters), dependant.request_param_name, call)

    def handler(self, route: APIRoute, fastapi_handler: Handler) -> Handler:
        """The lean handler, falling back to `fastapi_handler` when it must."""
        dependencies, parameters, endpoint = self.dependencies, self.parameters, self.endpoint
        request_name = self.request_name
        provider = route.dependency_overrides_provider
        reads_query = any(not param.in_path for param in parameters)

        async def handle(request: Request) -> Response:
            if (
                provider is not None and getattr(provider, "dependency_overrides", None)
            ) or get_telemetry_data() is not None:
                return await fastapi_handler(request)
            values: dict[str, Any] = {}
            for name, keyword, call in dependencies:
                values[name] = await call(**{keyword: request})
            errors: list[dict[str, Any]] = []
            path_params = request.path_params
            query_params = request.query_params if reads_query else {}
            for param in parameters:
                raw = (
                    path_params.get(param.alias) if param.in_path else query_params.get(param.alias)
                )
                if raw is None:
                    if param.required:
                        errors.append(_missing(param.loc))
                    else:
                        values[param.name] = deepcopy(param.default)
                    continue
                value, problems = param.validate(raw, values, loc=param.loc)
                if problems:
                    errors.extend(problems)
                else:
                    values[param.name] = value
            if errors:
                raise RequestValidationError(errors, body=None)
            if request_name is not None:
                values[request_name] = request
            answer = await run_in_threadpool(endpoint, **values)
            if not isinstance(answer, Response):
                raise TypeError(f"{route.path}: the endpoint must return a Response")
            return answer

        return handle


class LeanRoute(APIRoute):
    """An `APIRoute` served by `LeanPlan`'s handler when the route is plain (see the module)."""

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()
        plan = LeanPlan.of(self)
        self.lean = plan is not None
        return fastapi_handler if plan is None else plan.handler(self, fastapi_handler)


__all__ = ["LeanPlan", "LeanRoute"]
