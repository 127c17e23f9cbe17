"""The benchmark's revisions, one file per (migration, way); each revises nippo's head 0001.

The harness copies one file at a time into a version directory of its own,
so each run has exactly one pending revision on top of nippo's schema.
"""
