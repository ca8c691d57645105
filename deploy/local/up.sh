#!/usr/bin/env bash
# Start the whole platform on this machine: infrastructure, pilot municipalities,
# and one process per service, the gateway on http://localhost:8000.
# State (signing key, admin password, logs, pids) lives in .run/.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=.run
mkdir -p "$RUN"
SEMPAPEL=.venv/bin/sempapel

export SEMPAPEL_DATABASE_URL=${SEMPAPEL_DATABASE_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/sempapel}
export SEMPAPEL_AMQP_URI=${SEMPAPEL_AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
export SEMPAPEL_CORS_ORIGINS=${SEMPAPEL_CORS_ORIGINS:-http://localhost:3000,http://localhost:5173}
SEMPAPEL_ENSURE_DB=sempapel bash deploy/local/infra.sh

# Documents: s3rver (npm) speaks S3 over HTTP and keeps the objects on disk in .run/s3.
# Plain object operations only (no object lock): the platform checks that before using it.
export SEMPAPEL_S3_ENDPOINT=${SEMPAPEL_S3_ENDPOINT:-127.0.0.1:9000}
export SEMPAPEL_S3_ACCESS_KEY=${SEMPAPEL_S3_ACCESS_KEY:-S3RVER}
export SEMPAPEL_S3_SECRET_KEY=${SEMPAPEL_S3_SECRET_KEY:-S3RVER}
if [ "$SEMPAPEL_S3_ENDPOINT" = 127.0.0.1:9000 ] && ! (exec 3<>/dev/tcp/127.0.0.1/9000) 2>/dev/null; then
  if [ ! -x "$RUN/node/node_modules/.bin/s3rver" ]; then
    echo "up: installing s3rver from the npm registry into $RUN/node" >&2
    npm install --silent --prefix "$RUN/node" s3rver@3.7.1 >/dev/null
  fi
  mkdir -p "$RUN/s3"
  setsid "$RUN/node/node_modules/.bin/s3rver" --address 127.0.0.1 --port 9000 \
    --directory "$RUN/s3" > "$RUN/s3rver.log" 2>&1 < /dev/null &
  echo $! > "$RUN/s3rver.pid.infra"
  for _ in $(seq 1 40); do (exec 3<>/dev/tcp/127.0.0.1/9000) 2>/dev/null && break; sleep 0.25; done
fi

# The signing key has no default anywhere: the local run makes its own, once.
if [ -z "${SEMPAPEL_JWT_SECRET:-}" ]; then
  [ -s "$RUN/jwt_secret" ] || { umask 077; "$SEMPAPEL" chave > "$RUN/jwt_secret"; }
  SEMPAPEL_JWT_SECRET=$(cat "$RUN/jwt_secret")
  export SEMPAPEL_JWT_SECRET
fi
if [ -z "${SEMPAPEL_ADMIN_SENHA:-}" ]; then
  [ -s "$RUN/admin_senha" ] || { umask 077; "$SEMPAPEL" chave | cut -c1-16 > "$RUN/admin_senha"; }
  SEMPAPEL_ADMIN_SENHA=$(cat "$RUN/admin_senha")
  export SEMPAPEL_ADMIN_SENHA
fi

"$SEMPAPEL" piloto

bash deploy/local/down.sh >/dev/null 2>&1 || true
port=8100
for service in tenancy auth processos documentos busca gateway; do
  if [ "$service" = gateway ]; then address=0.0.0.0:8000; else port=$((port + 1)); address=127.0.0.1:$port; fi
  SEMPAPEL_HTTP_ADDRESS=$address setsid "$SEMPAPEL" servico "$service" \
    > "$RUN/$service.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$service.pid"
done

for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:8000/readyz >/dev/null 2>&1 \
     && curl -fsS http://127.0.0.1:8000/api/v1/saude/auth >/dev/null 2>&1; then
    cat <<MSG

Prefeitura sem Papel no ar: http://localhost:8000  (API em /api/v1, OpenAPI em /api/v1/openapi.json)
Municípios piloto: 5203302 5205109 5208004 5211800 5212204 5217104, usuário "admin",
senha em .run/admin_senha (ou a de SEMPAPEL_ADMIN_SENHA). Logs em .run/*.log; parar: make down

  curl -s -X POST localhost:8000/api/v1/auth/login -H 'Content-Type: application/json' \\
    -d '{"municipio": "5208004", "usuario": "admin", "senha": "'"$SEMPAPEL_ADMIN_SENHA"'"}'
MSG
    exit 0
  fi
  sleep 0.5
done
echo "the gateway did not become ready; see .run/*.log" >&2
exit 1
