"""The rules of a process's life between units, and who may read it. No framework, no database.

A process is open, not yet received, or closed in each unit it has reached
(`UnidadeNoProcesso`); every operation is checked against the caller's current
unit and refused with a precise code when the state does not allow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado

NAO_RECEBIDO, ABERTO, FECHADO = "nao_recebido", "aberto", "fechado"
MAX_DESTINOS = 50
MAX_INTERESSADOS = 100


@dataclass
class UnidadeNoProcesso:
    unidade_id: str
    situacao: str
    atribuido_a: str | None = None
    marcador: str | None = None


@dataclass
class Processo:
    id: str
    numero: str | None
    nivel_efetivo: str
    sobrestado: bool = False
    principal_id: str | None = None
    unidades: dict[str, UnidadeNoProcesso] = field(default_factory=dict)
    credenciados: set[str] = field(default_factory=set)

    def situacao_em(self, unidade_id: str | None) -> str | None:
        no = self.unidades.get(unidade_id or "")
        return no.situacao if no else None

    def aberto_em(self) -> list[str]:
        return [u for u, no in self.unidades.items() if no.situacao in (ABERTO, NAO_RECEBIDO)]


def nao_encontrado() -> NaoEncontrado:
    """The same answer for a process that does not exist and one the caller may not read."""
    return NaoEncontrado("Processo não encontrado.", code="processo_nao_encontrado")


def pode_ler(p: Processo, unidade_id: str | None, usuario_id: str) -> bool:
    """Público: everyone in the municipality; restrito: the units it has reached;
    sigiloso: credentialed users only. An annexed process is judged through its main one
    (the caller passes the main process's state)."""
    if p.nivel_efetivo == "publico":
        return True
    if p.nivel_efetivo == "restrito":
        return unidade_id is not None and unidade_id in p.unidades
    return usuario_id in p.credenciados


def exigir_unidade(unidade_id: str | None) -> str:
    if not unidade_id:
        raise Conflito(
            "Escolha a unidade atual antes de operar processos.", code="unidade_nao_escolhida"
        )
    return unidade_id


def exigir_movel(p: Processo) -> None:
    if p.principal_id is not None:
        raise Conflito("Processo anexado: opere pelo processo principal.", code="processo_anexado")


def exigir_aberto(p: Processo, unidade_id: str) -> None:
    exigir_movel(p)
    situacao = p.situacao_em(unidade_id)
    if situacao == NAO_RECEBIDO:
        raise Conflito(
            "Receba o processo antes de operá-lo nesta unidade.", code="processo_nao_recebido"
        )
    if situacao != ABERTO:
        raise Conflito(
            "O processo não está aberto na sua unidade.", code="processo_nao_aberto_na_unidade"
        )


def exigir_nao_sobrestado(p: Processo) -> None:
    if p.sobrestado:
        raise Conflito("O processo está sobrestado.", code="processo_sobrestado")


def checar_envio(p: Processo, origem: str, destinos: list[str]) -> None:
    exigir_aberto(p, origem)
    exigir_nao_sobrestado(p)
    if p.nivel_efetivo == "sigiloso":
        raise Conflito(
            "Processo sigiloso não tramita: conceda credencial a quem deve acessá-lo.",
            code="processo_sigiloso_nao_tramita",
        )
    if not destinos or len(destinos) > MAX_DESTINOS:
        raise DadosInvalidos(
            f"Informe de 1 a {MAX_DESTINOS} unidades de destino.", code="destinos_invalidos"
        )
    if len(set(destinos)) != len(destinos):
        raise DadosInvalidos("Unidade de destino repetida.", code="destinos_invalidos")
    if origem in destinos:
        raise Conflito(
            "A unidade atual não pode ser destino do envio.", code="destino_igual_origem"
        )
    for destino in destinos:
        if p.situacao_em(destino) in (ABERTO, NAO_RECEBIDO):
            raise Conflito(
                "O processo já está aberto numa das unidades de destino.",
                code="processo_ja_aberto_no_destino",
                details={"unidade_id": destino},
            )


def checar_recebimento(p: Processo, unidade_id: str) -> None:
    exigir_movel(p)
    if p.situacao_em(unidade_id) != NAO_RECEBIDO:
        raise Conflito(
            "Não há envio a receber nesta unidade.", code="processo_nao_enviado_a_unidade"
        )


def checar_conclusao(p: Processo, unidade_id: str) -> None:
    exigir_aberto(p, unidade_id)
    exigir_nao_sobrestado(p)


def checar_reabertura(p: Processo, unidade_id: str) -> None:
    exigir_movel(p)
    situacao = p.situacao_em(unidade_id)
    if situacao in (ABERTO, NAO_RECEBIDO):
        raise Conflito("O processo já está aberto na unidade.", code="processo_ja_aberto")
    if situacao is None:
        raise Conflito(
            "Só reabre o processo uma unidade por onde ele passou.",
            code="processo_nunca_esteve_na_unidade",
        )


def checar_sobrestamento(p: Processo, unidade_id: str, sobrestar: bool) -> None:
    exigir_aberto(p, unidade_id)
    if sobrestar and p.sobrestado:
        raise Conflito("O processo já está sobrestado.", code="processo_ja_sobrestado")
    if not sobrestar and not p.sobrestado:
        raise Conflito("O processo não está sobrestado.", code="processo_nao_sobrestado")


def checar_anexacao(
    principal: Processo, anexado: Processo, unidade_id: str, cadeia_do_principal: list[str]
) -> None:
    """`cadeia_do_principal`: the principal's own main process, its main, and so on."""
    if principal.id == anexado.id:
        raise Conflito("Um processo não pode ser anexado a si mesmo.", code="anexacao_em_si_mesmo")
    if anexado.id in cadeia_do_principal:
        raise Conflito(
            "O processo principal já está anexado a este: a anexação faria um ciclo.",
            code="anexacao_ciclica",
        )
    exigir_aberto(principal, unidade_id)
    if anexado.principal_id is not None:
        raise Conflito("O processo já está anexado a outro.", code="processo_ja_anexado")
    exigir_aberto(anexado, unidade_id)
    exigir_nao_sobrestado(anexado)


def checar_desanexacao(principal: Processo, anexado: Processo, unidade_id: str) -> None:
    exigir_aberto(principal, unidade_id)
    if anexado.principal_id != principal.id:
        raise Conflito("O processo não está anexado a este.", code="processo_nao_anexado")


def validar_motivo(motivo: object) -> str:
    if not isinstance(motivo, str) or not motivo.strip() or len(motivo) > 500:
        raise DadosInvalidos("Informe o motivo (até 500 caracteres).", code="motivo_obrigatorio")
    return " ".join(motivo.split())


# Interested parties: CPF and CNPJ with their check digits.


def _dv_cpf(digitos: str) -> str:
    for tamanho in (9, 10):
        soma = sum(
            int(d) * p for d, p in zip(digitos[:tamanho], range(tamanho + 1, 1, -1), strict=False)
        )
        resto = soma * 10 % 11 % 10
        if resto != int(digitos[tamanho]):
            return ""
    return digitos


def _dv_cnpj(digitos: str) -> str:
    pesos = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for tamanho in (12, 13):
        p = pesos if tamanho == 12 else [6, *pesos]
        soma = sum(int(d) * w for d, w in zip(digitos[:tamanho], p, strict=False))
        dv = 11 - soma % 11
        if (0 if dv >= 10 else dv) != int(digitos[tamanho]):
            return ""
    return digitos


def validar_cpf_cnpj(texto: str) -> str:
    """Digits of a valid CPF (11) or CNPJ (14), typed with or without punctuation."""
    if not re.fullmatch(r"[0-9./ -]{11,20}", texto or ""):  # ASCII: \d takes any script's digits
        raise DadosInvalidos("CPF ou CNPJ inválido.", code="cpf_cnpj_invalido")
    digitos = re.sub(r"[^0-9]", "", texto)
    valido = ""
    if len(digitos) == 11 and len(set(digitos)) > 1:
        valido = _dv_cpf(digitos)
    elif len(digitos) == 14 and len(set(digitos)) > 1:
        valido = _dv_cnpj(digitos)
    if not valido:
        raise DadosInvalidos("CPF ou CNPJ inválido.", code="cpf_cnpj_invalido")
    return valido


def validar_interessados(interessados: list[dict]) -> list[dict]:
    if len(interessados) > MAX_INTERESSADOS:
        raise DadosInvalidos(
            f"No máximo {MAX_INTERESSADOS} interessados.", code="interessados_demais"
        )
    limpos = []
    for n, item in enumerate(interessados):
        nome = " ".join(str(item.get("nome") or "").split())
        if not nome or len(nome) > 200:
            raise DadosInvalidos(
                "Nome do interessado é obrigatório (até 200 caracteres).",
                code="interessado_invalido",
                details={"campos": [{"campo": f"interessados.{n}.nome", "mensagem": "inválido"}]},
            )
        documento = item.get("cpf_cnpj")
        limpos.append(
            {
                "ordem": n,
                "nome": nome,
                "documento": validar_cpf_cnpj(documento) if documento else None,
            }
        )
    return limpos
