"""The browser session: a signed cookie, who is signed in, and the CSRF token of every form.

The cookie is Starlette's `SessionMiddleware` (itsdangerous signs it with the key
from `DBTIER_SESSION_SECRET`; HttpOnly, SameSite=Lax, and Secure when the request
came over HTTPS, directly or through a proxy uvicorn trusts). It holds the SHA-256
of the user's token (the same `Caller` the API builds from a bearer token, so
pages go through the same service functions and visibility rules), the CSRF token
and the language.

CSRF: a synchronizer token. A random token lives in the signed session; every
form carries it in a hidden `csrftoken` field, and `checked_form` refuses a POST
whose field is missing or differs (403). It is kept here rather than taken from
a library: starlette-csrf reads the token from a header only (a form without
JavaScript cannot send one), and asgi-csrf's double-submit cookie wraps the whole
ASGI app, buffering every POST body (the API's 1 MiB imports too) before the body
limit and answering refusals in its own plain text; itsdangerous, which signs the
session, already does the cryptography. The API is not affected: it reads no
cookie, and the session middleware skips `/api/` entirely.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nippo.auth import Caller
from nippo.errors import Forbidden
from nippo.web.i18n import Lang, as_lang

SESSION_COOKIE = "nippo_session"
CSRF_FIELD = "csrftoken"
_IDENTITY = "caller"  # the session key holding the token's SHA-256
_CSRF = "csrf"
_LANG = "lang"


class CsrfRefused(Forbidden):
    """A form arrived without the session's CSRF token."""


class SignInRequired(Exception):
    """The page needs a signed-in user; the browser is sent to the sign-in page."""


class Sessions:
    """Session middleware for every path but the API's; the cookie is Secure over HTTPS."""

    def __init__(self, app: ASGIApp, *, secret: str, max_age: int, skip_prefix: str) -> None:
        self.app = app
        self.skip_prefix = skip_prefix
        common = {
            "secret_key": secret,
            "session_cookie": SESSION_COOKIE,
            "max_age": max_age,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, https_only=False, **common)  # type: ignore[arg-type]
        self.secure = SessionMiddleware(app, https_only=True, **common)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefix):
            await self.app(scope, receive, send)
        elif scope.get("scheme") == "https":
            await self.secure(scope, receive, send)
        else:
            await self.plain(scope, receive, send)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created with the session's first form)."""
    token = request.session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_CSRF] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (else 403)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(_CSRF)
    if not (isinstance(sent, str) and isinstance(expected, str)) or not hmac.compare_digest(
        sent.encode(), expected.encode()
    ):
        raise CsrfRefused(
            "the form's CSRF token is missing or does not match your session; "
            "reload the page and send the form again"
        )
    return form


@dataclass(frozen=True)
class SignedIn:
    """Who the session belongs to, as the service layer takes it."""

    caller: Caller


def signed_in(request: Request) -> SignedIn:
    """The session's caller; SignInRequired when nobody is signed in."""
    value = request.session.get(_IDENTITY)
    if not isinstance(value, str):
        raise SignInRequired
    return SignedIn(Caller(value))


def sign_in(request: Request, caller: Caller) -> None:
    """Start a session for `caller`: a fresh CSRF token, the language kept."""
    lang = language(request)
    request.session.clear()
    request.session.update(
        {_IDENTITY: caller.token_hash, _CSRF: secrets.token_urlsafe(32), _LANG: lang}
    )


def sign_out(request: Request) -> None:
    """End the session (the language stays with the browser)."""
    lang = language(request)
    request.session.clear()
    request.session[_LANG] = lang


def language(request: Request) -> Lang:
    """The session's language (Japanese by default)."""
    return as_lang(request.session.get(_LANG)) if "session" in request.scope else as_lang(None)


def set_language(request: Request, lang: Lang) -> None:
    """Keep the chosen language in the session."""
    request.session[_LANG] = lang


__all__ = [
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "CsrfRefused",
    "Sessions",
    "SignInRequired",
    "SignedIn",
    "checked_form",
    "csrf_token",
    "language",
    "set_language",
    "sign_in",
    "sign_out",
    "signed_in",
]
