"""Documents' rules: who may read one, labels by the type's numbering rule, verification codes.

No framework, no database. A document is readable when its process is (processos
decides and answers 404 otherwise) and its own level allows it: restrito to the
units the process has reached, sigiloso to the process's credentialed users.
"""

from __future__ import annotations

import re
import secrets
import zlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.chassis.niveis_acesso import nivel_permite_ler

EDITAVEL, ASSINADO, INCLUIDO, CANCELADO = "editavel", "assinado", "incluido", "cancelado"
BRASILIA = ZoneInfo("America/Sao_Paulo")
UNIDADE_POR_REGRA = {"sequencial_unidade": True, "anual_unidade": True, "anual_municipio": False}


def nao_encontrado() -> NaoEncontrado:
    return NaoEncontrado("Documento não encontrado.", code="documento_nao_encontrado")


def pode_ler(nivel: str, contexto: dict[str, Any], unidade_id: str | None) -> bool:
    """`contexto`: processos' answer for the caller (it already refused an unreadable process)."""
    return nivel_permite_ler(
        nivel,
        unidade_id is not None and unidade_id in contexto["unidades"],
        contexto["credenciado"],
    )


def exigir_acao_no_processo(contexto: dict[str, Any], acao: str) -> None:
    """Refuse as processos' own rules refuse (`contexto["recusas"]`, from
    `processos.contexto_documental`): documentos never restates a process's rule."""
    recusa = contexto["recusas"][acao]
    if recusa is not None:
        raise Conflito(recusa["message"], code=recusa["code"])


def exigir_aplicacao(tipo: dict[str, Any] | None, origem: str) -> dict[str, Any]:
    if tipo is None or not tipo["ativo"]:
        raise DadosInvalidos(
            "Tipo de documento inexistente ou inativo.", code="tipo_documento_invalido"
        )
    if tipo["aplicacao"] not in (origem, "ambos"):
        raise DadosInvalidos(
            f"O tipo {tipo['nome']} não se aplica a documento {origem}.",
            code="tipo_documento_nao_se_aplica",
        )
    return tipo


def chave_contador(tipo: dict[str, Any], unidade_id: str, ano: int) -> str | None:
    """The counter of the type's numbering rule; None when the type is not numbered."""
    regra = tipo["numeracao"]
    if regra == "sequencial_unidade":
        return f"tipo:{tipo['id']}:unidade:{unidade_id}"
    if regra == "anual_unidade":
        return f"tipo:{tipo['id']}:unidade:{unidade_id}:{ano}"
    if regra == "anual_municipio":
        return f"tipo:{tipo['id']}:{ano}"
    return None


def numero_tipo(tipo: dict[str, Any], n: int | None, ano: int) -> str | None:
    if n is None:
        return None
    return str(n) if tipo["numeracao"] == "sequencial_unidade" else f"{n}/{ano}"


def rotulo(tipo: dict[str, Any], numero: str | None, sigla: str | None) -> str:
    """ "Ofício 12/2026 - SEMAD", "Portaria 3/2026", or the type's name alone."""
    if numero is None:
        return tipo["nome"]
    if UNIDADE_POR_REGRA.get(tipo["numeracao"]) and sigla:
        return f"{tipo['nome']} {numero} - {sigla}"
    return f"{tipo['nome']} {numero}"


def exigir_editavel(situacao: str) -> None:
    if situacao == CANCELADO:
        raise Conflito("O documento foi cancelado.", code="documento_cancelado")
    if situacao != EDITAVEL:
        raise Conflito("Documento assinado não pode ser editado.", code="documento_assinado")


def novo_codigo_verificacao() -> str:
    """10 random digits: what a citizen types on the public verification page."""
    return f"{secrets.randbelow(10**10):010d}"


def crc(ibge: str, codigo: str, sha256: str) -> str:
    """The CRC printed next to the code: ties the code to this municipality and content."""
    return f"{zlib.crc32(f'{ibge}|{codigo}|{sha256}'.encode()):08X}"


def validar_data(texto: str | None) -> str | None:
    if not texto:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", texto):
        raise DadosInvalidos("Data no formato AAAA-MM-DD.", code="data_invalida")
    try:
        datetime.strptime(texto, "%Y-%m-%d")
    except ValueError as exc:
        raise DadosInvalidos("Data inexistente.", code="data_invalida") from exc
    return texto


def texto_limitado(valor: Any, campo: str, maximo: int, obrigatorio: bool = False) -> str | None:
    texto = " ".join(str(valor).split()) if valor is not None else ""
    if not texto:
        if obrigatorio:
            raise DadosInvalidos(f"{campo} é obrigatório.", code=f"{campo}_obrigatorio")
        return None
    if len(texto) > maximo:
        raise DadosInvalidos(f"{campo}: até {maximo} caracteres.", code=f"{campo}_longo")
    return texto


def carimbo(
    assinaturas: list[dict[str, Any]],
    codigo: str | None,
    crc_: str | None,
    url_conferencia: str,
    ibge: str,
) -> str:
    """The signature stamp shown when a document is rendered, in Brasília time."""
    linhas = []
    for a in assinaturas:
        quando = datetime.fromisoformat(a["assinado_em"]).astimezone(BRASILIA)
        linhas.append(
            f"Documento assinado eletronicamente por {a['nome']}, {a['cargo']}, "
            f"em {quando:%d/%m/%Y}, às {quando:%H:%M}, conforme horário oficial de Brasília."
        )
    if codigo:
        linhas.append(
            "A autenticidade deste documento pode ser conferida em "
            f"{url_conferencia}?municipio={ibge}&codigo={codigo}&crc={crc_}, informando o "
            f"código verificador {codigo} e o código CRC {crc_}."
        )
    return "\n".join(linhas)
