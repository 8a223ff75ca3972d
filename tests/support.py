"""Helpers the tests share (a module, not a conftest: `from conftest import` is ambiguous with several)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

__all__ = ["Server", "free_port", "run_avstand"]


def run_avstand(*args, cwd, env) -> subprocess.CompletedProcess:
    """The ``avstand`` program as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "avstand", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running service: its base URL, keys by client name, the log URL and its output file."""

    def __init__(self, *, folder: Path, env: dict[str, str], database_url: str) -> None:
        self.folder, self.database_url = folder, database_url
        self.env = env | {"AVSTAND_DATABASE_URL": database_url, "AVSTAND_WORKERS": "2"}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = {name: self.add_key(name) for name in ("portal", "nightly")}
        self.output = folder / f"server-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def add_key(self, name: str) -> str:
        done = run_avstand("keys", "add", name, cwd=self.folder, env=self.env)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start(self, timeout: float = 90) -> None:
        with self.output.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "avstand", "serve", "--port", str(self.port)],
                                            cwd=self.folder, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the service did not become ready: {self.output.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole service (BentoML's arbiter and its workers) at once: a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def client(self, name: str = "portal") -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.keys[name]}"})

    def rows(self, table: str = "assessments") -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        finally:
            engine.dispose()
