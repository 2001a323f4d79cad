"""The command line every service shares: serve, migrate, dead letters, re-seal, dev tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from grassroots.kit import migrate
from grassroots.kit.auth import ROLE_RANK, issue_token
from grassroots.kit.db import Database
from grassroots.kit.deadletters import list_dead_letters, request_replay
from grassroots.kit.logs import configure_logging
from grassroots.kit.resealing import SealedColumn, reseal_columns
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceSpec:
    """How to build and migrate one service."""

    name: str
    settings_factory: Callable[[], ServiceSettings]
    app_factory: Callable[[ServiceSettings], FastAPI]
    versions_dir: Path
    metadata_ref: str
    # The key ring and the columns it seals (for `reseal` after a key rotation).
    sealed: Callable[[ServiceSettings], tuple[KeyRing, Sequence[SealedColumn]]] | None = None

    def migrate(self, settings: ServiceSettings) -> None:
        """Apply every pending migration to the service's database."""
        migrate.upgrade(settings.database_url, self.versions_dir, self.metadata_ref)


def _parser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m grassroots.{name}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API, consumers and outbox relay")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    sub.add_parser("migrate", help="apply the database migrations")
    revision = sub.add_parser("revision", help="write a new migration (autogenerate)")
    revision.add_argument("-m", "--message", required=True)
    dead = sub.add_parser(
        "dead-letters", help="list parked messages, or replay them to the consumer that parked each"
    )
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("ids", nargs="*", type=int, help="ids to replay (default: all)")
    dead.add_argument("--all", action="store_true", help="list replayed ones too")
    sub.add_parser("reseal", help="after a key rotation, re-seal stored values with the active key")
    token = sub.add_parser("token", help="print a signed development token")
    token.add_argument("--sub", default="dev-admin")
    token.add_argument("--role", default="platform_admin", choices=sorted(ROLE_RANK))
    token.add_argument("--org", default="000000000000")
    token.add_argument("--hours", type=float, default=12)
    return parser


async def _dead_letters(settings: ServiceSettings, action: str, ids: list[int], every: bool) -> int:
    db = Database(settings.database_url)
    try:
        if action == "list":
            for row in await list_dead_letters(db, include_replayed=every):
                print(json.dumps(row, default=str, ensure_ascii=False))
            return 0
        count = await request_replay(db, ids or None)
        print(
            f"{count} message(s) handed back to the consumer that parked each; "
            "the running service applies them within seconds (see `dead-letters list --all`)"
        )
        return 0
    finally:
        await db.dispose()


async def _reseal(spec: ServiceSpec, settings: ServiceSettings) -> int:
    if spec.sealed is None:
        print(f"{spec.name} seals nothing", file=sys.stderr)
        return 2
    ring, columns = spec.sealed(settings)
    db = Database(settings.database_url)
    try:
        changed = await reseal_columns(db, ring, columns)
    finally:
        await db.dispose()
    for column, count in changed.items():
        print(f"{column}: {count} value(s) re-sealed with key {ring.active_key_id!r}")
    return 0


def server_config(app: FastAPI, settings: ServiceSettings, **overrides: Any) -> uvicorn.Config:
    """How `serve` runs the app under uvicorn."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        # The client address is the kit's to find (proxies.py): uvicorn would believe
        # X-Forwarded-For from any loopback peer.
        "proxy_headers": False,
        **overrides,
    }
    return uvicorn.Config(app, **options)


def run(spec: ServiceSpec, argv: list[str] | None = None) -> int:
    """Entry point of `python -m grassroots.<service>`."""
    args = _parser(spec.name).parse_args(argv)
    settings = spec.settings_factory()
    configure_logging(spec.name, settings.log_level, as_json=settings.log_json)
    if args.command == "migrate" or (args.command == "serve" and args.migrate):
        spec.migrate(settings)
        if args.command == "migrate":
            print(f"{spec.name}: database is at the newest revision")
            return 0
    if args.command == "serve":
        app = spec.app_factory(settings)
        uvicorn.Server(server_config(app, settings)).run()
        return 0
    if args.command == "revision":
        from alembic import command

        config = migrate.alembic_config(settings.database_url, spec.versions_dir, spec.metadata_ref)
        first = not any(spec.versions_dir.glob("*.py"))
        spec.migrate(settings)
        command.revision(
            config,
            message=args.message,
            autogenerate=True,
            head="base" if first else f"{spec.name}@head",
            branch_label=spec.name if first else None,
            version_path=str(spec.versions_dir),
        )
        return 0
    if args.command == "dead-letters":
        return asyncio.run(_dead_letters(settings, args.action, args.ids, args.all))
    if args.command == "reseal":
        return asyncio.run(_reseal(spec, settings))
    if args.command == "token":
        print(
            issue_token(
                settings.jwt_secret,
                sub=args.sub,
                role=args.role,
                org=args.org,
                ttl=timedelta(hours=args.hours),
            )
        )
        return 0
    print(f"unknown command {args.command}", file=sys.stderr)
    return 2
