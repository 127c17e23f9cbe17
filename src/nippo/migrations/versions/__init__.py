"""Alembic revisions of nippo."""
