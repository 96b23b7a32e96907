"""`tests.support.fault_server` as a child process on a free loopback port: start, signal, kill, measure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.arxiv_mirror import REPO, ArxivMirror

START_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """One server process; `env` adds to (or overrides) the mirror's settings and the data dir."""

    mirror: ArxivMirror
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start it and wait until /healthz answers; the seconds that took."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIVGPT_", "FAULT_"))}
        env.update(self.mirror.settings_env())
        env.update(
            ARXIVGPT_DATA_DIR=str(self.data_dir),
            ARXIVGPT_PORT=str(self.port),
            ARXIVGPT_HOST="127.0.0.1",
            ARXIVGPT_ARXIV_DELAY="0",
            ARXIVGPT_ARXIV_RETRIES="1",
            ARXIVGPT_ARXIV_TIMEOUT="30",
            PYTHONPATH=str(REPO),
        )
        env.update(self.env)
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.fault_server"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.wait_ready()

    def wait_ready(self, limit: float = START_SECONDS) -> float:
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer within {limit} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        """Resident memory now, from /proc (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")

    def threads(self) -> int:
        return len(list(Path(f"/proc/{self.pid}/task").iterdir()))

    def signal_and_wait(self, sig: signal.Signals, limit: float = 15.0) -> tuple[int, float]:
        """Send `sig`; the exit status and the seconds until the process was gone (fails past `limit`)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"still running {limit} s after {sig.name}:\n{self.log()[-3000:]}") from None
        return code, time.monotonic() - started

    def kill9(self) -> None:
        self.signal_and_wait(signal.SIGKILL)

    def stop(self) -> None:
        """Whatever state it is in: gone afterwards."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
