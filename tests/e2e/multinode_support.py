"""What the multi-node test runs: AVA's production scripts as processes, a TCP forwarder standing in for the proxy,
and signed end-of-call reports."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.e2e.conftest import ARTIFACTS, PROJECT_DIR

REPORT_FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "contracts" / "end-of-call-report.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Script:
    """One of ``scripts/serve-web`` / ``scripts/serve-worker`` running in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"multinode-{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(PROJECT_DIR / "scripts" / args[0]), *args[1:]],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, number: int) -> None:
        """Send ``number`` to the script's main process (what a supervisor or a container engine does)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, number)

    def stop(self, *, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL of the whole group after ``timeout`` seconds; returns the exit status."""
        try:
            self.signal(signal.SIGTERM)
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL to every process of the group: a crash, nothing gets to finish."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_until_serving(base_url: str, script: Script, *, timeout: float = 300) -> None:
    """Until ``/healthz`` and the login page answer 200; fails early if the script exited."""
    deadline = time.monotonic() + timeout
    while True:
        if script.process.poll() is not None:
            raise RuntimeError(f"{script.name} exited with {script.process.returncode}; see {script.log_path}")
        try:
            if (
                httpx.get(base_url + "/healthz", timeout=2).status_code == 200
                and httpx.get(base_url + "/login", timeout=5).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{script.name} did not serve within {timeout} s; see {script.log_path}")
        time.sleep(0.5)


class Forwarder:
    """A TCP forwarder on 127.0.0.1 standing in for the reverse proxy: each new connection goes to the first backend
    port that accepts it, so a browser follows the next process once its own is gone (websockets included)."""

    def __init__(self, port: int, backends: list[int]) -> None:
        self.port = port
        self.backends = backends
        self.connections: dict[int, int] = dict.fromkeys(backends, 0)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="test-forwarder")

    def __enter__(self) -> Forwarder:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the test forwarder did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for backend in self.backends:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", backend)
            except OSError:
                continue
            self.connections[backend] += 1
            await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))
            return
        client_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def end_of_call_report(*, assistant_id: str) -> tuple[str, bytes]:
    """(call id, body) of Vapi's end-of-call report fixture for a new call of the assistant ``assistant_id``."""
    report = json.loads(REPORT_FIXTURE.read_text())
    call_id = f"multinode-{uuid.uuid4()}"
    report["message"]["call"]["id"] = call_id
    report["message"]["call"]["assistantId"] = assistant_id
    report["message"]["phoneNumber"].pop("assistantId", None)
    return call_id, json.dumps(report).encode()


def web_env(
    *,
    database_url: str,
    redis_url: str,
    data_dir: Path,
    web_dir: Path,
    public_url: str,
    smtp_port: int,
    secret_key: str,
    webhook_secret: str,
) -> dict[str, str]:
    """The environment every process of the test deployment shares: one database, one Redis, one secret."""
    env = dict(os.environ)
    env.update(
        AVA_ENV="dev",  # Vapi and Twilio stay on their emulators; mail goes to the test's SMTP server
        AVA_DATABASE_URL=database_url,
        AVA_REDIS_URL=redis_url,
        AVA_DATA_DIR=str(data_dir),
        AVA_PUBLIC_URL=public_url,
        AVA_SECRET_KEY=secret_key,
        AVA_VAPI_WEBHOOK_SECRET=webhook_secret,
        AVA_SMTP_HOST="127.0.0.1",
        AVA_SMTP_PORT=str(smtp_port),
        AVA_SMTP_TLS="none",
        AVA_SMTP_USERNAME="",
        AVA_SMTP_PASSWORD="",
        AVA_SIGNUPS_PER_IP_HOUR="500",
        REFLEX_WEB_WORKDIR=str(web_dir),
        PATH=f"{PROJECT_DIR / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:{env['PATH']}",
    )
    env.pop("AVA_EMBEDDED_WORKER", None)
    return env
