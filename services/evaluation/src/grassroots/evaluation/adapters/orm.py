"""Tables of the evaluation service; the kit tables sit beside them in its database."""

from __future__ import annotations

from grassroots.kit.db import new_metadata

metadata = new_metadata()
