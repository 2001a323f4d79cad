"""HTTP routes of sign-in: tokens, keys, accounts, clients, audit."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from grassroots.contracts.area import AreaCode
from grassroots.kit.auth import CurrentPrincipal, Principal
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import PROBLEM_JSON, TYPE_BASE
from grassroots.kit.proxies import client_address
from grassroots.portal.adapters.keys import ALGORITHM, KeyRing
from grassroots.portal.domain.accounts import Account, Actor, ApiClient, AuditEntry
from grassroots.portal.domain.errors import BadField, BadGrant, LockedOut, PortalError
from grassroots.portal.service.accounts import AccountAdmin, AccountChange, NewAccount
from grassroots.portal.service.ports import PhoneSealer
from grassroots.portal.service.signin import SignIn, TokenPair
from grassroots.portal.service.tokens import Issued

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
RoleName = Literal["platform_admin", "org_admin", "cadre", "member", "viewer"]


def install_error_answers(app: FastAPI) -> None:
    """Answer every refusal of the use cases as problem+json."""

    async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PortalError)
        response = JSONResponse(
            _problem(exc, request.url.path), status_code=exc.status, media_type=PROBLEM_JSON
        )
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, LockedOut):
            response.headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, BadGrant):
            response.headers.update(NO_STORE)
        return response

    app.add_exception_handler(PortalError, on_refusal)


def _problem(exc: PortalError, path: str) -> dict[str, Any]:
    title = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        422: "Unprocessable Content",
        423: "Locked",
    }.get(exc.status, "Bad Request")
    body: dict[str, Any] = {
        "type": TYPE_BASE
        + ("validation" if exc.status == 422 else title.lower().replace(" ", "-")),
        "title": title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": path,
    }
    if isinstance(exc, BadField):
        body["errors"] = [{"field": exc.field, "message": exc.message, "pointer": "/" + exc.field}]
    if isinstance(exc, LockedOut):
        body["retry_after"] = exc.retry_after
    if isinstance(exc, BadGrant):
        body["error"] = exc.error  # RFC 6749's error code, for OAuth clients
    return body


def _signin(request: Request) -> SignIn:
    signin: SignIn = request.app.state.signin
    return signin


def _admin(request: Request) -> AccountAdmin:
    admin: AccountAdmin = request.app.state.accounts
    return admin


def _actor(principal: Principal) -> Actor:
    return Actor(principal.sub, principal.role, principal.org)


def _client_addr(request: Request) -> str:
    # Behind a reverse proxy of GR_TRUSTED_PROXIES the client it names, else the peer: a
    # forged X-Forwarded-For neither escapes a lock-out nor locks out someone else.
    return client_address(request)


SignInCases = Annotated[SignIn, Depends(_signin)]
AdminCases = Annotated[AccountAdmin, Depends(_admin)]


class LoginIn(BaseModel):
    """Username and password (and the one-time code when a second factor is on)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp_code: str | None = Field(default=None, max_length=10)


class RefreshIn(BaseModel):
    """A refresh token from an earlier sign-in or refresh."""

    refresh_token: str = Field(min_length=1, max_length=200)


class ResetIn(BaseModel):
    """The one-time code an admin issued, and the new password."""

    username: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=40)
    new_password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    """An access token (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int


class TokenPairOut(TokenOut):
    """An access token and the refresh token that replaces it."""

    refresh_token: str


def _pair(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access.access_token,
        expires_in=pair.access.expires_in,
        refresh_token=pair.refresh_token,
    )


@router.post("/v1/auth/login", tags=["sign-in"], summary="Sign in with username and password")
async def login(
    body: LoginIn, request: Request, response: Response, cases: SignInCases
) -> TokenPairOut:
    response.headers.update(NO_STORE)
    pair = await cases.login(body.username, body.password, body.totp_code, _client_addr(request))
    return _pair(pair)


@router.post("/v1/auth/refresh", tags=["sign-in"], summary="Trade a refresh token for a new pair")
async def refresh(
    body: RefreshIn, request: Request, response: Response, cases: SignInCases
) -> TokenPairOut:
    response.headers.update(NO_STORE)
    return _pair(await cases.refresh(body.refresh_token, _client_addr(request)))


@router.post(
    "/v1/auth/reset",
    tags=["sign-in"],
    status_code=204,
    summary="Set a new password with a one-time code from an admin",
)
async def reset_password(body: ResetIn, request: Request, cases: SignInCases) -> Response:
    await cases.reset_password(body.username, body.code, body.new_password, _client_addr(request))
    return Response(status_code=204)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post(
    "/v1/auth/token",
    tags=["sign-in"],
    summary="OAuth 2.0 client credentials (form: grant_type, client_id, client_secret)",
)
async def client_token(
    request: Request,
    response: Response,
    cases: SignInCases,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form(max_length=80)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenOut:
    response.headers.update(NO_STORE)
    if grant_type != "client_credentials":
        raise BadGrant("unsupported_grant_type", "only grant_type=client_credentials is served")
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise BadGrant("invalid_client", "client_id and client_secret are required", 401)
    issued: Issued = await cases.client_token(client_id, client_secret)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get("/.well-known/jwks.json", tags=["sign-in"], summary="The issuer's public keys")
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    # Short enough that a rotation reaches caches before the new key signs anything.
    response.headers["Cache-Control"] = "public, max-age=300"
    keys: KeyRing = request.app.state.signing_keys
    return keys.jwks()


@router.get(
    "/.well-known/openid-configuration", tags=["sign-in"], summary="OpenID Connect discovery"
)
async def openid_configuration(request: Request) -> dict[str, Any]:
    issuer: str = request.app.state.settings.issuer
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/v1/auth/token",
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "role", "org", "iss", "aud", "exp", "iat", "jti"],
    }


class AccountIn(BaseModel):
    """A new account (role member needs member_id: the member signs in as that record)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field(min_length=1, max_length=200)
    role: RoleName
    org: AreaCode
    member_id: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^\+?\d{5,20}$")


class AccountPatch(BaseModel):
    """What an admin may change; absent fields stay."""

    status: Literal["active", "disabled"] | None = None
    role: RoleName | None = None
    org: AreaCode | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


class AccountOut(BaseModel):
    """An account as answered (phone masked; never a hash or a secret)."""

    id: str
    username: str
    display_name: str
    role: str
    org: str
    status: str
    member_id: str | None
    phone: str | None
    locked_until: datetime | None
    totp_enabled: bool
    created_at: datetime
    updated_at: datetime


def _account_out(account: Account, phones: PhoneSealer) -> AccountOut:
    return AccountOut(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=account.role,
        org=account.org,
        status=account.status,
        member_id=account.member_id,
        phone=phones.masked(account.id, account.phone) if account.phone else None,
        locked_until=account.locked_until,
        totp_enabled=account.totp_enabled,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


@router.post("/v1/accounts", tags=["accounts"], status_code=201, summary="Create an account")
async def create_account(body: AccountIn, principal: OrgAdmin, cases: AdminCases) -> AccountOut:
    account = await cases.create(
        _actor(principal),
        NewAccount(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role=body.role,
            org=body.org,
            member_id=body.member_id,
            phone=body.phone,
        ),
    )
    return _account_out(account, cases.phones)


@router.get("/v1/accounts", tags=["accounts"], summary="Accounts in the caller's subtree")
async def list_accounts(
    principal: CurrentPrincipal, cases: AdminCases, limit: Limit = 50, cursor: Cursor = None
) -> Page[AccountOut]:
    after = decode_cursor(cursor)
    found = await cases.list_accounts(_actor(principal), str(after) if after else None, limit)
    items = [_account_out(a, cases.phones) for a in found]
    return Page(
        items=items, next_cursor=encode_cursor(found[-1].id) if len(found) == limit else None
    )


@router.get("/v1/accounts/{account_id}", tags=["accounts"], summary="One account")
async def get_account(
    account_id: str, principal: CurrentPrincipal, cases: AdminCases
) -> AccountOut:
    return _account_out(await cases.get(_actor(principal), account_id), cases.phones)


@router.patch(
    "/v1/accounts/{account_id}", tags=["accounts"], summary="Disable, re-role or re-scope"
)
async def update_account(
    account_id: str, body: AccountPatch, principal: OrgAdmin, cases: AdminCases
) -> AccountOut:
    change = AccountChange(
        status=body.status, role=body.role, org=body.org, display_name=body.display_name
    )
    account = await cases.update(_actor(principal), account_id, change)
    return _account_out(account, cases.phones)


@router.post("/v1/accounts/{account_id}/unlock", tags=["accounts"], summary="Lift a lock-out now")
async def unlock_account(
    account_id: str, principal: CurrentPrincipal, cases: AdminCases
) -> AccountOut:
    return _account_out(await cases.unlock(_actor(principal), account_id), cases.phones)


class ResetCodeOut(BaseModel):
    """A one-time reset code, shown once."""

    code: str
    expires_at: datetime


@router.post(
    "/v1/accounts/{account_id}/reset-code",
    tags=["accounts"],
    status_code=201,
    summary="Issue a one-time password reset code",
)
async def issue_reset_code(
    account_id: str, principal: CurrentPrincipal, cases: AdminCases, response: Response
) -> ResetCodeOut:
    response.headers.update(NO_STORE)
    issued = await cases.issue_reset_code(_actor(principal), account_id)
    return ResetCodeOut(code=issued.code, expires_at=issued.expires_at)


class MeOut(BaseModel):
    """Who the token says the caller is (and their account when they have one here)."""

    sub: str
    role: str
    org: str
    account: AccountOut | None


@router.get("/v1/auth/me", tags=["sign-in"], summary="The caller's principal and account")
async def me(principal: CurrentPrincipal, cases: AdminCases) -> MeOut:
    try:
        account: AccountOut | None = _account_out(
            await cases.own_account(_actor(principal)), cases.phones
        )
    except PortalError:
        account = None
    return MeOut(sub=principal.sub, role=principal.role, org=principal.org, account=account)


class TotpStartOut(BaseModel):
    """A new TOTP secret and its otpauth:// URI (required once confirmed)."""

    secret: str
    otpauth_uri: str


class TotpConfirmIn(BaseModel):
    """A code from the authenticator app."""

    code: str = Field(min_length=6, max_length=10)


@router.post("/v1/auth/totp", tags=["sign-in"], status_code=201, summary="Start a TOTP factor")
async def start_totp(
    principal: CurrentPrincipal, cases: AdminCases, response: Response
) -> TotpStartOut:
    response.headers.update(NO_STORE)
    secret, uri = await cases.start_totp(_actor(principal))
    return TotpStartOut(secret=secret, otpauth_uri=uri)


@router.post(
    "/v1/auth/totp/confirm", tags=["sign-in"], status_code=204, summary="Require the TOTP factor"
)
async def confirm_totp(
    body: TotpConfirmIn, principal: CurrentPrincipal, cases: AdminCases
) -> Response:
    await cases.confirm_totp(_actor(principal), body.code)
    return Response(status_code=204)


class ClientIn(BaseModel):
    """A system client: its name, and the role and scope its tokens carry."""

    name: str = Field(min_length=1, max_length=200)
    role: RoleName
    org: AreaCode


class ClientOut(BaseModel):
    """A client as listed (never its secret)."""

    client_id: str
    name: str
    role: str
    org: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewClientOut(ClientOut):
    """A created client with its secret: shown this once, stored only as a hash."""

    client_secret: str


def _client_out(client: ApiClient) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        name=client.name,
        role=client.role,
        org=client.org,
        created_by=client.created_by,
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


@router.post("/v1/clients", tags=["clients"], status_code=201, summary="Create a system client")
async def create_client(
    body: ClientIn, principal: OrgAdmin, cases: AdminCases, response: Response
) -> NewClientOut:
    response.headers.update(NO_STORE)
    made = await cases.create_client(_actor(principal), body.name, body.role, body.org)
    return NewClientOut(**_client_out(made.client).model_dump(), client_secret=made.secret)


@router.get("/v1/clients", tags=["clients"], summary="System clients in the caller's subtree")
async def list_clients(
    principal: CurrentPrincipal, cases: AdminCases, limit: Limit = 50, cursor: Cursor = None
) -> Page[ClientOut]:
    after = decode_cursor(cursor)
    found = await cases.clients(_actor(principal), str(after) if after else None, limit)
    last = found[-1].client_id if len(found) == limit else None
    return Page(
        items=[_client_out(c) for c in found], next_cursor=encode_cursor(last) if last else None
    )


@router.delete(
    "/v1/clients/{client_id}", tags=["clients"], status_code=204, summary="Revoke a client"
)
async def revoke_client(client_id: str, principal: CurrentPrincipal, cases: AdminCases) -> Response:
    await cases.revoke_client(_actor(principal), client_id)
    return Response(status_code=204)


class AuditOut(BaseModel):
    """One audit record."""

    id: str
    at: datetime
    kind: str
    actor: str
    subject: str
    area_code: str
    client_addr: str | None
    detail: dict[str, Any]


@router.get("/v1/audit", tags=["accounts"], summary="Sign-ins, failures, locks and changes")
async def audit_log(
    principal: CurrentPrincipal, cases: AdminCases, limit: Limit = 50, cursor: Cursor = None
) -> Page[AuditOut]:
    after = decode_cursor(cursor)
    found: list[AuditEntry] = await cases.audit_log(
        _actor(principal), str(after) if after else None, limit
    )
    items = [AuditOut(**vars(entry)) for entry in found]
    last = found[-1].id if len(found) == limit else None
    return Page(items=items, next_cursor=encode_cursor(last) if last else None)
