#!/usr/bin/env bash
# CI machine set-up only: make sure a Docker engine runs here and can start
# privileged containers (kind nodes). On a user's machine the harness only
# needs a running Docker and this script is never called.
#
# This machine's capability bounding set lacks CAP_SYS_RESOURCE, so plain runc
# cannot start privileged containers; dockerd is started with runc-compat
# (images/runc-compat) as its default runtime, which drops that capability
# from each spec before calling the real runc.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
log=${DOCKERD_LOG:-/var/log/dockerd-ci.log}

say() { printf '[docker-up] %s\n' "$*"; }

# Debian packages CI needs: the engine, debootstrap for `make images`, and
# chromium for the test that renders the HTML report in a real browser
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io iptables)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi

# kind's nodes run systemd, kubelet and controllers that each take inotify
# instances; the kernel's default of 128 per user runs out with a cluster or
# two (MetalLB's controller then crash-loops): raise it as kind's own docs advise
for kv in fs.inotify.max_user_instances=1024 fs.inotify.max_user_watches=1048576; do
  sysctl -qw "$kv" 2>/dev/null || say "could not set $kv (kind clusters may run out of inotify instances)"
done

if docker info >/dev/null 2>&1; then
  say "a Docker engine already answers; using it"
  exit 0
fi

wrapper=/usr/local/sbin/runc-compat
if [ ! -x "$wrapper" ] || [ "$here/images/runc-compat/main.go" -nt "$wrapper" ]; then
  say "building runc-compat"
  (cd "$here/images/runc-compat" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$wrapper" .)
fi

mkdir -p /etc/docker
cat > /etc/docker/daemon.json <<JSON
{
  "runtimes": {"compat": {"path": "$wrapper"}},
  "default-runtime": "compat",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m"}
}
JSON

if [ -e /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi
say "starting dockerd (log: $log)"
nohup dockerd >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    say "dockerd ready (pid $pid, $(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    say "dockerd exited; last lines of $log:"; tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
say "dockerd did not answer within 60s; last lines of $log:"; tail -n 20 "$log" >&2
exit 1
