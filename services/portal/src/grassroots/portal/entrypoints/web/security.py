"""Who is signed in (a session cookie), and forms that only this site can post (CSRF).

- The session cookie is httpOnly and SameSite=Lax; it holds a random id, no token.
- Every form of a signed-in page carries the session's CSRF token, checked on POST.
- Every POST from a browser must come from this site: the Origin (or Sec-Fetch-Site)
  header is checked, which also covers the forms a visitor posts before signing in
  (login, submit, feedback), where no session exists to bind a token to.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from grassroots.portal.service.websessions import SignedIn, WebSessions

SESSION_COOKIE = "gr_session"
CSRF_FIELD = "csrf_token"


class SignInNeeded(Exception):
    """The page needs a signed-in user: the answer is a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CrossSite(Exception):
    """A form posted from another site, or without this session's CSRF token."""


def sessions(request: Request) -> WebSessions:
    """The web-session use cases of the app."""
    found: WebSessions = request.app.state.web_sessions
    return found


def client_addr(request: Request) -> str:
    """The visitor's address as the portal saw it."""
    return request.client.host if request.client else "unknown"


async def optional_user(request: Request) -> SignedIn | None:
    """The signed-in user of the request's session cookie, or None."""
    cached = getattr(request.state, "signed_in", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    user = await sessions(request).current(
        request.cookies.get(SESSION_COOKIE), client_addr(request)
    )
    request.state.signed_in = user
    return user


async def signed_in_user(request: Request) -> SignedIn:
    """The signed-in user, or a redirect to /login that comes back here."""
    user = await optional_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(quote(target, safe="/?=&"))
    return user


User = Annotated[SignedIn, Depends(signed_in_user)]
MaybeUser = Annotated[SignedIn | None, Depends(optional_user)]


def same_site(request: Request) -> None:
    """Refuse a POST a browser sent from another site (Origin / Fetch Metadata)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site == "cross-site":
        raise CrossSite
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise CrossSite
    elif origin == "null":
        raise CrossSite


def check_form(request: Request, form: FormData, user: SignedIn) -> None:
    """A signed-in form: same site, and its hidden token is this session's."""
    same_site(request)
    token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not hmac.compare_digest(token, user.csrf_token):
        raise CrossSite


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/work"
    return target
