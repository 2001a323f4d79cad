"""`python -m grassroots.evaluation serve|migrate|rebuild|dead-letters|token`."""

from __future__ import annotations

import asyncio
import sys

from grassroots.evaluation.config import EvaluationSettings
from grassroots.kit.db import Database
from grassroots.kit.logs import configure_logging


async def _rebuild(settings: EvaluationSettings) -> None:
    from grassroots.evaluation.service.rebuild import rebuild

    db = Database(settings.database_url)
    try:
        report = await rebuild(
            db,
            settings.nats_url,
            area_filter=settings.area_filter,
            response_limit_seconds=settings.response_limit_seconds,
        )
    finally:
        await db.dispose()
    print(f"evaluation: rebuilt from {report.events} events in {report.seconds:.1f}s")


def main() -> None:
    """Run the command line; `rebuild` drops the read models and replays the streams."""
    if sys.argv[1:2] == ["rebuild"]:
        settings = EvaluationSettings()
        configure_logging("evaluation", settings.log_level, as_json=settings.log_json)
        asyncio.run(_rebuild(settings))
        raise SystemExit(0)
    from grassroots.evaluation.main import SPEC
    from grassroots.kit.cli import run

    raise SystemExit(run(SPEC))


if __name__ == "__main__":
    main()
