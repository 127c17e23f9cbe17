"""Signing in with the token `dbtier users create` printed, signing out, choosing a language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from nippo import service
from nippo.api.deps import SessionDep
from nippo.api.throttle import client_address, record_failed_token
from nippo.auth import Caller
from nippo.errors import Unauthenticated
from nippo.web.i18n import LANGUAGES, as_lang
from nippo.web.rendering import render
from nippo.web.session import checked_form, set_language, sign_in, sign_out

router = APIRouter()
CheckedForm = Annotated[FormData, Depends(checked_form)]


def safe_next(value: object, default: str = "/") -> str:
    """A local path to go back to (never another site: no scheme, no `//`)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "signin.html")


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, form: CheckedForm, session: SessionDep) -> Response:
    """Check the token like the API does (and count a wrong one against the address)."""
    state = request.app.state
    wait = state.throttle.retry_after(client_address(request.scope, state.trusted_proxies))
    if wait is not None:
        return render(
            request, "signin.html", status=429, headers={"Retry-After": str(wait)}, wait=wait
        )
    token = str(form.get("token") or "").strip()
    caller = Caller.from_token(token)
    try:
        service.profile(session, caller)
    except Unauthenticated:
        record_failed_token(request)
        return render(request, "signin.html", status=401, bad_token=True)
    sign_in(request, caller)
    return RedirectResponse("/", status_code=303)


@router.post("/signout")
def signout(request: Request, _form: CheckedForm) -> Response:
    """End the session."""
    sign_out(request)
    return RedirectResponse("/signin", status_code=303)


@router.post("/language")
def choose_language(request: Request, form: CheckedForm) -> Response:
    """Switch the pages' language; back to the page the switch was on."""
    chosen = form.get("lang")
    if chosen in LANGUAGES:
        set_language(request, as_lang(chosen))
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


__all__ = ["CheckedForm", "router", "safe_next"]
