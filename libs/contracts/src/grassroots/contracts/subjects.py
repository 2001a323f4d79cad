"""Area-coded NATS subjects: gr.<domain>.v1.<event>.<pp>.<cc>.<dd>.<ttt>.<vvv>."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.contracts.area import check_area_code, filter_prefix, split_levels

SUBJECT_PREFIX = "gr"
VERSION_TOKEN = "v1"  # noqa: S105 (a subject token, not a secret)


@dataclass(frozen=True)
class ParsedSubject:
    """The parts of an area-coded subject."""

    domain: str
    event: str
    area_code: str


def event_subject(domain: str, event: str, area_code: str) -> str:
    """Build the subject an event of `domain` named `event` is published on."""
    levels = split_levels(check_area_code(area_code))
    return ".".join([SUBJECT_PREFIX, domain, VERSION_TOKEN, event, *levels])


def parse_subject(subject: str) -> ParsedSubject:
    """Parse a subject built by `event_subject`; raise ValueError otherwise."""
    tokens = subject.split(".")
    if len(tokens) != 9 or tokens[0] != SUBJECT_PREFIX or tokens[2] != VERSION_TOKEN:
        raise ValueError(f"not a Grassroots event subject: {subject!r}")
    area_code = check_area_code("".join(tokens[4:]))
    return ParsedSubject(domain=tokens[1], event=tokens[3], area_code=area_code)


def area_filter_subject(domain: str, area_filter: str = "", event: str = "*") -> str:
    """Subject filter for one domain narrowed to a dotted area filter ('' = every area)."""
    filter_prefix(area_filter)  # validates
    head = f"{SUBJECT_PREFIX}.{domain}.{VERSION_TOKEN}.{event}"
    return f"{head}.{area_filter}.>" if area_filter else f"{head}.>"
