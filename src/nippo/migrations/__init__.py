"""nippo's Alembic migrations, shipped inside the package.

`alembic_config(url)` builds the Config programmatically, so no alembic.ini is
needed at run time; `dbtier migrate run` uses it as its default project.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL

SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(url: URL | str | None = None) -> Config:
    """An Alembic Config for nippo's migrations; `url` becomes `sqlalchemy.url`."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade_to_head(url: URL | str) -> None:
    """Plain `alembic upgrade head` (tests and tools; the migration job adds locking)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


__all__ = ["SCRIPT_LOCATION", "alembic_config", "upgrade_to_head"]
