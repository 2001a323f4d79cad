"""Demo accounts of the demo county, one per role, signed up through the portal's API.

Each password is generated, printed once when its account is made, and kept (owner-only)
in var/portal/demo-accounts.txt; an account that exists already is left alone.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from demo import DemoContext  # type: ignore[import-not-found]  # scripts/ is not a package

ACCOUNTS = [
    ("jidong-admin", "鸡东县党委组织部管理员", "org_admin", "230321000000"),
    ("jidong-cadre", "鸡东镇干部", "cadre", "230321100000"),
    ("jidong-viewer", "鸡东县观察员", "viewer", "230321000000"),
    ("jidong-member", "东升村党员", "member", "230321100201"),
]


def _first_member(ctx: DemoContext, area: str) -> dict[str, Any]:
    unit_id = ctx.units_by_area[area][0]["id"]
    with ctx.client("members") as client:
        page = client.get("/v1/members", params={"org_unit": unit_id, "limit": 1})
        items = page.raise_for_status().json()["items"]
    if not items:
        sys.exit(f"demo: no member registered in {area} to sign in as")
    member: dict[str, Any] = items[0]
    return member


def _keep(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def load(ctx: DemoContext) -> None:
    """Create the demo accounts that are missing; report their passwords once."""
    admin_password = os.environ.get("GR_PORTAL_ADMIN_PASSWORD")
    if not admin_password:
        ctx.report.append("portal: no admin password given, demo accounts skipped")
        return
    made: list[str] = []
    portal = f"http://127.0.0.1:{os.environ.get('GR_PORTAL_PORT', '8000')}"
    with httpx.Client(base_url=portal, timeout=60) as client:
        signed = client.post(
            "/v1/auth/login", json={"username": "admin", "password": admin_password}
        )
        if signed.status_code != 200:
            sys.exit(f"demo: the portal refused the admin's sign-in: {signed.text}")
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        for username, name, role, org in ACCOUNTS:
            password = secrets.token_urlsafe(12)
            body: dict[str, Any] = {
                "username": username,
                "password": password,
                "display_name": name,
                "role": role,
                "org": org,
            }
            if role == "member":
                body["member_id"] = _first_member(ctx, org)["id"]
            response = client.post("/v1/accounts", json=body, headers=headers)
            if response.status_code == 409:
                continue
            if response.status_code != 201:
                sys.exit(f"demo: could not create the account {username}: {response.text}")
            made.append(f"{username:<14} {role:<14} {org}  password: {password}")
    var_dir = Path(os.environ.get("GR_VAR_DIR", "var"))
    if made:
        _keep(var_dir / "portal" / "demo-accounts.txt", made)
        ctx.report.append(f"portal: {len(made)} demo accounts (passwords shown this once):")
        ctx.report.extend(f"  {line}" for line in made)
    else:
        ctx.report.append(
            f"portal: demo accounts already there (passwords in {var_dir}/portal/demo-accounts.txt)"
        )
