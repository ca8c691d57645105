"""documentos' handlers with an in-memory repository and unit of work: no database, no broker.

The fake keeps what `salvar` would write (the state, each version, and each fact as the
event it publishes, built by `events.dados` as the real repository builds it), and
commits only when the handler says so, so these tests show that a handler loads, calls
one domain method, saves and commits, that a refusal leaves nothing behind, and that
the events keep the wire format processos and busca read.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from services.chassis.ator import Ator
from services.chassis.errors import (
    AcessoNegado,
    Conflito,
    ConteudoCorrompido,
    DadosInvalidos,
    NaoAutenticado,
    NaoEncontrado,
    TipoNaoSuportado,
)
from services.chassis.tenant import Tenant
from services.documentos import domain, events
from services.documentos.domain import (
    CANCELADO,
    CHAVE_NUMERO,
    Configuracao,
    Documento,
    Numeros,
    TipoDocumento,
    UploadPendente,
    chave_ordem,
    chave_seq,
)
from services.documentos.formatos import PERMITIDOS_PADRAO
from services.documentos.handlers import commands, reads, snapshots

IBGE = "5208004"
ANA = Ator("ana", "ana", "A")
RUI = Ator("rui", "rui", "A")
BIA = Ator("bia", "bia", "B")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
DIRETORIO = {
    "tipos_documento": {
        "oficio": {
            "id": "oficio",
            "nome": "Ofício",
            "ativo": True,
            "aplicacao": "ambos",
            "numeracao": "anual_unidade",
        },
    },
    "hipoteses": {
        "Sigilo": {
            "id": "h1",
            "nome": "Sigilo",
            "ativa": True,
            "permite_restrito": True,
            "permite_sigiloso": True,
        }
    },
    "unidades": {"A": {"sigla": "SEMAD"}, "B": {"sigla": "SMS"}},
    "guarda_permanente": ["item-permanente"],
}


def contexto(pid: str = "p1", unidades: tuple[str, ...] = ("A",), **recusas: str) -> dict[str, Any]:
    """processos' `contexto_documental` answer; `recusas`: acao=code."""
    return {
        "id": pid,
        "numero": "08004.000001/2026-11",
        "nivel_efetivo": "publico",
        "unidades": list(unidades),
        "credenciado": False,
        "plano_item_id": "item-comum",
        "recusas": {
            "incluir_documento": None,
            "cancelar_documento": None,
            **{acao: {"code": code, "message": code} for acao, code in recusas.items()},
        },
    }


class FakeDocumentoRepository:
    def __init__(self) -> None:
        self.salvos: dict[str, Documento] = {}
        self.versoes: dict[tuple[str, int], str] = {}
        self.publicados: list[tuple[str, dict[str, Any]]] = []  # (routing key, data)
        self.contadores: dict[str, int] = {}
        self.uploads: dict[str, UploadPendente] = {}
        self.config: Configuracao | None = None
        self.recebidos: set[str] = set()
        self._carregados: dict[str, Documento] = {}

    # finding
    def para_ler(self, doc_id: str, assinaturas: bool = True) -> Documento:
        if doc_id not in self.salvos:
            raise domain.nao_encontrado()
        return copy.deepcopy(self.salvos[doc_id])

    def para_operar(self, doc_id: str, conteudo: bool = False) -> Documento:
        doc = self.para_ler(doc_id)
        doc.conteudo = self.html_atual(doc) if conteudo and doc.origem == "interno" else None
        self._carregados[doc_id] = copy.deepcopy(doc)
        return doc

    def html_atual(self, doc: Documento) -> str:
        return self.versoes[(doc.id, doc.versao_atual)]

    def do_processo(self, processo_id: str) -> list[Documento]:
        docs = [d for d in self.salvos.values() if d.processo_id == processo_id]
        return copy.deepcopy(sorted(docs, key=lambda d: d.ordem))

    def por_codigo(self, codigo: str) -> Documento | None:
        return next((copy.deepcopy(d) for d in self.salvos.values() if d.codigo == codigo), None)

    def pagina(self, apos: str | None, limite: int) -> list[Documento]:
        ids = sorted(i for i in self.salvos if apos is None or i > apos)[:limite]
        return [copy.deepcopy(self.salvos[i]) for i in ids]

    def seqs(self, processo_ids: set[str]) -> dict[str, int]:
        return {pid: self.contadores.get(chave_seq(pid), 0) for pid in processo_ids}

    def contar(self) -> int:
        return len(self.salvos)

    def niveis_do_processo(self, processo_id: str) -> list[str]:
        return [
            d.nivel_acesso
            for d in self.salvos.values()
            if d.processo_id == processo_id and d.situacao != CANCELADO
        ]

    # numbers
    def _proximo(self, chave: str) -> int:
        self.contadores[chave] = self.contadores.get(chave, 0) + 1
        return self.contadores[chave]

    def numeros(self, processo_id: str, tipo: TipoDocumento, unidade_id: str, ano: int) -> Numeros:
        ordem = self._proximo(chave_ordem(processo_id))
        chave = tipo.chave_contador(unidade_id, ano)
        do_tipo = self._proximo(chave) if chave else None
        return Numeros(ordem, self._proximo(CHAVE_NUMERO), do_tipo)

    # writing
    def adicionar(self, doc: Documento, ator: Ator) -> None:
        if doc.conteudo is not None:
            self.versoes[(doc.id, doc.versao_atual)] = doc.conteudo
        self._carregados[doc.id] = replace(copy.deepcopy(doc), eventos=[])
        self.salvos[doc.id] = self._sem_fatos(doc)

    def salvar(self, doc: Documento, ator: Ator) -> None:
        antes = self._carregados[doc.id]
        if doc.versao_atual != antes.versao_atual:
            self.versoes[(doc.id, doc.versao_atual)] = doc.conteudo
        fatos, doc.eventos = doc.eventos, []
        self.salvos[doc.id] = self._sem_fatos(doc)
        niveis = self.niveis_do_processo(doc.processo_id)
        for fato in fatos:
            texto = doc.texto if isinstance(fato, domain.TextoExtraido) else None
            seq = self._proximo(chave_seq(doc.processo_id))
            dados = events.dados(events.documento_no_evento(doc), niveis, seq, ator, fato, texto)
            self.publicados.append((events.routing_key(fato), dados))

    @staticmethod
    def _sem_fatos(doc: Documento) -> Documento:
        return replace(copy.deepcopy(doc), eventos=[], conteudo=None)

    # uploads
    def reservar_upload(self, upload: UploadPendente) -> None:
        self.uploads[upload.id] = upload

    def upload(self, upload_id: str, travar: bool = False) -> UploadPendente | None:
        return self.uploads.get(upload_id)

    def esquecer_upload(self, upload_id: str) -> None:
        self.uploads.pop(upload_id, None)

    # limits
    def configuracao(self, max_padrao: int) -> Configuracao:
        return self.config or Configuracao(max_padrao, PERMITIDOS_PADRAO)

    def definir_configuracao(self, config: Configuracao) -> None:
        self.config = config

    def registrar_evento_recebido(self, evento_id: str) -> bool:
        if evento_id in self.recebidos:
            return False
        self.recebidos.add(evento_id)
        return True


class FakeUnitOfWork:
    """Commits copy the working state over the committed one; leaving without commit
    drops it (the real unit of work rolls back)."""

    def __init__(self, repo: FakeDocumentoRepository) -> None:
        self.committed = repo
        self.commits = 0
        self.tenant = Tenant(IBGE)

    def __enter__(self) -> FakeUnitOfWork:
        self.documentos = copy.deepcopy(self.committed)
        return self

    def __exit__(self, *exc: object) -> None:
        self.documentos = None

    def commit(self) -> None:
        self.committed.__dict__.update(copy.deepcopy(self.documentos).__dict__)
        self.commits += 1


class FakeStore:
    def __init__(self, conteudos: dict[str, bytes] | None = None) -> None:
        self.removidos: list[str] = []
        self.conteudos = conteudos or {}

    def delete(self, chave: str) -> None:
        self.removidos.append(chave)

    def sha256(self, chave: str) -> str:
        import hashlib

        return hashlib.sha256(self.conteudos[chave]).hexdigest()

    def presigned_get(self, chave: str, segundos: int, nome: str) -> str:
        return f"http://s3/{chave}?X-Amz-Expires={segundos}&nome={nome}"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeDocumentoRepository())


def processos(**contextos: dict[str, Any]):
    """processos' `contexto_documental`: 404 for a process not listed."""

    def contexto_de(pid: str) -> dict[str, Any]:
        if pid not in contextos:
            raise NaoEncontrado("Processo não encontrado.", code="processo_nao_encontrado")
        return contextos[pid]

    return contexto_de


def criado(uow: FakeUnitOfWork, ator: Ator = ANA, **dados: Any) -> dict[str, Any]:
    corpo = {"tipo_documento": "oficio", "conteudo": "<p>Olá</p><script>x()</script>", **dados}
    return commands.criar_interno(uow, ator, contexto(), DIRETORIO, corpo)


def incluido(uow: FakeUnitOfWork, ator: Ator = ANA, prefixo: bytes = PDF, **meta: Any) -> dict:
    preparo = commands.preparar_upload(
        uow, ator, contexto(), DIRETORIO, {"tipo_documento": "oficio", **meta}, prefixo, 1000
    )
    armazenado = {"sha256": "ab" * 32, "tamanho": 9, "nome_arquivo": "oficio.pdf"}
    return commands.confirmar_upload(uow, ator, DIRETORIO, preparo["upload_id"], armazenado)


def publicados(uow: FakeUnitOfWork) -> list[tuple[str, dict[str, Any]]]:
    return uow.committed.publicados


# -- internal documents ---------------------------------------------------------------


def test_creating_an_internal_document_numbers_sanitizes_and_announces_it_in_one_commit(uow):
    doc = criado(uow)
    salvo = uow.committed.salvos[doc["id"]]
    assert doc == events.documento_no_evento(salvo)  # the answer is what was saved
    assert doc["rotulo"].startswith("Ofício 1/") and doc["rotulo"].endswith(" - SEMAD")
    assert (doc["ordem"], doc["numero"], doc["situacao"], doc["versao"]) == (1, 1, "editavel", 1)
    assert uow.committed.versoes[(doc["id"], 1)] == "<p>Olá</p>"
    assert uow.commits == 1
    [(incluido_, dados_incluido), (texto, dados_texto)] = publicados(uow)
    assert (incluido_, texto) == ("documento.incluido", "documento.texto_extraido")
    assert (dados_incluido["seq"], dados_texto["seq"]) == (1, 2)
    assert dados_incluido["detalhes"] == {} and dados_incluido["texto"] is None
    assert dados_texto["detalhes"] == {"situacao": "extraido", "erro": None}
    assert dados_texto["texto"] == "Olá"


def test_the_events_keep_what_processos_and_busca_read(uow):
    doc = criado(uow, nivel_acesso="restrito", hipotese_legal="Sigilo")
    _, dados = publicados(uow)[0]
    assert {"id", "processo_id", "rotulo", "ordem", "tipo_nome", "unidade_id", "criado_em"} <= set(
        dados["documento"]
    )
    assert dados["documento"]["processo_id"] == "p1" and dados["documento"]["id"] == doc["id"]
    assert dados["niveis_documentos"] == ["restrito"]
    assert (dados["usuario_id"], dados["usuario"], dados["unidade_id"]) == ("ana", "ana", "A")
    assert set(dados) == {
        "documento",
        "niveis_documentos",
        "seq",
        "unidade_id",
        "usuario_id",
        "usuario",
        "detalhes",
        "texto",
    }
    # Every field of the document as the API shows it travels in the event, and no other.
    assert set(dados["documento"]) == set(doc)


def test_a_refused_inclusion_commits_nothing(uow):
    with pytest.raises(Conflito) as refused:
        commands.criar_interno(
            uow, ANA, contexto(incluir_documento="processo_concluido"), DIRETORIO, {}
        )
    assert refused.value.code == "processo_concluido"
    with pytest.raises(DadosInvalidos) as grande:
        criado(uow, conteudo="x" * (domain.MAX_CONTEUDO + 1))
    assert grande.value.code == "conteudo_grande_demais"
    assert uow.committed.salvos == {} and uow.commits == 0


def test_editing_checks_access_first_and_makes_a_new_version(uow):
    doc = criado(uow)
    contexto_de = processos(p1=contexto(unidades=("A",)))
    feito = commands.editar(uow, uow, contexto_de, RUI, doc["id"], "<p>v2</p><img src=x>")
    assert (feito["versao"], feito["sha256"]) == (2, domain.sha256_de("<p>v2</p>"))
    assert uow.committed.versoes[(doc["id"], 2)] == "<p>v2</p>"
    assert publicados(uow)[-1][1]["texto"] == "v2"
    # The process out of reach: so is the document, whatever its state.
    with pytest.raises(NaoEncontrado) as fora:
        commands.editar(uow, uow, processos(), ANA, doc["id"], "<p>v3</p>")
    assert fora.value.code == "documento_nao_encontrado"
    with pytest.raises(AcessoNegado):
        commands.editar(uow, uow, processos(p1=contexto(unidades=("A", "B"))), BIA, doc["id"], "")
    assert uow.committed.salvos[doc["id"]].versao_atual == 2


def test_a_restricted_document_is_not_found_by_a_unit_the_process_never_reached(uow):
    doc = criado(uow, nivel_acesso="restrito", hipotese_legal="Sigilo")
    with pytest.raises(NaoEncontrado):
        reads.obter(uow, processos(p1=contexto(unidades=("A",))), BIA, doc["id"])
    assert reads.obter(uow, processos(p1=contexto(unidades=("A", "B"))), BIA, doc["id"]) == doc
    with pytest.raises(NaoEncontrado):
        reads.obter(uow, processos(p1=contexto()), ANA, "nenhum")


# -- signing and cancelling -----------------------------------------------------------


class Senha:
    def __init__(self, certa: bool = True) -> None:
        self.certa, self.chamadas = certa, 0

    def __call__(self) -> dict[str, str]:
        self.chamadas += 1
        if not self.certa:
            raise NaoAutenticado("Senha incorreta.", code="senha_incorreta")
        return {"id": "ana", "login": "ana", "nome": "Ana Silva"}


def test_signing_asks_the_password_only_of_a_reader_with_a_valid_cargo(uow):
    doc = criado(uow)
    contexto_de = processos(p1=contexto())
    senha = Senha()
    with pytest.raises(DadosInvalidos):
        commands.assinar(uow, uow, contexto_de, senha, ANA, doc["id"], " ", "SEMAD")
    with pytest.raises(NaoEncontrado):
        commands.assinar(uow, uow, processos(), senha, ANA, doc["id"], "Diretora", "SEMAD")
    assert senha.chamadas == 0
    with pytest.raises(NaoAutenticado):
        commands.assinar(uow, uow, contexto_de, Senha(False), ANA, doc["id"], "Diretora", "SEMAD")
    assert uow.committed.salvos[doc["id"]].assinaturas == []
    assinado = commands.assinar(uow, uow, contexto_de, senha, ANA, doc["id"], "Diretora", "SEMAD")
    assert assinado["situacao"] == "assinado" and senha.chamadas == 1
    assert assinado["crc"] == domain.crc(IBGE, assinado["codigo_verificacao"], doc["sha256"])
    assert [a["nome"] for a in assinado["assinantes"]] == ["Ana Silva"]
    routing, dados = publicados(uow)[-1]
    assert routing == "documento.assinado"
    assert dados["detalhes"] == {"assinante": "ana", "cargo": "Diretora"}
    with pytest.raises(Conflito) as de_novo:
        commands.assinar(uow, uow, contexto_de, senha, ANA, doc["id"], "Diretora", "SEMAD")
    assert de_novo.value.code == "ja_assinado"


def test_cancelling_tells_processos_the_reason_and_the_levels_left(uow):
    restrito = criado(uow, nivel_acesso="restrito", hipotese_legal="Sigilo")
    criado(uow)
    contexto_de = processos(p1=contexto())
    with pytest.raises(AcessoNegado):
        commands.cancelar(
            uow, uow, processos(p1=contexto(unidades=("A", "B"))), BIA, restrito["id"], "m"
        )
    with pytest.raises(Conflito) as fechado:
        commands.cancelar(
            uow,
            uow,
            processos(p1=contexto(cancelar_documento="processo_nao_aberto_na_unidade")),
            ANA,
            restrito["id"],
            "Erro",
        )
    assert fechado.value.code == "processo_nao_aberto_na_unidade"
    feito = commands.cancelar(uow, uow, contexto_de, ANA, restrito["id"], "Emitido com erro")
    assert (feito["situacao"], feito["cancelado_motivo"]) == ("cancelado", "Emitido com erro")
    routing, dados = publicados(uow)[-1]
    assert routing == "documento.cancelado"
    assert dados["detalhes"] == {"motivo": "Emitido com erro"}
    assert dados["niveis_documentos"] == ["publico"]  # the cancelled one no longer counts
    assert dados["seq"] == max(d["seq"] for _, d in publicados(uow))


# -- uploads ------------------------------------------------------------------------


def test_an_upload_is_prepared_then_confirmed_by_its_uploader_only(uow):
    preparo = commands.preparar_upload(
        uow, ANA, contexto(), DIRETORIO, {"tipo_documento": "oficio"}, PDF, 1000
    )
    assert preparo["chave"].startswith(f"mun_{IBGE}/") and preparo["chave"].endswith(
        preparo["upload_id"]
    )
    assert (preparo["formato"], preparo["media_type"]) == ("pdf", "application/pdf")
    assert (preparo["max_bytes"], preparo["guarda_permanente"]) == (1000, False)
    armazenado = {"sha256": "ab" * 32, "tamanho": 9, "nome_arquivo": "oficio.pdf"}
    with pytest.raises(Conflito) as alheio:
        commands.confirmar_upload(uow, RUI, DIRETORIO, preparo["upload_id"], armazenado)
    assert alheio.value.code == "upload_desconhecido"
    doc = commands.confirmar_upload(uow, ANA, DIRETORIO, preparo["upload_id"], armazenado)
    assert (doc["origem"], doc["situacao"], doc["sha256"]) == ("externo", "incluido", "ab" * 32)
    assert doc["guarda_permanente"] is False and uow.committed.uploads == {}
    assert [r for r, _ in publicados(uow)] == ["documento.incluido"]
    with pytest.raises(Conflito):  # once
        commands.confirmar_upload(uow, ANA, DIRETORIO, preparo["upload_id"], armazenado)


def test_a_refused_format_reserves_nothing_and_the_municipality_chooses_its_formats(uow):
    with pytest.raises(TipoNaoSuportado):
        incluido(uow, prefixo=b"MZ\x90\x00" + b"\x00" * 60)
    assert incluido(uow, prefixo=b"Texto simples.")["formato"] == "txt"  # by default
    assert commands.definir_limites(uow, 2048, ["pdf"]) == {"max_bytes": 2048, "formatos": ["pdf"]}
    assert reads.ler_limites(uow, 1000) == {"max_bytes": 2048, "formatos": ["pdf"]}
    with pytest.raises(TipoNaoSuportado) as refused:
        incluido(uow, prefixo=b"Texto simples.")
    assert refused.value.details == {"formato": "txt", "permitidos": ["pdf"]}
    assert len(uow.committed.salvos) == 1 and uow.committed.uploads == {}
    with pytest.raises(DadosInvalidos) as vazio:
        commands.definir_limites(uow, 2048, [])
    assert vazio.value.code == "formatos_invalidos"


def test_a_failed_upload_is_forgotten_and_its_object_deleted_by_its_uploader_only(uow):
    preparo = commands.preparar_upload(
        uow, ANA, contexto(), DIRETORIO, {"tipo_documento": "oficio"}, PDF, 1000
    )
    store = FakeStore()
    commands.cancelar_upload(uow, store, RUI, preparo["upload_id"])
    assert store.removidos == [] and preparo["upload_id"] in uow.committed.uploads
    commands.cancelar_upload(uow, store, ANA, preparo["upload_id"])
    assert store.removidos == [preparo["chave"]] and uow.committed.uploads == {}


# -- reading ------------------------------------------------------------------------


def test_a_process_list_shows_only_the_place_of_what_the_caller_may_not_read(uow):
    criado(uow)
    restrito = criado(uow, nivel_acesso="restrito", hipotese_legal="Sigilo")
    vistos = reads.do_processo(uow, contexto(unidades=("A",)), BIA)
    assert vistos[0]["rotulo"] and vistos[1] == {
        "id": restrito["id"],
        "ordem": 2,
        "nivel_acesso": "restrito",
    }


def test_the_content_route_serves_a_checked_page_or_a_file(uow):
    doc = criado(uow)
    contexto_de = processos(p1=contexto())
    commands.assinar(uow, uow, contexto_de, Senha(), ANA, doc["id"], "Diretora", "SEMAD")
    pagina = reads.para_leitura(uow, contexto_de, ANA, doc["id"], IBGE)["pagina"]
    assert pagina["html"] == "<p>Olá</p>" and pagina["titulo"] == doc["rotulo"]
    assert "Ana Silva, Diretora" in pagina["carimbo"]
    with pytest.raises(Conflito) as interno:
        reads.para_download(uow, contexto_de, ANA, doc["id"])
    assert interno.value.code == "documento_interno"
    uow.committed.versoes[(doc["id"], 1)] = "<p>adulterado</p>"
    with pytest.raises(ConteudoCorrompido):
        reads.para_leitura(uow, contexto_de, ANA, doc["id"], IBGE)

    arquivo = incluido(uow)
    lido = reads.para_leitura(uow, contexto_de, BIA, arquivo["id"], IBGE)
    assert lido == {
        "origem": "externo",
        "chave": uow.committed.salvos[arquivo["id"]].objeto_chave,
        "sha256": "ab" * 32,
        "tamanho": 9,
        "media_type": "application/pdf",
        "nome_arquivo": "oficio.pdf",
    }
    commands.cancelar(uow, uow, contexto_de, ANA, arquivo["id"], "Erro")
    with pytest.raises(Conflito) as cancelado:
        reads.para_download(uow, contexto_de, ANA, arquivo["id"])
    assert cancelado.value.code == "documento_cancelado"


def test_a_presigned_url_only_after_the_hash_matches(uow):
    arquivo = incluido(uow)
    chave = uow.committed.salvos[arquivo["id"]].objeto_chave
    contexto_de = processos(p1=contexto())
    with pytest.raises(ConteudoCorrompido):
        reads.url_download(uow, contexto_de, FakeStore({chave: b"outro"}), ANA, arquivo["id"], 60)
    uow.committed.salvos[arquivo["id"]].sha256 = domain.sha256_de("certo")
    url = reads.url_download(uow, contexto_de, FakeStore({chave: b"certo"}), ANA, arquivo["id"], 60)
    assert url["expira_em_segundos"] == 60 and chave in url["url"]


def test_the_public_check_says_authentic_or_cancelled_and_never_the_content(uow):
    doc = criado(uow)
    contexto_de = processos(p1=contexto())
    assinado = commands.assinar(uow, uow, contexto_de, Senha(), ANA, doc["id"], "Diretora", None)
    codigo, crc = assinado["codigo_verificacao"], assinado["crc"]
    info = reads.conferir(uow, f" {codigo} ", crc.lower())
    assert (info["autentico"], info["cancelado"], info["rotulo"]) == (True, False, doc["rotulo"])
    assert info["sha256"] == doc["sha256"] and info["assinantes"][0]["nome"] == "Ana Silva"
    assert "html" not in info and "Olá" not in str(info)
    with pytest.raises(NaoEncontrado):
        reads.conferir(uow, codigo, "00000000" if crc != "00000000" else "11111111")
    commands.cancelar(uow, uow, contexto_de, ANA, doc["id"], "Erro")
    assert reads.conferir(uow, codigo, crc)["cancelado"] is True


# -- extracted text and snapshots ------------------------------------------------------


def test_extracted_text_is_recorded_once_per_event(uow):
    arquivo = incluido(uow)
    commands.registrar_texto(uow, arquivo["id"], "Texto do ofício", None, "e1")
    commands.registrar_texto(uow, arquivo["id"], "outro", None, "e1")  # redelivered
    commands.registrar_texto(uow, arquivo["id"], None, "PDF cifrado", "e2")
    textos = [d for r, d in publicados(uow) if r == "documento.texto_extraido"]
    assert [(d["texto"], d["detalhes"]) for d in textos] == [
        ("Texto do ofício", {"situacao": "extraido", "erro": None}),
        (None, {"situacao": "falhou", "erro": "PDF cifrado"}),
    ]
    assert textos[0]["usuario_id"] == "sistema" and textos[0]["unidade_id"] is None


def test_the_snapshot_pages_documents_with_their_processs_seq_and_text(uow):
    ids = sorted(criado(uow)["id"] for _ in range(3))
    commands.registrar_texto(uow, ids[0], "novo texto", None, "e1")
    primeira = snapshots.pagina(uow, None, 2)
    assert [i["documento"]["id"] for i in primeira["itens"]] == ids[:2]
    assert primeira["proxima"] == ids[1] and primeira["total"] == 3
    assert {i["seq"] for i in primeira["itens"]} == {uow.committed.contadores[chave_seq("p1")]}
    segunda = snapshots.pagina(uow, primeira["proxima"], 2)
    assert [i["documento"]["id"] for i in segunda["itens"]] == ids[2:]
    assert segunda["proxima"] is None and segunda["total"] is None
    assert snapshots.pagina(uow, None, 0)["proxima"] == ids[0]  # at least one a page


def test_the_clock_is_real_and_aware(uow):
    doc = criado(uow)
    assert datetime.fromisoformat(doc["criado_em"]).tzinfo is not None
