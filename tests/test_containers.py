"""Container brokers (harness/bus/containers.py): image names, URLs, engine detection and its failure
messages without an engine; with an engine (DOCKER_HOST, or /var/run/docker.sock), real brokers started,
used and removed. The engine tests skip with docker_available()'s reason when none answers; make one with
scripts/local-container-engine.sh.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from harness.bus import containers
from harness.bus.containers import (
    DEFAULT_IMAGES,
    BrokerContainer,
    broker_url,
    docker_available,
    image_env_var,
    image_for,
    prepare_environment,
    start_broker,
)
from harness.errors import HarnessError

TC_VARS = (
    "TESTCONTAINERS_RYUK_DISABLED",
    "TESTCONTAINERS_CONNECTION_MODE",
    "TESTCONTAINERS_HOST_OVERRIDE",
    "TC_HOST",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- image names and URLs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rabbitmq", "nats", "redis", "kafka"])
def test_image_from_argument_then_env_then_default(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    var = image_env_var(kind)
    assert var == f"EM_HARNESS_IMAGE_{kind.upper()}"
    monkeypatch.delenv(var, raising=False)
    assert image_for(kind) == DEFAULT_IMAGES[kind]
    monkeypatch.setenv(var, "registry.internal.example/mirror/broker:1")
    assert image_for(kind) == "registry.internal.example/mirror/broker:1"
    assert image_for(kind, "local/broker:2") == "local/broker:2"
    monkeypatch.setenv(var, "  ")
    assert image_for(kind) == DEFAULT_IMAGES[kind]


def test_public_defaults() -> None:
    assert DEFAULT_IMAGES == {
        "rabbitmq": "rabbitmq:3",
        "nats": "nats:2",
        "redis": "redis:7",
        "kafka": "apache/kafka:3.8.0",
    }
    assert containers.SPECS["nats"].command == ("-js",)


def test_unknown_kind_is_one_line() -> None:
    with pytest.raises(HarnessError, match=r"container broker 'mqtt': unknown kind; use rabbitmq, nats, redis, kafka"):
        image_for("mqtt")
    with pytest.raises(HarnessError):
        start_broker("mqtt")
    with pytest.raises(HarnessError):
        broker_url("mqtt", "localhost", 1)


def test_broker_urls() -> None:
    assert broker_url("rabbitmq", "127.0.0.1", 32768) == "amqp://guest:guest@127.0.0.1:32768/"
    assert broker_url("nats", "127.0.0.1", 32769) == "nats://127.0.0.1:32769"
    assert broker_url("redis", "localhost", 6380) == "redis://localhost:6380"
    assert broker_url("kafka", "10.0.0.5", 9093) == "kafka://10.0.0.5:9093"
    assert broker_url("nats", "::1", 4222) == "nats://[::1]:4222"


def test_kafka_advertises_the_published_address() -> None:
    env = containers._kafka_env("127.0.0.1", 40123)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://127.0.0.1:40123"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"


class _FakeContainer:
    def __init__(self) -> None:
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1
        if self.stops > 1:
            raise RuntimeError("already removed")


def test_broker_container_url_and_idempotent_stop() -> None:
    fake = _FakeContainer()
    with BrokerContainer("redis", "redis:7", "127.0.0.1", 40000, fake) as broker:
        assert broker.url == "redis://127.0.0.1:40000"
    assert fake.stops == 1
    broker.stop()
    assert fake.stops == 1


# -- testcontainers settings -------------------------------------------------------------------------------
@pytest.fixture
def clean_tc_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No testcontainers or engine settings; whatever prepare_environment() sets is undone afterwards."""
    for var in (*TC_VARS, "DOCKER_HOST"):
        monkeypatch.setenv(var, "")  # recorded, so the original (or its absence) comes back after the test
        monkeypatch.delenv(var)
    return monkeypatch


def test_ryuk_disabled_unless_the_user_says_otherwise(clean_tc_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_tc_env.setattr(containers, "DOCKERENV", tmp_path / "absent")
    prepare_environment()
    import os

    assert os.environ["TESTCONTAINERS_RYUK_DISABLED"] == "true"
    assert "TESTCONTAINERS_CONNECTION_MODE" not in os.environ
    assert "TESTCONTAINERS_HOST_OVERRIDE" not in os.environ
    clean_tc_env.setenv("TESTCONTAINERS_RYUK_DISABLED", "false")
    prepare_environment()
    assert os.environ["TESTCONTAINERS_RYUK_DISABLED"] == "false"


def test_inside_a_container_the_local_engine_is_reached_on_loopback(
    clean_tc_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    marker = tmp_path / ".dockerenv"
    marker.touch()
    clean_tc_env.setattr(containers, "DOCKERENV", marker)
    clean_tc_env.setenv("DOCKER_HOST", "unix:///run/podman/podman.sock")
    prepare_environment()
    assert os.environ["TESTCONTAINERS_CONNECTION_MODE"] == "docker_host"
    assert os.environ["TESTCONTAINERS_HOST_OVERRIDE"] == "127.0.0.1"


def test_inside_a_container_user_settings_and_remote_engines_are_left_alone(
    clean_tc_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    marker = tmp_path / ".dockerenv"
    marker.touch()
    clean_tc_env.setattr(containers, "DOCKERENV", marker)
    clean_tc_env.setenv("DOCKER_HOST", "tcp://docker.internal.example:2375")
    clean_tc_env.setenv("TESTCONTAINERS_CONNECTION_MODE", "gateway_ip")
    prepare_environment()
    assert os.environ["TESTCONTAINERS_CONNECTION_MODE"] == "gateway_ip"
    assert "TESTCONTAINERS_HOST_OVERRIDE" not in os.environ


# -- no engine -----------------------------------------------------------------------------------------------
def test_docker_host_at_a_missing_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{missing}")
    ok, why = docker_available()
    assert ok is False
    assert f"no socket at {missing}" in why
    assert "scripts/local-container-engine.sh" in why
    with pytest.raises(HarnessError) as caught:
        start_broker("nats")
    message = str(caught.value)
    assert message.startswith("container:nats: DOCKER_HOST=")
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_no_docker_host_and_no_default_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(containers, "DEFAULT_SOCKET", str(tmp_path / "docker.sock"))
    ok, why = docker_available()
    assert ok is False
    assert "DOCKER_HOST is not set" in why
    assert str(tmp_path / "docker.sock") in why


def test_a_socket_nobody_answers_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dead = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(dead))
    listener.close()  # the file exists, nothing listens
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
    ok, why = docker_available()
    assert ok is False
    assert why.startswith(f"container engine at unix://{dead} does not answer")
    assert "\n" not in why


def test_a_tcp_engine_that_is_not_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{_free_port()}")
    ok, why = docker_available()
    assert ok is False
    assert "does not answer" in why


# -- with an engine ------------------------------------------------------------------------------------------
ENGINE = docker_available()
needs_engine = pytest.mark.skipif(not ENGINE[0], reason=ENGINE[1])


def _engine_has(image: str) -> bool:
    import docker

    client = docker.from_env(timeout=10)
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    finally:
        client.close()


def _container_exists(container_id: str) -> bool:
    import docker

    client = docker.from_env(timeout=10)
    try:
        client.containers.get(container_id)
        return True
    except docker.errors.NotFound:
        return False
    finally:
        client.close()


async def _nats_round_trip(url: str) -> bytes:
    import nats

    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        sub = await nc.subscribe("em-harness.container-check")
        await nc.publish("em-harness.container-check", b"hello")
        return (await sub.next_msg(timeout=5)).data
    finally:
        await nc.close()


def _redis_ping(url: str) -> bytes:
    host, port = url.removeprefix("redis://").rsplit(":", 1)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(64)


async def _amqp_round_trip(url: str) -> bytes:
    import aio_pika

    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await channel.default_exchange.publish(aio_pika.Message(b"hello"), routing_key=queue.name)
        message = await queue.get(timeout=5, fail=True)
        assert message is not None
        await message.ack()
        return message.body
    finally:
        await connection.close()


def _use(kind: str, url: str) -> Any:
    if kind == "nats":
        assert asyncio.run(_nats_round_trip(url)) == b"hello"
    elif kind == "redis":
        assert _redis_ping(url).startswith(b"+PONG")
    else:
        assert asyncio.run(_amqp_round_trip(url)) == b"hello"


@needs_engine
@pytest.mark.parametrize("kind", ["nats", "redis", "rabbitmq"])
def test_a_broker_in_a_container_is_used_then_removed(kind: str) -> None:
    if not _engine_has(image_for(kind)):
        pytest.skip(f"the engine has no {image_for(kind)} image (scripts/local-container-engine.sh builds one)")
    broker = start_broker(kind, timeout=180)
    container_id = broker.container.get_container_id()
    try:
        assert broker.url == broker_url(kind, broker.host, broker.port)
        _use(kind, broker.url)
    finally:
        broker.stop()
    assert not _container_exists(container_id)
    with pytest.raises(OSError), socket.create_connection((broker.host, broker.port), timeout=2):
        pass


@needs_engine
def test_an_image_the_engine_cannot_get_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EM_HARNESS_IMAGE_NATS", "localhost/em-harness/no-such-image:0")
    with pytest.raises(HarnessError) as caught:
        start_broker("nats", timeout=60)
    message = str(caught.value)
    assert message.startswith("container:nats: image 'localhost/em-harness/no-such-image:0'")
    assert "set EM_HARNESS_IMAGE_NATS" in message
    assert "\n" not in message


@needs_engine
def test_a_broker_that_never_gets_ready_is_removed() -> None:
    nats_image = image_for("nats")
    if not _engine_has(nats_image):
        pytest.skip(f"the engine has no {nats_image} image")
    import docker

    client = docker.from_env(timeout=10)
    before = {c.id for c in client.containers.list(all=True)}
    # a NATS server never logs Redis's ready line
    with pytest.raises(HarnessError) as caught:
        start_broker("redis", image=nats_image, timeout=5)
    message = str(caught.value)
    assert message.startswith(f"container:redis: the {nats_image} container did not become ready within 5 s")
    assert "\n" not in message
    assert {c.id for c in client.containers.list(all=True)} <= before
    client.close()
