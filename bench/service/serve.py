"""`python -m bench.service.serve APP HOST PORT WORKERS`: serve an app factory as `dbtier up` does.

`dbtier up` runs `uvicorn.Config(create_app(settings), log_config=None,
access_log=False)` after `configure_logging`; this does the same for any
factory (`nippo.app:create_app` or `bench.service.ceiling:create_app`), with
`WORKERS` uvicorn worker processes (1 is `dbtier up`'s model).

With more than one worker uvicorn binds the listening socket itself with
`proto` 0, accepted sockets inherit it, and asyncio then leaves Nagle's
algorithm on (it sets TCP_NODELAY only for `proto == IPPROTO_TCP`): every
keep-alive answer after the first waits ~40 ms for the client's delayed ACK
(uvicorn issue 3149, open). The socket is re-made here from its descriptor,
which reads the real protocol back, so both process models are measured with
TCP_NODELAY, as the one-worker path (getaddrinfo) already has it.
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from dbtier.logs import configure_logging


def with_tcp_protocol(sock: socket.socket) -> socket.socket:
    """`sock` re-made from its descriptor: family, type and protocol read from the kernel."""
    return socket.socket(fileno=sock.detach())


def main(argv: list[str]) -> int:
    app, host, port, workers = argv
    configure_logging("INFO", json=True)
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=int(port),
        workers=int(workers),
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    if config.workers > 1:
        sock = with_tcp_protocol(config.bind_socket())
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
