# One image for every service of Prefeitura sem Papel.
# The container's command picks the service: `sempapel servico <nome>`
# (gateway, auth, tenancy, processos, documentos, busca); the same image runs
# the operator commands (`sempapel migrar`, `sempapel piloto`, ...).
#
#   docker build -t prefeitura-sem-papel:local .
#   docker run --rm -e SEMPAPEL_JWT_SECRET=... prefeitura-sem-papel:local sempapel servico auth
#
# Every dependency has a manylinux wheel for CPython 3.11 except psycogreen and pysolr,
# both pure Python, so the slim image needs no compiler. python-oracledb runs in thin
# mode (no Oracle client libraries).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SEMPAPEL_HTTP_ADDRESS=0.0.0.0:8000 \
    SEMPAPEL_LOG_FORMAT=json

# Fixed numeric uid/gid so Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10001 sempapel \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin sempapel

# Only what `pip install .` needs; the source tree is removed after installing,
# the code runs from site-packages.
COPY pyproject.toml constraints.txt /tmp/src/
COPY services /tmp/src/services
RUN pip install --no-cache-dir -c /tmp/src/constraints.txt /tmp/src \
    && rm -rf /tmp/src \
    && sempapel --help > /dev/null

WORKDIR /app
USER 10001:10001

# Gateway: public API. Every other service: /healthz and /readyz only.
EXPOSE 8000

# Liveness for plain `docker run`; Compose and Kubernetes define their own probes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["sempapel", "servico", "gateway"]
