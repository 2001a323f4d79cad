"""Generate the AsyncAPI 3.0 document describing every subject and message."""

from __future__ import annotations

import json
import sys
from typing import Any

from grassroots.contracts.events import REGISTRY
from grassroots.contracts.streams import STREAM_BY_DOMAIN

AREA_PARAMETERS = {
    "pp": "province digits (2)",
    "cc": "city digits (2, 00 when absent)",
    "dd": "county digits (2, 00 when absent)",
    "ttt": "township digits (3, 000 when absent)",
    "vvv": "village digits (3, 000 when absent)",
}


def build_document() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in sorted(REGISTRY.items()):
        key = event_type.replace(".", "_")
        address = f"gr.{model.DOMAIN}.v1.{model.NAME}." + ".".join(
            "{" + p + "}" for p in AREA_PARAMETERS
        )
        stream = STREAM_BY_DOMAIN[model.DOMAIN]
        messages[key] = {
            "name": event_type,
            "title": (model.__doc__ or event_type).strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "payload": {"$ref": f"#/components/schemas/{key}"},
        }
        channels[key] = {
            "address": address,
            "description": f"Stream {stream.name}."
            + (" Private: notifications service only." if model.PERSONAL else ""),
            "parameters": {p: {"description": d} for p, d in AREA_PARAMETERS.items()},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
        }
    schemas = {
        event_type.replace(".", "_"): model.model_json_schema(
            mode="serialization", ref_template="#/components/schemas/{model}"
        )
        for event_type, model in sorted(REGISTRY.items())
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
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def main() -> int:
    """Print the document as JSON."""
    json.dump(build_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
