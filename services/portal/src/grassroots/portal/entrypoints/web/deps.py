"""What the website's routes are given: the services' client, names, the portal's own token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from grassroots.portal.adapters.platform import Platform
from grassroots.portal.entrypoints.web.directory import Directory


@dataclass
class WebDeps:
    """Built once in main.py."""

    platform: Platform
    directory: Directory
    # The portal's own viewer token (its client id is in the services' GR_FORWARDING_CLIENTS):
    # public pages read names with it, and citizens' submissions go in with it.
    service_token: Callable[[], str]
    default_county: str
    cookie_secure: bool
    max_photo_bytes: int = 10 * 1024 * 1024


def web_deps(request: Request) -> WebDeps:
    """The app's WebDeps."""
    deps: WebDeps = request.app.state.web
    return deps


Deps = Annotated[WebDeps, Depends(web_deps)]
