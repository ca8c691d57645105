"""The Processo aggregate without a database: every transition, every refusal, access, and
the allowed-actions answer checked against the commands it describes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.ator import Ator
from services.chassis.errors import Conflito, DadosInvalidos
from services.processos import domain, nup
from services.processos.domain import (
    ABERTO,
    ACOES,
    FECHADO,
    NAO_RECEBIDO,
    Processo,
    UnidadeNoProcesso,
    Usuario,
)

AGORA = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ANA = Ator("ana", "ana", "A")  # in unit A
BIA = Ator("bia", "bia", "B")
SEM_UNIDADE = Ator("ana", "ana", None)
DIRETORIO = {
    "tipos": {
        "t1": {
            "id": "t1",
            "nome": "Licitação",
            "ativo": True,
            "classificacao": "010",
            "nivel_acesso_sugerido": "publico",
            "hipotese_legal": None,
        },
        "t2": {
            "id": "t2",
            "nome": "Sindicância",
            "ativo": True,
            "classificacao": "020",
            "nivel_acesso_sugerido": "sigiloso",
            "hipotese_legal": "Sigilo",
        },
        "velho": {"id": "velho", "nome": "Velho", "ativo": False, "classificacao": "010"},
    },
    "classificacoes": {"010": "item-010", "020": "item-020"},
    "hipoteses": {
        "Sigilo": {
            "id": "h1",
            "nome": "Sigilo",
            "ativa": True,
            "permite_restrito": True,
            "permite_sigiloso": True,
        }
    },
}


def processo(nivel: str = "publico", numero_seq: int = 1, **situacoes: str) -> Processo:
    numero = nup.gerar("nup", "08004", numero_seq, 2026)
    return Processo(
        id=f"p{numero_seq}",
        numero=numero.digitos,
        nivel_acesso=nivel,
        nivel_efetivo=nivel,
        unidades={u: UnidadeNoProcesso(u, s) for u, s in situacoes.items()},
        credenciados={"ana"} if nivel == "sigiloso" else set(),
    )


def recusa(funcao, *args) -> str:
    with pytest.raises((Conflito, DadosInvalidos)) as caught:
        funcao(*args)
    return caught.value.code


# -- opening ------------------------------------------------------------------


def test_opening_checks_the_request_against_the_catalog():
    abertura = domain.Abertura.de(
        DIRETORIO,
        {
            "tipo_processo": "t1",
            "especificacao": "  Compra   de cadeiras ",
            "interessados": [{"nome": " Maria  Souza ", "cpf_cnpj": "529.982.247-25"}],
        },
    )
    assert abertura.especificacao == "Compra de cadeiras"
    assert abertura.classificacao == "010" and abertura.plano_item_id == "item-010"
    assert abertura.interessados == (domain.Interessado("Maria Souza", "52998224725"),)
    sigiloso = domain.Abertura.de(DIRETORIO, {"tipo_processo": "t2", "especificacao": "x"})
    assert (sigiloso.nivel_acesso, sigiloso.hipotese_legal_nome) == ("sigiloso", "Sigilo")


@pytest.mark.parametrize(
    ("dados", "codigo"),
    [
        ({"tipo_processo": "nenhum", "especificacao": "x"}, "tipo_processo_invalido"),
        ({"tipo_processo": "velho", "especificacao": "x"}, "tipo_processo_invalido"),
        ({"tipo_processo": "t1", "especificacao": "   "}, "especificacao_invalida"),
        ({"tipo_processo": "t1", "especificacao": "x" * 501}, "especificacao_invalida"),
        (
            {"tipo_processo": "t1", "especificacao": "x", "classificacao": "999"},
            "classificacao_nao_encontrada",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "nivel_acesso": "secreto"},
            "nivel_acesso_invalido",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "nivel_acesso": "restrito"},
            "hipotese_legal_obrigatoria",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "hipotese_legal": "Sigilo"},
            "hipotese_legal_indevida",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "hipotese_legal": "Outra"},
            "hipotese_legal_nao_encontrada",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "observacoes": "o" * 1001},
            "observacoes_longas",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "interessados": [{"nome": ""}]},
            "interessado_invalido",
        ),
        (
            {
                "tipo_processo": "t1",
                "especificacao": "x",
                "interessados": [{"nome": "A", "cpf_cnpj": "111.111.111-11"}],
            },
            "cpf_cnpj_invalido",
        ),
        (
            {"tipo_processo": "t1", "especificacao": "x", "interessados": [{"nome": "A"}] * 101},
            "interessados_demais",
        ),
    ],
)
def test_opening_refuses_what_the_catalog_or_the_limits_do_not_allow(dados, codigo):
    assert recusa(domain.Abertura.de, DIRETORIO, dados) == codigo


def test_a_new_process_is_open_in_the_unit_and_records_its_number():
    abertura = domain.Abertura.de(DIRETORIO, {"tipo_processo": "t2", "especificacao": "x"})
    p = Processo.gerar("novo", ANA, abertura, "nup", AGORA)
    assert p.unidades["A"].situacao == ABERTO and p.unidade_geradora_id == "A"
    assert p.credenciados == {"ana"}  # whoever opens a sigiloso process holds its credential
    assert p.eventos == []
    numero = nup.gerar("nup", "08004", 7, 2026)
    p.numerar(numero)
    assert p.numero == numero.digitos
    assert p.eventos == [domain.ProcessoGerado(numero.formatado)] and p.versao == 1
    assert recusa(Processo.gerar, "x", SEM_UNIDADE, abertura, "nup", AGORA) == (
        "unidade_nao_escolhida"
    )


# -- the lifecycle -----------------------------------------------------------------


def test_sending_opens_it_in_the_destinations_and_closes_it_here():
    p = processo(A=ABERTO, C=FECHADO)
    p.unidades["A"].atribuido_a = "ana"
    feito = p.enviar(ANA, ["B", "C"], False, AGORA)
    assert feito == domain.ProcessoEnviado(["B", "C"], False)
    assert {u: n.situacao for u, n in p.unidades.items()} == {
        "A": FECHADO,
        "B": NAO_RECEBIDO,
        "C": NAO_RECEBIDO,
    }
    assert p.unidades["A"].atribuido_a is None
    assert p.unidades["B"].enviado_em == AGORA and p.unidades["B"].recebido_em is None
    assert p.versao == 2 and p.atualizado_em == AGORA and p.eventos == [feito]


def test_sending_and_keeping_it_open_here():
    p = processo(A=ABERTO)
    p.enviar(ANA, ["B"], True, AGORA)
    assert p.unidades["A"].situacao == ABERTO and p.unidades["B"].situacao == NAO_RECEBIDO


@pytest.mark.parametrize(
    ("p", "ator", "destinos", "codigo"),
    [
        (processo(A=ABERTO), SEM_UNIDADE, ["B"], "unidade_nao_escolhida"),
        (processo(A=FECHADO), ANA, ["B"], "processo_nao_aberto_na_unidade"),
        (processo(A=NAO_RECEBIDO), ANA, ["B"], "processo_nao_recebido"),
        (processo(B=ABERTO), ANA, ["C"], "processo_nao_aberto_na_unidade"),
        (processo(A=ABERTO), ANA, ["A"], "destino_igual_origem"),
        (processo(A=ABERTO, B=NAO_RECEBIDO), ANA, ["B"], "processo_ja_aberto_no_destino"),
        (processo(A=ABERTO), ANA, ["B", "B"], "destinos_invalidos"),
        (processo(A=ABERTO), ANA, [], "destinos_invalidos"),
        (processo(A=ABERTO), ANA, [f"U{n}" for n in range(51)], "destinos_invalidos"),
        (processo("sigiloso", A=ABERTO), ANA, ["B"], "processo_sigiloso_nao_tramita"),
    ],
)
def test_sending_refusals(p, ator, destinos, codigo):
    antes = copy.deepcopy(p)
    assert recusa(p.enviar, ator, destinos, False, AGORA) == codigo
    assert p == antes and p.eventos == []  # a refusal changes nothing


def test_sending_refusals_of_a_suspended_or_annexed_process():
    sobrestado = processo(A=ABERTO)
    sobrestado.sobrestado = True
    assert recusa(sobrestado.enviar, ANA, ["B"], False, AGORA) == "processo_sobrestado"
    anexado = processo(A=ABERTO)
    anexado.principal_id = "outro"
    assert recusa(anexado.enviar, ANA, ["B"], False, AGORA) == "processo_anexado"


def test_receiving_concluding_and_reopening():
    p = processo(A=FECHADO, B=NAO_RECEBIDO)
    assert recusa(p.receber, ANA, AGORA) == "processo_nao_enviado_a_unidade"
    p.receber(BIA, AGORA)
    assert p.unidades["B"].situacao == ABERTO and p.unidades["B"].recebido_em == AGORA
    assert recusa(p.receber, BIA, AGORA) == "processo_nao_enviado_a_unidade"
    assert recusa(p.concluir, ANA, AGORA) == "processo_nao_aberto_na_unidade"
    p.concluir(BIA, AGORA)
    assert p.unidades["B"].situacao == FECHADO and p.concluido
    assert recusa(p.reabrir, Ator("x", "x", "Z"), AGORA) == "processo_nunca_esteve_na_unidade"
    p.reabrir(ANA, AGORA)
    assert p.unidades["A"].situacao == ABERTO and not p.concluido
    assert recusa(p.reabrir, ANA, AGORA) == "processo_ja_aberto"
    assert [type(e) for e in p.eventos] == [
        domain.ProcessoRecebido,
        domain.ProcessoConcluido,
        domain.ProcessoReaberto,
    ]
    assert p.versao == 4


def test_a_suspended_process_is_not_concluded():
    p = processo(A=ABERTO)
    p.sobrestar(ANA, "  Aguardando   parecer ", AGORA)
    assert p.sobrestado and p.sobrestado_motivo == "Aguardando parecer"
    assert p.eventos == [domain.ProcessoSobrestado("Aguardando parecer")]
    assert recusa(p.concluir, ANA, AGORA) == "processo_sobrestado"
    assert recusa(p.sobrestar, ANA, "de novo", AGORA) == "processo_ja_sobrestado"
    p.remover_sobrestamento(ANA, "Parecer chegou", AGORA)
    assert not p.sobrestado and p.sobrestado_motivo is None
    assert recusa(p.remover_sobrestamento, ANA, "x", AGORA) == "processo_nao_sobrestado"
    assert recusa(p.sobrestar, ANA, "  ", AGORA) == "motivo_obrigatorio"
    assert recusa(p.sobrestar, ANA, "m" * 501, AGORA) == "motivo_obrigatorio"


def test_assigning_and_removing_an_assignment():
    p = processo(A=ABERTO)
    assert recusa(p.atribuir, ANA, None, AGORA) == "processo_nao_atribuido"
    assert p.atribuir(ANA, Usuario("u1", "caio"), AGORA) == "u1"
    assert p.eventos == [domain.ProcessoAtribuido("u1", "caio")]
    assert p.atribuir(ANA, Usuario("u1", "caio"), AGORA) == "u1"  # the same: nothing recorded
    assert len(p.eventos) == 1
    assert p.atribuir(ANA, None, AGORA) is None
    assert p.eventos[-1] == domain.ProcessoAtribuido(None, None)
    assert recusa(p.atribuir, BIA, Usuario("u1", "caio"), AGORA) == (
        "processo_nao_aberto_na_unidade"
    )


def test_a_marker_is_the_units_own_and_records_nothing():
    p = processo(A=NAO_RECEBIDO)
    p.marcar(ANA, "  urgente   hoje ")
    assert p.unidades["A"].marcador == "urgente hoje" and p.eventos == [] and p.versao == 1
    assert recusa(p.marcar, ANA, "m" * 101) == "marcador_longo"
    assert recusa(p.marcar, BIA, "x") == "processo_nao_aberto_na_unidade"


def test_annexing_closes_the_annexed_process_and_records_on_both():
    principal, anexado = processo(A=ABERTO), processo(numero_seq=2, A=ABERTO, C=NAO_RECEBIDO)
    anexado.unidades["A"].atribuido_a = "ana"
    principal.anexar(anexado, ANA, [], "Mesmo assunto", AGORA)
    assert anexado.principal_id == principal.id
    assert {n.situacao for n in anexado.unidades.values()} == {FECHADO}
    assert anexado.unidades["A"].atribuido_a is None
    assert principal.eventos == [domain.ProcessoAnexado("Mesmo assunto", anexado=anexado.ref())]
    assert anexado.eventos == [domain.ProcessoAnexado("Mesmo assunto", principal=principal.ref())]
    assert anexado.recusa("enviar", ANA).code == "processo_anexado"
    assert recusa(principal.desanexar, processo(numero_seq=3), ANA, "x", AGORA) == (
        "processo_nao_anexado"
    )
    principal.desanexar(anexado, ANA, "Separar", AGORA)
    assert anexado.principal_id is None and anexado.unidades["A"].situacao == ABERTO


@pytest.mark.parametrize(
    ("preparar", "codigo"),
    [
        (lambda p, a: setattr(a, "id", p.id), "anexacao_em_si_mesmo"),
        (lambda p, a: p.unidades.update(A=UnidadeNoProcesso("A", FECHADO)), None),
        (lambda p, a: setattr(a, "principal_id", "terceiro"), "processo_ja_anexado"),
        (lambda p, a: setattr(a, "sobrestado", True), "processo_sobrestado"),
        (lambda p, a: a.unidades.update(A=UnidadeNoProcesso("A", FECHADO)), None),
    ],
)
def test_annexing_refusals(preparar, codigo):
    principal, anexado = processo(A=ABERTO), processo(numero_seq=2, A=ABERTO)
    preparar(principal, anexado)
    codigo = codigo or "processo_nao_aberto_na_unidade"
    assert recusa(principal.anexar, anexado, ANA, [], "m", AGORA) == codigo


def test_annexing_a_process_to_its_own_annex_would_make_a_cycle():
    principal, anexado = processo(A=ABERTO), processo(numero_seq=2, A=ABERTO)
    assert recusa(principal.anexar, anexado, ANA, [anexado.id], "m", AGORA) == "anexacao_ciclica"


def test_relating_is_symmetric_and_refuses_itself_and_duplicates():
    a, b = processo(A=ABERTO), processo(numero_seq=2)
    assert recusa(a.relacionar, a, ANA, AGORA) == "relacao_consigo_mesmo"
    a.relacionar(b, ANA, AGORA)
    assert a.relacionados == {b.id} and b.relacionados == {a.id}
    assert a.eventos == [domain.ProcessoRelacionado(b.ref())]
    assert b.eventos == [domain.ProcessoRelacionado(a.ref())]
    assert recusa(b.relacionar, a, ANA, AGORA) == "processos_ja_relacionados"
    a.remover_relacao(b, ANA, AGORA)
    assert a.relacionados == b.relacionados == set()
    assert recusa(a.remover_relacao, b, ANA, AGORA) == "relacao_inexistente"


def test_acknowledging_needs_a_unit_it_passed_through_unless_sigiloso():
    p = processo(A=FECHADO)
    p.dar_ciencia(ANA, AGORA)
    assert p.eventos == [domain.CienciaDada()]
    assert recusa(p.dar_ciencia, BIA, AGORA) == "processo_nunca_esteve_na_unidade"
    assert recusa(p.dar_ciencia, SEM_UNIDADE, AGORA) == "unidade_nao_escolhida"
    sigiloso = processo("sigiloso", A=ABERTO)
    sigiloso.dar_ciencia(BIA, AGORA)  # a credentialed user from anywhere


def test_credentials_are_granted_renounced_and_revoked_never_the_last():
    p = processo("sigiloso", A=ABERTO)
    caio = Usuario("caio", "caio")
    assert recusa(p.retirar_credencial, ANA, Usuario("ana", "ana"), AGORA) == "ultima_credencial"
    p.conceder_credencial(ANA, caio, AGORA)
    assert p.credenciados == {"ana", "caio"}
    assert recusa(p.conceder_credencial, ANA, caio, AGORA) == "credencial_existente"
    assert recusa(p.retirar_credencial, ANA, Usuario("zeca", "zeca"), AGORA) == (
        "credencial_inexistente"
    )
    p.retirar_credencial(ANA, caio, AGORA)  # another's: revoked
    p.conceder_credencial(ANA, caio, AGORA)
    p.retirar_credencial(Ator("caio", "caio", None), caio, AGORA)  # one's own: renounced
    assert [type(e) for e in p.eventos] == [
        domain.CredencialConcedida,
        domain.CredencialCassada,
        domain.CredencialConcedida,
        domain.CredencialRenunciada,
    ]
    publico = processo(A=ABERTO)
    assert recusa(publico.conceder_credencial, ANA, caio, AGORA) == "processo_nao_sigiloso"
    assert recusa(publico.retirar_credencial, ANA, caio, AGORA) == "processo_nao_sigiloso"


def test_document_events_move_the_effective_level_only_forward_in_their_sequence():
    p = processo(A=ABERTO)
    doc = {"id": "d1", "rotulo": "Ofício 1/2026 - A", "ordem": 1}
    p.aplicar_documento("incluido", doc, None, 2, ["publico", "sigiloso"], AGORA)
    assert (p.nivel_documentos, p.nivel_efetivo, p.niveis_documentos_seq) == (
        "sigiloso",
        "sigiloso",
        2,
    )
    assert p.eventos[-1] == domain.DocumentoIncluidoNoProcesso(
        "d1", "Ofício 1/2026 - A", 1, domain.MudancaDeNivel("publico", "sigiloso")
    )
    p.aplicar_documento("assinado", doc, None, 1, ["publico"], AGORA)  # older: history only
    assert p.nivel_efetivo == "sigiloso" and p.eventos[-1].nivel_efetivo is None
    p.aplicar_documento("cancelado", doc, "errado", 3, ["publico"], AGORA)
    assert p.nivel_efetivo == "publico" and p.eventos[-1].motivo == "errado"
    assert recusa(p.aplicar_documento, "incluido", doc, None, 4, ["secreto"], AGORA) == (
        "nivel_acesso_invalido"
    )


# -- who may read it ------------------------------------------------------------


def test_access_levels():
    assert processo(A=ABERTO).legivel_por(Ator("x", "x", None))
    restrito = processo("restrito", A=FECHADO)
    assert restrito.legivel_por(ANA) and not restrito.legivel_por(BIA)
    assert not restrito.legivel_por(SEM_UNIDADE)
    sigiloso = processo("sigiloso", A=ABERTO)
    assert sigiloso.legivel_por(Ator("ana", "ana", "Z"))
    assert not sigiloso.legivel_por(Ator("bia", "bia", "A"))  # being in the unit is not enough


def test_an_annexed_process_is_read_through_its_main_one():
    anexado = processo("publico", numero_seq=2, A=FECHADO)
    anexado.principal_id = "p1"
    principal = processo("restrito", B=ABERTO)
    assert anexado.legivel_por(BIA, principal)
    assert not anexado.legivel_por(ANA, principal)


# -- the allowed actions are the commands' own guards -------------------------------

COMANDOS = {
    "enviar": lambda p, a: p.enviar(a, ["Q"], False, AGORA),
    "receber": lambda p, a: p.receber(a, AGORA),
    "concluir": lambda p, a: p.concluir(a, AGORA),
    "reabrir": lambda p, a: p.reabrir(a, AGORA),
    "atribuir": lambda p, a: p.atribuir(a, Usuario("u9", "u9"), AGORA),
    "marcar": lambda p, a: p.marcar(a, "x"),
    "sobrestar": lambda p, a: p.sobrestar(a, "m", AGORA),
    "remover_sobrestamento": lambda p, a: p.remover_sobrestamento(a, "m", AGORA),
    "anexar": lambda p, a: p.anexar(
        processo(numero_seq=9, **{a.unidade_id or "A": ABERTO}), a, [], "m", AGORA
    ),
    "dar_ciencia": lambda p, a: p.dar_ciencia(a, AGORA),
    "relacionar": lambda p, a: p.relacionar(processo(numero_seq=9), a, AGORA),
    "conceder_credencial": lambda p, a: p.conceder_credencial(a, Usuario("u9", "u9"), AGORA),
    "retirar_credencial": lambda p, a: p.retirar_credencial(a, Usuario("ana", "ana"), AGORA),
}


def estados() -> list[tuple[str, Processo]]:
    casos = [
        ("aberto", processo(A=ABERTO)),
        ("nao recebido", processo(A=NAO_RECEBIDO)),
        ("fechado", processo(A=FECHADO, B=ABERTO)),
        ("nunca esteve", processo(B=ABERTO)),
        ("concluido", processo(A=FECHADO)),
        ("sigiloso", processo("sigiloso", A=ABERTO)),
        ("sigiloso com dois", processo("sigiloso", A=ABERTO)),
    ]
    casos[-1][1].credenciados.add("caio")
    sobrestado = processo(A=ABERTO)
    sobrestado.sobrestado = True
    anexado = processo(A=FECHADO)
    anexado.principal_id = "outro"
    return [*casos, ("sobrestado", sobrestado), ("anexado", anexado)]


@pytest.mark.parametrize(("nome", "p"), estados(), ids=[n for n, _ in estados()])
@pytest.mark.parametrize("ator", [ANA, BIA, SEM_UNIDADE], ids=["A", "B", "sem unidade"])
def test_an_action_is_allowed_exactly_when_its_command_passes_the_same_guard(nome, p, ator):
    permitidas = p.acoes_permitidas(ator)
    assert set(permitidas) <= set(ACOES)
    for acao, comando in COMANDOS.items():
        alvo = copy.deepcopy(p)
        guarda = alvo.recusa(acao, ator)
        try:
            comando(alvo, ator)
        except (Conflito, DadosInvalidos) as exc:
            assert acao not in permitidas, (acao, exc.code)
            assert guarda is not None and exc.code == guarda.code, (acao, exc.code)
        else:
            assert acao in permitidas, acao


def test_what_a_unit_may_do_reads_as_a_servant_expects():
    assert processo(A=ABERTO).acoes_permitidas(ANA) == [
        "enviar",
        "concluir",
        "atribuir",
        "marcar",
        "sobrestar",
        "anexar",
        "desanexar",
        "relacionar",
        "dar_ciencia",
        "incluir_documento",
        "cancelar_documento",
    ]
    assert processo(A=NAO_RECEBIDO).acoes_permitidas(ANA) == [
        "receber",
        "marcar",
        "relacionar",
        "dar_ciencia",
    ]
    sem_anexos = processo(A=ABERTO)
    sem_anexos.anexos = []  # a full read knows: nothing to detach
    assert "desanexar" not in sem_anexos.acoes_permitidas(ANA)


def test_documents_follow_the_process_rules():
    assert processo(A=ABERTO).recusa("incluir_documento", ANA) is None
    assert processo(A=FECHADO).recusa("incluir_documento", ANA).code == "processo_concluido"
    assert processo(A=FECHADO, B=ABERTO).recusa("incluir_documento", ANA).code == (
        "processo_nao_aberto_na_unidade"
    )
    anexado = processo(A=FECHADO)
    anexado.principal_id = "p9"
    assert anexado.recusa("incluir_documento", ANA).code == "processo_anexado"
    assert processo(A=NAO_RECEBIDO).recusa("cancelar_documento", ANA).code == (
        "processo_nao_aberto_na_unidade"
    )


def test_every_fact_has_its_own_type_and_no_two_share_one():
    tipos = [evento.tipo for evento in domain.EVENTOS]
    assert len(tipos) == len(set(tipos)) == 19


def test_time_is_given_to_the_aggregate_not_read_by_it():
    p = processo(A=ABERTO)
    depois = AGORA + timedelta(days=3)
    p.concluir(ANA, depois)
    assert p.atualizado_em == depois and p.unidades["A"].atualizado_em == depois
