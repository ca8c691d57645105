"""processos: opening processes, their life between units, access, history, inbox, events.

Entrypoints only: each validates what only the service layer knows (units and users
from tenancy and auth, the caller from the token), calls one handler and answers.
"""

from __future__ import annotations

from typing import Any

from services.chassis.errors import Conflito, DadosInvalidos, SemPapelError
from services.chassis.event_consumer import evento, tenant_do_evento
from services.chassis.outbox import OutboxRelayer
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.tenant_session import TenantDatabase
from services.chassis.ttl_cache import TtlCacheProvider
from services.processos.domain import Usuario
from services.processos.events import SOURCE
from services.processos.handlers import commands, reads, snapshots
from services.processos.repository import ProcessoRepository
from services.processos.tables import outbox

EXPECTED = SemPapelError


class ProcessosService(ProbedService):
    name = "processos"

    db = TenantDatabase(
        relay=OutboxRelayer(outbox, SOURCE), repositories={"processos": ProcessoRepository}
    )
    diretorios = TtlCacheProvider("catalog_cache_seconds")  # tenancy.diretorio() by IBGE
    tenancy = ServiceRpc("tenancy")
    auth = ServiceRpc("auth")

    # Context of the call

    def _diretorio(self, fresco: bool = False) -> dict[str, Any]:
        """tenancy's directory, cached; `fresco` reads it again (created a moment ago?)."""
        ibge = self.call.identity.tenant.ibge
        return self.diretorios.get(ibge, self.tenancy.diretorio, refresh=fresco)

    def _unidades(self, siglas: list[str]) -> list[str]:
        """Active unit ids for siglas, in order."""
        siglas = [str(s).strip().upper() for s in siglas]
        por_sigla = {u["sigla"]: u for u in self._diretorio()["unidades"].values()}
        if not set(siglas) <= set(por_sigla):
            por_sigla = {u["sigla"]: u for u in self._diretorio(fresco=True)["unidades"].values()}
        ids = []
        for sigla in siglas:
            unidade = por_sigla.get(sigla)
            if unidade is None:
                raise DadosInvalidos(
                    f"Unidade {sigla} não encontrada.", code="unidade_nao_encontrada"
                )
            if not unidade["ativa"]:
                raise Conflito(f"A unidade {sigla} está desativada.", code="unidade_inativa")
            ids.append(unidade["id"])
        return ids

    def _usuario(self, login: str, na_unidade: str | None = None) -> Usuario:
        usuario = self.auth.usuario_por_login(login)
        if not usuario["ativo"] or (na_unidade and na_unidade not in usuario["unidades"]):
            raise DadosInvalidos(
                "O usuário não trabalha na sua unidade.", code="usuario_sem_permissao_na_unidade"
            )
        return Usuario(usuario["id"], usuario["login"])

    def _siglas(self, dados: dict[str, Any]) -> dict[str, Any]:
        """Unit ids in an answer, shown with their siglas too."""
        unidades = self._diretorio()["unidades"]

        def sigla(uid: str | None) -> str | None:
            return unidades[uid]["sigla"] if uid in unidades else None

        for item in dados.get("unidades", []):
            item["sigla"] = sigla(item["unidade_id"])
        dados["unidade_geradora"] = sigla(dados.get("unidade_geradora_id"))
        return dados

    # Numbering

    @rpc(expected_exceptions=EXPECTED)
    def numeracao(self) -> dict[str, str]:
        return reads.ler_numeracao(self.db.reading())

    @rpc(expected_exceptions=EXPECTED)
    def definir_numeracao(self, formato: str, prefixo: str) -> dict[str, str]:
        self.call.require_administrator()
        return commands.definir_numeracao(self.db.unit_of_work(), formato, prefixo)

    # Opening and reading

    @rpc(expected_exceptions=EXPECTED)
    def gerar(self, dados: dict[str, Any]) -> dict[str, Any]:
        diretorio = self._diretorio()
        novidade = dados.get("tipo_processo") not in diretorio["tipos"] or (
            dados.get("classificacao") not in (None, *diretorio["classificacoes"])
        )
        if novidade:  # created after the cached copy was read?
            diretorio = self._diretorio(fresco=True)
        return commands.gerar(self.db.unit_of_work(), self.call.ator, diretorio, dict(dados))

    @rpc(expected_exceptions=EXPECTED)
    def obter(self, referencia: str) -> dict[str, Any]:
        lido = reads.detalhe(self.db.reading(), self.db.unit_of_work, self.call.ator, referencia)
        return self._siglas(lido)

    @rpc(expected_exceptions=EXPECTED)
    def andamentos(self, referencia: str) -> list[dict[str, Any]]:
        unidades = self._diretorio()["unidades"]
        historia = reads.andamentos(self.db.reading(), self.call.ator, referencia)
        for item in historia:
            item["unidade"] = unidades.get(item["unidade_id"] or "", {}).get("sigla")
            destinos = item["detalhes"].get("destinos")
            if destinos:
                item["detalhes"]["destinos_siglas"] = [
                    unidades.get(d, {}).get("sigla") for d in destinos
                ]
        return historia

    @rpc(expected_exceptions=EXPECTED)
    def caixa(self, filtros: dict[str, Any]) -> dict[str, Any]:
        return reads.caixa(self.db.reading(), self.call.ator, **filtros)

    # The lifecycle

    @rpc(expected_exceptions=EXPECTED)
    def enviar(self, referencia: str, destinos: list[str], manter_aberto: bool = False) -> dict:
        ids = self._unidades(list(destinos))
        feito = commands.enviar(
            self.db.unit_of_work(), self.call.ator, referencia, ids, bool(manter_aberto)
        )
        return {**feito, "destinos": [str(s).strip().upper() for s in destinos]}

    @rpc(expected_exceptions=EXPECTED)
    def receber(self, referencia: str) -> None:
        commands.receber(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def concluir(self, referencia: str) -> None:
        commands.concluir(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def reabrir(self, referencia: str) -> None:
        commands.reabrir(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def atribuir(self, referencia: str, login: str | None) -> dict[str, Any]:
        ator = self.call.ator
        usuario = self._usuario(login, ator.unidade_id) if login else None
        return commands.atribuir(self.db.unit_of_work(), ator, referencia, usuario)

    @rpc(expected_exceptions=EXPECTED)
    def marcar(self, referencia: str, texto: str | None) -> None:
        commands.marcar(self.db.unit_of_work(), self.call.ator, referencia, texto)

    @rpc(expected_exceptions=EXPECTED)
    def sobrestar(self, referencia: str, motivo: str, sobrestado: bool = True) -> None:
        commands.sobrestar(
            self.db.unit_of_work(), self.call.ator, referencia, motivo, bool(sobrestado)
        )

    @rpc(expected_exceptions=EXPECTED)
    def anexar(self, referencia: str, outro: str, motivo: str) -> dict[str, Any]:
        return commands.anexar(self.db.unit_of_work(), self.call.ator, referencia, outro, motivo)

    @rpc(expected_exceptions=EXPECTED)
    def desanexar(self, referencia: str, outro: str, motivo: str) -> None:
        commands.desanexar(self.db.unit_of_work(), self.call.ator, referencia, outro, motivo)

    @rpc(expected_exceptions=EXPECTED)
    def relacionar(self, referencia: str, outro: str, relacionar: bool = True) -> None:
        commands.relacionar(
            self.db.unit_of_work(), self.call.ator, referencia, outro, bool(relacionar)
        )

    @rpc(expected_exceptions=EXPECTED)
    def dar_ciencia(self, referencia: str) -> None:
        commands.dar_ciencia(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def credencial(self, referencia: str, login: str, conceder: bool) -> None:
        usuario = self._usuario(login)
        commands.credenciar(
            self.db.unit_of_work(), self.call.ator, referencia, usuario, bool(conceder)
        )

    # For documentos, tenancy and busca

    @rpc(expected_exceptions=EXPECTED)
    def contexto_documental(self, referencia: str) -> dict[str, Any]:
        return reads.contexto_documental(self.db.reading(), self.call.ator, referencia)

    @evento(
        "processos.documentos", "documento.incluido", "documento.assinado", "documento.cancelado"
    )
    def documento_mudou(self, evento_recebido: dict[str, Any]) -> None:
        """History and effective level follow the process's documents (at least once, deduped)."""
        uow = self.db.for_municipio(tenant_do_evento(evento_recebido).ibge)
        commands.aplicar_evento_documento(uow, evento_recebido)

    @rpc(expected_exceptions=EXPECTED)
    def unidade_tem_processos_abertos(self, unidade_id: str) -> bool:
        return reads.unidade_tem_processos_abertos(self.db.reading(), str(unidade_id))

    @rpc(expected_exceptions=EXPECTED)
    def snapshot(self, apos: str | None = None, limite: int = 500) -> dict[str, Any]:
        """Every process of the caller's municipality, paged: for the platform's systems."""
        self.call.require_sistema()
        return snapshots.pagina(self.db.reading(), apos, limite)


SERVICE = ProcessosService
