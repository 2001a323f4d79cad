"""Who the client is behind proxies: X-Forwarded-For is believed only from parties we trust.

Trusted are the reverse proxies of GR_TRUSTED_PROXIES (by peer address) and the callers whose
token subject is in GR_FORWARDING_CLIENTS (the portal, which acts for citizens with its own
client-credentials token and names the citizen's address). Anyone else's header is ignored.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from grassroots.kit.auth import Principal
from grassroots.kit.settings import ServiceSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _hops(header: str) -> list[str]:
    hops = []
    for hop in header.split(","):
        hop = hop.strip()
        try:
            hops.append(str(ipaddress.ip_address(hop)))
        except ValueError:
            return []  # a malformed chain names nobody
    return hops


def acts_for_citizens(request: Request, principal: Principal) -> bool:
    """True when the caller is a client (the portal) that submits on citizens' behalf."""
    settings: ServiceSettings = request.app.state.settings
    return principal.sub in settings.forwarding_client_ids


def client_address(request: Request, principal: Principal | None = None) -> str:
    """The caller's address: the peer, or the hop a trusted proxy or the portal names."""
    settings: ServiceSettings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    networks = settings.trusted_proxy_networks
    trusted = _is_trusted(address, networks) or (
        principal is not None and acts_for_citizens(request, principal)
    )
    if not trusted:
        return address
    # Each trusted party appends the address it saw: read from the right, past our own.
    hops = _hops(",".join(request.headers.getlist("x-forwarded-for")))
    while trusted and hops:
        address = hops.pop()
        trusted = _is_trusted(address, networks)
    return address
