"""tenancy: the municipality registry, and each municipality's units and catalog (entrypoints)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from eventlet import tpool

from services.chassis.errors import DadosInvalidos, SemPapelError
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.tenant_session import TenantDatabase
from services.tenancy import registry
from services.tenancy.dependencies import RegistryDatabase
from services.tenancy.handlers import catalogo, importacao, leituras, plano, unidades

ALTERAVEIS = frozenset({"nova_sigla", "nome", "sigla_superior", "protocolo", "arquivo"})


class TenancyService(ProbedService):
    name = "tenancy"

    registry_db = RegistryDatabase()
    db = TenantDatabase()
    processos = ServiceRpc("processos")

    @rpc(expected_exceptions=SemPapelError)
    def listar_municipios_ativos(self) -> list[dict[str, str]]:
        return self.registry_db.active_public()

    @rpc(expected_exceptions=SemPapelError)
    def obter_municipio(self, ibge: str) -> dict[str, str]:
        found = registry.get(self.registry_db.engine, ibge)
        return {**found.public(), "status": found.status}

    @rpc(expected_exceptions=SemPapelError)
    def arvore_unidades(self) -> list[dict[str, Any]]:
        return unidades.arvore(self.db.unit_of_work())

    @rpc(expected_exceptions=SemPapelError)
    def unidades_por_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return unidades.por_ids(self.db.unit_of_work(), [str(i) for i in ids][:1000])

    @rpc(expected_exceptions=SemPapelError)
    def unidade_por_sigla(self, sigla: str) -> dict[str, Any]:
        return unidades.por_sigla(self.db.unit_of_work(), sigla)

    @rpc(expected_exceptions=SemPapelError)
    def historico_unidade(self, sigla: str) -> list[dict[str, Any]]:
        return unidades.historico(self.db.unit_of_work(), sigla)

    @rpc(expected_exceptions=SemPapelError)
    def criar_unidade(
        self,
        sigla: str,
        nome: str,
        sigla_superior: str | None = None,
        protocolo: bool = False,
        arquivo: bool = False,
    ) -> dict[str, Any]:
        self.call.require_administrator()
        criada = unidades.criar(
            self.db.unit_of_work(), sigla, nome, sigla_superior, bool(protocolo), bool(arquivo)
        )
        return criada.resumo()

    @rpc(expected_exceptions=SemPapelError)
    def alterar_unidade(self, sigla: str, mudancas: dict[str, Any]) -> dict[str, Any]:
        """`mudancas` holds only what changes; `sigla_superior: None` makes it a root."""
        self.call.require_administrator()
        desconhecidos = set(mudancas) - ALTERAVEIS
        if desconhecidos:
            raise DadosInvalidos(f"Campos não alteráveis: {', '.join(sorted(desconhecidos))}.")
        return unidades.atualizar(self.db.unit_of_work(), sigla, **mudancas).resumo()

    @rpc(expected_exceptions=SemPapelError)
    def desativar_unidade(self, sigla: str) -> dict[str, Any]:
        self.call.require_administrator()
        desativada = unidades.desativar(
            self.db.unit_of_work(), sigla, self.processos.unidade_tem_processos_abertos
        )
        return desativada.resumo()

    @rpc(expected_exceptions=SemPapelError)
    def diretorio(self) -> dict[str, Any]:
        """Units, process types, hypotheses and plan codes of the caller's municipality."""
        return leituras.diretorio(self.db.unit_of_work())

    @rpc(expected_exceptions=SemPapelError)
    def listar_catalogo(self, qual: str) -> Any:
        return leituras.ler(self.db.unit_of_work(), qual)

    @rpc(expected_exceptions=SemPapelError)
    def criar_hipotese_legal(self, nome: str, base_legal: str, niveis: list[str]) -> dict:
        self.call.require_administrator()
        return catalogo.criar_hipotese(self.db.unit_of_work(), nome, base_legal, list(niveis))

    @rpc(expected_exceptions=SemPapelError)
    def criar_tipo_documento(self, nome: str, aplicacao: str, numeracao: str) -> dict:
        self.call.require_administrator()
        return catalogo.criar_tipo_documento(self.db.unit_of_work(), nome, aplicacao, numeracao)

    @rpc(expected_exceptions=SemPapelError)
    def criar_tipo_processo(
        self,
        nome: str,
        classificacao: str,
        nivel_acesso_sugerido: str,
        hipotese_legal: str | None = None,
    ) -> dict:
        self.call.require_administrator()
        return catalogo.criar_tipo_processo(
            self.db.unit_of_work(), nome, classificacao, nivel_acesso_sugerido, hipotese_legal
        )

    @rpc(expected_exceptions=SemPapelError)
    def publicar_plano(self, versao: str, fonte: str, itens: list[dict]) -> dict:
        self.call.require_administrator()
        return plano.publicar_versao(self.db.unit_of_work(), versao, fonte, list(itens))

    @rpc(expected_exceptions=SemPapelError)
    def excluir_codigo_plano(self, codigo: str) -> None:
        self.call.require_administrator()
        plano.excluir_item(self.db.unit_of_work(), str(codigo))

    @rpc(expected_exceptions=SemPapelError)
    def alterar_catalogo(self, qual: str, id_: str, mudancas: dict[str, Any]) -> None:
        self.call.require_administrator()
        catalogo.alterar(self.db.unit_of_work(), qual, str(id_), dict(mudancas))

    @rpc(expected_exceptions=SemPapelError)
    def desativar_catalogo(self, qual: str, id_: str) -> None:
        self.call.require_administrator()
        catalogo.desativar(self.db.unit_of_work(), qual, str(id_))

    @rpc(expected_exceptions=SemPapelError)
    def modelo_planilha(self) -> str:
        """The onboarding spreadsheet template, base64-encoded XLSX."""
        return base64.b64encode(importacao.modelo()).decode("ascii")

    @rpc(expected_exceptions=SemPapelError)
    def importar_planilha(self, arquivos: list[dict[str, str]], simular: bool = False) -> dict:
        """`arquivos`: [{"nome": file name, "conteudo": base64}] (one XLSX, or CSVs by sheet)."""
        self.call.require_administrator()
        try:
            decoded = [
                (str(a["nome"]), base64.b64decode(a["conteudo"], validate=True)) for a in arquivos
            ]
        except (KeyError, TypeError, binascii.Error) as exc:
            raise DadosInvalidos("Arquivos mal codificados.", code="arquivo_invalido") from exc
        # Reading a workbook is seconds of pure Python: a thread keeps the hub answering.
        linhas = tpool.execute(importacao.ler, decoded)
        return importacao.importar(self.db.unit_of_work(), linhas, bool(simular))


SERVICE = TenancyService
