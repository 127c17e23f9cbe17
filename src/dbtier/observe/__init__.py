"""Observing the running database: slow-query digests from its logs.

`fingerprint` makes pt-query-digest's query classes, `slowlog` and `pglog`
parse MySQL/MariaDB slow logs and PostgreSQL logs as byte streams, `digest`
aggregates per class in bounded memory, `sources` reads files, RDS and
CloudWatch, `run` ties them together and `render` prints the result.
"""

from __future__ import annotations

from dbtier.observe.digest import Digest, QueryClass, top_classes
from dbtier.observe.fingerprint import fingerprint, fingerprint_bytes
from dbtier.observe.run import digest_sources
from dbtier.observe.sources import LogSource, cloudwatch_source, local_file, rds_sources

__all__ = [
    "Digest",
    "LogSource",
    "QueryClass",
    "cloudwatch_source",
    "digest_sources",
    "fingerprint",
    "fingerprint_bytes",
    "local_file",
    "rds_sources",
    "top_classes",
]
