"""Browser tests' harness: the whole platform as `make run` starts it, driven by headless Chromium.

The platform runs from scripts/run.py on free ports with a throwaway var/ (SQLite, the
`make run` default) or on the harness's PostgreSQL; Playwright drives Debian's Chromium
(`/usr/bin/chromium`, or GR_CHROMIUM). Every page a test looks at is also written as a
PNG under var/screenshots/ (kept out of git) at a phone and a desktop viewport.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from grassroots.kit.testing.servers import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[6]
SHOTS = ROOT / "var" / "screenshots"
SERVICES = ["portal", "members", "requests", "notifications", "evaluation"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """Debian's Chromium (or GR_CHROMIUM)."""
    for candidate in (os.environ.get("GR_CHROMIUM"), "/usr/bin/chromium", "chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@dataclass
class Platform:
    """A running platform: its URLs, the demo accounts' passwords, its log."""

    backend: str
    ports: dict[str, int]
    passwords: dict[str, str]
    log: Path
    var_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def portal(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def api_token(self, username: str) -> str:
        """An access token of a demo account, through the portal's sign-in API."""
        answer = httpx.post(
            f"{self.portal}/v1/auth/login",
            json={"username": username, "password": self.passwords[username]},
            timeout=30,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def start_platform(
    backend: str, tmp: Path, postgres: PostgresServer | None
) -> tuple[subprocess.Popen[bytes], Platform]:
    ports = {name: free_port() for name in SERVICES}
    var_dir = tmp / "var"
    env = {
        **os.environ,
        "GR_VAR_DIR": str(var_dir),
        "GR_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        "GR_LOG_JSON": "false",
        **{f"GR_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    databases: dict[str, str] = {}
    if postgres is not None:
        for name in SERVICES:
            database = f"browser_{name}_{ports[name]}"
            subprocess.run(
                [
                    str(postgres.bindir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(postgres.port),
                    "-U",
                    "postgres",
                    database,
                ],
                check=True,
            )
            env[f"GR_{name.upper()}_DATABASE_URL"] = postgres.url(database)
            databases[name] = postgres.dsn(database)
    log = tmp / "platform.log"
    out = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 420
    while "press Ctrl-C to stop" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_platform(process)
            raise RuntimeError(
                "the platform did not start:\n" + log.read_text(errors="replace")[-4000:]
            )
        time.sleep(0.5)
    text = log.read_text(errors="replace")
    passwords = dict(re.findall(r"(jidong-\w+) .*password: (\S+)", text))
    admin = re.search(r"admin / (\S+)", text)
    if admin:
        passwords["admin"] = admin.group(1)
    return process, Platform(backend, ports, passwords, log, var_dir, {"databases": databases})


def stop_platform(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Shots:
    """Writes a PNG of a page at the viewport it is shown at, named after the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str) -> Path:
        size = page.viewport_size or {}
        kind = "phone" if size.get("width", 0) < 600 else "desktop"
        path = self.folder / f"{name}-{kind}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def new_page(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    """A fresh browser context (its own cookies) at a viewport, Chinese first."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    context.set_default_timeout(30_000)
    return context.new_page()


def sign_in(page: Any, platform: Platform, username: str) -> None:
    """Sign in through the login form."""
    page.goto(f"{platform.portal}/login")
    page.fill("#username", username)
    page.fill("#password", platform.passwords[username])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/work.*"))
