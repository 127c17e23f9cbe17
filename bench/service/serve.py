"""`python -m bench.service.serve APP HOST PORT WORKERS`: serve an app factory as `dbtier up` does.

`dbtier up` runs `uvicorn.Config(create_app(settings), log_config=None,
access_log=False)` after `configure_logging`; this does the same for any
factory (`nippo.app:create_app` or `bench.service.ceiling:create_app`), with
`WORKERS` uvicorn worker processes (1 is `dbtier up`'s model).
"""

from __future__ import annotations

import sys

import uvicorn

from dbtier.logs import configure_logging


def main(argv: list[str]) -> int:
    app, host, port, workers = argv
    configure_logging("INFO", json=True)
    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=int(port),
        workers=int(workers),
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
