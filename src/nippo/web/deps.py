"""What a page depends on: the signed-in user, loaded through the service layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from nippo import service
from nippo.api.deps import SessionDep
from nippo.auth import Caller
from nippo.clock import today_in  # the one definition of a learner's today
from nippo.errors import Unauthenticated
from nippo.service import Profile
from nippo.web.session import SignedIn, SignInRequired, sign_out, signed_in


@dataclass(frozen=True)
class Viewer:
    """The signed-in user: their caller (for the service), profile, and operator right."""

    caller: Caller
    profile: Profile
    operator: bool

    @property
    def learner(self) -> bool:
        """Whether they write reports."""
        return self.profile.role == "learner"


def viewer(
    request: Request, session: SessionDep, who: Annotated[SignedIn, Depends(signed_in)]
) -> Viewer:
    """The session's user; a session whose user is gone is ended (back to sign in)."""
    try:
        profile = service.profile(session, who.caller)
    except Unauthenticated:
        sign_out(request)
        raise SignInRequired from None
    operators: frozenset[str] = request.app.state.operators
    return Viewer(who.caller, profile, profile.name in operators)


ViewerDep = Annotated[Viewer, Depends(viewer)]

__all__ = ["Viewer", "ViewerDep", "today_in", "viewer"]
