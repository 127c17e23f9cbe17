"""Errors as pages for browsers; the JSON API keeps its Problem bodies.

The API's exception handlers (`nippo.api.errors`, `nippo.api.unavailable`) stay
the one place that decides a status and its headers (Retry-After on a 503,
Allow on a 405). For a page path each handler is wrapped: it runs as before,
and its answer is re-rendered as an HTML page with the same status, headers
and detail; a 401 becomes a redirect to the sign-in page. The database guard's
own 503 (deadline, overload), the body limit's 413 and the character guard's 422 go
through `page_refusal` (`nippo.api.refusal.for_client`) the same way.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import WebSocketRequestValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from nippo.web.rendering import render
from nippo.web.session import SignInRequired

Handler = Callable[[Request, Exception], Awaitable[Response]]
_KEPT_HEADERS = ("retry-after", "allow", "connection")
_NOT_PAGES = ("/api/", "/healthz", "/readyz")
SIGN_IN_PATH = "/signin"


def is_page(path: str) -> bool:
    """Whether a path is a page (not the API, not a probe)."""
    return not path.startswith(_NOT_PAGES)


def error_page(request: Request, answer: Response) -> Response:
    """The API's answer re-rendered as a page (same status and kept headers)."""
    if answer.status_code == 401:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    try:
        detail = str(json.loads(bytes(answer.body)).get("detail", ""))
    except (ValueError, AttributeError):
        detail = ""
    headers = {k: v for k, v in answer.headers.items() if k in _KEPT_HEADERS}
    status = answer.status_code
    key = f"error_{status}"
    return render(
        request,
        "error.html",
        status=status,
        headers=headers,
        code=status,
        title_key=key,
        detail=detail,
    )


def _as_page(handler: Callable[[Request, Any], Response | Awaitable[Response]]) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        if not is_page(request.url.path):
            return answer
        return error_page(request, answer)

    return handle


async def _sign_in_first(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(SIGN_IN_PATH, status_code=303)


def page_refusal(scope: Scope, answer: Response) -> Response:
    """A middleware's refusal as a page when the path is a page's."""
    if not is_page(scope.get("path", "")):
        return answer
    return error_page(Request(scope), answer)


def install(app: FastAPI) -> None:
    """Wrap every handler registered so far; pages needing a session redirect to sign in."""
    for kind, handler in list(app.exception_handlers.items()):
        if kind is not WebSocketRequestValidationError:
            app.add_exception_handler(kind, _as_page(handler))
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.state.render_refusal = page_refusal


__all__ = ["SIGN_IN_PATH", "error_page", "install", "is_page", "page_refusal"]
