"""`python -m dbtier`: the same as the `dbtier` command (for subprocesses without the script)."""

from __future__ import annotations

from dbtier.cli import main

if __name__ == "__main__":
    main()
