"""Shared machinery of the benchmarks: a closed-loop load generator and process helpers.

This module never imports service code and never monkey-patches: the load
generator runs on plain OS threads, one keep-alive `http.client` connection per
client thread, so what it measures is the services and not eventlet inside the
client. Everything that needs service code (provisioning, users, migrations)
runs in a helper subprocess (`bench/tenant_ops.py`, or the `sempapel` command).

Helpers here:

- `run_load`: N client threads, each sending its next request as soon as the
  previous answer arrives, for a bounded time and/or number of requests; returns
  req/s, p50/p90/p99 latency in ms and the error count.
- `ServiceProcess` / `Processes`: start a service in its own process group with
  its environment, wait for its /healthz, and stop it (SIGTERM, then SIGKILL of
  the whole group) even when the benchmark fails.
- `recreate_database`, `drop_database`, `recreate_vhost`, `delete_vhost`.
- `print_table`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
SEMPAPEL = str(VENV_BIN / "sempapel")
MUNICIPIOS_CSV = Path(os.environ.get("SEMPAPEL_MUNICIPIOS_CSV", "/work/shared/data/municipios.csv"))

BENCH_DB = "sempapel_bench"
BENCH_VHOST = "sempapel_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
AMQP_HOST = "127.0.0.1:5672"
JWT_SECRET = "bench-segredo-com-mais-de-32-caracteres-0123456789"

PILOTOS = ("5203302", "5205109", "5208004", "5211800", "5212204", "5217104")


# --------------------------------------------------------------------------- load


@dataclass
class Req:
    """One HTTP request as the load generator sends it."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


RequestFactory = Callable[[int, int], Req]
"""(client index, sequence number of that client's request) -> the request to send."""


@dataclass
class LoadResult:
    name: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p90(self) -> float:
        return self.pct(90)

    @property
    def p99(self) -> float:
        return self.pct(99)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50, 2),
            "p90_ms": round(self.p90, 2),
            "p99_ms": round(self.p99, 2),
        }


def merge(results: Sequence[LoadResult], name: str | None = None) -> LoadResult:
    """Several runs of one measure as one: requests and time add up, latencies pool."""
    first = results[0]
    return LoadResult(
        name=name or first.name,
        clients=first.clients,
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=[x for r in results for x in r.latencies_ms],
        error_samples=[x for r in results for x in r.error_samples][:5],
        cpu_seconds={k: sum(r.cpu_seconds.get(k, 0.0) for r in results) for k in first.cpu_seconds},
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def run_load(
    base_url: str,
    make_request: RequestFactory,
    *,
    name: str = "",
    clients: int = 10,
    duration: float | None = 10.0,
    max_requests: int | None = None,
    warmup: float = 1.0,
    expect_status: int = 200,
    timeout: float = 30.0,
    cpu_probe: Callable[[], dict[str, float]] | None = None,
) -> LoadResult:
    """Closed loop: each of `clients` threads sends a request as soon as its last one ended.

    A warm-up of `warmup` seconds is run and discarded first. The measured phase
    ends after `duration` seconds or `max_requests` requests, whichever comes first
    (at least one of them must be given). Throughput is requests completed in the
    measured phase divided by the time from its start to the last answer.
    A request counts as an error when it raises or answers another status than
    `expect_status`; errors are counted, not included in the latencies.
    `cpu_probe`, if given, is called when the measured phase starts and after
    it ends; the differences (CPU seconds per process, see `CpuProbe`) are kept.
    """
    if duration is None and max_requests is None:
        raise ValueError("give duration, max_requests or both")
    if name:  # progress, and a mark for a profiler attached from outside
        print(f"» {name}", file=sys.stderr, flush=True)
    host_port = base_url.removeprefix("http://").rstrip("/")
    host, _, port = host_port.partition(":")
    port_number = int(port or 80)

    start_barrier = threading.Barrier(clients + 1)
    measure_start = [0.0]
    deadline = [float("inf")]
    budget = itertools.count()  # next() is atomic under the GIL
    per_thread: list[dict[str, Any]] = [
        {"lat": [], "errors": 0, "samples": [], "last_end": 0.0} for _ in range(clients)
    ]

    def new_connection() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(host, port_number, timeout=timeout)

    def client(index: int) -> None:
        state = per_thread[index]
        conn = new_connection()
        seq = 0
        start_barrier.wait()
        try:
            while True:
                now = time.perf_counter()
                if now >= deadline[0]:
                    break
                measuring = now >= measure_start[0]
                if measuring and max_requests is not None and next(budget) >= max_requests:
                    break
                req = make_request(index, seq)
                seq += 1
                t0 = time.perf_counter()
                error = None
                try:
                    conn.request(req.method, req.path, body=req.body, headers=req.headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    if resp.status != expect_status:
                        error = f"HTTP {resp.status}: {payload[:200]!r}"
                    if resp.will_close:
                        conn.close()
                        conn = new_connection()
                except (OSError, http.client.HTTPException) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    conn.close()
                    conn = new_connection()
                t1 = time.perf_counter()
                if t0 < measure_start[0]:
                    continue  # warm-up
                state["last_end"] = t1
                if error is None:
                    state["lat"].append((t1 - t0) * 1000)
                else:
                    state["errors"] += 1
                    if len(state["samples"]) < 3:
                        state["samples"].append(error)
        finally:
            conn.close()

    threads = [
        threading.Thread(target=client, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    begin = time.perf_counter()
    measure_start[0] = begin + warmup
    if duration is not None:
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
        deadline[0] = 0.0  # interrupted: the clients stop after their current request
        raise
    cpu = {}
    if cpu_probe is not None and cpu_before is not None:
        cpu_after = cpu_probe()
        cpu = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}

    latencies = [x for s in per_thread for x in s["lat"]]
    errors = sum(s["errors"] for s in per_thread)
    last_end = max((s["last_end"] for s in per_thread), default=measure_start[0])
    samples = [x for s in per_thread for x in s["samples"]][:5]
    return LoadResult(
        name=name,
        clients=clients,
        requests=len(latencies) + errors,
        errors=errors,
        seconds=max(last_end - measure_start[0], 1e-9),
        latencies_ms=latencies,
        error_samples=samples,
        cpu_seconds=cpu,
    )


def http_json(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """One request outside the load loop (log in, check a route); returns (status, JSON)."""
    host_port = base_url.removeprefix("http://").rstrip("/")
    host, _, port = host_port.partition(":")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")
    finally:
        conn.close()


def login_request(municipio: str, usuario: str, senha: str) -> Req:
    body = json.dumps({"municipio": municipio, "usuario": usuario, "senha": senha}).encode()
    return Req("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})


# --------------------------------------------------------------------------- processes


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free now and not handed out before by this process: services bind theirs
    later, with SO_REUSEPORT (eventlet.listen), so two of them given the same port would
    both bind it and split its connections (seen once: the gateway's login answered by
    another service's 404)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def service_env(
    database: str = BENCH_DB,
    vhost: str = BENCH_VHOST,
    http_address: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """The environment of a platform process pointed at the bench database and vhost."""
    env = dict(os.environ)
    env.update(
        {
            "SEMPAPEL_DATABASE_URL": f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
            "SEMPAPEL_AMQP_URI": f"amqp://guest:guest@{AMQP_HOST}/{vhost}",
            "SEMPAPEL_JWT_SECRET": JWT_SECRET,
            "SEMPAPEL_LOG_LEVEL": "WARNING",
            "SEMPAPEL_LOG_FORMAT": "json",
            "PYTHONWARNINGS": "ignore",
        }
    )
    if http_address:
        env["SEMPAPEL_HTTP_ADDRESS"] = http_address
    env.update(extra)
    return env


class ServiceProcess:
    """One child process in its own process group, with its log in a file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        health_url: str | None,
        log_dir: Path,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.health_url = health_url
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.terminated = False

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches its children
            )
        finally:
            log.close()
        return self

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until GET health_url answers 200; fails early if the process dies."""
        assert self.proc is not None
        end = time.monotonic() + timeout
        parts = urllib.parse.urlsplit(self.health_url or "")
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} terminou com código {self.proc.returncode}:\n{self.log_tail()}"
                )
            if self.health_url is None:
                return
            try:
                status, _ = http_json(parts.netloc, "GET", parts.path, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} não ficou pronto em {timeout}s:\n{self.log_tail()}")

    def signal_group(self, signum: int) -> None:
        self.terminated = self.terminated or signum == signal.SIGTERM
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group, SIGKILL after `timeout`; then whatever is left in the group."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            if not self.terminated:
                self.signal_group(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                proc.wait(5)
        self.signal_group(signal.SIGKILL)


class Processes(contextlib.AbstractContextManager):
    """Every process a benchmark started; all are stopped on exit, error or not."""

    def __init__(self, keep_logs: bool = False) -> None:
        self.log_dir = Path(tempfile.mkdtemp(prefix="sempapel-bench-"))
        self.keep_logs = keep_logs
        self.started: list[ServiceProcess] = []

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        health_url: str | None = None,
    ) -> ServiceProcess:
        proc = ServiceProcess(name, argv, env, health_url, self.log_dir)
        self.started.append(proc)
        return proc.start()

    def start_service(self, service: str, database: str, vhost: str) -> tuple[ServiceProcess, str]:
        """`sempapel servico <service>` on its own port; returns it and its base URL."""
        port = free_port()
        env = service_env(database, vhost, http_address=f"127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        proc = self.start(service, [SEMPAPEL, "servico", service], env, f"{base}/healthz")
        return proc, base

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM to every group at once, one shared deadline, then SIGKILL to the rest."""
        for proc in self.started:
            proc.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in reversed(self.started):
            try:
                proc.stop(max(0.1, deadline - time.monotonic()))
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                print(f"aviso: ao parar {proc.name}: {exc}", file=sys.stderr)
        self.started.clear()

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        if self.keep_logs or exc[0] is not None:
            print(f"logs dos processos: {self.log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.log_dir, ignore_errors=True)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name; [] if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc); 0 if it is gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS if fields else 0.0


def cpu_with_children(pid: int) -> float:
    """CPU seconds of a process and of the children it has reaped (utime, stime, cutime,
    cstime)."""
    fields = _stat(pid)
    return sum(int(x) for x in fields[11:15]) / _CLOCK_TICKS if fields else 0.0


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (Linux: /proc/<pid>/task/<tid>/children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def family_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, of its children it has reaped and of those still alive.

    documentos' extraction children live on between documents: counting only reaped
    children would leave their work out. A child reaped between two readings moves
    from the live sum into the parent's, unchanged.
    """
    return cpu_with_children(pid) + sum(cpu_with_children(kid) for kid in descendants(pid))


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, /proc/stat), idle and iowait out."""
    with open("/proc/stat") as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user already)
    return sum(v for i, v in enumerate(values[:8]) if i not in (3, 4)) / _CLOCK_TICKS


def pids_named(comm: str) -> list[int]:
    """Every process whose command name is `comm` (e.g. postgres, beam.smp)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == comm:
                        found.append(int(entry))
            except OSError:
                continue
    return found


class CpuProbe:
    """CPU seconds used so far by each named process, by RabbitMQ, by PostgreSQL, by us, and
    by the rest of the machine ("outros").

    A named process counts with its children, alive or reaped (documentos extracts text in
    children). PostgreSQL counts what the postmaster has reaped too: backends that end
    during a measure (a parallel query's workers, other sessions' connections) would
    otherwise take their CPU with them, and the column could go negative. "outros" is the
    machine's busy time less all of these: a large figure means a disturbed measure.
    """

    def __init__(self, named: dict[str, int]) -> None:
        self.named = named

    def __call__(self) -> dict[str, float]:
        cpu = {name: family_cpu_seconds(pid) for name, pid in self.named.items()}
        cpu["rabbitmq"] = sum(process_cpu_seconds(p) for p in pids_named("beam.smp"))
        pg = pids_named("postgres")
        pg_set = set(pg)
        cpu["postgres"] = sum(
            cpu_with_children(p) if _parent(p) not in pg_set else process_cpu_seconds(p) for p in pg
        )
        cpu["gerador"] = process_cpu_seconds(os.getpid())
        cpu["outros"] = machine_busy_seconds() - sum(cpu.values())
        return cpu


def _parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if len(fields) > 1 else 0


def cpu_speed_ms() -> float:
    """Milliseconds of a fixed pure-Python loop (best of 3): how fast this CPU is right now.

    On a shared virtual machine the same code can run markedly slower from one
    hour to the next without any steal time showing; this number, printed with
    each run, tells runs on a fast and on a slow moment apart.
    """
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_note() -> str:
    """Cores, load average and CPU speed, printed with the results."""
    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} núcleos, carga média 1 min {one:.2f}, 5 min {five:.2f}, "
        f"laço de referência {cpu_speed_ms():.1f} ms"
    )


def exit_on_sigterm() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so that `finally` blocks stop the children."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def run_checked(argv: list[str], env: dict[str, str], input_text: str | None = None) -> str:
    """Run a short command to completion; its stdout, or an error with its output."""
    done = subprocess.run(
        argv, env=env, cwd=REPO, input=input_text, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} -> {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return done.stdout


# --------------------------------------------------------------------------- database, broker


def _pg_admin() -> Any:
    import psycopg2  # plain psycopg2: this process has no eventlet and no wait callback

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    return conn


def drop_database(name: str = BENCH_DB) -> None:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"nome de banco inválido: {name!r}")
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        conn.close()


def run_sql(name: str, *statements: str) -> list[Any]:
    """Run statements in database `name` (autocommit); the first row of the last one."""
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=name)
    conn.autocommit = True
    row = None
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
                row = cur.fetchone() if cur.description else None
    finally:
        conn.close()
    return list(row or [])


def checkpoint(name: str = BENCH_DB) -> None:
    """Flush PostgreSQL's dirty pages now, so a checkpoint does not land inside a measure."""
    run_sql(name, "CHECKPOINT")


def recreate_database(name: str = BENCH_DB) -> None:
    """DROP + CREATE: every run starts from an empty database."""
    drop_database(name)
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError("rabbitmqctl não encontrado")
    subprocess.run([ctl, *args], capture_output=True, check=False, timeout=60)


def delete_vhost(name: str = BENCH_VHOST) -> None:
    _rabbitmqctl("delete_vhost", name)


def recreate_vhost(name: str = BENCH_VHOST) -> None:
    """A fresh vhost: no queue or message left over by an earlier run."""
    delete_vhost(name)
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")


@contextlib.contextmanager
def bench_infrastructure(database: str, vhost: str, keep: bool) -> Iterator[None]:
    """Fresh database and vhost for the run; dropped afterwards unless `keep`."""
    recreate_database(database)
    recreate_vhost(vhost)
    try:
        yield
    finally:
        if not keep:
            try:
                drop_database(database)
                delete_vhost(vhost)
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide the real error
                print(f"aviso: limpeza: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------- data, output


def municipios(count: int | None = None) -> list[tuple[str, str, str]]:
    """(ibge, nome, uf) from the reference list: the six pilots first, then file order."""
    with open(MUNICIPIOS_CSV, newline="", encoding="utf-8") as fh:
        rows = [(r["ibge"], r["nome"], r["uf"]) for r in csv.DictReader(fh)]
    by_code = {r[0]: r for r in rows}
    pilots = [by_code[c] for c in PILOTOS]
    rest = [r for r in rows if r[0] not in PILOTOS]
    ordered = pilots + rest
    return ordered if count is None else ordered[:count]


def fmt(value: float, digits: int = 1) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def load_row(result: LoadResult) -> list[str]:
    return [
        result.name,
        str(result.clients),
        str(result.requests),
        str(result.errors),
        fmt(result.rps),
        fmt(result.p50, 2),
        fmt(result.p90, 2),
        fmt(result.p99, 2),
    ]


LOAD_HEADERS = ("medida", "clientes", "req", "erros", "req/s", "p50 ms", "p90 ms", "p99 ms")


def print_cpu(results: Sequence[LoadResult]) -> None:
    """Where the CPU went: ms of CPU per request in each process, and the machine's use."""
    names = list(results[0].cpu_seconds)
    rows = []
    for r in results:
        per_req = [1000 * r.cpu_seconds[n] / max(r.requests, 1) for n in names]
        busy = 100 * sum(r.cpu_seconds.values()) / r.seconds
        rows.append([r.name, *(fmt(x, 2) for x in per_req), fmt(sum(per_req), 2), fmt(busy, 0)])
    print_table(
        ("medida", *names, "total", "CPU %"),
        rows,
        title=f"CPU por requisição (ms) em cada processo; CPU % da máquina "
        f"({os.cpu_count()} núcleos = {100 * (os.cpu_count() or 1)} %)",
    )


def login_bearer(gateway: str, ibge: str, login: str, senha: str) -> dict[str, str]:
    """Log in through the gateway and return the Authorization header for the token."""
    status, body = http_json(
        gateway, "POST", "/api/v1/auth/login", {"municipio": ibge, "usuario": login, "senha": senha}
    )
    if status != 200:
        raise RuntimeError(f"login {ibge}/{login}: {status} {body}")
    return {"Authorization": f"Bearer {body['access_token']}"}


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Where a bench runs and what it leaves behind: the same flags in every bench."""
    parser.add_argument("--database", default="sempapel_bench")
    parser.add_argument("--vhost", default="sempapel_bench")
    parser.add_argument("--keep", action="store_true", help="keep database, vhost and logs")
    parser.add_argument("--json", dest="json_path", help="also write the results here")
