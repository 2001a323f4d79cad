"""`make run` on embedded defaults: all four services ready, the demo loaded once, a clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from grassroots.kit.testing.servers import free_port, port_is_free

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["portal", "members", "requests", "notifications", "evaluation"]


def ready(port: int) -> bool:
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def run_once(env: dict[str, str], log: Path, ports: dict[str, int]) -> str:
    """Start `make run`, wait for the four services, press Ctrl-C, return what it printed."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while "press Ctrl-C to stop" not in log.read_text(errors="replace"):
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.3)
            assert all(ready(p) for p in ports.values())
            # Ctrl-C at a terminal reaches the whole foreground process group.
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return log.read_text(errors="replace")


@pytest.mark.timeout(900)  # two full starts; on a busy 2-core machine each takes minutes
def test_make_run_starts_everything_loads_the_demo_once_and_stops_cleanly(tmp_path: Path) -> None:
    nats_port = free_port()
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "GR_VAR_DIR": str(tmp_path / "var"),
        "GR_NATS_URL": f"nats://127.0.0.1:{nats_port}",
        **{f"GR_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    first = run_once(env, tmp_path / "first.log", ports)
    assert f"starting nats-server -js on 127.0.0.1:{nats_port}" in first
    created = re.search(r"(\d+) organisation units created, (\d+) already there", first)
    assert created, first
    assert int(created.group(1)) > 0
    assert "stopped" in first
    lines = [line for line in first.splitlines() if "http://127.0.0.1:" in line]
    assert lines[0].startswith("[grassroots] portal"), first  # the front door comes first
    admin = re.search(r"admin / (\S+)", first)
    assert admin, first
    kept = tmp_path / "var" / "portal" / "admin-password"
    assert kept.read_text().strip() == admin.group(1) and kept.stat().st_mode & 0o077 == 0
    assert re.findall(r"jidong-(admin|cadre|viewer|member) .*password: \S+", first)
    assert len(re.findall(r"password: \S+", first)) == 4
    for port in [nats_port, *ports.values()]:
        assert port_is_free(port), f"port {port} still bound after Ctrl-C"
    leftovers = subprocess.run(
        ["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert leftovers == [], "processes left behind"

    second = run_once(env, tmp_path / "second.log", ports)
    again = re.search(r"(\d+) organisation units created, (\d+) already there", second)
    assert again, second
    assert (int(again.group(1)), int(again.group(2))) == (0, int(created.group(1)))
    # Passwords are printed once: the second run names only where they are kept.
    assert admin.group(1) not in second and "password: " not in second
    for port in [nats_port, *ports.values()]:
        assert port_is_free(port)
