"""Grassroots public contract: area codes, subjects, streams, CloudEvents and event models."""

from grassroots.contracts.area import ROOT_AREA, AreaCode, Tier, area_tier, is_within
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.subjects import area_filter_subject, event_subject, parse_subject

__all__ = [
    "ROOT_AREA",
    "AreaCode",
    "CloudEvent",
    "EventData",
    "Tier",
    "area_filter_subject",
    "area_tier",
    "event_subject",
    "is_within",
    "parse_subject",
]
