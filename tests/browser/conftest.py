"""Browser tests: the whole platform as `make run` starts it, driven by headless Chromium.

See grassroots.kit.testing.browser for how it starts; screenshots go to var/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from grassroots.kit.testing.browser import (
    CHROMIUM_ARGS,
    SHOTS,
    Platform,
    Shots,
    chromium_path,
    start_platform,
    stop_platform,
)
from grassroots.kit.testing.servers import PostgresServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test (make test runs them in a process of their own)."""
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The platform on the `make run` default (SQLite), then on PostgreSQL."""
    if chromium_path() is None:
        pytest.fail("no Chromium: install Debian's chromium and chromium-driver (.ci/run does)")
    postgres: PostgresServer | None = None
    if request.param == "postgres":
        postgres = request.getfixturevalue("postgres_server")
    process, running = start_platform(
        request.param, tmp_path_factory.mktemp(request.param), postgres
    )
    try:
        yield running
    finally:
        stop_platform(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, platform: Platform) -> Shots:
    """Screenshots of this test under var/screenshots/<backend>/<test>/."""
    return Shots(SHOTS / platform.backend / request.node.originalname)
