"""The deployment files give every service the keys production insists on, in a form it reads.

docker-compose.yml and the Kubernetes manifests run with GR_ENV=production, where members,
requests and notifications refuse to start without their own keys for personal data, and the
portal without its token signing keys and its data keys. These
tests build each service the way those files configure it, and check the files pass every
variable to every container that reads settings (the migrate init containers too).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from grassroots.kit.cli import ServiceSpec
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.portal.main import SPEC as PORTAL
from grassroots.requests.main import SPEC as REQUESTS

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "members": [
        "GR_MEMBERS_ENCRYPTION_KEYS",
        "GR_MEMBERS_ENCRYPTION_KEY_ID",
        "GR_MEMBERS_INDEX_KEY",
    ],
    "requests": ["GR_REQUESTS_DATA_KEY"],
    "notifications": ["GR_NOTIFICATIONS_CONTACT_KEY"],
    "portal": [
        "GR_PORTAL_SIGNING_KEYS",
        "GR_PORTAL_SIGNING_KEY_ID",
        "GR_PORTAL_DATA_KEYS",
        "GR_PORTAL_DATA_KEY_ID",
    ],
}


def new_key() -> str:
    """What the files tell an operator to generate: URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.mark.parametrize("spec", [MEMBERS, REQUESTS, NOTIFICATIONS, PORTAL], ids=lambda s: s.name)
def test_each_service_starts_in_production_with_the_keys_the_files_pass(
    spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GR_ENV", "production")
    # No GR_JWT_SECRET: production verifies the issuer's tokens only (the files set none).
    monkeypatch.delenv("GR_JWT_SECRET", raising=False)
    monkeypatch.setenv("GR_CURSOR_SECRET", new_key())
    monkeypatch.setenv(f"GR_{spec.name.upper()}_DATABASE_URL", "postgresql+asyncpg://u:p@db/x")
    monkeypatch.setenv("GR_NOTIFICATIONS_SMS_GATEWAY_URL", "https://sms.example.org/send")
    # The forms used in docker-compose.yml and deploy/k8s/secret.template.yaml.
    values = {
        "GR_MEMBERS_ENCRYPTION_KEYS": json.dumps({"k1": new_key()}),
        "GR_MEMBERS_ENCRYPTION_KEY_ID": "k1",
        "GR_MEMBERS_INDEX_KEY": new_key(),
        "GR_REQUESTS_DATA_KEY": new_key(),
        "GR_NOTIFICATIONS_CONTACT_KEY": new_key(),
        "GR_PORTAL_SIGNING_KEYS": json.dumps({"k1": new_key()}),
        "GR_PORTAL_SIGNING_KEY_ID": "k1",
        "GR_PORTAL_DATA_KEYS": json.dumps({"k1": new_key()}),
        "GR_PORTAL_DATA_KEY_ID": "k1",
    }
    for name in KEYS[spec.name]:
        monkeypatch.setenv(name, values[name])
    settings = spec.settings_factory()
    assert settings.env == "production"
    spec.app_factory(settings)  # refuses to build with missing or development keys

    for name in KEYS[spec.name]:
        monkeypatch.delenv(name)
    with pytest.raises(ValueError, match=r"(?i)key"):
        spec.app_factory(spec.settings_factory())


@pytest.mark.parametrize("service", sorted(KEYS))
def test_compose_and_kubernetes_pass_the_keys(service: str) -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    block = compose.split(f"\n  {service}:\n", 1)[1].split("\n  \n", 1)[0]
    manifest = (ROOT / "deploy" / "k8s" / service / f"{service}.yaml").read_text()
    template = (ROOT / "deploy" / "k8s" / "secret.template.yaml").read_text()
    assert "GR_JWT_SECRET:" not in compose and "GR_JWT_SECRET\n" not in manifest
    assert re.search(r"^\s+GR_CURSOR_SECRET: ", compose, re.M), "compose lacks GR_CURSOR_SECRET"
    for name in [*KEYS[service], "GR_CURSOR_SECRET"]:
        if name != "GR_CURSOR_SECRET":
            assert re.search(rf"^\s+{name}: ", block, re.M), f"compose {service} lacks {name}"
        # Both the migrate init container and the service container read the settings.
        assert manifest.count(f"- name: {name}\n") == 2, f"k8s {service} lacks {name}"
        secret = re.search(rf"- name: {name}\n.*?key: ([a-z0-9-]+)\}}", manifest, re.S)
        assert secret is not None
        assert f"\n  {secret.group(1)}: " in template
