"""Every worker serves: the connections of a keep-alive load spread over both workers' own sockets, and the
port stays the service's alone."""

from __future__ import annotations

import socket
import subprocess
import sys

import psutil

CONNECTIONS = 16  # all on one worker by chance: 2 x 2**-16, once in 30,000 runs


def _workers(server) -> list[psutil.Process]:
    return [p for p in psutil.Process(server.process.pid).children(recursive=True)
            if "_bentoml_impl.worker" in " ".join(p.cmdline())]


def _on_port(process: psutil.Process, port: int, status: str) -> int:
    return sum(1 for c in process.net_connections(kind="tcp")
               if c.laddr and c.laddr.port == port and c.status == status)


def test_the_connections_of_a_load_are_spread_over_both_workers(server):
    """A load's connections arrive together (a client pool opening, a restart behind a balancer): made here
    while both workers are stopped, so that they wait together as they would behind a busy event loop. With
    one shared socket, the first worker to run accepts every one of them."""
    workers = _workers(server)
    assert len(workers) == 2
    for worker in workers:
        worker.suspend()
    try:
        connections = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(CONNECTIONS)]
    finally:
        for worker in workers:
            worker.resume()
    try:
        for connection in connections:
            connection.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for connection in connections:
            assert connection.recv(4096).startswith(b"HTTP/1.1 200"), "not answered"
        per_worker = {w.pid: _on_port(w, server.port, psutil.CONN_ESTABLISHED) for w in workers}
        assert sum(per_worker.values()) == CONNECTIONS, per_worker
        assert min(per_worker.values()) >= 1, per_worker  # with one shared socket: all 16 on one worker
    finally:
        for connection in connections:
            connection.close()


def test_each_worker_listens_on_its_own_socket_and_the_shared_one_does_not(server):
    assert [_on_port(w, server.port, psutil.CONN_LISTEN) for w in _workers(server)] == [1, 1]
    # The arbiter's socket keeps the port bound but takes no connection that nobody would accept.
    assert _on_port(psutil.Process(server.process.pid), server.port, psutil.CONN_LISTEN) == 0


def test_a_second_service_on_the_same_port_is_refused_with_a_sentence_and_the_first_keeps_its_metrics(server):
    with server.client() as client:
        client.get("/model")
        before = client.get("/metrics").text
    assert 'route="/model"' in before
    # The same BentoML home: `bentoml serve` would empty its metrics folder as it starts, before it finds the
    # port taken; `avstand serve` checks the port first.
    second = subprocess.run([sys.executable, "-m", "avstand", "serve", "--port", str(server.port)], cwd=server.folder,
                            env=server.env, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 2, second.stderr
    assert f"avstand serve: not starting: cannot listen on 127.0.0.1:{server.port}: another process listens" in \
        second.stderr
    assert "Traceback" not in second.stderr
    with server.client() as client:
        assert client.get("/model").status_code == 200  # the first one serves on
        assert 'route="/model"' in client.get("/metrics").text  # with the counts it had

