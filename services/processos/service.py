"""processos: opening processes, their life between units, access, history, inbox, events."""

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
from services.processos import handlers
from services.processos.eventos import SOURCE
from services.processos.tables import outbox, recebidos

EXPECTED = SemPapelError


class ProcessosService(ProbedService):
    name = "processos"

    db = TenantDatabase(relay=OutboxRelayer(outbox, SOURCE))
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

    def _usuario(self, login: str, na_unidade: str | None = None) -> dict[str, Any]:
        usuario = self.auth.usuario_por_login(login)
        if not usuario["ativo"] or (na_unidade and na_unidade not in usuario["unidades"]):
            raise DadosInvalidos(
                "O usuário não trabalha na sua unidade.", code="usuario_sem_permissao_na_unidade"
            )
        return usuario

    def _siglas(self, dados: dict[str, Any]) -> dict[str, Any]:
        """Unit ids in an answer, shown with their siglas too."""
        unidades = self._diretorio()["unidades"]

        def sigla(uid: str | None) -> str | None:
            return unidades[uid]["sigla"] if uid in unidades else None

        for campo in ("unidades",):
            for item in dados.get(campo, []):
                item["sigla"] = sigla(item["unidade_id"])
        dados["unidade_geradora"] = sigla(dados.get("unidade_geradora_id"))
        return dados

    # Numbering

    @rpc(expected_exceptions=EXPECTED)
    def numeracao(self) -> dict[str, str]:
        return handlers.ler_numeracao(self.db.reading())

    @rpc(expected_exceptions=EXPECTED)
    def definir_numeracao(self, formato: str, prefixo: str) -> dict[str, str]:
        self.call.require_administrator()
        return handlers.definir_numeracao(self.db.unit_of_work(), formato, prefixo)

    # Opening and reading

    @rpc(expected_exceptions=EXPECTED)
    def gerar(self, dados: dict[str, Any]) -> dict[str, Any]:
        diretorio = self._diretorio()
        novidade = dados.get("tipo_processo") not in diretorio["tipos"] or (
            dados.get("classificacao") not in (None, *diretorio["classificacoes"])
        )
        if novidade:  # created after the cached copy was read?
            diretorio = self._diretorio(fresco=True)
        return handlers.gerar(self.db.unit_of_work(), self.call.ator, diretorio, dict(dados))

    @rpc(expected_exceptions=EXPECTED)
    def obter(self, referencia: str) -> dict[str, Any]:
        return self._siglas(
            handlers.detalhe(
                self.db.reading(),
                lambda: self.db.unit_of_work(),
                self.call.ator,
                referencia,
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def andamentos(self, referencia: str) -> list[dict[str, Any]]:
        unidades = self._diretorio()["unidades"]
        historia = handlers.andamentos(self.db.reading(), self.call.ator, referencia)
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
        return handlers.caixa(self.db.reading(), self.call.ator, **filtros)

    # The lifecycle

    @rpc(expected_exceptions=EXPECTED)
    def enviar(self, referencia: str, destinos: list[str], manter_aberto: bool = False) -> dict:
        ids = self._unidades(list(destinos))
        feito = handlers.enviar(
            self.db.unit_of_work(),
            self.call.ator,
            referencia,
            ids,
            bool(manter_aberto),
        )
        return {**feito, "destinos": [str(s).strip().upper() for s in destinos]}

    @rpc(expected_exceptions=EXPECTED)
    def receber(self, referencia: str) -> None:
        handlers.receber(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def concluir(self, referencia: str) -> None:
        handlers.concluir(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def reabrir(self, referencia: str) -> None:
        handlers.reabrir(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def atribuir(self, referencia: str, login: str | None) -> dict[str, Any]:
        ator = self.call.ator
        usuario = self._usuario(login, ator.unidade_id) if login else None
        return handlers.atribuir(self.db.unit_of_work(), ator, referencia, usuario)

    @rpc(expected_exceptions=EXPECTED)
    def marcar(self, referencia: str, texto: str | None) -> None:
        handlers.marcar(self.db.unit_of_work(), self.call.ator, referencia, texto)

    @rpc(expected_exceptions=EXPECTED)
    def sobrestar(self, referencia: str, motivo: str, sobrestado: bool = True) -> None:
        handlers.sobrestar(
            self.db.unit_of_work(),
            self.call.ator,
            referencia,
            motivo,
            bool(sobrestado),
        )

    @rpc(expected_exceptions=EXPECTED)
    def anexar(self, referencia: str, outro: str, motivo: str) -> dict[str, Any]:
        return handlers.anexar(self.db.unit_of_work(), self.call.ator, referencia, outro, motivo)

    @rpc(expected_exceptions=EXPECTED)
    def desanexar(self, referencia: str, outro: str, motivo: str) -> None:
        handlers.desanexar(self.db.unit_of_work(), self.call.ator, referencia, outro, motivo)

    @rpc(expected_exceptions=EXPECTED)
    def relacionar(self, referencia: str, outro: str, relacionar: bool = True) -> None:
        handlers.relacionar(
            self.db.unit_of_work(),
            self.call.ator,
            referencia,
            outro,
            bool(relacionar),
        )

    @rpc(expected_exceptions=EXPECTED)
    def dar_ciencia(self, referencia: str) -> None:
        handlers.dar_ciencia(self.db.unit_of_work(), self.call.ator, referencia)

    @rpc(expected_exceptions=EXPECTED)
    def credencial(self, referencia: str, login: str, conceder: bool) -> None:
        usuario = self._usuario(login)
        handlers.credenciar(
            self.db.unit_of_work(),
            self.call.ator,
            referencia,
            usuario,
            bool(conceder),
        )

    # For documentos and tenancy

    @rpc(expected_exceptions=EXPECTED)
    def contexto_documental(self, referencia: str) -> dict[str, Any]:
        return handlers.contexto_documental(self.db.reading(), self.call.ator, referencia)

    @evento(
        "processos.documentos", "documento.incluido", "documento.assinado", "documento.cancelado"
    )
    def documento_mudou(self, evento_recebido: dict[str, Any]) -> None:
        """History and effective level follow the process's documents (at least once, deduped)."""
        uow = self.db.for_municipio(tenant_do_evento(evento_recebido).ibge)
        handlers.aplicar_evento_documento(uow, evento_recebido, recebidos)

    @rpc(expected_exceptions=EXPECTED)
    def unidade_tem_processos_abertos(self, unidade_id: str) -> bool:
        return handlers.unidade_tem_processos_abertos(self.db.unit_of_work(), str(unidade_id))


SERVICE = ProcessosService
