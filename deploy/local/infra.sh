#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer on 127.0.0.1, installing them from
# Debian's packages if this machine has neither. Idempotent; used by `make up`,
# `make test` and CI.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 120); do port_open "$port" && return 0; sleep 0.5; done
  echo "infra: $what did not open port $port" >&2
  return 1
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open 5432; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "infra: installing PostgreSQL from Debian's packages" >&2
    apt_install postgresql
    local version hba
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    # Local development and CI only: trust connections from this machine.
    sed -i -E 's/^(local|host)(\s+all\s+all\s+.*)\s(peer|md5|scram-sha-256)$/\1\2 trust/' "$hba"
    sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$hba"
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "infra: starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port 5432 PostgreSQL
}

ensure_rabbitmq() {
  if port_open 5672; then return 0; fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "infra: installing RabbitMQ from Debian's packages" >&2
    apt_install rabbitmq-server
  fi
  echo "infra: starting RabbitMQ" >&2
  rabbitmq-server -detached || true
  wait_port 5672 RabbitMQ
  rabbitmqctl await_startup >/dev/null 2>&1 || true
}

ensure_vhost() {
  command -v rabbitmqctl >/dev/null 2>&1 || return 0
  rabbitmqctl add_vhost "$1" >/dev/null 2>&1 || true
  rabbitmqctl set_permissions -p "$1" guest ".*" ".*" ".*" >/dev/null 2>&1 || true
}

ensure_database() {
  local exists
  exists=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$1'")
  if [ "$exists" != "1" ]; then psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$1\""; fi
}

ensure_postgres
ensure_rabbitmq
for vhost in "$@"; do ensure_vhost "$vhost"; done
if [ -n "${SEMPAPEL_ENSURE_DB:-}" ]; then ensure_database "$SEMPAPEL_ENSURE_DB"; fi
echo "infra: PostgreSQL and RabbitMQ are up" >&2
