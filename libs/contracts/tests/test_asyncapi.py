"""The AsyncAPI document holds together: every $ref resolves, and AsyncAPI 3.0's rules hold."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from grassroots.contracts.asyncapi import build_document
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.requests import RequestAccepted

COMMITTED = Path(__file__).parents[3] / "docs" / "asyncapi.json"


def refs(node: Any, path: str = "#") -> list[tuple[str, str]]:
    """Every `$ref` in a document, with where it stands."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append((path, node["$ref"]))
        for key, value in node.items():
            found += refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += refs(value, f"{path}/{index}")
    return found


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The node a local JSON pointer names, or KeyError."""
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def dangling(document: dict[str, Any]) -> list[str]:
    """The references that point nowhere."""
    missing = []
    for where, ref in refs(document):
        try:
            resolve(document, ref)
        except (KeyError, IndexError, TypeError):
            missing.append(f"{where}: {ref}")
    return missing


def test_the_checker_finds_a_dangling_reference() -> None:
    document = build_document()
    document["components"]["schemas"].pop("CloudEvent")
    assert dangling(document)


def test_every_reference_in_the_committed_document_resolves() -> None:
    committed = json.loads(COMMITTED.read_text())
    assert dangling(committed) == []
    assert committed == json.loads(json.dumps(build_document())), "run `make docs`"


def test_the_document_follows_asyncapi_3_rules() -> None:
    document = build_document()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    servers = document["servers"]
    assert servers and all(s["host"] and s["protocol"] == "nats" for s in servers.values())
    for key, channel in document["channels"].items():
        named = set(re.findall(r"\{(\w+)\}", channel["address"]))
        assert named == set(channel["parameters"]), key
        assert all(resolve(document, s["$ref"]) in servers.values() for s in channel["servers"])
    for key, operation in document["operations"].items():
        assert operation["action"] in {"send", "receive"}, key
        channel = resolve(document, operation["channel"]["$ref"])
        own = list(channel["messages"].values())
        for message in operation["messages"]:
            # AsyncAPI 3.0: an operation's messages are a subset of its channel's messages.
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/"), key
            assert resolve(document, message["$ref"]) in own, key
        assert operation["bindings"]["nats"]["bindingVersion"] == "0.1.0"


def test_a_published_envelope_matches_its_message_payload() -> None:
    document = build_document()
    resource: Resource[Any] = DRAFT202012.create_resource(document)
    registry: Registry[Any] = Registry().with_resource("urn:asyncapi", resource)
    payload = document["components"]["messages"]["gr_requests_accepted_v1"]["payload"]
    schema = {"$ref": "urn:asyncapi#/components/messages/gr_requests_accepted_v1/payload"}
    assert payload["allOf"]
    data = RequestAccepted(
        version=2,
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        request_id="r-1",
        org_unit_id="u-1",
        area_code="230321100201",
        service_code="dibao-proxy",
        status="accepted",
    )
    event = CloudEvent(
        id="0193a0b0-0000-7000-8000-000000000001",
        source="/grassroots/requests",
        type=data.event_type(),
        subject="r-1",
        data=data.model_dump(mode="json"),
        areacode="230321100201",
    )
    validator = Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    envelope = json.loads(event.to_json_bytes())
    assert list(validator.iter_errors(envelope)) == []
    envelope["data"].pop("request_id")
    assert list(validator.iter_errors(envelope))
    envelope["type"] = "gr.requests.closed.v1"
    assert any("gr.requests.accepted.v1" in e.message for e in validator.iter_errors(envelope))
