"""What the Open311 GeoReport v2 operations answer and take, for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Open311Error(BaseModel):
    """One entry of the specification's error array."""

    code: int
    description: str


class Open311Service(BaseModel):
    """One catalogue item as a GeoReport service."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311Attribute(BaseModel):
    """An extra typed question of a service."""

    model_config = ConfigDict(extra="allow")

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[Any]


class Open311ServiceDefinition(BaseModel):
    """A service's attributes."""

    service_code: str
    attributes: list[Open311Attribute]


class Open311Created(BaseModel):
    """The answer to a new service request."""

    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Open311ServiceRequest(BaseModel):
    """A service request as GeoReport shows it (personal details only to their author)."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


# JSON or XML by the path's extension; XML carries the same fields as elements.
XML = {"text/xml": {"schema": {"type": "string"}}}


def answers(status: int, body: Any) -> dict[int | str, dict[str, Any]]:
    """`responses=` of an Open311 operation: its body and the specification's error array."""
    declared: dict[int | str, dict[str, Any]] = {
        status: {"description": "Success", "model": body, "content": XML}
    }
    for code in (400, 401, 403, 404, 409, 429):
        declared[code] = {
            "description": "Open311 errors",
            "model": list[Open311Error],
            "content": XML,
        }
    return declared


NEW_REQUEST_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["jurisdiction_id", "service_code"],
                    "properties": {
                        name: {"type": "string"}
                        for name in (
                            "jurisdiction_id",
                            "service_code",
                            "description",
                            "lat",
                            "long",
                            "address_string",
                            "address_id",
                            "first_name",
                            "last_name",
                            "phone",
                            "email",
                            "device_id",
                            "account_id",
                            "media_url",
                        )
                    },
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }
}
