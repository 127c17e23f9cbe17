"""bench/params offers PostgreSQL huge pages where RDS maps shared memory in them.

The pool logic is tested against a stand-in for /proc/sys/vm/nr_hugepages: these
tests never change the host's pool, which other servers on the machine could take.
One test starts a real throwaway PostgreSQL and checks what it says it would need.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.params import huge_pages, memory_limit, servers
from dbtier.params.catalog import instance_class
from dbtier.testing.servers import ThrowawayPostgres, free_port, require_available

MEMINFO = """MemTotal:       24570000 kB
HugePages_Total:      40
HugePages_Free:       12
HugePages_Rsvd:        5
HugePages_Surp:        0
Hugepagesize:       2048 kB
"""


def test_meminfo_reads_the_pool_and_the_page_size() -> None:
    info = huge_pages.meminfo(MEMINFO)
    assert info == {
        "HugePages_Total": 40,
        "HugePages_Free": 12,
        "HugePages_Rsvd": 5,
        "HugePages_Surp": 0,
        "Hugepagesize": 2048 * 1024,
    }
    # 28 faulted in, 5 more mapped but not yet touched
    assert huge_pages.claimed(info) == 33


def test_rds_maps_huge_pages_above_the_medium_classes() -> None:
    assert instance_class("db.m7g.large").huge_pages_default
    assert instance_class("db.r6g.2xlarge").huge_pages_default
    for small in ("db.t4g.micro", "db.t4g.small", "db.t4g.medium"):
        assert not instance_class(small).huge_pages_default


@pytest.fixture
def server_base() -> Iterator[Path]:
    """A directory the postgres user can reach (pytest's tmp_path is root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="dbtier-test-huge-pages-"))
    base.chmod(0o755)
    yield base / "pg"
    shutil.rmtree(base, ignore_errors=True)


def _control(tmp_path: Path, value: int) -> Path:
    control = tmp_path / "nr_hugepages"
    control.write_text(f"{value}\n")
    return control


def _probe(control: Path, tmp_path: Path) -> huge_pages.HugePages:
    return huge_pages.probe(control, huge_pages.meminfo(MEMINFO), tmp_path / "ledger.json")


def test_a_reservation_is_on_top_of_the_hosts_own_and_given_back(tmp_path: Path) -> None:
    control = _control(tmp_path, 8)
    pool = _probe(control, tmp_path)
    assert pool.usable and pool.page_bytes == 2 * 1024 * 1024 and pool.original == 8
    assert pool.reserve(100) == 100
    assert control.read_text() == "108"
    ledger = json.loads((tmp_path / "ledger.json").read_text())
    assert ledger == {"pid": os.getpid(), "original": 8, "set": 108}
    pool.release()
    assert control.read_text() == "8" and pool.reserved == 0
    assert not (tmp_path / "ledger.json").exists()
    pool.release()  # nothing held: writes nothing
    assert control.read_text() == "8"


def _gone_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_pages_a_killed_run_left_reserved_are_given_back(tmp_path: Path) -> None:
    control = _control(tmp_path, 1611)
    entry = {"pid": _gone_pid(), "original": 8, "set": 1611}
    (tmp_path / "ledger.json").write_text(json.dumps(entry))
    pool = _probe(control, tmp_path)
    assert pool.usable and pool.original == 8 and control.read_text() == "8"
    assert not (tmp_path / "ledger.json").exists()


def test_a_pool_changed_since_a_killed_run_is_left_alone(tmp_path: Path) -> None:
    control = _control(tmp_path, 40)  # someone set it after that run: theirs now
    entry = {"pid": _gone_pid(), "original": 8, "set": 1611}
    (tmp_path / "ledger.json").write_text(json.dumps(entry))
    pool = _probe(control, tmp_path)
    assert pool.usable and pool.original == 40 and control.read_text().strip() == "40"
    assert not (tmp_path / "ledger.json").exists()


def test_no_pool_while_another_run_holds_pages(tmp_path: Path) -> None:
    control = _control(tmp_path, 1611)
    other = subprocess.Popen(["sleep", "30"])
    try:
        entry = {"pid": other.pid, "original": 8, "set": 1611}
        (tmp_path / "ledger.json").write_text(json.dumps(entry))
        pool = _probe(control, tmp_path)
        assert not pool.usable and f"pid {other.pid}" in pool.reason
        assert control.read_text().strip() == "1611"  # its pages stay its own
    finally:
        other.kill()
        other.wait()


def test_no_pool_without_huge_pages_or_a_control_file(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    assert not huge_pages.probe(_control(tmp_path, 0), {}, ledger).usable
    missing = huge_pages.probe(tmp_path / "absent", huge_pages.meminfo(MEMINFO), ledger)
    assert not missing.usable and "no huge pages" in missing.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: the server runs as postgres")
def test_postgres_says_what_its_shared_memory_needs(server_base: Path) -> None:
    """`postgres -C shared_memory_size_in_huge_pages`, asked of the configuration file
    about to be used; none asked for where the configuration turns huge pages off."""
    require_available(ThrowawayPostgres)
    limit = memory_limit.MemoryLimit(8 << 30, None, "not constrained (test)")
    server = servers.Postgres(server_base, free_port(), limit)
    try:
        server.initialize()
        server.write_conf("shared_buffers = '256MB'\nmax_connections = 20\n")
        needed = server.huge_pages_needed()
        # 128 pages of 2 MiB hold the buffers; the rest of shared memory is a few dozen more
        assert 128 < needed < 256
        server.write_conf("shared_buffers = '256MB'\nhuge_pages = off\n")
        assert server.huge_pages_needed() == 0
    finally:
        server.destroy()


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: the server runs as postgres")
def test_pages_the_server_did_not_take_are_given_back(tmp_path: Path, server_base: Path) -> None:
    """A pool the server does not map (here a stand-in file the kernel never reads, so
    PostgreSQL's `try` falls back) is given back once the server is up, and the server
    is reported in 4 KiB pages."""
    require_available(ThrowawayPostgres)
    control = _control(tmp_path, 3)
    pool = _probe(control, tmp_path)
    limit = memory_limit.MemoryLimit(8 << 30, None, "not constrained (test)")
    server = servers.Postgres(server_base, free_port(), limit, huge=pool)
    try:
        server.initialize()
        server.start("shared_buffers = '64MB'\n")
        assert control.read_text() == "3" and pool.reserved == 0
        assert server.huge_pages_used == 0
        assert server.shared_memory() == "4 KiB pages (took no huge pages)"
    finally:
        server.destroy()
