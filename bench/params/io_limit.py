"""gp3 emulation: hold a throwaway server's I/O to the volume's IOPS and throughput.

RDS gp3 storage serves 3,000 IOPS and 125 MiB/s at baseline (12,000 and
500 MiB/s from 400 GiB). The server is started in a block-I/O cgroup whose
limits on the block device under its data directory are those figures: cgroup
v2 ``io.max`` where the ``io`` controller is enabled for this process's cgroup,
otherwise cgroup v1 ``blkio.throttle.{read,write}_{iops,bps}_device``.
`measure` checks the cap with sysbench fileio (O_DIRECT random reads for
IOPS, 1 MiB sequential reads for throughput, random reads and writes together
for the shared budget) in the same cgroup.

gp3 has one budget: its 3,000 IOPS and 125 MiB/s are for reads and writes
together. The kernel caps each direction on its own (v1 and v2 alike), so
`SharedBudget` holds the sum: every 100 ms it reads what the cgroup issued and
splits the budget again between the two directions (`next_caps`) as one queue
would (max-min): a direction that did not use its cap keeps its use with some
headroom, one that did gets the rest, two that did get half each. A transaction
that needs more writes then leaves fewer IOPS for reads, as on the volume. It
also lifts the caps for 100 ms when the kernel's throttle stalls (`STALL_S`).
Without it (`--gp3-split`, the runs before session 13) reads and writes each
had the whole budget.

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
import json
import math
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, replace
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
    version: str = ""  # "v1" or "v2": which cgroup files hold the caps
    shared: bool = False  # reads and writes share the budget (SharedBudget holds it)

    @property
    def applied(self) -> bool:
        """Whether servers really run under the cap."""
        return self.procs_file is not None

    def describe(self) -> str:
        """One line for the report: the cap and how it is held."""
        cap = f"{self.iops} IOPS, {self.bytes_per_second // MiB} MiB/s"
        if not self.applied:
            return f"gp3 not emulated ({cap} wanted): {self.reason}"
        split = (
            "one budget for reads and writes, re-split every "
            f"{SHARE_INTERVAL_S * 1000:.0f} ms by use"
            if self.shared
            else "each of reads and writes capped alone (--gp3-split)"
        )
        return f"gp3 emulated: {cap} ({split}) on device {self.device} via {self.reason}"

    def set_caps(self, caps: Caps, before: Caps | None = None) -> None:
        """Write `caps` to the cgroup (the kernel applies them to I/O from now on).

        With `before` (the caps in force), only the files whose line changes are written.
        """
        if self.procs_file is None:
            return
        old = {} if before is None else _limit_lines(self.version, self.device, before)
        for file, line in _limit_lines(self.version, self.device, caps).items():
            if old.get(file) != line:
                (self.procs_file.parent / file).write_text(line)

    def blocked(self) -> bool:
        """Whether a thread in the cgroup sleeps uninterruptibly (state D: waiting on I/O)."""
        if self.procs_file is None:
            return False
        tasks = self.procs_file.parent / ("tasks" if self.version == "v1" else "cgroup.threads")
        try:
            tids = tasks.read_text().split()
        except OSError:
            return False
        for tid in tids:
            try:
                stat = Path(f"/proc/{tid}/stat").read_text()
            except OSError:  # ended meanwhile
                continue
            if stat[stat.rindex(")") + 2 :].startswith("D"):
                return True
        return False


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


@dataclass(frozen=True)
class Caps:
    """One cap per direction and kind, as the kernel holds them."""

    read_iops: int
    write_iops: int
    read_bps: int
    write_bps: int

    @classmethod
    def each(cls, iops: int, bps: int) -> Caps:
        """The whole budget for each direction (the caps before any split)."""
        return cls(iops, iops, bps, bps)


NO_CAPS = Caps(0, 0, 0, 0)  # no limit in either direction (what `_limit_lines` writes for 0)


def _limit_lines(version: str, device: str, caps: Caps) -> dict[str, str]:
    if version == "v2":

        def v2(value: int) -> str:
            return str(value) if value > 0 else "max"

        return {
            "io.max": f"{device} riops={v2(caps.read_iops)} wiops={v2(caps.write_iops)} "
            f"rbps={v2(caps.read_bps)} wbps={v2(caps.write_bps)}"
        }
    return {
        "blkio.throttle.read_iops_device": f"{device} {caps.read_iops}",
        "blkio.throttle.write_iops_device": f"{device} {caps.write_iops}",
        "blkio.throttle.read_bps_device": f"{device} {caps.read_bps}",
        "blkio.throttle.write_bps_device": f"{device} {caps.write_bps}",
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
            caps = Caps.each(iops, bytes_per_second)
            for file, line in _limit_lines(version, device, caps).items():
                (child / file).write_text(line)
        except OSError as exc:
            reasons.append(f"cgroup {version} {child}: {exc.strerror}")
            with contextlib.suppress(OSError):
                child.rmdir()
            continue
        how = "io.max" if version == "v2" else "blkio.throttle.*_device"
        return IoLimit(
            iops, bytes_per_second, device, child / "cgroup.procs", f"{how} in {child}", version
        )
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


# -- one budget for both directions ---------------------------------------------------------

SHARE_INTERVAL_S = 0.1  # how often SharedBudget splits the budget again
SHARE_FLOOR = 0.05  # the least share of the budget a direction is left, so none starves
HUNGRY = 0.9  # a direction that used this share of its cap or more may want more than it had
HEADROOM = 1.2  # a satisfied direction's cap over its recent use, so it is not held back
PRESSURE = 0.8  # use at this share of the budget or more, and more asked: the volume is the bound
GAIN_RANGE = (0.5, 1.5)  # how far the caps' sum may move off the budget to hold the use to it
# No request issued for this long while a thread of the cgroup waits on I/O: the throttle
# holds it. Seen on Linux 6.18 (cgroup v1) under PostgreSQL: the checkpointer's and a
# backend's fsync waited minutes with the caps at the whole budget and nothing issued,
# and went on at once when the caps were lifted. A real stall of the volume is unaffected.
# Under load no 0.3 s passes without a request, so a gap this long is the throttle's.
STALL_S = 0.3
# A cap is written again only when it moves this share of its budget or more: each write
# re-times the requests the throttle holds, and small moves change nothing that matters.
REWRITE_STEP = 0.05
# A direction's cap rising from below this share of the budget is lifted for an instant
# first: the stalls above began with a request queued at such a cap (a write at the floor
# beside reads), which the raise did not release. The held requests are few at a low cap.
RELEASE_BELOW = 0.25


@dataclass(frozen=True)
class Split:
    """What `next_caps` carries from one interval to the next, for one kind (IOPS or bytes)."""

    reads: float = 0.0  # recent use per second (averaged with the interval before)
    writes: float = 0.0
    gain: float = 1.0
    read_cap: float = 0.0  # the caps in force (0: none set yet, each had the whole budget)
    write_cap: float = 0.0


def next_caps(budget: float, split: Split, reads: float, writes: float) -> tuple[int, int, Split]:
    """The read and write caps for the next interval, from the use (per second) in the last.

    A fair share of one queue, as a volume serving two kinds of request gives (max-min):
    a direction that used less than `HUNGRY` of its cap is *satisfied* and keeps its recent
    use with `HEADROOM` (at least `SHARE_FLOOR` of the budget); a *hungry* one (it used its
    cap, so it may want more) gets what the other does not use, and two hungry ones get
    half each. A direction held to the floor by the other's burst is hungry the next
    interval and has its half 100 ms later, whatever the split was before: the split
    follows what each direction asks now, not its history. While the volume is saturated
    a gain scales the caps until the use is the budget: up when reads and writes wait on
    each other (a transaction needs both) and so leave part of their caps unused. When
    neither is hungry, each may also take what neither uses (the slack), and the gain goes
    back to 1. Neither cap is ever above the whole budget times the gain.
    """
    recent_reads = (split.reads + reads) / 2
    recent_writes = (split.writes + writes) / 2
    read_hungry = reads >= HUNGRY * (split.read_cap or budget)
    write_hungry = writes >= HUNGRY * (split.write_cap or budget)
    floor = SHARE_FLOOR * budget
    # what a satisfied direction wants: a rise at once, a fall averaged over two intervals
    read_want = max(floor, max(reads, recent_reads) * HEADROOM)
    write_want = max(floor, max(writes, recent_writes) * HEADROOM)
    asked_more = read_hungry or write_hungry or read_want + write_want > split.gain * budget
    low, high = GAIN_RANGE
    gain = split.gain
    if asked_more and reads + writes >= PRESSURE * budget:
        gain = min(high, max(low, gain * math.sqrt(budget / (reads + writes))))
    else:
        gain = 1.0 + (gain - 1.0) * 0.8
    whole = gain * budget
    if read_hungry and write_hungry:
        read_cap = write_cap = whole / 2
    elif read_hungry:
        write_cap = min(write_want, whole / 2)
        read_cap = max(whole / 2, whole - min(recent_writes, write_cap))
    elif write_hungry:
        read_cap = min(read_want, whole / 2)
        write_cap = max(whole / 2, whole - min(recent_reads, read_cap))
    else:
        slack = max(0.0, budget - recent_reads - recent_writes)
        read_cap, write_cap = read_want + slack, write_want + slack
        if read_want + write_want > whole:  # more than the budget together: max-min again
            smaller = min(read_want, write_want, whole / 2)  # the smaller want, up to half
            rest = whole - smaller
            read_cap, write_cap = (smaller, rest) if read_want <= write_want else (rest, smaller)
    read_cap, write_cap = min(whole, read_cap), min(whole, write_cap)
    return (
        max(1, round(read_cap)),
        max(1, round(write_cap)),
        Split(recent_reads, recent_writes, gain, read_cap, write_cap),
    )


def _settled(caps: Caps, written: Caps | None, iops: int, bps: int) -> Caps:
    """`caps`, keeping each value of `written` that is within `REWRITE_STEP` of its budget
    (of the value itself, where that is lower: a low cap follows every real move)."""
    if written is None or written == NO_CAPS:
        return caps

    def keep(new: int, old: int, budget: int) -> int:
        # a move of 5 % of the budget, or of the cap itself where the cap is low
        return old if abs(new - old) < REWRITE_STEP * min(budget, max(new, old)) else new

    return Caps(
        keep(caps.read_iops, written.read_iops, iops),
        keep(caps.write_iops, written.write_iops, iops),
        keep(caps.read_bps, written.read_bps, bps),
        keep(caps.write_bps, written.write_bps, bps),
    )


def _released(caps: Caps, written: Caps | None, iops: int) -> Caps | None:
    """`written` with no cap in each direction whose IOPS cap rises from below
    `RELEASE_BELOW` of the budget to `caps`; None when neither does."""
    if written is None or written == NO_CAPS:
        return None
    low = RELEASE_BELOW * iops
    reads = 0 < written.read_iops < low and caps.read_iops > written.read_iops
    writes = 0 < written.write_iops < low and caps.write_iops > written.write_iops
    if not (reads or writes):
        return None
    return Caps(
        0 if reads else written.read_iops,
        0 if writes else written.write_iops,
        0 if reads else written.read_bps,
        0 if writes else written.write_bps,
    )


class SharedBudget:
    """Holds reads plus writes to the budget of an applied cap, from a thread, once started.

    `limit` is the cap as it then stands (`shared` set), for the servers and the report.
    """

    def __init__(self, limit: IoLimit, trace: Path | None = None) -> None:
        self.limit = replace(limit, shared=True)
        self.trace = trace  # where to append one JSON line per interval (use and caps)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gp3-budget", daemon=True)
        self.error: OSError | None = None
        self.stalls: list[float] = []  # seconds from the start at which a stall was lifted

    def start(self) -> None:
        """Start splitting the budget every `SHARE_INTERVAL_S`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop, and leave each direction the whole budget again (never raises)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with contextlib.suppress(OSError):
            self.limit.set_caps(Caps.each(self.limit.iops, self.limit.bytes_per_second))

    def __enter__(self) -> SharedBudget:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        ios, data = Split(), Split()
        before, then = counts(self.limit), time.monotonic()
        began = moved = then
        written: Caps | None = Caps.each(self.limit.iops, self.limit.bytes_per_second)
        trace = None if self.trace is None else self.trace.open("a", buffering=1)
        try:
            while not self._stop.wait(SHARE_INTERVAL_S):
                now, at = counts(self.limit), time.monotonic()
                if now is None or before is None:
                    return
                used, seconds = now.since(before), max(at - then, 1e-3)
                before, then = now, at
                if used.read_ios or used.write_ios:
                    moved = at
                elif at - moved >= STALL_S and self.limit.blocked():
                    # The kernel's throttle has held a request with the caps well above the
                    # use (see STALL_S): lift every cap for one interval to let it through.
                    self.limit.set_caps(NO_CAPS, written)
                    written, moved = NO_CAPS, at
                    self.stalls.append(round(at - began, 1))
                    if trace is not None:
                        trace.write(json.dumps({"t": round(at - began, 2), "stall": True}) + "\n")
                    continue
                read_iops, write_iops, ios = next_caps(
                    self.limit.iops, ios, used.read_ios / seconds, used.write_ios / seconds
                )
                read_bps, write_bps, data = next_caps(
                    self.limit.bytes_per_second,
                    data,
                    used.read_bytes / seconds,
                    used.write_bytes / seconds,
                )
                caps = _settled(
                    Caps(read_iops, write_iops, read_bps, write_bps),
                    written,
                    self.limit.iops,
                    self.limit.bytes_per_second,
                )
                released = _released(caps, written, self.limit.iops)
                if released is not None:
                    self.limit.set_caps(released, written)
                    written = released
                self.limit.set_caps(caps, written)
                written = caps
                if trace is not None:
                    used_iops = (round(used.read_ios / seconds), round(used.write_ios / seconds))
                    used_bps = (used.read_bytes / seconds, used.write_bytes / seconds)
                    trace.write(
                        json.dumps(
                            {
                                "t": round(at - began, 2),
                                "iops": used_iops,
                                "iops_caps": (read_iops, write_iops),
                                "mib_s": [round(b / MiB, 1) for b in used_bps],
                                "mib_s_caps": [round(b / MiB, 1) for b in (read_bps, write_bps)],
                            }
                        )
                        + "\n"
                    )
        except OSError as exc:  # the cgroup went away under the thread: caps stay as they were
            self.error = exc
        finally:
            if trace is not None:
                trace.close()


# -- checking the cap ----------------------------------------------------------------------


@dataclass(frozen=True)
class CapCheck:
    """What sysbench fileio measured inside the cgroup."""

    random_read_iops: float
    sequential_read_bytes_per_second: float
    # 16 KiB random reads and writes at once (3:2, fileio's mix): reads + writes per second
    mixed_iops: float | None = None

    def describe(self) -> str:
        mixed = (
            ""
            if self.mixed_iops is None
            else f", {self.mixed_iops:,.0f} IOPS of reads and writes together (16 KiB random, 3:2)"
        )
        return (
            f"measured in the cgroup: {self.random_read_iops:,.0f} IOPS "
            "(16 KiB random reads, O_DIRECT), "
            f"{self.sequential_read_bytes_per_second / MiB:,.0f} MiB/s (1 MiB sequential reads)"
            + mixed
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
        mixed = _fileio(
            limit, directory, [*common, "--file-test-mode=rndrw", "--file-fsync-freq=0", "run"]
        )
    finally:
        with contextlib.suppress(OSError):
            _fileio(limit, directory, ["cleanup"])
    reads = re.search(r"reads/s:\s+([\d.]+)", rnd)
    mib = re.search(r"read, MiB/s:\s+([\d.]+)", seq)
    mixed_reads = re.search(r"reads/s:\s+([\d.]+)", mixed)
    mixed_writes = re.search(r"writes/s:\s+([\d.]+)", mixed)
    if reads is None or mib is None or mixed_reads is None or mixed_writes is None:
        raise OSError("sysbench fileio printed no read or write rate")
    return CapCheck(
        float(reads.group(1)),
        float(mib.group(1)) * MiB,
        float(mixed_reads.group(1)) + float(mixed_writes.group(1)),
    )


__all__ = [
    "SHARE_INTERVAL_S",
    "CapCheck",
    "Caps",
    "IoCounts",
    "IoLimit",
    "SharedBudget",
    "Split",
    "counts",
    "create",
    "gp3_throughput_bytes",
    "measure",
    "next_caps",
    "remove",
    "whole_disk",
    "wrap",
]
