"""Generate the AsyncAPI 3.0 document describing every subject and message."""

from __future__ import annotations

import json
import sys
from typing import Any

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.streams import STREAM_BY_DOMAIN

AREA_PARAMETERS = {
    "pp": "province digits (2)",
    "cc": "city digits (2, 00 when absent)",
    "dd": "county digits (2, 00 when absent)",
    "ttt": "township digits (3, 000 when absent)",
    "vvv": "village digits (3, 000 when absent)",
}
SCHEMAS = "#/components/schemas/"
ENVELOPE = "CloudEvent"
NATS_BINDING = {"nats": {"bindingVersion": "0.1.0"}}


def _lift(schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move a schema's nested `$defs` into `components/schemas`, where its `$ref`s point."""
    for name, nested in schema.pop("$defs", {}).items():
        if into.setdefault(name, nested) != nested:
            raise ValueError(f"two different schemas are both named {name}")
    return schema


def _schema(model: Any, into: dict[str, Any]) -> dict[str, Any]:
    generated = model.model_json_schema(mode="serialization", ref_template=SCHEMAS + "{model}")
    return _lift(generated, into)


def _envelope_schema(into: dict[str, Any]) -> dict[str, Any]:
    envelope = _schema(CloudEvent, into)
    envelope["description"] = (
        "A CloudEvents 1.0 event in structured JSON mode: the attributes and the event's "
        "`data` in one JSON object. Grassroots adds the extensions areacode (the 12-digit "
        "area the event belongs to), correlationid, causationid and actor."
    )
    return envelope


def build_document() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    schemas[ENVELOPE] = _envelope_schema(schemas)
    for event_type, model in sorted(REGISTRY.items()):
        key = event_type.replace(".", "_")
        address = f"gr.{model.DOMAIN}.v1.{model.NAME}." + ".".join(
            "{" + p + "}" for p in AREA_PARAMETERS
        )
        stream = STREAM_BY_DOMAIN[model.DOMAIN]
        schemas[key] = _schema(model, schemas)
        messages[key] = {
            "name": event_type,
            "title": (model.__doc__ or event_type).strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "headers": {"$ref": SCHEMAS + "NatsHeaders"},
            "payload": {
                "allOf": [
                    {"$ref": SCHEMAS + ENVELOPE},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": event_type},
                            "data": {"$ref": SCHEMAS + key},
                        },
                    },
                ]
            },
        }
        channels[key] = {
            "address": address,
            "description": f"Stream {stream.name}."
            + (" Private: notifications service only." if model.PERSONAL else ""),
            "servers": [{"$ref": "#/servers/nats"}],
            "parameters": {p: {"description": d} for p, d in AREA_PARAMETERS.items()},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": NATS_BINDING,
        }
    schemas["NatsHeaders"] = {
        "type": "object",
        "properties": {
            "Nats-Msg-Id": {
                "type": "string",
                "description": "Equals the CloudEvent id: JetStream drops a re-publish.",
            }
        },
        "required": ["Nats-Msg-Id"],
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Grassroots events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 (structured JSON) on area-coded NATS JetStream "
            "subjects gr.<domain>.v1.<event>.<pp>.<cc>.<dd>.<ttt>.<vvv>; the `data` of each "
            "message follows the schema named here. Nats-Msg-Id equals the event id.",
        },
        "servers": {
            "nats": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The deployment's NATS JetStream (GR_NATS_URL); every service "
                "publishes through its transactional outbox.",
            }
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def main() -> int:
    """Print the document as JSON."""
    json.dump(build_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
