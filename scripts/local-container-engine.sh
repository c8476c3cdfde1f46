#!/usr/bin/env bash
# A local, Docker-compatible container engine for `--bus container:...` and the testcontainers tests, on a
# Debian machine that reaches Debian's package mirror but no container registry.
#
# What it does (each step is skipped when already done, so re-running is cheap):
#   1. installs podman, runc and debootstrap from Debian's packages;
#   2. configures podman for a plain machine or a container sandbox: runc, vfs storage, cgroupfs, file
#      events, and default ulimits (nofile 20000, nproc 4096) so brokers start where the host limit is huge
#      or tiny;
#   3. starts `podman system service` on a Docker-compatible socket (unix:///run/podman/podman.sock);
#   4. builds a minimal Debian root filesystem with debootstrap and imports it as an image;
#   5. builds broker images from Debian's own packages (nats-server, redis-server, rabbitmq-server) and tags
#      them with the names harness/bus/containers.py uses by default (nats:2, redis:7, rabbitmq:3), so no
#      EM_HARNESS_IMAGE_* setting is needed. Kafka is not packaged by Debian: no local Kafka image;
#   6. prints the environment to export (DOCKER_HOST, TESTCONTAINERS_*).
#
# Usage: sudo bash scripts/local-container-engine.sh            (as root)
#        EM_ENGINE_MIRROR=http://mirror/debian bash scripts/...  (another Debian mirror for debootstrap)
# Stop the engine with: kill "$(cat /run/podman/em-harness-service.pid)"
set -euo pipefail

SOCKET_DIR=/run/podman
SOCKET=$SOCKET_DIR/podman.sock
PIDFILE=$SOCKET_DIR/em-harness-service.pid
SERVICE_LOG=/var/log/em-harness-podman-service.log
BASE_IMAGE=localhost/em-harness/debian-base:latest
ROOTFS=/var/tmp/em-harness-rootfs
MARK="# em-harness local-container-engine"

say() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts podman as a system service)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian machines"

# shellcheck disable=SC1091
. /etc/os-release
SUITE=${VERSION_CODENAME:-bookworm}

mirror() {
  if [ -n "${EM_ENGINE_MIRROR:-}" ]; then
    echo "$EM_ENGINE_MIRROR"
    return
  fi
  local found
  found=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    grep -v security | head -n 1 | awk '{ if ($1 == "URIs:") print $2; else for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }')
  echo "${found:-http://deb.debian.org/debian}"
}

# -- 1. packages -------------------------------------------------------------------------------------------
need=()
for pkg in podman runc debootstrap containernetworking-plugins iptables; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  say "installing ${need[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  say "podman, runc and debootstrap already installed"
fi

# -- 2. configuration ---------------------------------------------------------------------------------------
mkdir -p /etc/containers
write_conf() { # file, then the contents on stdin
  if [ -f "$1" ] && grep -qF "$MARK" "$1"; then
    say "$1 already configured"
    cat >/dev/null
    return
  fi
  [ -f "$1" ] && cp "$1" "$1.before-em-harness"
  { echo "$MARK"; cat; } >"$1"
  say "wrote $1"
}
write_conf /etc/containers/storage.conf <<'EOF'
# vfs copies every layer in full (about 1 GB for the three broker images) but needs no overlay or fuse
# support from the kernel, which a container sandbox rarely gives.
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
write_conf /etc/containers/containers.conf <<'EOF'
[containers]
# Brokers (Erlang, Redis) refuse to start, or start very slowly, under the odd limits a sandbox passes down.
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

# -- 3. the Docker-compatible socket ----------------------------------------------------------------------
ping() { curl -fsS --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if ping; then
  say "podman service already answering on $SOCKET"
else
  command -v curl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
  mkdir -p "$SOCKET_DIR"
  rm -f "$SOCKET"
  say "starting podman system service on $SOCKET (log: $SERVICE_LOG)"
  setsid nohup podman system service --time=0 "unix://$SOCKET" >"$SERVICE_LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    ping && break
    sleep 0.5
  done
  ping || die "podman system service did not answer on $SOCKET within 30 s; see $SERVICE_LOG"
fi

# -- 4. a minimal Debian image --------------------------------------------------------------------------
if podman image exists "$BASE_IMAGE"; then
  say "$BASE_IMAGE already exists"
else
  url=$(mirror)
  if [ ! -x "$ROOTFS/bin/sh" ]; then
    say "debootstrap $SUITE (minbase) from $url into $ROOTFS"
    rm -rf "$ROOTFS"
    debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$url" >/var/log/em-harness-debootstrap.log 2>&1 ||
      die "debootstrap failed; see /var/log/em-harness-debootstrap.log"
  fi
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  say "importing $ROOTFS as $BASE_IMAGE"
  tar -C "$ROOTFS" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
fi

# -- 5. broker images from Debian's packages --------------------------------------------------------------
build() { # name, local tag, default tags..., then the Containerfile on stdin
  local name=$1 tag=$2
  shift 2
  local dir
  if podman image exists "$tag"; then
    say "$tag already exists"
    cat >/dev/null
  else
    dir=$(mktemp -d)
    cat >"$dir/Containerfile"
    say "building $tag ($name from Debian's packages)"
    if ! podman build --network host -t "$tag" "$dir" >"/var/log/em-harness-build-$name.log" 2>&1; then
      tail -n 20 "/var/log/em-harness-build-$name.log" >&2
      die "building $tag failed; see /var/log/em-harness-build-$name.log"
    fi
    rm -rf "$dir"
  fi
  local alias
  for alias in "$@"; do
    podman tag "$tag" "$alias"
  done
}

build nats localhost/em-harness/nats:local docker.io/library/nats:2 <<EOF
FROM $BASE_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 4222
# Same interface as the public nats image: the entry point is the server, arguments follow (-js for JetStream).
ENTRYPOINT ["nats-server", "-sd", "/tmp/nats"]
CMD ["-js"]
EOF

build redis localhost/em-harness/redis:local docker.io/library/redis:7 <<EOF
FROM $BASE_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
EOF

build rabbitmq localhost/em-harness/rabbitmq:local docker.io/library/rabbitmq:3 <<EOF
FROM $BASE_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server \
 && rm -rf /var/lib/apt/lists/* \
 && printf 'loopback_users.guest = false\nlisteners.tcp.default = 5672\n' >/etc/rabbitmq/rabbitmq.conf
# Like the public image: guest/guest from outside the container, logs on standard output.
ENV RABBITMQ_LOGS=-
EXPOSE 5672
CMD ["rabbitmq-server"]
EOF

# -- 6. what to export -------------------------------------------------------------------------------------
say "ready. Images: nats:2, redis:7 and rabbitmq:3 (built from Debian's packages); no Kafka image."
say "to use other names: EM_HARNESS_IMAGE_NATS=localhost/em-harness/nats:local" \
  "EM_HARNESS_IMAGE_REDIS=localhost/em-harness/redis:local EM_HARNESS_IMAGE_RABBITMQ=localhost/em-harness/rabbitmq:local"
echo
echo "export DOCKER_HOST=unix://$SOCKET"
echo "export TESTCONTAINERS_RYUK_DISABLED=true"
if [ -f /.dockerenv ]; then
  # inside a container testcontainers would otherwise look for published ports at the default gateway
  echo "export TESTCONTAINERS_CONNECTION_MODE=docker_host"
  echo "export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"
fi
