"""Brokers in throw-away containers (testcontainers), for `--bus container:rabbitmq|nats|redis|kafka` and tests.

A run that asks for a container broker gets a fresh one, reachable at `BrokerContainer.url`, and removed by
`stop()`. Any Docker-compatible engine works: Docker itself, or podman's Docker-compatible socket (see
scripts/local-container-engine.sh, which makes one on a Debian machine without registry access).

Images are public defaults, overridable per broker with an argument or EM_HARNESS_IMAGE_<KIND>: MoJ and
supplier CI usually cannot pull from a public registry and point these at an internal mirror
(e.g. EM_HARNESS_IMAGE_RABBITMQ=registry.internal.example/mirror/rabbitmq:3).

Every failure a user can meet (no engine, an image that cannot be pulled, a broker that does not come up)
is a HarnessError with one line saying what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

KINDS = ("rabbitmq", "nats", "redis", "kafka")
DEFAULT_IMAGES = {
    "rabbitmq": "rabbitmq:3",
    "nats": "nats:2",
    "redis": "redis:7",
    "kafka": "apache/kafka:3.8.0",
}
DEFAULT_SOCKET = "/var/run/docker.sock"
DOCKERENV = Path("/.dockerenv")
LOCAL_ENGINE_HINT = "run scripts/local-container-engine.sh or point DOCKER_HOST at a Docker-compatible engine"


@dataclass(frozen=True)
class BrokerSpec:
    """How to start one kind of broker and know it is ready."""

    port: int
    """The port inside the container clients connect to."""
    ready_log: str
    """A regular expression the broker logs once it accepts clients."""
    command: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)


SPECS = {
    "rabbitmq": BrokerSpec(5672, r"Server startup complete"),
    "nats": BrokerSpec(4222, r"Server is ready", ("-js",)),
    "redis": BrokerSpec(6379, r"Ready to accept connections"),
    # A single KRaft node (broker and controller); the advertised listener is set at start, see _kafka_env.
    "kafka": BrokerSpec(9092, r"Kafka Server started"),
}


def image_env_var(kind: str) -> str:
    """The environment variable that overrides the image for a kind, e.g. EM_HARNESS_IMAGE_NATS."""
    return f"EM_HARNESS_IMAGE_{kind.upper()}"


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise HarnessError(f"container broker {kind!r}: unknown kind; use {', '.join(KINDS)}")
    return kind


def image_for(kind: str, image: str | None = None) -> str:
    """The image to start: the argument, else EM_HARNESS_IMAGE_<KIND>, else the public default."""
    _check_kind(kind)
    return image or os.environ.get(image_env_var(kind), "").strip() or DEFAULT_IMAGES[kind]


def broker_url(kind: str, host: str, port: int) -> str:
    """The bus URL clients use for a broker at host:port (what `--bus` takes)."""
    _check_kind(kind)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if kind == "rabbitmq":
        return f"amqp://guest:guest@{where}/"
    if kind == "kafka":
        return f"kafka://{where}"
    return f"{kind}://{where}"


def _one_line(text: Any, limit: int = 240) -> str:
    """The first meaningful line of an error or log, short enough for a one-line message."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else str(text).strip() or type(text).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def prepare_environment() -> None:
    """Settings testcontainers reads when it is imported; set here, before that import, unless the user set them.

    - TESTCONTAINERS_RYUK_DISABLED=true: Ryuk is a helper container (testcontainers/ryuk) that removes
      leftovers when the test process dies. It must be pulled from a public registry, which CI behind a
      mirror and machines without registry access cannot do, and it needs the engine's socket mounted into
      it, which rootful podman in a sandbox does not offer. BrokerContainer.stop() removes what we start.
    - Inside a container (/.dockerenv), testcontainers would otherwise guess it runs Docker-in-Docker and
      connect to the default gateway; with an engine running in this same container (the local podman
      service) the published ports are on this machine. So: TESTCONTAINERS_CONNECTION_MODE=docker_host, and
      for a local socket the host 127.0.0.1 (TESTCONTAINERS_HOST_OVERRIDE). With Docker-outside-of-Docker
      (the host's socket mounted in), set TESTCONTAINERS_HOST_OVERRIDE to where its published ports are.
    """
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    if DOCKERENV.exists():
        os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
        local = os.environ.get("DOCKER_HOST", "unix://").startswith("unix://")
        if local and not (os.environ.get("TC_HOST") or os.environ.get("TESTCONTAINERS_HOST_OVERRIDE")):
            os.environ["TESTCONTAINERS_HOST_OVERRIDE"] = "127.0.0.1"


def docker_available() -> tuple[bool, str]:
    """Whether a Docker-compatible engine answers, and a one-line reason either way (tests skip with it)."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        if not Path(path).exists():
            return False, f"DOCKER_HOST={host}: no socket at {path}; start the engine or {LOCAL_ENGINE_HINT}"
    elif not host:
        if not Path(DEFAULT_SOCKET).exists():
            return False, f"no container engine: DOCKER_HOST is not set and {DEFAULT_SOCKET} does not exist; " + (
                LOCAL_ENGINE_HINT
            )
        host = f"unix://{DEFAULT_SOCKET}"
    try:
        import docker
    except ImportError:
        return False, "the docker SDK is not installed (it comes with testcontainers: pip install testcontainers)"
    client = None
    try:
        client = docker.from_env(timeout=5) if os.environ.get("DOCKER_HOST") else docker.DockerClient(host, timeout=5)
        client.ping()
        version = client.version()
    except Exception as exc:
        return False, f"container engine at {host} does not answer ({_one_line(exc, 160)}); {LOCAL_ENGINE_HINT}"
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
    name = next((c.get("Name") for c in version.get("Components") or [] if c.get("Name")), "engine")
    return True, f"{name} {version.get('Version', '?')} at {host}"


@dataclass
class BrokerContainer:
    """A running broker container: where to reach it, and how to remove it."""

    kind: str
    image: str
    host: str
    port: int
    container: Any = field(repr=False)
    stopped: bool = False

    @property
    def url(self) -> str:
        return broker_url(self.kind, self.host, self.port)

    def stop(self) -> None:
        """Remove the container (forcefully, with its volumes). Safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(Exception):  # already gone, or the engine went away: nothing left to do
            self.container.stop()

    def __enter__(self) -> BrokerContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kafka_env(host: str, port: int) -> dict[str, str]:
    """A one-node KRaft cluster advertising host:port, the address clients outside the container use.

    Kafka hands clients the advertised address after the first connection, so it must be the published
    one; that is why Kafka gets a fixed host port chosen before start (the other brokers get a random one).
    """
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "1",
    }


def _why(exc: BaseException) -> str:
    """The engine's own explanation of an API error when it gives one (not the HTTP wrapper around it)."""
    return _one_line(getattr(exc, "explanation", None) or exc, 160)


def _last_log_line(container: Any) -> str:
    with contextlib.suppress(Exception):
        out, err = container.get_logs()
        lines = [line.strip() for line in (out + err).decode("utf-8", "replace").splitlines() if line.strip()]
        if lines:
            return _one_line(lines[-1], 160)
    return "no log output"


def _wait_for_port(host: str, port: int, deadline: float) -> bool:
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


def start_broker(kind: str, image: str | None = None, timeout: float = 120) -> BrokerContainer:
    """Start a fresh broker of `kind` in a container and return once it accepts clients.

    `timeout` bounds the wait for the broker to log that it is ready and to accept a connection once its
    container runs (an image pull, when the engine needs one, comes before and is not counted).
    Raises HarnessError (one line) when no engine answers, the image cannot be had, or the broker is not
    ready in time (the container is removed then).
    """
    _check_kind(kind)
    image = image_for(kind, image)
    ok, why = docker_available()
    if not ok:
        raise HarnessError(f"container:{kind}: {why}")
    prepare_environment()
    import docker.errors
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.docker_client import DockerClient
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    _sync_testcontainers_config()

    spec = SPECS[kind]
    container = DockerContainer(image)
    for key, value in spec.env.items():
        container.with_env(key, value)
    if spec.command:
        container.with_command(list(spec.command))
    if kind == "kafka":
        fixed = _free_port()
        container.with_bind_ports(spec.port, fixed)
        for key, value in _kafka_env(DockerClient().host(), fixed).items():
            container.with_env(key, value)
    else:
        container.with_exposed_ports(spec.port)
    container.waiting_for(
        LogMessageWaitStrategy(re.compile(spec.ready_log)).with_startup_timeout(timeout).with_poll_interval(0.25)
    )
    deadline = time.monotonic() + timeout
    override = image_env_var(kind)
    try:
        container.start()
    except (docker.errors.ImageNotFound, docker.errors.NotFound) as exc:
        _remove(container)
        raise HarnessError(
            f"container:{kind}: image {image!r} is not in the engine and could not be pulled ({_why(exc)}); "
            f"pull or build it there, or set {override} to an image the engine has"
        ) from None
    except (TimeoutError, RuntimeError) as exc:
        last = _last_log_line(container)
        _remove(container)
        raise HarnessError(
            f"container:{kind}: the {image} container did not become ready within {timeout:g} s "
            f"({_one_line(exc, 100)}; last log line: {last})"
        ) from None
    except docker.errors.DockerException as exc:
        started = getattr(container, "_container", None) is not None
        _remove(container)
        what = "could not be started" if started else "could not be created (is the image pullable?)"
        raise HarnessError(
            f"container:{kind}: {image} {what}: {_why(exc)}; set {override} to a {kind} image the engine has"
        ) from None
    host = container.get_container_host_ip()
    port = int(container.get_exposed_port(spec.port))
    if not _wait_for_port(host, port, deadline):
        _remove(container)
        raise HarnessError(
            f"container:{kind}: the broker logged it was ready but {host}:{port} does not accept connections "
            "within the timeout; check the engine's port publishing (TESTCONTAINERS_HOST_OVERRIDE)"
        )
    return BrokerContainer(kind, image, host, port, container)


def _sync_testcontainers_config() -> None:
    """testcontainers reads some settings once, when first imported; copy ours in if it was imported earlier."""
    from testcontainers.core.config import ConnectionMode
    from testcontainers.core.config import testcontainers_config as config

    mode = os.environ.get("TESTCONTAINERS_CONNECTION_MODE")
    if config.connection_mode_override is None and mode:
        try:
            config.connection_mode_override = ConnectionMode(mode)
        except ValueError:
            raise HarnessError(
                f"TESTCONTAINERS_CONNECTION_MODE={mode!r}: use one of {', '.join(m.value for m in ConnectionMode)}"
            ) from None
    host = os.environ.get("TC_HOST") or os.environ.get("TESTCONTAINERS_HOST_OVERRIDE")
    if not config.tc_host_override and host:
        config.tc_host_override = host


def _remove(container: Any) -> None:
    with contextlib.suppress(Exception):
        container.stop()
