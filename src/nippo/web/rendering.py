"""Jinja2 templates with what every page needs: the words of its language, the CSRF token.

Autoescaping is on for every template; Markdown a learner wrote (a section's
verbatim body) is rendered by markdown-it-py with raw HTML disabled, so a report
cannot inject markup into a mentor's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from nippo.durations import format_duration
from nippo.web.i18n import LANGUAGES, translate
from nippo.web.session import CSRF_FIELD, csrf_token, language

# No raw HTML, and no images: a report cannot make a mentor's browser fetch a URL. An
# image (the seed has `![alt text](20250425.png)`) is shown as its alt text and address,
# as text: neither fetched nor a link.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def _image_as_text(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    source = str(token.attrGet("src") or "")
    return f'<span class="image">{escapeHtml(alt)} ({escapeHtml(source)})</span>'


_MARKDOWN.add_render_rule("image", _image_as_text)


def _context(request: Request) -> dict[str, Any]:
    lang = language(request)
    has_session = "session" in request.scope
    return {
        "lang": lang,
        "languages": LANGUAGES,
        "t": lambda key: translate(key, lang),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request) if has_session else "",
    }


def _markdown(text: str) -> Markup:
    return Markup(_MARKDOWN.render(text))  # noqa: S704 (markdown-it escapes; raw HTML is off)


def _inline(text: str) -> Markup:
    # A bullet's text is inline Markdown (the seed's **bold**); a line break stays one.
    return Markup(_MARKDOWN.renderInline(text).replace("\n", "<br>\n"))  # noqa: S704


templates = Jinja2Templates(
    directory=Path(__file__).with_name("templates"), context_processors=[_context]
)
templates.env.filters["duration"] = lambda minutes: format_duration(int(minutes), spaced=True)
templates.env.filters["markdown"] = _markdown
templates.env.filters["inline"] = _inline


def render(
    request: Request,
    name: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from a template, with its status and headers."""
    return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)


__all__ = ["render", "templates"]
