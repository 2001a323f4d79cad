"""`python -m grassroots.requests serve|migrate|dead-letters|token`."""

from grassroots.kit.cli import run
from grassroots.requests.main import SPEC


def main() -> None:
    """Run the command line."""
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
