"""`make deploy-check` notices what the Kubernetes manifests must not lose."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy_check.py"


@pytest.fixture(scope="module")
def check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def base(check: ModuleType) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = check.render_in_python(check.K8S)
    return objects


def nats_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == "StatefulSet")


def test_the_base_passes_schemas_and_rules(check: ModuleType, base: list[dict[str, Any]]) -> None:
    assert check.validate(base) == []
    assert check.platform_rules(base) == []
    assert check.same_nats_config() == []


def test_losing_anti_affinity_volumes_or_a_budget_is_reported(
    check: ModuleType, base: list[dict[str, Any]]
) -> None:
    broken = copy.deepcopy(base)
    nats = nats_of(broken)
    del nats["spec"]["template"]["spec"]["affinity"]
    del nats["spec"]["volumeClaimTemplates"]
    nats["spec"]["replicas"] = 1
    broken = [o for o in broken if o["kind"] != "PodDisruptionBudget"]
    problems = check.platform_rules(broken)
    assert "NATS must run three replicas" in problems
    assert "NATS pods need required anti-affinity (one per node)" in problems
    assert "NATS JetStream needs persistent volumes" in problems
    assert "requests: no PodDisruptionBudget" in problems


def test_an_unknown_field_fails_the_schema(check: ModuleType, base: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(base)
    nats_of(broken)["spec"]["replica"] = 3
    assert any("StatefulSet/nats" in e for e in check.validate(broken))
