"""The Documento aggregate without a database: every state change and every refusal with its
code, who may read a document, numbering labels, the stamp, and the inputs' limits."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.ator import Ator
from services.chassis.errors import AcessoNegado, Conflito, DadosInvalidos, TipoNaoSuportado
from services.documentos import domain
from services.documentos.domain import (
    ACOES,
    ASSINADO,
    CANCELADO,
    EDITAVEL,
    EXTERNO,
    INCLUIDO,
    INTERNO,
    Armazenado,
    Configuracao,
    ContextoDoProcesso,
    Documento,
    DocumentoAssinado,
    DocumentoCancelado,
    DocumentoIncluido,
    InclusaoExterna,
    InclusaoInterna,
    Numeros,
    Signatario,
    TextoExtraido,
    TipoDocumento,
    UploadPendente,
)

AGORA = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
IBGE = "5208004"
ANA = Ator("ana", "ana", "A")  # unit A, where the documents below were made
RUI = Ator("rui", "rui", "A")
BIA = Ator("bia", "bia", "B")
SEM_UNIDADE = Ator("ana", "ana", None)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
EXE = b"MZ\x90\x00" + b"\x00" * 60
TIPOS = {
    "oficio": {
        "id": "oficio",
        "nome": "Ofício",
        "ativo": True,
        "aplicacao": "interno",
        "numeracao": "anual_unidade",
    },
    "portaria": {
        "id": "portaria",
        "nome": "Portaria",
        "ativo": True,
        "aplicacao": "ambos",
        "numeracao": "anual_municipio",
    },
    "memorando": {
        "id": "memorando",
        "nome": "Memorando",
        "ativo": True,
        "aplicacao": "interno",
        "numeracao": "sequencial_unidade",
    },
    "requerimento": {
        "id": "requerimento",
        "nome": "Requerimento",
        "ativo": True,
        "aplicacao": "externo",
        "numeracao": "sem_numeracao",
    },
    "velho": {
        "id": "velho",
        "nome": "Velho",
        "ativo": False,
        "aplicacao": "ambos",
        "numeracao": "anual_municipio",
    },
}
DIRETORIO = {
    "tipos_documento": TIPOS,
    "hipoteses": {
        "Sigilo": {
            "id": "h1",
            "nome": "Sigilo",
            "ativa": True,
            "permite_restrito": True,
            "permite_sigiloso": True,
        },
        "Antiga": {
            "id": "h2",
            "nome": "Antiga",
            "ativa": False,
            "permite_restrito": True,
            "permite_sigiloso": True,
        },
    },
    "unidades": {"A": {"sigla": "SEMAD"}, "B": {"sigla": "SMS"}},
    "guarda_permanente": ["item-permanente"],
}


def contexto(
    unidades: tuple[str, ...] = ("A",),
    credenciado: bool = False,
    plano_item_id: str | None = "item-comum",
    **recusas: tuple[str, str],
) -> ContextoDoProcesso:
    """processos' answer: `recusas` as acao=(code, message)."""
    return ContextoDoProcesso.de(
        {
            "id": "p1",
            "numero": "08004.000001/2026-11",
            "unidades": list(unidades),
            "credenciado": credenciado,
            "plano_item_id": plano_item_id,
            "recusas": {
                "incluir_documento": None,
                "cancelar_documento": None,
                **{acao: {"code": c, "message": m} for acao, (c, m) in recusas.items()},
            },
        }
    )


def interno(html: str = "<p>Senhor Secretário,</p>", tipo: str = "oficio") -> Documento:
    inclusao = InclusaoInterna.de(contexto(), DIRETORIO, {"tipo_documento": tipo}, ANA)
    return Documento.interno(
        "d1", inclusao, Numeros(1, 40, 7), html, "Senhor Secretário,", ANA, AGORA
    )


def upload(formato_prefixo: bytes = PDF, **metadados: object) -> UploadPendente:
    inclusao = InclusaoExterna.de(
        contexto(),
        DIRETORIO,
        {"tipo_documento": "portaria", **metadados},
        formato_prefixo,
        ["pdf", "txt"],
    )
    return UploadPendente("u1", "p1", f"mun_{IBGE}/2026/12/u1", inclusao, "ana", "A", 100, AGORA)


def externo() -> Documento:
    return Documento.externo(
        "d2",
        upload(),
        TipoDocumento.de(TIPOS["portaria"]),
        Numeros(2, 41, 3),
        "SEMAD",
        Armazenado("ab" * 32, 1234, "oficio.pdf"),
        ANA,
        AGORA,
    )


def assinante(cargo: str = "Diretora") -> Signatario:
    return Signatario("Ana Silva", cargo, "SEMAD")


def codigo(funcao, *args) -> str:
    with pytest.raises((Conflito, DadosInvalidos, AcessoNegado)) as caught:
        funcao(*args)
    return caught.value.code


# -- including ------------------------------------------------------------------------


def test_an_internal_document_starts_editable_numbered_with_its_text_recorded():
    doc = interno()
    assert (doc.origem, doc.situacao, doc.versao_atual) == (INTERNO, EDITAVEL, 1)
    assert doc.sha256 == hashlib.sha256(b"<p>Senhor Secret\xc3\xa1rio,</p>").hexdigest()
    assert doc.tamanho == len("<p>Senhor Secretário,</p>".encode())
    assert (doc.ordem, doc.numero, doc.numero_tipo) == (1, 40, "7/2026")
    assert doc.rotulo == "Ofício 7/2026 - SEMAD"
    assert (doc.unidade_id, doc.usuario_id, doc.criado_em) == ("A", "ana", AGORA)
    assert doc.eventos == [DocumentoIncluido(), TextoExtraido("extraido", None)]
    assert doc.texto == "Senhor Secretário,"


def test_an_uploaded_document_is_included_as_it_is_in_the_unit_that_prepared_it():
    doc = externo()
    assert (doc.origem, doc.situacao, doc.versao_atual) == (EXTERNO, INCLUIDO, None)
    assert (doc.sha256, doc.tamanho, doc.nome_arquivo) == ("ab" * 32, 1234, "oficio.pdf")
    assert (doc.formato, doc.media_type) == ("pdf", "application/pdf")
    assert doc.objeto_chave == f"mun_{IBGE}/2026/12/u1"
    assert doc.rotulo == "Portaria 3/2026"  # a municipality-wide number names no unit
    assert doc.eventos == [DocumentoIncluido()]


def test_numbering_follows_the_types_rule():
    oficio, portaria = TipoDocumento.de(TIPOS["oficio"]), TipoDocumento.de(TIPOS["portaria"])
    memorando, requerimento = (
        TipoDocumento.de(TIPOS["memorando"]),
        TipoDocumento.de(TIPOS["requerimento"]),
    )
    assert oficio.chave_contador("A", 2026) == "tipo:oficio:unidade:A:2026"
    assert portaria.chave_contador("A", 2026) == "tipo:portaria:2026"
    assert memorando.chave_contador("A", 2026) == "tipo:memorando:unidade:A"
    assert requerimento.chave_contador("A", 2026) is None
    assert (oficio.numero_tipo(12, 2026), memorando.numero_tipo(12, 2026)) == ("12/2026", "12")
    assert requerimento.numero_tipo(None, 2026) is None
    assert oficio.rotulo("12/2026", "SEMAD") == "Ofício 12/2026 - SEMAD"
    assert memorando.rotulo("12", "SEMAD") == "Memorando 12 - SEMAD"
    assert oficio.rotulo("12/2026", None) == "Ofício 12/2026"
    assert portaria.rotulo("3/2026", "SEMAD") == "Portaria 3/2026"
    assert requerimento.rotulo(None, "SEMAD") == "Requerimento"


def test_an_inclusion_is_refused_with_processos_own_reason():
    fechado = contexto(
        incluir_documento=("processo_nao_aberto_na_unidade", "O processo não está aberto.")
    )
    assert codigo(InclusaoInterna.de, fechado, DIRETORIO, {"tipo_documento": "oficio"}, ANA) == (
        "processo_nao_aberto_na_unidade"
    )
    assert (
        codigo(InclusaoExterna.de, fechado, DIRETORIO, {"tipo_documento": "portaria"}, PDF, ["pdf"])
        == "processo_nao_aberto_na_unidade"
    )


@pytest.mark.parametrize(
    ("dados", "esperado"),
    [
        ({"tipo_documento": "nenhum"}, "tipo_documento_invalido"),
        ({"tipo_documento": "velho"}, "tipo_documento_invalido"),
        ({"tipo_documento": "x" * 33}, "tipo_documento_invalido"),
        ({"tipo_documento": "requerimento"}, "tipo_documento_nao_se_aplica"),
        ({"tipo_documento": "oficio", "nivel_acesso": "secreto"}, "nivel_acesso_invalido"),
        ({"tipo_documento": "oficio", "nivel_acesso": "restrito"}, "hipotese_legal_obrigatoria"),
        (
            {"tipo_documento": "oficio", "nivel_acesso": "restrito", "hipotese_legal": "Antiga"},
            "hipotese_legal_nao_encontrada",
        ),
        (
            {"tipo_documento": "oficio", "nivel_acesso": "restrito", "hipotese_legal": "x" * 201},
            "hipotese_legal_nao_encontrada",
        ),
        ({"tipo_documento": "oficio", "hipotese_legal": "Sigilo"}, "hipotese_legal_indevida"),
        ({"tipo_documento": "oficio", "destinatarios": ["x"] * 101}, "destinatarios_demais"),
        ({"tipo_documento": "oficio", "interessados": ["x"] * 101}, "interessados_demais"),
        ({"tipo_documento": "oficio", "destinatarios": ["x" * 201]}, "destinatario_longo"),
        ({"tipo_documento": "oficio", "interessados": ["  "]}, "interessado_obrigatorio"),
    ],
)
def test_an_internal_documents_inputs_and_their_limits(dados, esperado):
    assert codigo(InclusaoInterna.de, contexto(), DIRETORIO, dados, ANA) == esperado


def test_an_internal_inclusion_within_its_limits():
    dados = {
        "tipo_documento": "oficio",
        "nivel_acesso": "restrito",
        "hipotese_legal": "Sigilo",
        "destinatarios": ["Secretaria   de Saúde"] * 100,
        "interessados": ["x" * 200],
    }
    inclusao = InclusaoInterna.de(contexto(), DIRETORIO, dados, BIA)
    assert (inclusao.nivel_acesso, inclusao.hipotese_legal) == ("restrito", "Sigilo")
    assert inclusao.destinatarios[0] == "Secretaria de Saúde" and len(inclusao.destinatarios) == 100
    assert inclusao.unidade_sigla == "SMS"


@pytest.mark.parametrize(
    ("metadados", "esperado"),
    [
        ({"tipo_documento": "oficio"}, "tipo_documento_nao_se_aplica"),
        ({"data_documento": "06/12/2026"}, "data_invalida"),
        ({"data_documento": "2026-02-30"}, "data_invalida"),
        ({"numero": "1" * 61}, "numero_longo"),
        ({"remetente": "r" * 201}, "remetente_longo"),
    ],
)
def test_an_uploads_metadata_and_their_limits(metadados, esperado):
    dados = {"tipo_documento": "portaria", **metadados}
    assert codigo(InclusaoExterna.de, contexto(), DIRETORIO, dados, PDF, ["pdf"]) == esperado


def test_an_uploads_format_is_recognised_from_its_bytes_last_and_may_be_refused():
    inclusao = upload(data_documento="2026-12-01", numero=" 123/2026 ", remetente="Câmara").inclusao
    assert (inclusao.formato, inclusao.data_documento, inclusao.numero_externo) == (
        "pdf",
        "2026-12-01",
        "123/2026",
    )
    assert inclusao.guarda_permanente is False
    with pytest.raises(TipoNaoSuportado) as refused:
        upload(EXE)
    assert refused.value.code == "formato_nao_permitido"
    # Metadata are checked before the bytes: a bad date with an executable is a 422.
    with pytest.raises(DadosInvalidos) as antes:
        upload(EXE, data_documento="ontem")
    assert antes.value.code == "data_invalida"
    permanente = InclusaoExterna.de(
        contexto(plano_item_id="item-permanente"),
        DIRETORIO,
        {"tipo_documento": "portaria"},
        PDF,
        ["pdf"],
    )
    assert permanente.guarda_permanente is True


def test_only_its_uploader_confirms_an_upload_and_a_file_name_has_a_limit():
    upload().exigir_de(ANA)
    assert codigo(upload().exigir_de, RUI) == "upload_desconhecido"
    assert codigo(Armazenado.de, {"sha256": "h", "tamanho": 1, "nome_arquivo": "n" * 201}) == (
        "nome_arquivo_longo"
    )
    assert domain.chave_do_objeto(IBGE, AGORA, "u9") == f"mun_{IBGE}/2026/12/u9"


# -- editing ------------------------------------------------------------------------


def test_editing_makes_a_new_version_with_its_hash_and_text():
    doc = interno()
    doc.eventos.clear()
    depois = AGORA + timedelta(minutes=5)
    doc.editar(RUI, "<p>versão 2</p>", "versão 2", depois)
    assert (doc.versao_atual, doc.conteudo, doc.atualizado_em) == (2, "<p>versão 2</p>", depois)
    assert doc.sha256 == domain.sha256_de("<p>versão 2</p>")
    assert doc.eventos == [TextoExtraido("extraido", None)] and doc.texto == "versão 2"


def test_editing_is_refused_to_uploads_signed_or_cancelled_documents_and_other_units():
    assert codigo(externo().editar, ANA, "<p>x</p>", "x", AGORA) == "documento_externo"
    assinado = interno()
    assinado.assinar(ANA, assinante(), IBGE, AGORA)
    assert codigo(assinado.editar, ANA, "<p>x</p>", "x", AGORA) == "documento_assinado"
    cancelado = interno()
    cancelado.cancelar(ANA, "Erro", contexto(), AGORA)
    assert codigo(cancelado.editar, ANA, "<p>x</p>", "x", AGORA) == "documento_cancelado"
    with pytest.raises(AcessoNegado) as outra:
        interno().editar(BIA, "<p>x</p>", "x", AGORA)
    assert outra.value.code == "documento_de_outra_unidade"
    grande = "x" * (domain.MAX_CONTEUDO + 1)
    assert codigo(interno().editar, ANA, grande, "", AGORA) == "conteudo_grande_demais"
    no_limite = "x" * domain.MAX_CONTEUDO
    assert codigo(interno, grande) == "conteudo_grande_demais"
    assert interno(no_limite).tamanho == domain.MAX_CONTEUDO


# -- signing ------------------------------------------------------------------------


def test_the_first_signature_hashes_the_current_content_and_gives_code_and_crc():
    doc = interno()
    doc.eventos.clear()
    doc.editar(ANA, "<p>final</p>", "final", AGORA)
    feito = doc.assinar(ANA, assinante(" Diretora   Geral "), IBGE, AGORA + timedelta(hours=1))
    assert feito == DocumentoAssinado("ana", "Diretora Geral")
    assert doc.situacao == ASSINADO and doc.eventos[-1] == feito
    [assinatura] = doc.assinaturas
    assert assinatura.sha256 == domain.sha256_de("<p>final</p>") and assinatura.versao == 2
    assert (assinatura.nome, assinatura.cargo, assinatura.unidade_sigla) == (
        "Ana Silva",
        "Diretora Geral",
        "SEMAD",
    )
    assert len(doc.codigo) == 10 and doc.codigo.isdigit()
    assert doc.crc == domain.crc(IBGE, doc.codigo, assinatura.sha256)
    assert doc.crc != domain.crc("5211503", doc.codigo, assinatura.sha256)
    codigo_antes, crc_antes = doc.codigo, doc.crc
    doc.assinar(RUI, Signatario("Rui Silva", "Secretário", "SEMAD"), IBGE, AGORA)
    assert [a.usuario_id for a in doc.assinaturas] == ["ana", "rui"]
    assert (doc.codigo, doc.crc) == (codigo_antes, crc_antes)


def test_a_signature_is_over_exactly_what_is_signed_not_the_recorded_hash():
    doc = interno()
    doc.conteudo = "<p>o que de fato está guardado</p>"  # as loaded to sign
    doc.assinar(ANA, assinante(), IBGE, AGORA)
    assert doc.assinaturas[0].sha256 == domain.sha256_de("<p>o que de fato está guardado</p>")
    sem_conteudo = interno()
    sem_conteudo.conteudo = None
    with pytest.raises(ValueError):
        sem_conteudo.assinar(ANA, assinante(), IBGE, AGORA)


def test_an_upload_is_signed_over_its_stored_hash_and_stays_included():
    doc = externo()
    doc.assinar(BIA, assinante(), IBGE, AGORA)  # any reader may sign, in any unit
    assert doc.situacao == INCLUIDO and doc.assinaturas[0].sha256 == "ab" * 32


def test_signing_refusals():
    doc = interno()
    doc.assinar(ANA, assinante(), IBGE, AGORA)
    assert codigo(doc.assinar, ANA, assinante(), IBGE, AGORA) == "ja_assinado"
    cancelado = externo()
    cancelado.cancelar(ANA, "Erro", contexto(), AGORA)
    assert codigo(cancelado.assinar, RUI, assinante(), IBGE, AGORA) == "documento_cancelado"
    assert codigo(interno().assinar, ANA, assinante("  "), IBGE, AGORA) == "cargo_obrigatorio"
    cargo = "c" * (domain.MAX_CARGO + 1)
    assert codigo(interno().assinar, ANA, assinante(cargo), IBGE, AGORA) == "cargo_longo"
    assert interno().assinar(ANA, assinante("c" * domain.MAX_CARGO), IBGE, AGORA)


# -- cancelling ---------------------------------------------------------------------


def test_cancelling_keeps_the_content_and_records_the_reason():
    doc = externo()
    doc.eventos.clear()
    doc.cancelar(RUI, "  Emitido   com erro ", contexto(), AGORA)
    assert (doc.situacao, doc.cancelado_motivo, doc.cancelado_em) == (
        CANCELADO,
        "Emitido com erro",
        AGORA,
    )
    assert doc.eventos == [DocumentoCancelado("Emitido com erro")]
    assert doc.sha256 == "ab" * 32 and doc.objeto_chave  # nothing is deleted


def test_cancelling_refusals():
    with pytest.raises(AcessoNegado) as outra:
        externo().cancelar(BIA, "Erro", contexto(("A", "B")), AGORA)
    assert outra.value.code == "documento_de_outra_unidade"
    fechado = contexto(cancelar_documento=("processo_nao_aberto_na_unidade", "Não está aberto."))
    with pytest.raises(Conflito) as recusado:
        externo().cancelar(ANA, "Erro", fechado, AGORA)
    assert (recusado.value.code, recusado.value.message) == (
        "processo_nao_aberto_na_unidade",
        "Não está aberto.",
    )
    doc = externo()
    doc.cancelar(ANA, "Erro", contexto(), AGORA)
    assert codigo(doc.cancelar, ANA, "De novo", contexto(), AGORA) == "documento_cancelado"
    assert codigo(externo().cancelar, ANA, " ", contexto(), AGORA) == "motivo_obrigatorio"
    longo = "m" * (domain.MAX_MOTIVO + 1)
    assert codigo(externo().cancelar, ANA, longo, contexto(), AGORA) == "motivo_longo"


# -- extracted text -------------------------------------------------------------------


def test_extracted_text_or_why_it_failed_is_recorded_without_touching_the_record():
    doc = externo()
    doc.eventos.clear()
    doc.registrar_texto(None, "PDF cifrado (protegido por senha)")
    assert doc.eventos == [TextoExtraido("falhou", "PDF cifrado (protegido por senha)")]
    assert (doc.texto, doc.atualizado_em, doc.situacao) == (None, AGORA, INCLUIDO)
    doc.registrar_texto("Ofício nº 12", None)
    assert doc.eventos[-1] == TextoExtraido("extraido", None) and doc.texto == "Ofício nº 12"


# -- the guards and the commands agree -------------------------------------------------


def estados() -> list[tuple[str, Documento]]:
    editavel = interno()
    assinado = interno()
    assinado.assinar(ANA, assinante(), IBGE, AGORA)
    cancelado = interno()
    cancelado.cancelar(ANA, "Erro", contexto(), AGORA)
    return [
        ("editavel", editavel),
        ("assinado", assinado),
        ("cancelado", cancelado),
        ("incluido", externo()),
    ]


COMANDOS = {
    "editar": lambda d, a, c: d.editar(a, "<p>y</p>", "y", AGORA),
    "assinar": lambda d, a, c: d.assinar(a, assinante(), IBGE, AGORA),
    "cancelar": lambda d, a, c: d.cancelar(a, "Motivo", c, AGORA),
}
CONTEXTOS = {
    "aberto": contexto(("A", "B")),
    "fechado": contexto(("A", "B"), cancelar_documento=("processo_nao_aberto_na_unidade", "m")),
}


@pytest.mark.parametrize(("nome", "doc"), estados(), ids=[n for n, _ in estados()])
@pytest.mark.parametrize("ator", [ANA, BIA, SEM_UNIDADE], ids=["A", "B", "sem unidade"])
@pytest.mark.parametrize("processo", sorted(CONTEXTOS))
def test_a_command_refuses_exactly_with_its_guard(nome, doc, ator, processo):
    assert set(COMANDOS) == set(ACOES)
    c = CONTEXTOS[processo]
    for acao, comando in COMANDOS.items():
        alvo = copy.deepcopy(doc)
        guarda = alvo.recusa(acao, ator, c)
        try:
            comando(alvo, ator, c)
        except (Conflito, AcessoNegado) as exc:
            assert guarda is not None and exc.code == guarda.code, (acao, exc.code)
            assert alvo == doc and alvo.eventos == doc.eventos, acao  # nothing changed
        else:
            assert guarda is None, (acao, guarda)


# -- reading ------------------------------------------------------------------------


def nivel(doc: Documento, nivel_acesso: str) -> Documento:
    doc.nivel_acesso = nivel_acesso
    return doc


def test_who_may_read_a_document_follows_its_level_and_its_process():
    publico, restrito, sigiloso = (nivel(externo(), n) for n in ("publico", "restrito", "sigiloso"))
    so_a = contexto(("A",))
    assert publico.legivel_por(BIA, so_a) and publico.legivel_por(SEM_UNIDADE, so_a)
    assert restrito.legivel_por(ANA, so_a) and not restrito.legivel_por(BIA, so_a)
    assert not restrito.legivel_por(SEM_UNIDADE, so_a)
    assert restrito.legivel_por(BIA, contexto(("A", "B")))
    assert not sigiloso.legivel_por(ANA, so_a)  # the unit is not enough
    assert sigiloso.legivel_por(BIA, contexto(("A",), credenciado=True))


def test_content_is_served_only_while_valid_and_an_internal_document_is_a_page():
    doc = externo()
    doc.exigir_valido()
    doc.exigir_arquivo()
    assert codigo(interno().exigir_arquivo) == "documento_interno"
    doc.cancelar(ANA, "Erro", contexto(), AGORA)
    assert codigo(doc.exigir_valido) == "documento_cancelado"


def test_the_stamp_is_in_brasilia_time_with_the_public_check():
    doc = interno()
    doc.assinar(ANA, assinante(), IBGE, datetime(2026, 12, 6, 2, 5, tzinfo=UTC))
    selo = domain.carimbo(doc.assinaturas, doc.codigo, doc.crc, "/api/v1/conferir", IBGE)
    primeira, segunda = selo.splitlines()
    assert primeira == (
        "Documento assinado eletronicamente por Ana Silva, Diretora, em 05/12/2026, às 23:05, "
        "conforme horário oficial de Brasília."
    )
    assert f"/api/v1/conferir?municipio={IBGE}&codigo={doc.codigo}&crc={doc.crc}" in segunda
    assert domain.carimbo([], None, None, "/c", IBGE) == ""


# -- the municipality's limits --------------------------------------------------------


def test_the_upload_limits_a_municipality_may_set():
    config = Configuracao.nova(1024, ["txt", "pdf", "pdf"])
    assert (config.max_bytes, config.formatos) == (1024, ("pdf", "txt"))
    assert Configuracao.nova(10 * 1024**3, ["pdf"]).max_bytes == 10 * 1024**3
    assert codigo(Configuracao.nova, 1024, []) == "formatos_invalidos"
    assert codigo(Configuracao.nova, 1024, ["pdf", "exe"]) == "formatos_invalidos"
    assert codigo(Configuracao.nova, 0, ["pdf"]) == "limite_invalido"
    assert codigo(Configuracao.nova, 10 * 1024**3 + 1, ["pdf"]) == "limite_invalido"


def test_processos_context_and_its_refusals():
    c = contexto(("B", "A"), incluir_documento=("processo_concluido", "Concluído."))
    assert c.unidades == frozenset({"A", "B"}) and c.id == "p1"
    assert c.recusa("cancelar_documento") is None
    recusa = c.recusa("incluir_documento")
    assert isinstance(recusa, Conflito) and recusa.code == "processo_concluido"
    with pytest.raises(Conflito):
        domain.exigir_acao_no_processo(c, "incluir_documento")
