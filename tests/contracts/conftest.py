"""The four services' apps, built from test settings without starting them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.testing.services import settings_for_tests
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.requests.main import SPEC as REQUESTS

SPECS: dict[str, ServiceSpec] = {
    spec.name: spec for spec in (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION)
}


def build(spec: ServiceSpec, var_dir: Path) -> FastAPI:
    """The service's app over a SQLite file of its own under `var_dir` (not yet migrated)."""
    settings_class: type[ServiceSettings] = spec.settings_factory  # type: ignore[assignment]
    settings = settings_for_tests(
        settings_class,
        var_dir=var_dir,
        nats_url="nats://127.0.0.1:1",
        **{f"{spec.name}_database_url": f"sqlite+aiosqlite:///{var_dir / spec.name}.db"},
    )
    return spec.app_factory(settings)


@pytest.fixture(params=sorted(SPECS))
def service_app(request: pytest.FixtureRequest, tmp_path: Path) -> FastAPI:
    """Each service's app in turn."""
    return build(SPECS[request.param], tmp_path)
