"""Give a throwaway PostgreSQL server huge pages where RDS gives them, inside the class's memory.

RDS for PostgreSQL runs with `huge_pages` on above the medium classes
(`InstanceClass.huge_pages_default`), so its shared memory is mapped in 2 MiB
pages. A host that reserves none (`vm.nr_hugepages` = 0, the usual default)
maps a server's `shared_buffers` in 4 KiB pages whatever its `huge_pages` says
(`try` falls back), and a larger `shared_buffers` then costs page-table walks
that it would not cost on RDS. Where the class has them on RDS and the kernel
lets this process set `vm.nr_hugepages`, the benchmark reserves what the
configuration's shared memory needs just before each start
(`postgres -C shared_memory_size_in_huge_pages`), lowers the server's memory
cgroup by the same bytes (huge pages are not charged to a memory cgroup, and the
instance's memory holds both), and gives them back when the server stops or
turned them down (`huge_pages = off`, or too few could be reserved). Every
configuration is offered the same, so the comparison stays like for like.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

_NR_HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
_MEMINFO = Path("/proc/meminfo")
# While pages are held: who holds them, and the pool's value before and after. A run
# killed outright (SIGKILL) cannot give its pages back; the next run's `probe` does.
LEDGER = Path(tempfile.gettempdir()) / "dbtier-bench-huge-pages.json"


def meminfo(text: str | None = None) -> dict[str, int]:
    """The huge page lines of /proc/meminfo: counts, and the page size in bytes."""
    found: dict[str, int] = {}
    for line in (_MEMINFO.read_text() if text is None else text).splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if name.startswith("HugePages_") and fields:
            found[name] = int(fields[0])
        elif name == "Hugepagesize" and fields:
            found[name] = int(fields[0]) * 1024
    return found


def claimed(info: dict[str, int]) -> int:
    """Huge pages a process has faulted in or reserved (mapped but not yet touched)."""
    return (
        info.get("HugePages_Total", 0)
        - info.get("HugePages_Free", 0)
        + info.get("HugePages_Rsvd", 0)
    )


@dataclass
class HugePages:
    """The host's huge page pool, set for one server at a time and put back afterwards."""

    page_bytes: int
    original: int  # vm.nr_hugepages before the benchmark touched it
    reason: str  # why the pool can (or cannot) be set, for the report
    reserved: int = 0  # pages this object asked the kernel for, 0 when none are held
    control: Path = _NR_HUGEPAGES
    ledger: Path = LEDGER

    @property
    def usable(self) -> bool:
        return self.page_bytes > 0

    def reserve(self, pages: int) -> int:
        """Ask for `pages` more than the host's own; return how many the kernel gave."""
        wanted = self.original + pages
        self.ledger.write_text(
            json.dumps({"pid": os.getpid(), "original": self.original, "set": wanted})
        )
        self.control.write_text(str(wanted))
        given = int(self.control.read_text()) - self.original
        self.reserved = max(given, 0)
        if not self.reserved:
            self.ledger.unlink(missing_ok=True)
        return self.reserved

    def release(self) -> None:
        """Put the pool back as it was (never raises: it runs on every way out)."""
        if self.reserved:
            with contextlib.suppress(OSError):
                self.control.write_text(str(self.original))
                self.ledger.unlink(missing_ok=True)
            self.reserved = 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


def _settle_ledger(control: Path, ledger: Path) -> str | None:
    """Give back what a killed run left reserved; say why not to touch the pool, if so."""
    try:
        entry = json.loads(ledger.read_text())
        pid, original, was_set = int(entry["pid"]), int(entry["original"]), int(entry["set"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        ledger.unlink(missing_ok=True)  # unreadable: nothing to act on
        return None
    if pid != os.getpid() and _alive(pid):
        return f"another benchmark (pid {pid}) holds huge pages now ({ledger})"
    if int(control.read_text()) == was_set:  # still as that run left it: put it back
        control.write_text(str(original))
    ledger.unlink(missing_ok=True)
    return None


def probe(
    control: Path = _NR_HUGEPAGES, info: dict[str, int] | None = None, ledger: Path = LEDGER
) -> HugePages:
    """The pool, if this process may set it (root, a writable /proc/sys); else why not.

    Pages a killed run left reserved (its ledger names a process that is gone, and the
    pool is as it left it) are given back first; while another run holds some, none.
    """
    if info is None:
        info = meminfo() if _MEMINFO.exists() else {}
    page_bytes = info.get("Hugepagesize", 0)
    if not page_bytes or not control.exists():
        return HugePages(0, 0, "the kernel offers no huge pages", control=control, ledger=ledger)
    try:
        busy = _settle_ledger(control, ledger)
        original = int(control.read_text())
        control.write_text(str(original))
    except OSError as exc:
        reason = f"{control} is not writable ({exc.strerror})"
        return HugePages(0, 0, reason, control=control, ledger=ledger)
    if busy is not None:
        return HugePages(0, original, busy, control=control, ledger=ledger)
    reason = f"{control}, {page_bytes // 1024} kB pages"
    return HugePages(page_bytes, original, reason, control=control, ledger=ledger)


__all__ = ["HugePages", "claimed", "meminfo", "probe"]
