"""Run the benchmarks: `python -m bench [NAME ...]` (all by default)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench import foundation, notifications

SUITES = {"foundation": foundation.run, "notifications": notifications.run}


def main() -> int:
    """Run the chosen suites one after the other; each prints `name=value` lines."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", help=f"any of {sorted(SUITES)}")
    args = parser.parse_args()
    for name in args.suites or list(SUITES):
        print(f"# suite {name}", flush=True)
        asyncio.run(SUITES[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
