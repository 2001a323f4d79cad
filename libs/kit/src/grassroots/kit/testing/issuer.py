"""A stand-in token issuer for tests: its JWKS on a real port, keys to rotate and drop."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from grassroots.kit.testing.servers import free_port

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


class StandInIssuer:
    """Signs tokens like an OpenID Connect provider (RS256) or the portal (EdDSA)."""

    def __init__(self, *, algorithm: str = "RS256", issuer: str | None = None) -> None:
        self.algorithm = algorithm
        self.port = free_port()
        self.issuer = issuer or f"http://127.0.0.1:{self.port}/realms/grassroots"
        self.keys: dict[str, PrivateKey] = {}
        self.active = self.add_key()
        self.jwks_requests = 0

    @property
    def jwks_url(self) -> str:
        """Where the published keys are."""
        return f"http://127.0.0.1:{self.port}/jwks"

    def add_key(self) -> str:
        """Publish a new key (not yet signing); its id."""
        kid = uuid.uuid4().hex[:12]
        if self.algorithm == "EdDSA":
            self.keys[kid] = ed25519.Ed25519PrivateKey.generate()
        else:
            self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def jwks(self) -> dict[str, Any]:
        """The JWKS document of every published key."""
        out = []
        for kid, key in self.keys.items():
            if isinstance(key, ed25519.Ed25519PrivateKey):
                jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
            else:
                jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            out.append({**jwk, "kid": kid, "alg": self.algorithm, "use": "sig"})
        return {"keys": out}

    def sign(
        self, claims: dict[str, Any], *, kid: str | None = None, ttl: float = 300, **header: Any
    ) -> str:
        """A token of `claims` plus iss, aud, iat, exp (claims win), signed with key `kid`."""
        now = int(time.time())
        body = {"iss": self.issuer, "aud": "grassroots", "iat": now, "exp": now + int(ttl)}
        body.update(claims)
        kid = kid or self.active
        return jwt.encode(body, self.keys[kid], self.algorithm, headers={"kid": kid, **header})

    def app(self) -> Starlette:
        """The issuer's HTTP face: the JWKS."""

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_requests += 1
            return JSONResponse(self.jwks())

        return Starlette(routes=[Route("/jwks", jwks)])


@asynccontextmanager
async def serve(app: Any, port: int) -> AsyncIterator[None]:
    """Run an ASGI app under uvicorn on 127.0.0.1:`port` inside this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


@asynccontextmanager
async def running_issuer(**kwargs: Any) -> AsyncIterator[StandInIssuer]:
    """A stand-in issuer serving its JWKS."""
    issuer = StandInIssuer(**kwargs)
    async with serve(issuer.app(), issuer.port):
        yield issuer
