"""The HTTP API of the requests service: one router per resource, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.orgtree import replica_router
from grassroots.requests.entrypoints.http import (
    attachments,
    calendar,
    catalog,
    catalog_files,
    citizens,
    cohandling,
    duplicates,
    handling,
    open311,
    requests,
    visits,
)

# In the order the app matches them: a spreadsheet's path under /v1/catalog comes before the
# items' `/v1/catalog/{county}/{code}`.
BEFORE_REPLICA = (catalog_files, catalog, requests, handling, citizens, calendar)
AFTER_REPLICA = (visits, cohandling, duplicates, attachments, open311)


def api_routers() -> list[APIRouter]:
    """Every router of the service, with the replica of the org tree, side by side.

    They are included one by one rather than nested: FastAPI matches a path once per level.
    """
    return [
        *(resource.router for resource in BEFORE_REPLICA),
        replica_router(),
        *(resource.router for resource in AFTER_REPLICA),
    ]
