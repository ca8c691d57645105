#!/usr/bin/env bash
# Stop the service processes that up.sh started (infrastructure stays up).
cd "$(dirname "$0")/../.." || exit 1
for pidfile in .run/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
done
echo "serviços parados"
