"""gp3 emulation: hold a throwaway server's I/O to the volume's IOPS and throughput.

RDS gp3 storage serves 3,000 IOPS and 125 MiB/s at baseline (12,000 and
500 MiB/s from 400 GiB). The server is started in a block-I/O cgroup whose
limits on the block device under its data directory are those figures: cgroup
v2 ``io.max`` where the ``io`` controller is enabled for this process's cgroup,
otherwise cgroup v1 ``blkio.throttle.{read,write}_{iops,bps}_device``.
`measure` checks the cap with sysbench fileio (O_DIRECT random reads for
IOPS, 1 MiB sequential reads for throughput) in the same cgroup.

What the kernel throttles: reads (buffered or direct), direct writes and writes
a process issues itself through fsync. Under cgroup v1, dirty pages the
kernel's flusher writes back on its own are not charged to the cgroup (v2
charges them), so background writeback of a buffered-write engine
(PostgreSQL's data files between checkpoints) passes uncapped there; WAL/redo
commits (fsync or O_DIRECT) and InnoDB's O_DIRECT page writes are capped.
Where no cgroup can be made the report says "not emulated" and why.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.params.memory_limit import remove, wrap
from dbtier.params.profile import Storage

_CGROUP_ROOT = Path("/sys/fs/cgroup")
MiB = 1024 * 1024


def gp3_throughput_bytes(storage: Storage) -> int:
    """gp3's baseline throughput for the volume: 125 MiB/s, 500 MiB/s from 400 GiB."""
    return (500 if storage.size_gib >= 400 else 125) * MiB


@dataclass(frozen=True)
class IoLimit:
    """A block-I/O cgroup a server runs in; `procs_file` is None when none could be made."""

    iops: int
    bytes_per_second: int
    device: str  # "major:minor" of the whole disk under the data directory
    procs_file: Path | None
    reason: str

    @property
    def applied(self) -> bool:
        """Whether servers really run under the cap."""
        return self.procs_file is not None

    def describe(self) -> str:
        """One line for the report: the cap and how it is held."""
        cap = f"{self.iops} IOPS, {self.bytes_per_second // MiB} MiB/s"
        if not self.applied:
            return f"gp3 not emulated ({cap} wanted): {self.reason}"
        return f"gp3 emulated: {cap} on device {self.device} via {self.reason}"


def whole_disk(path: Path) -> str:
    """The "major:minor" of the disk holding `path` (a partition's parent disk)."""
    st = path.stat()
    dev = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    sys_dev = Path("/sys/dev/block") / dev
    if (sys_dev / "partition").exists():
        return (sys_dev.resolve().parent / "dev").read_text().strip()
    return dev


def _candidates() -> list[tuple[Path, str]]:
    """(parent cgroup directory, "v1"/"v2") for this process's block-I/O cgroup."""
    found: list[tuple[Path, str]] = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        if "blkio" in controllers.split(","):
            found.append((_CGROUP_ROOT / "blkio" / path.lstrip("/"), "v1"))
        elif hierarchy == "0":
            base = _CGROUP_ROOT / "unified"
            base = base if base.is_dir() else _CGROUP_ROOT
            found.append((base / path.lstrip("/"), "v2"))
    # v2 first: it also charges writeback
    return sorted(found, key=lambda item: item[1] != "v2")


def _limit_lines(version: str, device: str, iops: int, bps: int) -> dict[str, str]:
    if version == "v2":
        return {"io.max": f"{device} riops={iops} wiops={iops} rbps={bps} wbps={bps}"}
    return {
        f"blkio.throttle.{direction}_{kind}_device": f"{device} {value}"
        for direction in ("read", "write")
        for kind, value in (("iops", iops), ("bps", bps))
    }


def create(name: str, data_path: Path, iops: int, bytes_per_second: int) -> IoLimit:
    """A child cgroup `name` capping I/O to the disk under `data_path`, or why there is none."""
    device = whole_disk(data_path)
    reasons: list[str] = []
    for parent, version in _candidates():
        if version == "v2":
            controllers = parent / "cgroup.subtree_control"
            enabled = controllers.read_text().split() if controllers.exists() else []
            if "io" not in enabled:
                reasons.append(f"cgroup v2 {parent}: io controller not enabled")
                continue
        child = parent / name
        try:
            child.mkdir(exist_ok=True)
            for file, line in _limit_lines(version, device, iops, bytes_per_second).items():
                (child / file).write_text(line)
        except OSError as exc:
            reasons.append(f"cgroup {version} {child}: {exc.strerror}")
            with contextlib.suppress(OSError):
                child.rmdir()
            continue
        how = "io.max" if version == "v2" else "blkio.throttle.*_device"
        return IoLimit(iops, bytes_per_second, device, child / "cgroup.procs", f"{how} in {child}")
    return IoLimit(iops, bytes_per_second, device, None, "; ".join(reasons) or "no cgroup")


@dataclass(frozen=True)
class IoCounts:
    """I/O the cgroup's processes issued to the capped device, exited processes included."""

    read_ios: int
    write_ios: int
    read_bytes: int
    write_bytes: int

    def since(self, earlier: IoCounts) -> IoCounts:
        """What was issued between `earlier` and this reading."""
        return IoCounts(
            self.read_ios - earlier.read_ios,
            self.write_ios - earlier.write_ios,
            self.read_bytes - earlier.read_bytes,
            self.write_bytes - earlier.write_bytes,
        )


def counts(limit: IoLimit) -> IoCounts | None:
    """The cgroup's I/O to the capped device so far; None where no cgroup was made.

    These are the requests the cap counts (after the block layer merged neighbours), so a
    timed run's reads per transaction say how many of its IOPS each transaction needs.
    Under cgroup v1 the kernel's own writeback is not in them (see the module's docstring).
    """
    if limit.procs_file is None:
        return None
    cgroup = limit.procs_file.parent
    if (cgroup / "io.stat").exists():  # v2: "<dev> rbytes=… wbytes=… rios=… wios=… …"
        fields: dict[str, int] = {}
        for line in (cgroup / "io.stat").read_text().splitlines():
            device, _, rest = line.partition(" ")
            if device == limit.device:
                fields = {k: int(v) for k, _, v in (f.partition("=") for f in rest.split())}
        return IoCounts(
            fields.get("rios", 0),
            fields.get("wios", 0),
            fields.get("rbytes", 0),
            fields.get("wbytes", 0),
        )

    def v1(file: str) -> dict[str, int]:  # "<dev> Read N", "<dev> Write N", …
        found: dict[str, int] = {}
        for line in (cgroup / file).read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == limit.device:
                found[parts[1]] = int(parts[2])
        return found

    ios, data = v1("blkio.throttle.io_serviced"), v1("blkio.throttle.io_service_bytes")
    return IoCounts(
        ios.get("Read", 0), ios.get("Write", 0), data.get("Read", 0), data.get("Write", 0)
    )


@dataclass(frozen=True)
class CapCheck:
    """What sysbench fileio measured inside the cgroup."""

    random_read_iops: float
    sequential_read_bytes_per_second: float

    def describe(self) -> str:
        return (
            f"measured in the cgroup: {self.random_read_iops:,.0f} IOPS "
            "(16 KiB random reads, O_DIRECT), "
            f"{self.sequential_read_bytes_per_second / MiB:,.0f} MiB/s (1 MiB sequential reads)"
        )


def _fileio(limit: IoLimit, directory: Path, args: list[str]) -> str:
    argv = wrap(
        limit,
        ["sysbench", "fileio", "--file-total-size=256M", "--file-num=1", *args],
    )
    result = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise OSError(f"sysbench fileio failed: {(result.stdout + result.stderr)[-500:]}")
    return result.stdout


def measure(limit: IoLimit, directory: Path, seconds: int = 3) -> CapCheck:
    """Random-read IOPS and sequential-read throughput of `directory`'s disk in the cgroup."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        _fileio(limit, directory, ["prepare"])
        common = [f"--time={seconds}", "--threads=4", "--file-extra-flags=direct"]
        rnd = _fileio(limit, directory, [*common, "--file-test-mode=rndrd", "run"])
        seq = _fileio(
            limit,
            directory,
            [*common, "--file-test-mode=seqrd", "--file-block-size=1048576", "run"],
        )
    finally:
        with contextlib.suppress(OSError):
            _fileio(limit, directory, ["cleanup"])
    reads = re.search(r"reads/s:\s+([\d.]+)", rnd)
    mib = re.search(r"read, MiB/s:\s+([\d.]+)", seq)
    if reads is None or mib is None:
        raise OSError("sysbench fileio printed no read rate")
    return CapCheck(float(reads.group(1)), float(mib.group(1)) * MiB)


__all__ = [
    "CapCheck",
    "IoCounts",
    "IoLimit",
    "counts",
    "create",
    "gp3_throughput_bytes",
    "measure",
    "remove",
    "whole_disk",
    "wrap",
]
