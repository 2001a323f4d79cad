"""Run a service's Alembic history (its own branch plus the kit's branch)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

KIT_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, service_versions: Path, metadata_ref: str) -> Config:
    """Alembic config: the kit's env, the kit's and the service's version folders."""
    config = Config()
    config.set_main_option("script_location", str(KIT_MIGRATIONS))
    config.set_main_option("version_locations", f"{KIT_MIGRATIONS / 'versions'} {service_versions}")
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("grassroots_metadata", metadata_ref)
    return config


def upgrade(database_url: str, service_versions: Path, metadata_ref: str) -> None:
    """Bring the database to the newest revision of every branch (blocking; not in a loop)."""
    command.upgrade(alembic_config(database_url, service_versions, metadata_ref), "heads")
