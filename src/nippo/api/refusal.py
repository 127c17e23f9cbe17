"""An answer a middleware gives before any route, in the form the path's client reads.

The API's middlewares (body limit, character guard, database guard) answer with a
Problem body. When the app has pages (`nippo.web`), it sets
`app.state.render_refusal`, which turns the same answer into a page for a page path;
the API never imports the pages.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope


def for_client(scope: Scope, response: Response) -> Response:
    """`response`, or the app's page for it when the path is a page's."""
    render = getattr(getattr(scope.get("app"), "state", None), "render_refusal", None)
    return response if render is None else render(scope, response)


__all__ = ["for_client"]
