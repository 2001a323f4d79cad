"""`python -m grassroots.evaluation serve|migrate|dead-letters|token`."""

from grassroots.evaluation.main import SPEC
from grassroots.kit.cli import run


def main() -> None:
    """Run the command line."""
    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
