"""Business metrics of the members service; labels are bounded (county codes, stages)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

IMPORT_ROWS = Counter(
    "gr_members_import_rows_total",
    "Rows of member imports, by outcome (accepted or rejected).",
    ["outcome"],
)
MEMBERS_BY_STAGE = Gauge(
    "gr_members_members",
    "Active members by county and stage.",
    ["county", "stage"],
)
FLOATING_SHARE = Gauge(
    "gr_members_floating_ratio",
    "Share of a county's active members who are floating (0 to 1).",
    ["county"],
)
PII_READS = Counter(
    "gr_members_pii_reads_total", "Unmasked reads of personal data (each one audited)."
)
