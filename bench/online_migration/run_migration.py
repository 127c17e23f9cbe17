"""One migration command, started ahead and run on cue, so the measured window is the migration's.

`python -m bench.online_migration.run_migration naive|dbtier ALEMBIC_INI`
imports Alembic, dbtier and nippo, prints READY, waits for a line on stdin,
then runs `alembic upgrade head` (naive) or `dbtier migrate run` (dbtier)
in this process and exits with its code. Starting an interpreter on the
loaded machine takes seconds; without the cue that time would dilute the
measured window for both ways.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    way, ini = argv
    from alembic.config import main as alembic_main

    import nippo.models  # noqa: F401  (what env.py imports, loaded before the cue)
    from dbtier.cli import app

    print("READY", flush=True)
    sys.stdin.readline()
    if way == "naive":
        alembic_main(["-c", ini, "upgrade", "head"])
        return 0
    try:
        app(["migrate", "run", "--alembic-config", ini], prog_name="dbtier")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
