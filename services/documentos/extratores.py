"""Text extraction in long-lived child processes: hostile files cannot stall or crash the service.

Parsers of PDF and office files are pure Python: run on the eventlet hub they
would stall every other worker, and in a thread (tpool) their logging takes
green locks from a foreign thread. A child process has neither problem, and it
can be killed when a pathological file keeps it busy too long.

The children live on between documents: starting Python and importing the
parsers cost ~0.15 s of CPU per document (bench_documentos). Each child reads
the object from the store itself (the service never holds the file), runs at a
lower priority than the services that answer requests, and takes one job at a
time over its pipes, one JSON line each way:

    python -m services.documentos.extracao_filho
      stdin:  {"formato": "pdf", "chave": "mun_.../..."}
      stdout: {"texto": ...} | {"erro": ...} | {"armazenamento": ...}, and "encerrando": true
              when it leaves after this job (its memory grew past MEMORIA_MAXIMA_KIB)

A job past its time limit, or a child that dies, costs that job only: the child
is killed and the next job gets a new one. The events that ask for extraction come
through their own bounded queue consumer (`extracao_limitada`).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import eventlet.queue
import structlog
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer

from services.chassis.errors import ArmazenamentoIndisponivel
from services.chassis.event_consumer import EventConsumer
from services.documentos import extracao
from services.documentos.settings import DocumentosSettings

TEMPO_MAXIMO = 60.0
PIPE_BYTES = 1024 * 1024  # the answer (up to LIMITE_TEXTO characters) in few reads
_F_SETPIPE_SZ = 1031  # Linux
_COMANDO = (sys.executable, "-m", "services.documentos.extracao_filho")
_log = structlog.get_logger("sempapel.documentos")


class ProcessoExtrator:
    """One child process doing one job at a time; killed and replaced on timeout or death.

    The reply is awaited with select() on the pipe, which eventlet's monkey-patching
    makes cooperative: the service's other greenthreads run meanwhile.
    """

    def __init__(self, tempo: float = TEMPO_MAXIMO, comando: Sequence[str] = _COMANDO) -> None:
        self.tempo = tempo
        self.comando = list(comando)
        self.processo: subprocess.Popen[bytes] | None = None
        self.iniciados = 0

    def _vivo(self) -> subprocess.Popen[bytes]:
        if self.processo is None or self.processo.poll() is not None:
            self.encerrar()
            self.processo = subprocess.Popen(  # noqa: S603 - our interpreter and module
                self.comando, stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            self.iniciados += 1
            try:
                fcntl.fcntl(self.processo.stdout.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass  # the default pipe size only means more reads
        return self.processo

    def executar(self, trabalho: dict[str, Any]) -> dict[str, Any]:
        """The child's answer to `trabalho`; TextoIndisponivel on timeout or a dead child."""
        processo = self._vivo()
        try:
            os.write(processo.stdin.fileno(), json.dumps(trabalho).encode() + b"\n")
            linha = self._linha(processo.stdout.fileno(), time.monotonic() + self.tempo)
        except TimeoutError as exc:
            self.encerrar()
            _log.warning("extracao_interrompida", segundos=self.tempo, **trabalho)
            raise extracao.TextoIndisponivel(f"extração passou de {self.tempo:g} s") from exc
        except OSError as exc:  # the child died before reading the job
            self.encerrar()
            raise extracao.TextoIndisponivel("o processo de extração terminou") from exc
        if not linha:
            codigo = self.encerrar()
            _log.warning("extracao_terminou", codigo=codigo, **trabalho)
            raise extracao.TextoIndisponivel(f"o processo de extração terminou (código {codigo})")
        resposta = json.loads(linha)
        if resposta.get("encerrando"):
            self.encerrar()
        return resposta

    @staticmethod
    def _linha(fd: int, prazo: float) -> bytes:
        """One line from `fd` by `prazo`; b"" when the child closed its end first."""
        partes: list[bytes] = []
        while True:
            falta = prazo - time.monotonic()
            if falta <= 0 or not select.select([fd], [], [], falta)[0]:
                raise TimeoutError
            parte = os.read(fd, PIPE_BYTES)
            if not parte:
                return b""
            partes.append(parte)
            if parte.endswith(b"\n"):
                return b"".join(partes)

    def encerrar(self) -> int | None:
        """Kill the child (if any) and reap it; its exit code."""
        processo, self.processo = self.processo, None
        if processo is None:
            return None
        if processo.poll() is None:
            processo.kill()
        codigo = processo.wait()
        for pipe in (processo.stdin, processo.stdout):
            if pipe is not None:
                pipe.close()
        return codigo


class Extratores:
    """A few child processes; a job waits for a free one (at most `quantos` at once)."""

    def __init__(self, quantos: int, tempo: float = TEMPO_MAXIMO) -> None:
        self.todos = [ProcessoExtrator(tempo) for _ in range(max(quantos, 1))]
        self._livres: eventlet.queue.LightQueue = eventlet.queue.LightQueue()
        for extrator in self.todos:
            self._livres.put(extrator)

    def extrair(self, formato: str, chave: str) -> str:
        """The text of the object at `chave`: TextoIndisponivel with the reason, or
        ArmazenamentoIndisponivel when the store could not be read (the event is retried)."""
        if formato in extracao.FORMATOS_SEM_TEXTO:
            return ""
        extrator = self._livres.get()
        try:
            resposta = extrator.executar({"formato": formato, "chave": chave})
        finally:
            self._livres.put(extrator)
        if "armazenamento" in resposta:
            raise ArmazenamentoIndisponivel(details={"erro": resposta["armazenamento"]})
        if "erro" in resposta:
            raise extracao.TextoIndisponivel(resposta["erro"])
        return resposta["texto"]

    def encerrar(self) -> None:
        for extrator in self.todos:
            extrator.encerrar()


class ExtratoresProvider(DependencyProvider):
    """The service's extraction children, started on first use and killed when it stops."""

    def setup(self) -> None:
        settings = DocumentosSettings.from_env()
        self.extratores = Extratores(settings.extracao_processos, settings.extracao_segundos)

    def stop(self) -> None:
        self.extratores.encerrar()

    def kill(self) -> None:
        self.extratores.encerrar()

    def get_dependency(self, worker_ctx: Any) -> Extratores:
        return self.extratores


class FilaDaExtracao(QueueConsumer):
    """The extraction queue's own consumer, whose prefetch is the extraction bound.

    nameko's shared consumer lets every queue hold max_workers messages: extraction
    events took every worker and uploads' RPCs waited behind them until their timeout
    (bench_documentos). With its own prefetch, extraction holds at most
    SEMPAPEL_EXTRACAO_PROCESSOS workers and the rest stay free for requests.
    """

    def setup(self) -> None:
        self._extracoes = DocumentosSettings.from_env().extracao_processos
        super().setup()

    @property
    def prefetch_count(self) -> int:
        return max(1, min(self._extracoes, self.container.max_workers - 1))


class ConsumidorDaExtracao(EventConsumer):
    queue_consumer = FilaDaExtracao()


extracao_limitada = ConsumidorDaExtracao.decorator
