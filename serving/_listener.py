"""A listening socket of each worker's own, so that every worker serves.

BentoML's arbiter opens one listening socket and its workers share it (``--fd N``). Each worker's event
loop accepts every pending connection at once when the socket becomes readable, and the keep-alive
connections of a load stay where they were accepted: all 8 connections of a benchmark often landed on
one worker, so one core did all the work and a run's throughput varied by 1.5x (README, "Benchmarks").
Linux spreads new connections over the sockets of a ``SO_REUSEPORT`` group by their addresses' hash
instead, and BentoML 1.4 has no setting for it. So each worker, while BentoML imports the service and
before uvicorn wraps the inherited descriptor:

1. marks the shared socket ``SO_REUSEPORT`` (a flag of the one socket every process holds), so that a
   second socket may bind its address;
2. binds and listens on a socket of its own there, in the same group;
3. stops the shared socket listening (``shutdown``: Linux takes a listener out of its group, for every
   process holding it), so no connection waits on a socket nobody accepts from;
4. puts its own socket in the shared one's descriptor number, which uvicorn then serves.

This relies on two things of BentoML's worker (``_bentoml_impl.worker.service``) that are not public:
that it is given the socket as ``--fd N`` and that it imports the service before it reads the descriptor.
``tests/serving/test_listener.py`` fails when either changes (the connections of a load then stay on one
worker, or the service does not start). A second server's arbiter binds without ``SO_REUSEPORT``, so it
is still refused the port, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from pathlib import Path

__all__ = ["listen_on_own_socket"]

log = logging.getLogger("avstand.serving")

_BACKLOG = 2048  # BentoML's default (uvicorn sets the worker's own again when it starts serving)


def listen_on_own_socket() -> bool:
    """In a BentoML worker on Linux, serve from a ``SO_REUSEPORT`` socket of this worker's own (see the module
    docstring); elsewhere do nothing. Whether it did."""
    fd = _inherited_descriptor()
    if fd is None or not hasattr(socket, "SO_REUSEPORT"):
        return False
    shared = socket.socket(fileno=os.dup(fd))  # a second handle on the shared socket: closing it closes no socket
    try:
        if shared.type != socket.SOCK_STREAM or shared.family not in (socket.AF_INET, socket.AF_INET6):
            return False  # a Unix socket (BentoML's internal services): nothing to spread
        address = shared.getsockname()
        shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own = socket.socket(shared.family, socket.SOCK_STREAM)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own.bind(address)
        own.listen(_BACKLOG)
        with contextlib.suppress(OSError):  # another worker stopped it already
            shared.shutdown(socket.SHUT_RD)
        os.dup2(own.fileno(), fd, inheritable=False)
        own.close()  # the descriptor number holds it now
    finally:
        shared.close()
    log.info("worker %d listens on its own socket on port %d", os.getpid(), address[1])
    return True


def _inherited_descriptor() -> int | None:
    """The descriptor BentoML's worker was given (``--fd N``), when this process is one."""
    argv = sys.argv
    if len(Path(argv[0]).parts) < 2 or Path(argv[0]).parts[-2:] != ("worker", "service.py") or "--fd" not in argv:
        return None
    try:
        return int(argv[argv.index("--fd") + 1])
    except (IndexError, ValueError):
        return None
