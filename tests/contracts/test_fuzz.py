"""Schemathesis over every operation of the four services, each served on a local port.

`make test` runs a few examples per operation; `make fuzz` sets GR_FUZZ_EXAMPLES higher and
adds the stateful run. Any finding fails: a 5xx, an undocumented status or media type, or a
body that breaks its documented schema.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from grassroots.kit.settings import ServiceSettings
from grassroots.kit.testing.servers import NatsServer, free_port, wait_for_port
from grassroots.kit.testing.services import auth, settings_for_tests

from .conftest import SPECS

pytestmark = pytest.mark.component

EXAMPLES = int(os.environ.get("GR_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ADMIN = auth("platform_admin")


class ServedService:
    """One service's real app under uvicorn on a free local port, in a thread of its own."""

    def __init__(self, name: str, var_dir: Path, nats_url: str) -> None:
        spec = SPECS[name]
        settings_class: type[ServiceSettings] = spec.settings_factory  # type: ignore[assignment]
        url = f"sqlite+aiosqlite:///{var_dir / name}.db"
        settings = settings_for_tests(
            settings_class, var_dir=var_dir, nats_url=nats_url, **{f"{name}_database_url": url}
        )
        spec.migrate(settings)
        self.port = free_port()
        config = uvicorn.Config(
            spec.app_factory(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"fuzz-{name}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedService:
        self.thread.start()
        wait_for_port(self.port)
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServedService]]:
    """All four services, up for the whole module."""
    nats = NatsServer().start()
    var_dir = tmp_path_factory.mktemp("fuzz")
    services = {name: ServedService(name, var_dir, nats.url) for name in SPECS}
    try:
        for service in services.values():
            service.__enter__()
        yield services
    finally:
        for service in services.values():
            service.__exit__()
        nats.close()


def findings_of(name: str, service: ServedService) -> tuple[int, int, list[str]]:
    """Operations run, cases sent and every distinct finding over one service's document."""
    schema = schemathesis.openapi.from_url(f"{service.base_url}/openapi.json")
    operations = cases = 0
    findings: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += _fuzz_operation(name, operation, mode, findings)
    return operations, cases, sorted(findings)


def _fuzz_operation(name: str, operation: Any, mode: GenerationMode, findings: set[str]) -> int:
    """Send one operation's generated cases; add what fails to `findings`; count the cases."""
    sent: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        sent.append(1)
        try:
            case.call_and_validate(headers=ADMIN, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            findings.add(f"{name} {operation.label} [{mode}]: {_first_line(exc)}")

    try:
        run()
    except Unsatisfiable:
        # No parameters and no body: there is nothing to break on purpose.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return len(sent)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " | ".join(line.strip() for line in text.splitlines()[:6] if line.strip())


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_operation_has_a_finding(name: str, served: dict[str, ServedService]) -> None:
    operations, cases, findings = findings_of(name, served[name])
    print(f"fuzz {name}: operations={operations} cases={cases} findings={len(findings)}")
    assert operations > 0 and cases >= operations
    assert not findings, "\n".join(findings)
