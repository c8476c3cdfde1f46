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
