"""Where logs come from: local files (plain or gzip), RDS log files, a CloudWatch log group.

Each source is a name plus an iterator of byte chunks, so the parsers never
hold a whole log: a local file is read 4 MiB at a time (gzip by its magic
bytes, whatever the name), an RDS log file one `DownloadDBLogFilePortion`
page at a time (following `Marker` while `AdditionalDataPending`), and a
CloudWatch log group one `FilterLogEvents` page at a time (following
`nextToken`, limited to the --since/--until range on the server side).

RDS writes one log file per hour (`slowquery/mysql-slowquery.log.<date>.<hour>`,
`error/postgresql.log.<date>-<hour>`); without file names we list them with
`DescribeDBLogFiles` and keep those written since --since. CloudWatch keeps
one event per slow-log entry (MySQL/MariaDB) or per log line (PostgreSQL);
joining the messages with newlines gives back the file's text.

AWS clients come from boto3 with the region of dbtier's settings
(`DBTIER_AWS_REGION`) and boto3's own credential chain, like the rest of dbtier.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtier.errors import UsageError

CHUNK_BYTES = 4 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class LogSource:
    """A named log and how to read it as byte chunks (each call reads it afresh).

    `plain_file` is set for an uncompressed local file: one that can be read in
    byte ranges (`range_chunks`), so several processes can share its parsing.
    """

    name: str
    open_chunks: Callable[[], Iterator[bytes]]
    plain_file: Path | None = None


def range_chunks(path: Path, start: int, end: int) -> Iterator[bytes]:
    """Bytes `start` to `end` of a plain file, in chunks of at most CHUNK_BYTES."""
    with path.open("rb") as raw:
        raw.seek(start)
        left = end - start
        while left > 0 and (chunk := raw.read(min(CHUNK_BYTES, left))):
            left -= len(chunk)
            yield chunk


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == _GZIP_MAGIC


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        if raw.read(2) != _GZIP_MAGIC:
            raw.seek(0)
            while chunk := raw.read(CHUNK_BYTES):
                yield chunk
            return
        raw.seek(0)
        yield from _gzip_chunks(gzip.GzipFile(fileobj=raw), path)


def _gzip_chunks(stream: gzip.GzipFile, path: Path) -> Iterator[bytes]:
    """Decompressed chunks; a stream cut short yields what it had, then says so."""
    pending: list[bytes] = []
    size = 0
    try:
        while piece := stream.read1(CHUNK_BYTES):
            pending.append(piece)
            size += len(piece)
            if size >= CHUNK_BYTES:
                yield b"".join(pending)
                pending, size = [], 0
    except (OSError, EOFError) as exc:
        if pending:
            yield b"".join(pending)
        raise TruncatedInput(f"{path}: {exc}") from exc
    if pending:
        yield b"".join(pending)


class TruncatedInput(Exception):
    """A compressed input ended early; the digest keeps what came before."""


def local_file(path: Path) -> LogSource:
    """A log file on disk, plain or gzip."""
    if not path.is_file():
        raise UsageError(f"{path}: no such log file")
    plain = None if _is_gzip(path) else path
    return LogSource(str(path), lambda: _file_chunks(path), plain)


def _rds_file_chunks(client: Any, instance: str, name: str) -> Iterator[bytes]:
    marker = "0"
    while True:
        page = client.download_db_log_file_portion(
            DBInstanceIdentifier=instance, LogFileName=name, Marker=marker
        )
        data = page.get("LogFileData") or ""
        if data:
            yield data.encode("utf-8", "surrogateescape")
        if not page.get("AdditionalDataPending"):
            return
        next_marker = page.get("Marker")
        if not next_marker or next_marker == marker:
            return
        marker = next_marker


def rds_log_files(
    client: Any, instance: str, contains: str, since_ms: int | None
) -> list[tuple[str, int]]:
    """(name, last written ms) of the instance's log files whose name contains `contains`."""
    files: list[tuple[str, int]] = []
    request: dict[str, Any] = {"DBInstanceIdentifier": instance, "FilenameContains": contains}
    if since_ms is not None:
        request["FileLastWritten"] = since_ms
    while True:
        page = client.describe_db_log_files(**request)
        files.extend(
            (entry["LogFileName"], int(entry.get("LastWritten", 0)))
            for entry in page.get("DescribeDBLogFiles", [])
        )
        if not page.get("Marker"):
            break
        request["Marker"] = page["Marker"]
    return sorted(files, key=lambda item: (item[1], item[0]))


def rds_sources(
    client: Any, instance: str, names: list[str], contains: str, since_ms: int | None
) -> list[LogSource]:
    """One source per RDS log file: the named ones, or those listed since --since."""
    if not names:
        names = [name for name, _ in rds_log_files(client, instance, contains, since_ms)]
        if not names:
            raise UsageError(
                f"RDS instance {instance!r} has no log file containing {contains!r}"
                + (" written in the time range" if since_ms is not None else "")
                + "; is the log enabled (slow_query_log / log_min_duration_statement)?"
            )
    return [
        LogSource(
            f"rds:{instance}/{name}",
            lambda name=name: _rds_file_chunks(client, instance, name),  # type: ignore[misc]
        )
        for name in names
    ]


def _cloudwatch_chunks(
    client: Any, group: str, start_ms: int | None, end_ms: int | None
) -> Iterator[bytes]:
    request: dict[str, Any] = {"logGroupName": group}
    if start_ms is not None:
        request["startTime"] = start_ms
    if end_ms is not None:
        request["endTime"] = end_ms - 1  # FilterLogEvents includes endTime; --until does not
    while True:
        page = client.filter_log_events(**request)
        messages = [event["message"] for event in page.get("events", [])]
        if messages:
            text = "\n".join(message.rstrip("\n") for message in messages) + "\n"
            yield text.encode("utf-8", "surrogateescape")
        token = page.get("nextToken")
        if not token or token == request.get("nextToken"):
            return
        request["nextToken"] = token


def cloudwatch_source(
    client: Any, group: str, start_ms: int | None, end_ms: int | None
) -> LogSource:
    """The events of a CloudWatch log group in a time range, as one log."""
    return LogSource(
        f"cloudwatch:{group}", lambda: _cloudwatch_chunks(client, group, start_ms, end_ms)
    )


def aws_client(service: str, region: str) -> Any:
    """A boto3 client in dbtier's region, with boto3's credential chain."""
    import boto3

    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


__all__ = [
    "CHUNK_BYTES",
    "LogSource",
    "TruncatedInput",
    "aws_client",
    "cloudwatch_source",
    "local_file",
    "range_chunks",
    "rds_log_files",
    "rds_sources",
]
