"""Documents through the gateway: upload and download of small and large files, against raw S3.

One run: fresh database and vhost; an S3 server of our own (`moto_server`, in
memory, on a free port); tenancy, auth, processos, documentos and gateway as
separate processes (`sempapel servico ...`) pointed at it through
`SEMPAPEL_S3_*`. One municipality (Formosa, 5208004), an administrator
(`sempapel usuario criar --administrador`) who creates unit PROT through the
API, raises the municipality's upload limit and gives one user a `basico`
permission there; that user opens one process per client (documents of one
process are numbered under one row lock). Then 10 closed-loop clients (each
with its own keep-alive connection, or its own S3 client), after a warm-up, in
this order, so that each gateway figure sits next to its baseline:

  S3 PUT 100 KB            the same moto server from a plain S3 client (minio SDK),
                           length -1 and SEMPAPEL_S3_PART_BYTES parts: one PUT
  gateway upload 100 KB    POST /api/v1/processos/{id}/documentos, multipart, fields first
  S3 GET 100 KB
  gateway download 100 KB  GET /api/v1/documentos/{id}/conteudo
  S3 PUT 10 MB             multipart (length -1, SEMPAPEL_S3_PART_BYTES), as the gateway
                           stores files it has no declared size for, or larger ones
  S3 PUT 10 MB             one request (length known), as the gateway stores a file whose
                           request declares at most SEMPAPEL_S3_SINGLE_PUT_BYTES
  gateway upload 10 MB     30 s (--big-upload-duration): each request takes seconds
  S3 GET 10 MB             the objects of the one-request PUT, written as the gateway writes
                           10 MB documents; read as the gateway reads a file above 1 MiB:
                           streamed in 1 MiB chunks, never joined (100 KB: joined)
  gateway download 10 MB
  proxy download 10 MB     bench/proxy_verificador.py: a plain threaded server that only
                           GETs from S3, hashes every byte and sends it on from reused
                           buffers (no token, no access check, no database): a floor for
                           any download that verifies every byte it serves, next to the
                           same raw GET

The files are valid PDFs (a page with a line of text and a scanned image of random
bytes; see --arquivo), recognised by content. Before measuring, one file of each size is
uploaded and downloaded and checked end to end (the S3 requests each makes are
read from moto's log), and one file of each size with every byte value is
uploaded and its answer reported. Every upload makes documentos fetch the file
and extract its text in the background (the `documento.incluido` event); after
each upload measure the bench waits until every document has its text record
and the outboxes are drained, and reports how long that took and what it cost.
It prints objects/s, MB/s (MB = 10^6 bytes), p50/p90/p99, the ratios gateway
MB/s / raw S3 MB/s (target 0.5), the CPU milliseconds per request in every
process (moto, reaped children and the rest of the machine too), and the peak
RSS of the gateway, documentos (alone, and with its extraction children) and
moto in each measure.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_gateway import wait_route
from load import (
    LOAD_HEADERS,
    REPO,
    SEMPAPEL,
    VENV_BIN,
    CpuProbe,
    LoadResult,
    Processes,
    Req,
    add_common_options,
    bench_infrastructure,
    checkpoint,
    descendants,
    exit_on_sigterm,
    fmt,
    free_port,
    http_json,
    load_row,
    login_bearer,
    machine_note,
    print_cpu,
    print_table,
    ratio,
    run_checked,
    run_load,
    run_sql,
    service_env,
)

IBGE, NOME, UF = "5208004", "Formosa", "GO"
SCHEMA = f"mun_{IBGE}"
ADMIN, USUARIO, SENHA = "bench_adm", "bench_doc", "senha-de-bench-123"
SIGLA = "PROT"
S3_ACCESS, S3_SECRET = "bench-acesso", "bench-segredo-s3"
BUCKET = "sempapel-bench"
RAW_PREFIX = "bench-bruto"  # the baseline's keys, beside the platform's mun_<ibge>/ ones
META = 0.5  # gateway MB/s / raw S3 MB/s
BOUNDARY = "sempapelbenchlimite7d1e"
SERVICES = ("tenancy", "auth", "processos", "documentos", "gateway")
MB = 1_000_000


def checked(status: int, body: object, expected: int, what: str) -> Any:
    if status != expected:
        raise RuntimeError(f"{what}: HTTP {status} (esperado {expected}): {body}")
    return body


def pdf_bytes(size: int, seed: int) -> bytes:
    """A valid PDF of exactly `size` bytes: one page with a line of text and a scanned image.

    The image stream (declared JPEG, so no reader decodes it for text) holds random bytes,
    every byte value included, as compressed streams look; the xref table is exact, so a
    PDF reader finds the page and its text as in a real scanned document.
    """
    texto = b"BT /F1 12 Tf 72 720 Td (Documento de bench " + str(seed).encode() + b") Tj ET"
    conteudo_pagina = texto + b" q 200 0 0 200 72 400 cm /Im1 Do Q"

    def montar(filler: bytes) -> bytes:
        objetos = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
            b"/Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(conteudo_pagina), conteudo_pagina),
            b"<< /Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % len(filler)
            + filler
            + b"\nendstream",
        ]
        saida = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        posicoes = []
        for numero, objeto in enumerate(objetos, start=1):
            posicoes.append(len(saida))
            saida += b"%d 0 obj\n%s\nendobj\n" % (numero, objeto)
        xref = len(saida)
        saida += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objetos) + 1)
        saida += b"".join(b"%010d 00000 n \n" % p for p in posicoes)
        saida += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objetos) + 1,
            xref,
        )
        return bytes(saida)

    filler_size = size - len(montar(b""))
    while (total := len(montar(b"\0" * filler_size))) != size:  # digits of lengths, offsets
        filler_size += size - total
    return montar(random.Random(seed).randbytes(filler_size))


def random_bytes_pdf(size: int, seed: int) -> bytes:
    """`%PDF-1.7` and random bytes: recognised as PDF, unreadable as one (no xref, no %%EOF)."""
    head = b"%PDF-1.7\n"
    return head + random.Random(seed).randbytes(max(size - len(head), 0))


def multipart_body(tipo_documento: str, data: bytes, filename: str) -> bytes:
    """The upload as a browser form sends it: the text fields first, then the file."""
    parts = []
    for name, value in (("tipo_documento", tipo_documento), ("nivel_acesso", "publico")):
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
        f'name="arquivo"; filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    return "".join(parts).encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def size_label(size: int) -> str:
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000} KB"
    return f"{size:,} B"


# --------------------------------------------------------------------------- memory


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def services_digest() -> str:
    """A digest of the running services' code: documentos' children import it afresh."""
    digest = hashlib.sha256()
    packages = ("chassis", *SERVICES)
    paths = [p for pkg in packages for p in (REPO / "services" / pkg).rglob("*.py")]
    for path in sorted(paths):
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


class RssProbe:
    """Peak resident memory of some processes during one phase.

    At the start the kernel's peak (VmHWM) is reset by writing 5 to
    /proc/<pid>/clear_refs; at the end VmHWM is that phase's peak. VmRSS is also
    sampled every 50 ms, which is the figure given where the reset is refused.
    One process (`family`) is also sampled with its descendants summed: the
    extraction children of documentos.
    """

    def __init__(self, named: dict[str, int], family: str) -> None:
        self.named = named
        self.family = family  # also sampled with its descendants, summed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampled: dict[str, int] = {}
        self._reset: dict[str, bool] = {}

    def _family_kib(self) -> int:
        pid = self.named[self.family]
        return sum(_status_kib(p, "VmRSS") for p in [pid, *descendants(pid)])

    def now_mb(self) -> dict[str, float]:
        now = {n: _status_kib(p, "VmRSS") / 1024 for n, p in self.named.items()}
        now[f"{self.family} + filhos"] = self._family_kib() / 1024
        return now

    def start(self) -> None:
        for name, pid in self.named.items():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as fh:
                    fh.write("5")
                self._reset[name] = True
            except OSError:
                self._reset[name] = False
        self._sampled = {n: _status_kib(p, "VmRSS") for n, p in self.named.items()}
        self._family_peak = self._family_kib()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, name="rss", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for name, pid in self.named.items():
                self._sampled[name] = max(self._sampled[name], _status_kib(pid, "VmRSS"))
            self._family_peak = max(self._family_peak, self._family_kib())

    def stop(self) -> dict[str, float]:
        """Peak MB per process since start()."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        peaks = {}
        for name, pid in self.named.items():
            sampled = self._sampled.get(name, 0)
            hwm = _status_kib(pid, "VmHWM") if self._reset.get(name) else 0
            peaks[name] = max(hwm, sampled) / 1024
        peaks[f"{self.family} + filhos"] = self._family_peak / 1024  # sampled only
        return peaks

    @property
    def exact(self) -> bool:
        return all(self._reset.values())


# --------------------------------------------------------------------------- raw S3 load


def run_calls(
    name: str,
    make_client: Callable[[], Any],
    call: Callable[[Any, int, int], None],
    *,
    clients: int,
    duration: float,
    warmup: float,
    cpu_probe: Callable[[], dict[str, float]] | None = None,
) -> LoadResult:
    """`run_load`'s closed loop for calls that are not plain HTTP requests (an S3 SDK).

    Each thread has its own client from `make_client()` and runs `call(client,
    index, seq)` as soon as its last call returned; a call that raises is an
    error. The warm-up is discarded and timing and CPU are taken as in `run_load`.
    """
    start_barrier = threading.Barrier(clients + 1)
    measure_start = [0.0]
    deadline = [float("inf")]
    per_thread: list[dict[str, Any]] = [
        {"lat": [], "errors": 0, "samples": [], "last_end": 0.0} for _ in range(clients)
    ]

    def client(index: int) -> None:
        state = per_thread[index]
        handle = make_client()
        seq = 0
        start_barrier.wait()
        while time.perf_counter() < deadline[0]:
            t0 = time.perf_counter()
            error = None
            try:
                call(handle, index, seq)
            except Exception as exc:  # noqa: BLE001 - counted and sampled, like HTTP errors
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
            seq += 1
            t1 = time.perf_counter()
            if t0 < measure_start[0]:
                continue
            state["last_end"] = t1
            if error is None:
                state["lat"].append((t1 - t0) * 1000)
            else:
                state["errors"] += 1
                if len(state["samples"]) < 3:
                    state["samples"].append(error)

    threads = [
        threading.Thread(target=client, args=(i,), name=f"s3-{i}", daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    begin = time.perf_counter()
    measure_start[0] = begin + warmup
    deadline[0] = measure_start[0] + duration
    start_barrier.wait()
    cpu_before = None
    try:
        if cpu_probe is not None:
            time.sleep(max(0.0, measure_start[0] - time.perf_counter()))
            cpu_before = cpu_probe()
        for t in threads:
            t.join()
    except BaseException:
        deadline[0] = 0.0
        raise
    cpu = {}
    if cpu_probe is not None and cpu_before is not None:
        after = cpu_probe()
        cpu = {k: after[k] - cpu_before.get(k, 0.0) for k in after}
    latencies = [x for s in per_thread for x in s["lat"]]
    errors = sum(s["errors"] for s in per_thread)
    last_end = max((s["last_end"] for s in per_thread), default=measure_start[0])
    return LoadResult(
        name=name,
        clients=clients,
        requests=len(latencies) + errors,
        errors=errors,
        seconds=max(last_end - measure_start[0], 1e-9),
        latencies_ms=latencies,
        error_samples=[x for s in per_thread for x in s["samples"]][:5],
        cpu_seconds=cpu,
    )


def minio_client(endpoint: str) -> Any:
    """A plain S3 client, built as the platform's ObjectStore builds its own."""
    from minio import Minio  # the SDK only: no service code in this process

    return Minio(endpoint, access_key=S3_ACCESS, secret_key=S3_SECRET, secure=False)


# --------------------------------------------------------------------------- background work


def background_state(database: str) -> dict[str, int]:
    """What the upload's background work has done: text records, events, outboxes."""
    row = run_sql(
        database,
        f"SELECT (SELECT count(*) FROM {SCHEMA}.documento WHERE origem = 'externo'), "
        f"(SELECT count(*) FROM {SCHEMA}.doc_texto), "
        f"(SELECT count(*) FROM {SCHEMA}.doc_texto WHERE situacao = 'falhou'), "
        f"(SELECT count(*) FROM {SCHEMA}.recebido_processos), "
        f"(SELECT count(*) FROM {SCHEMA}.outbox_documentos WHERE enviado_em IS NULL), "
        f"(SELECT count(*) FROM {SCHEMA}.outbox_processos WHERE enviado_em IS NULL)",
    )
    keys = ("documentos", "textos", "textos_falhos", "processos_aplicados")
    keys += ("outbox_documentos", "outbox_processos")
    return dict(zip(keys, (int(x) for x in row), strict=True))


def settled(state: dict[str, int]) -> bool:
    return (
        state["textos"] >= state["documentos"]
        and state["processos_aplicados"] >= state["documentos"]
        and state["outbox_documentos"] == 0
        and state["outbox_processos"] == 0
    )


def wait_background(
    database: str, probe: CpuProbe, timeout: float
) -> tuple[dict[str, int], dict[str, int], float, dict[str, float]]:
    """State when called, when settled, seconds until settled (NaN: never) and its CPU."""
    started = time.perf_counter()
    cpu_before = probe()
    first = state = background_state(database)
    while not settled(state) and time.perf_counter() - started < timeout:
        time.sleep(0.2)
        state = background_state(database)
    elapsed = time.perf_counter() - started
    after = probe()
    cpu = {k: after[k] - cpu_before.get(k, 0.0) for k in after}
    return first, state, elapsed if settled(state) else float("nan"), cpu


S3_LOG_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')


def s3_requests(log_path: Path, offset: int) -> str:
    """The S3 requests moto logged after `offset`, by kind: "PUT parte x2, HEAD x1"."""
    time.sleep(0.2)  # the last line may still be on its way
    with open(log_path, "rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode(errors="replace").splitlines()
    kinds: dict[str, int] = {}
    for line in lines:
        match = S3_LOG_LINE.search(line)
        if not match:
            continue
        method, target, status = match.groups()
        query = target.split("?", 1)[1] if "?" in target else ""
        params = sorted({p.split("=", 1)[0] for p in query.split("&") if p})
        if "partNumber" in params:
            kind = f"{method} parte"
        elif method == "POST" and "uploads" in params:
            kind = "POST inicia multipart"
        elif method == "POST" and "uploadId" in params:
            kind = "POST conclui multipart"
        elif params:
            kind = f"{method} ?{'&'.join(params)}"
        else:
            kind = method
        if status[0] != "2":
            kind += f" ({status})"
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{k} x{n}" for k, n in kinds.items()) or "nenhuma"


# --------------------------------------------------------------------------- run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measure (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before (2)")
    parser.add_argument(
        "--small", type=int, default=100_000, help="bytes of the small files (100,000)"
    )
    parser.add_argument(
        "--big", type=int, default=10_000_000, help="bytes of the large files (10,000,000)"
    )
    parser.add_argument(
        "--big-upload-duration",
        type=float,
        default=30.0,
        help="seconds of the large gateway upload measure, whose requests take seconds (30)",
    )
    parser.add_argument(
        "--part-bytes",
        type=int,
        default=8_388_608,
        help="SEMPAPEL_S3_PART_BYTES of the services and of the multipart baseline (8 MiB)",
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for text extraction and events after an upload phase (180)",
    )
    parser.add_argument(
        "--arquivo",
        choices=("pdf", "aleatorio"),
        default="pdf",
        help="the measured files: 'pdf', a valid PDF whose page has a line of text and a scanned "
        "image of random bytes (default); 'aleatorio', %%PDF-1.7 and random bytes, which PDF "
        "readers cannot parse (pypdf then searches the whole file backwards for %%%%EOF: "
        "0.3-0.5 s of CPU per 10 MB in the extraction process)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="the services' SEMPAPEL_LOG_LEVEL; INFO logs every call with its time (WARNING)",
    )
    add_common_options(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    begin = time.perf_counter()
    print(f"máquina no início: {machine_note()}", flush=True)
    code_before = services_digest()
    small, big = args.small, args.big
    sizes = {"p": small, "g": big}
    make_file = pdf_bytes if args.arquivo == "pdf" else random_bytes_pdf
    data = {k: make_file(n, seed=n) for k, n in sizes.items()}
    digest = {k: hashlib.sha256(v).hexdigest() for k, v in data.items()}
    results: dict[str, LoadResult] = {}
    extras: dict[str, LoadResult] = {}  # upload phases with their background work
    peaks: dict[str, dict[str, float]] = {}
    facts: dict[str, Any] = {}

    with (
        bench_infrastructure(args.database, args.vhost, args.keep),
        Processes(keep_logs=args.keep) as procs,
    ):
        s3_port = free_port()
        endpoint = f"127.0.0.1:{s3_port}"
        moto = procs.start(
            "moto",
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            dict(os.environ),
            f"http://{endpoint}/",
        )
        moto.wait_ready()
        s3_env = {
            "SEMPAPEL_S3_ENDPOINT": endpoint,
            "SEMPAPEL_S3_ACCESS_KEY": S3_ACCESS,
            "SEMPAPEL_S3_SECRET_KEY": S3_SECRET,
            "SEMPAPEL_S3_BUCKET": BUCKET,
            "SEMPAPEL_S3_PART_BYTES": str(args.part_bytes),
            "SEMPAPEL_UPLOAD_MAX_BYTES": str(max(104_857_600, 2 * big)),
            "SEMPAPEL_LOG_LEVEL": args.log_level,
        }
        env = service_env(args.database, args.vhost, **s3_env)
        run_checked(
            [SEMPAPEL, "municipio", "provisionar", "--ibge", IBGE, "--nome", NOME, "--uf", UF],
            env,
        )
        run_checked(
            [SEMPAPEL, "usuario", "criar", "--municipio", IBGE, "--login", ADMIN]
            + ["--nome", "Administração do bench", "--administrador"],
            env,
            input_text=SENHA + "\n",
        )
        run_checked(
            [SEMPAPEL, "usuario", "criar", "--municipio", IBGE, "--login", USUARIO]
            + ["--nome", "Protocolo do bench"],
            env,
            input_text=SENHA + "\n",
        )

        started = {"moto": (moto, f"http://{endpoint}")}
        for name in SERVICES:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            svc_env = service_env(
                args.database, args.vhost, http_address=f"127.0.0.1:{port}", **s3_env
            )
            proc = procs.start(name, [SEMPAPEL, "servico", name], svc_env, f"{base}/healthz")
            started[name] = (proc, base)
        proxy_port = free_port()
        proxy = procs.start(
            "proxy",
            [
                str(VENV_BIN / "python"),
                str(Path(__file__).with_name("proxy_verificador.py")),
                "--port",
                str(proxy_port),
            ],
            {**os.environ, **s3_env},
            f"http://127.0.0.1:{proxy_port}/healthz",
        )
        started["proxy"] = (proxy, f"http://127.0.0.1:{proxy_port}")
        for proc, _ in started.values():
            proc.wait_ready()
        gateway = started["gateway"][1]

        # Unit, permission, upload limit and one process per client, through the API.
        admin = login_bearer(gateway, IBGE, ADMIN, SENHA)
        wait_route(gateway, "/api/v1/me", admin)
        unidade = {"sigla": SIGLA, "nome": "Protocolo", "unidade_superior": None}
        checked(*http_json(gateway, "POST", "/api/v1/unidades", unidade, admin), 201, "unidade")
        path = f"/api/v1/usuarios/{USUARIO}/permissoes/{SIGLA}"
        checked(*http_json(gateway, "PUT", path, {"perfil": "basico"}, admin), 200, "permissão")
        limites = {
            "max_bytes": max(104_857_600, 2 * big),
            "formatos": ["pdf", "png", "jpeg", "txt"],
        }
        facts["configuracao"] = checked(
            *http_json(gateway, "PUT", "/api/v1/documentos/configuracao", limites, admin),
            200,
            "configuração de documentos",
        )
        token = login_bearer(gateway, IBGE, USUARIO, SENHA)
        wait_route(gateway, "/api/v1/documentos/configuracao", token)
        tipos_proc = checked(
            *http_json(gateway, "GET", "/api/v1/tipos-processo", headers=token), 200, "tipos"
        )
        tipo_proc = next(
            t
            for t in tipos_proc
            if t["nivel_acesso_sugerido"] == "publico" and t.get("ativo", True)
        )
        tipos_doc = checked(
            *http_json(gateway, "GET", "/api/v1/tipos-documento", headers=token),
            200,
            "tipos de documento",
        )
        externos = [t for t in tipos_doc if t["aplicacao"] in ("externo", "ambos") and t["ativo"]]
        # An unnumbered type if there is one: a numbered type adds one more counter row lock.
        externos.sort(key=lambda t: t["numeracao"] != "nenhuma")
        tipo_doc = externos[0]
        facts["tipo_documento"] = {k: tipo_doc[k] for k in ("nome", "aplicacao", "numeracao")}
        processos = []
        for i in range(args.clients):
            body = {
                "tipo_processo": tipo_proc["id"],
                "especificacao": f"Documentos do bench {i}",
                "interessados": [{"nome": "Maria", "cpf_cnpj": "529.982.247-25"}],
            }
            status, criado = http_json(gateway, "POST", "/api/v1/processos", body, token)
            processos.append(checked(status, criado, 201, "abrir processo")["id"])

        bodies = {
            k: multipart_body(
                tipo_doc["id"], v, f"bench-{size_label(sizes[k])}.pdf".replace(" ", "")
            )
            for k, v in data.items()
        }
        upload_headers = {**token, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

        def upload_request(kind: str) -> Callable[[int, int], Req]:
            def make(i: int, n: int) -> Req:
                path = f"/api/v1/processos/{processos[i % len(processos)]}/documentos"
                return Req("POST", path, bodies[kind], upload_headers)

            return make

        def fetch(path: str) -> tuple[int, bytes, dict[str, str]]:
            host, port = gateway.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            try:
                conn.request("GET", path, headers=token)
                resp = conn.getresponse()
                return resp.status, resp.read(), dict(resp.getheaders())
            finally:
                conn.close()

        def post_upload(path: str, body: bytes) -> tuple[int, bytes]:
            """One upload on a connection of its own; (0, error) if the connection broke."""
            host, port = gateway.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=300)
            try:
                conn.request("POST", path, body=body, headers=upload_headers)
                resp = conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException) as exc:
                return 0, f"{type(exc).__name__}: {exc}".encode()
            finally:
                conn.close()

        # One of each first, checked end to end, so that a broken route fails early; the
        # S3 requests each one makes are read from moto's request log.
        facts["s3_por_operacao"] = {}
        for kind in ("p", "g"):
            label = size_label(sizes[kind])
            mark = moto.log_path.stat().st_size
            req = upload_request(kind)(0, -1)
            status, raw = post_upload(req.path, req.body)
            checked(status, raw[:500], 201, f"enviar {label}")
            doc = json.loads(raw)
            if doc["sha256"] != digest[kind] or doc["tamanho"] != sizes[kind]:
                raise RuntimeError(f"documento enviado não confere: {doc}")
            wait_background(args.database, CpuProbe({}), args.settle_timeout)
            facts["s3_por_operacao"][f"envio {label} (com a extração)"] = s3_requests(
                moto.log_path, mark
            )
            mark = moto.log_path.stat().st_size
            status, content, _ = fetch(f"/api/v1/documentos/{doc['id']}/conteudo")
            checked(status, content[:300], 200, f"baixar {label}")
            if hashlib.sha256(content).hexdigest() != digest[kind]:
                raise RuntimeError(f"conteúdo baixado não confere ({len(content):,} bytes)")
            facts["s3_por_operacao"][f"download {label}"] = s3_requests(moto.log_path, mark)

        # Files with every byte value (CR and LF included), one of each size: not measured,
        # only reported, and a failure makes the exit status 1.
        facts["todos_os_bytes"] = {}
        for size in sizes.values():
            content = random_bytes_pdf(size, seed=size + 1)
            body = multipart_body(tipo_doc["id"], content, "todos-os-bytes.pdf")
            path = f"/api/v1/processos/{processos[0]}/documentos"
            status, raw = post_upload(path, body)
            facts["todos_os_bytes"][size_label(size)] = {
                "status": status,
                "corpo": raw[:300].decode(errors="replace") if status != 201 else "",
                "ok": status == 201
                and json.loads(raw)["sha256"] == hashlib.sha256(content).hexdigest(),
            }
        facts["primeiros"] = wait_background(args.database, CpuProbe({}), args.settle_timeout)[1]

        store = minio_client(endpoint)
        facts["bucket"] = {
            "object_lock": _has_object_lock(store),
            "versionamento": store.get_bucket_versioning(BUCKET).status,
        }

        named = {name: proc.proc.pid for name, (proc, _) in started.items()}
        probe = CpuProbe(named)
        rss = RssProbe({n: named[n] for n in ("gateway", "documentos", "moto")}, "documentos")
        facts["rss_repouso_mb"] = rss.now_mb()
        facts["rss_exato"] = True
        common = {"clients": args.clients, "duration": args.duration, "warmup": args.warmup}
        raw_keys: dict[str, list[list[str]]] = {}

        def measure(key: str, run: Callable[[], LoadResult]) -> LoadResult:
            checkpoint(args.database)
            rss.start()
            try:
                result = run()
            finally:
                peaks[key] = rss.stop()
                facts["rss_exato"] = facts["rss_exato"] and rss.exact
            results[key] = result
            print(
                f"  {result.name}: {result.requests} req, {result.errors} erros, "
                f"{result.rps:.1f}/s, p50 {result.p50:.1f} ms",
                flush=True,
            )
            return result

        def raw_put(kind: str, tag: str, whole: bool) -> LoadResult:
            payload = data[kind]
            keys: list[list[str]] = [[] for _ in range(args.clients)]
            raw_keys[kind] = keys
            single_part = max(len(payload), 5 * 1024 * 1024)

            def call(client: Any, i: int, n: int) -> None:
                key = f"{RAW_PREFIX}/{tag}/{i}/{n}"
                if whole:  # length known, one part: a single PUT request
                    client.put_object(
                        BUCKET,
                        key,
                        io.BytesIO(payload),
                        length=len(payload),
                        part_size=single_part,
                        content_type="application/pdf",
                    )
                else:  # as ObjectStore.put_stream: unknown length, parts of part_bytes
                    client.put_object(
                        BUCKET,
                        key,
                        io.BytesIO(payload),
                        length=-1,
                        part_size=args.part_bytes,
                        content_type="application/pdf",
                        num_parallel_uploads=1,
                    )
                keys[i].append(key)

            how = "1 requisição" if whole else f"partes de {args.part_bytes:,} B"
            return run_calls(
                f"S3 PUT {size_label(sizes[kind])} ({how})",
                lambda: minio_client(endpoint),
                call,
                cpu_probe=probe,
                **common,
            )

        def raw_get(kind: str) -> LoadResult:
            # The keys of the last PUT phase of that size: for 10 MB, the one-request one,
            # written as the gateway writes documents of that size.
            written = [k for per in raw_keys[kind] for k in per]
            if not written:
                raise RuntimeError(f"nenhum objeto de {size_label(sizes[kind])} para ler")
            expected = sizes[kind]

            def call(client: Any, i: int, n: int) -> None:
                response = client.get_object(BUCKET, written[(i + n * args.clients) % len(written)])
                read_to_the_end = False
                try:  # as the gateway reads: a small file joined, a large one streamed
                    if expected > 1024 * 1024:
                        got = sum(len(chunk) for chunk in response.stream(1024 * 1024))
                    else:
                        got = len(b"".join(response.stream(256 * 1024)))
                    read_to_the_end = True
                finally:
                    if not read_to_the_end:
                        response.close()
                    response.release_conn()  # kept alive for the next GET, as ObjectStore does
                if got != expected:
                    raise RuntimeError(f"{got} bytes, esperados {expected}")

            return run_calls(
                f"S3 GET {size_label(sizes[kind])}",
                lambda: minio_client(endpoint),
                call,
                cpu_probe=probe,
                **common,
            )

        docs_at_start: dict[str, int] = {}

        def gateway_upload(kind: str) -> LoadResult:
            def probe_and_count() -> dict[str, float]:
                # First call: the measure starts; the documents then are the baseline of
                # the per-document CPU with the background work (see settle()).
                if f"gw_up_{kind}" not in docs_at_start:
                    docs_at_start[f"gw_up_{kind}"] = background_state(args.database)["documentos"]
                return probe()

            options = dict(common)
            if kind == "g":
                options["duration"] = args.big_upload_duration
            return run_load(
                gateway,
                upload_request(kind),
                name=f"gateway envio {size_label(sizes[kind])}",
                expect_status=201,
                timeout=300,
                cpu_probe=probe_and_count,
                **options,
            )

        def settle(key: str) -> None:
            """After an upload phase: the background work, its time and its CPU."""
            first, last, seconds, cpu = wait_background(args.database, probe, args.settle_timeout)
            documents = last["documentos"] - docs_at_start[key]
            facts[f"segundo_plano_{key}"] = {
                "no_fim": first,
                "depois": last,
                "segundos": seconds,
                "documentos_na_janela": documents,
            }
            r = results[key]
            extras[key] = LoadResult(
                name=f"{r.name} + segundo plano, por documento",
                clients=r.clients,
                requests=documents,
                errors=r.errors,
                seconds=r.seconds + (seconds if seconds == seconds else 0.0),
                cpu_seconds={k: r.cpu_seconds[k] + cpu.get(k, 0.0) for k in r.cpu_seconds},
            )
            pending = first["documentos"] - first["textos"]
            print(
                f"    segundo plano: {pending} textos pendentes no fim da medida, "
                f"tudo assentado em {fmt(seconds, 1)} s",
                flush=True,
            )

        def doc_ids(kind: str) -> list[str]:
            ids = []
            for pid in processos:
                status, docs = http_json(
                    gateway, "GET", f"/api/v1/processos/{pid}/documentos", headers=token
                )
                checked(status, docs, 200, "documentos do processo")
                ids += [d["id"] for d in docs if d.get("tamanho") == sizes[kind]]
            return ids

        def gateway_download(kind: str) -> LoadResult:
            paths = [f"/api/v1/documentos/{d}/conteudo" for d in doc_ids(kind)]
            facts[f"documentos_{kind}"] = len(paths)
            return run_load(
                gateway,
                lambda i, n: Req("GET", paths[(i + n * args.clients) % len(paths)], headers=token),
                name=f"gateway download {size_label(sizes[kind])}",
                timeout=300,
                cpu_probe=probe,
                **common,
            )

        def proxy_download(kind: str) -> LoadResult:
            """The floor: S3 GET, SHA-256 of every byte and the bytes sent on, nothing else."""
            written = [k for per in raw_keys[kind] for k in per]
            paths = [f"/{k}?sha256={digest[kind]}" for k in written]
            return run_load(
                started["proxy"][1],
                lambda i, n: Req("GET", paths[(i + n * args.clients) % len(paths)]),
                name=f"proxy verificador mínimo {size_label(sizes[kind])}",
                timeout=300,
                cpu_probe=probe,
                **common,
            )

        def access_check(kind: str) -> LoadResult:
            """What a download adds to the proxy besides the bytes: the token and the access
            check (documentos.obter, which asks processos), with no bytes: the metadata."""
            paths = [f"/api/v1/documentos/{d}" for d in doc_ids(kind)]
            return run_load(
                gateway,
                lambda i, n: Req("GET", paths[(i + n * args.clients) % len(paths)], headers=token),
                name=f"gateway metadados {size_label(sizes[kind])} (verificação de acesso)",
                cpu_probe=probe,
                **common,
            )

        def gateway_alive() -> LoadResult:
            """A gateway request with no call behind it: its HTTP, subtracted from the above."""
            return run_load(
                gateway,
                lambda i, n: Req("GET", "/healthz"),
                name="gateway /healthz (sem RPC)",
                cpu_probe=probe,
                **common,
            )

        print(f"medindo: {args.clients} clientes, {args.duration:g} s cada", flush=True)
        measure("s3_put_p", lambda: raw_put("p", "p", whole=False))
        measure("gw_up_p", lambda: gateway_upload("p"))
        settle("gw_up_p")
        measure("s3_get_p", lambda: raw_get("p"))
        measure("gw_down_p", lambda: gateway_download("p"))
        measure("s3_put_g", lambda: raw_put("g", "g", whole=False))
        measure("s3_put_g1", lambda: raw_put("g", "g1", whole=True))
        measure("gw_up_g", lambda: gateway_upload("g"))
        settle("gw_up_g")
        measure("s3_get_g", lambda: raw_get("g"))
        measure("gw_down_g", lambda: gateway_download("g"))
        measure("proxy_g", lambda: proxy_download("g"))
        measure("gw_meta_g", lambda: access_check("g"))
        measure("gw_vivo", gateway_alive)
        facts["rss_fim_mb"] = rss.now_mb()
        facts["vmhwm_processo_mb"] = {
            n: _status_kib(p, "VmHWM") / 1024 for n, p in rss.named.items()
        }  # since the last reset: the last phase

    facts["codigo_servicos"] = {"inicio": code_before, "fim": services_digest()}
    report(args, results, extras, peaks, facts)
    print(f"\nmáquina no fim: {machine_note()}")
    print(f"tempo total: {time.perf_counter() - begin:.0f} s")
    code = facts["codigo_servicos"]
    if code["inicio"] != code["fim"]:
        print(
            f"aviso: o código dos serviços medidos mudou durante a medida ({code['inicio']} -> "
            f"{code['fim']}); um filho de extração novo de documentos importa o código novo",
            file=sys.stderr,
        )
    failed = [r for r in results.values() if r.errors]
    for r in failed:
        print(f"erros em {r.name}: {r.errors}; exemplos: {r.error_samples}", file=sys.stderr)
    unsettled = [
        k
        for k, v in facts.items()
        if k.startswith("segundo_plano_") and v["segundos"] != v["segundos"]
    ]
    for k in unsettled:
        print(f"erro: {k}: o segundo plano não assentou: {facts[k]['depois']}", file=sys.stderr)
    refused = {k: v for k, v in facts["todos_os_bytes"].items() if not v["ok"]}
    for label, check in refused.items():
        print(
            f"erro: envio de {label} com todos os valores de byte (CR e LF incluídos): "
            f"HTTP {check['status']} {check['corpo']}",
            file=sys.stderr,
        )
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(
                {
                    "medidas": {k: r.summary() for k, r in results.items()},
                    "cpu_s": {k: r.cpu_seconds for k, r in results.items()},
                    "cpu_s_com_segundo_plano": {k: r.cpu_seconds for k, r in extras.items()},
                    "pico_rss_mb": peaks,
                    **facts,
                },
                fh,
                indent=2,
                default=str,
            )
    return 1 if failed or unsettled or refused else 0


def _has_object_lock(store: Any) -> bool:
    from minio.error import S3Error

    try:
        store.get_object_lock_config(BUCKET)
        return True
    except S3Error:
        return False


def report(
    args: argparse.Namespace,
    results: dict[str, LoadResult],
    extras: dict[str, LoadResult],
    peaks: dict[str, dict[str, float]],
    facts: dict[str, Any],
) -> None:
    sizes = {"p": args.small, "g": args.big}

    def mbps(key: str) -> float:
        kind = "p" if key.endswith("_p") else "g"
        return results[key].rps * sizes[kind] / MB

    order = (
        "s3_put_p",
        "gw_up_p",
        "s3_get_p",
        "gw_down_p",
        "s3_put_g",
        "s3_put_g1",
        "gw_up_g",
        "s3_get_g",
        "gw_down_g",
        "proxy_g",
    )
    print_table(
        (*LOAD_HEADERS, "MB/s"),
        [[*load_row(results[k]), fmt(mbps(k), 1)] for k in order],
        title=f"documentos pelo gateway e S3 direto (moto), {args.clients} clientes, "
        f"{args.duration:g} s cada, envio de {size_label(args.big)} pelo gateway "
        f"{args.big_upload_duration:g} s (aquecimento {args.warmup:g} s); MB = 10^6 bytes",
    )

    def met(value: float) -> str:
        return "sim" if value >= META else f"não (faltam {100 * (1 - value / META):.0f} %)"

    best_put = max(("s3_put_g1", "s3_put_g"), key=mbps)
    pairs = [
        ("envio", "p", "gw_up_p", "s3_put_p", "PUT"),
        ("envio", "g", "gw_up_g", best_put, "PUT, o melhor dos dois"),
        ("envio", "g", "gw_up_g", "s3_put_g", "PUT em partes"),
        ("download", "p", "gw_down_p", "s3_get_p", "GET"),
        ("download", "g", "gw_down_g", "s3_get_g", "GET"),
        ("download", "g", "proxy_g", "s3_get_g", "GET: o proxy verificador mínimo, o teto"),
    ]
    rows = []
    for what, kind, gw, raw, how in pairs:
        value = ratio(mbps(gw), mbps(raw))
        rows.append(
            [
                f"{what} {size_label(sizes[kind])}: "
                + ("proxy" if gw.startswith("proxy") else "gateway")
                + f" / S3 {how}",
                fmt(value, 2),
                fmt(ratio(results[gw].p50, results[raw].p50), 2),
                f"≥ {META}",
                met(value),
            ]
        )
    for kind, key in (("p", "gw_up_p"), ("g", "gw_up_g")):
        # Documents created from the start of the measure, over the measure and the wait
        # until their extraction and events settled: what the machine sustains with all of it.
        raw = "s3_put_p" if kind == "p" else best_put
        value = ratio(extras[key].rps * sizes[kind] / MB, mbps(raw))
        rows.append(
            [
                f"envio {size_label(sizes[kind])} com o segundo plano até assentar / S3 PUT",
                fmt(value, 2),
                "",
                f"≥ {META}",
                met(value),
            ]
        )
    print_table(("razão", "MB/s", "p50", "meta (MB/s)", "atingida"), rows, title="razões")

    checks = ("gw_meta_g", "gw_vivo")
    print_table(
        LOAD_HEADERS,
        [load_row(results[k]) for k in checks],
        title="sem bytes: a verificação de acesso de um download e um pedido ao gateway sem RPC",
    )

    def cpu_ms(key: str) -> float:  # per request, every process but 'outros'
        r = results[key]
        return 1000 * sum(v for k, v in r.cpu_seconds.items() if k != "outros") / r.requests

    acesso = cpu_ms("gw_meta_g") - cpu_ms("gw_vivo")
    teto = cpu_ms("s3_get_g") / (cpu_ms("proxy_g") + acesso)
    facts["teto_download_com_acesso"] = {"acesso_ms": acesso, "razao": teto}
    print(
        f"\nteto calculado de um download de {size_label(sizes['g'])} que verifica cada byte e o "
        f"acesso, com a máquina toda ocupada (CPU/req sem 'outros'): S3 GET "
        f"{fmt(cpu_ms('s3_get_g'), 2)} ms / (proxy {fmt(cpu_ms('proxy_g'), 2)} ms + acesso "
        f"{fmt(acesso, 2)} ms = metadados {fmt(cpu_ms('gw_meta_g'), 2)} - /healthz "
        f"{fmt(cpu_ms('gw_vivo'), 2)}) = {fmt(teto, 2)} do S3 GET (meta {META}: {met(teto)})"
    )

    print_cpu([results[k] for k in (*order, *checks)] + [extras[k] for k in ("gw_up_p", "gw_up_g")])
    print(
        "(cada serviço e o moto com os seus processos filhos, vivos ou já terminados: a "
        "extração de texto de documentos roda em filhos de vida longa; 'outros': o resto "
        "da máquina, outras sessões incluídas; '+ segundo plano, por documento': a CPU da "
        "medida e da espera até a extração e os eventos assentarem, dividida pelos "
        "documentos criados desde o início da medida)"
    )

    names = list(facts["rss_repouso_mb"])
    rss_rows = [
        ["em repouso, antes das medidas", *(fmt(facts["rss_repouso_mb"][n]) for n in names)]
    ]
    rss_rows += [[results[k].name, *(fmt(peaks[k][n]) for n in names)] for k in order]
    how = "VmHWM, zerado no início de cada medida" if facts["rss_exato"] else "VmRSS amostrado"
    print_table(
        ("medida", *names),
        rss_rows,
        title=f"pico de memória residente (MB, {how}; 'documentos + filhos': soma amostrada "
        "a cada 50 ms com os filhos de extração vivos)",
    )

    for key in ("gw_up_p", "gw_up_g"):
        bg = facts[f"segundo_plano_{key}"]
        first, last = bg["no_fim"], bg["depois"]
        print(
            f"\nsegundo plano de '{results[key].name}': no fim da medida "
            f"{first['documentos'] - first['textos']:,} de {first['documentos']:,} documentos "
            f"sem texto, {first['documentos'] - first['processos_aplicados']:,} eventos por "
            f"aplicar em processos, outbox documentos/processos {first['outbox_documentos']}/"
            f"{first['outbox_processos']}; assentou em {fmt(bg['segundos'], 1)} s; textos "
            f"que falharam (esperado só com --arquivo aleatorio): {last['textos_falhos']:,} de "
            f"{last['textos']:,}"
        )
    print(
        "\nrequisições S3 (log do moto) de um envio e um download de cada tamanho, antes das "
        "medidas:"
    )
    for what, summary in facts["s3_por_operacao"].items():
        print(f"  {what}: {summary}")
    checks = ", ".join(
        f"{label}: HTTP {v['status']}" + ("" if v["ok"] else " (RECUSADO)")
        for label, v in facts["todos_os_bytes"].items()
    )
    print(
        f"\narquivos medidos: {args.arquivo}; "
        f"um envio de cada tamanho com todos os valores de byte, antes das medidas: {checks}"
    )
    bucket = facts["bucket"]
    print(
        f"\nbucket {BUCKET}: object lock {'sim' if bucket['object_lock'] else 'não'}, "
        f"versionamento {bucket['versionamento']}; tipo de documento: "
        f"{facts['tipo_documento']['nome']} (numeração {facts['tipo_documento']['numeracao']}); "
        f"documentos baixados: {facts.get('documentos_p', 0):,} de "
        f"{size_label(sizes['p'])}, {facts.get('documentos_g', 0):,} de {size_label(sizes['g'])}"
    )


if __name__ == "__main__":
    sys.exit(main())
