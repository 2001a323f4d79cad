"""`python -m grassroots.portal serve|migrate|dead-letters|token`."""

from grassroots.kit.cli import run
from grassroots.portal.main import SPEC


def main() -> None:
    """Run the command line."""
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
