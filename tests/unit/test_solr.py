"""The Solr backend against Solr's documented request and response formats, offline.

pysolr gets a fake `requests.Session` that records every request (method, path,
parameters, body) and answers with canned Solr JSON, so these tests show what
would go over the wire: escaping, the filters that come from the token, no
commits, compositeId ids, versions; and how answers become a `Resultado`. The
configset in deploy/solr/ is parsed with xml.etree and checked against what
the backend sends.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from services.busca.domain import Acesso, Consulta, Entrada
from services.busca.solr import (
    ESPECIAIS,
    FACETAS,
    FL,
    MARCA_FIM,
    MARCA_INICIO,
    PF,
    QF,
    SolrBackend,
    escapar,
)
from services.chassis.errors import DadosInvalidos, ServicoIndisponivel

URL = "http://solr.test:8983/solr/sempapel"
IBGE, OUTRO_IBGE = "5208004", "5213103"
CONFIGSET = Path(__file__).resolve().parents[2] / "deploy" / "solr"
ACESSO_FQ = (
    '(nivel:publico OR (nivel:restrito AND unidades:"unidade-9")'
    ' OR (nivel:sigiloso AND credenciados:"usuario-1"))'
)


# -- the fake session ----------------------------------------------------------


@dataclass
class Pedido:
    metodo: str
    url: str
    corpo: bytes | None
    headers: dict[str, str]
    params: dict[str, list[str]] = field(default_factory=dict)

    @property
    def caminho(self) -> str:
        return urlsplit(self.url).path.rstrip("/")

    def um(self, nome: str) -> str:
        (valor,) = self.params[nome]
        return valor

    def json(self) -> Any:
        return json.loads(self.corpo or b"null")

    def xml(self) -> ET.Element:
        return ET.fromstring(self.corpo or b"")


class Resposta:
    def __init__(self, status: int, corpo: Any) -> None:
        self.status_code = status
        texto = corpo if isinstance(corpo, str) else json.dumps(corpo)
        self.content = texto.encode()
        self.headers = {"content-type": "application/json"}

    def json(self) -> Any:
        return json.loads(self.content)


VAZIO = {"responseHeader": {"status": 0}, "response": {"numFound": 0, "start": 0, "docs": []}}


class SessaoFalsa:
    """Stands in for requests.Session: records requests, answers from `respostas` in order."""

    def __init__(self, *respostas: Any) -> None:
        self.respostas = list(respostas)
        self.pedidos: list[Pedido] = []

    def _pedido(self, metodo: str, url: str, data: Any = None, headers: Any = None, **_: Any):
        corpo = data.encode() if isinstance(data, str) else data
        pedido = Pedido(metodo, url, corpo, dict(headers or {}))
        pedido.params = parse_qs(urlsplit(url).query, keep_blank_values=True)
        tipo = pedido.headers.get("Content-type", "")
        if tipo.startswith("application/x-www-form-urlencoded"):  # long selects are POSTed
            for nome, valores in parse_qs(corpo.decode(), keep_blank_values=True).items():
                pedido.params.setdefault(nome, []).extend(valores)
        self.pedidos.append(pedido)
        resposta = self.respostas.pop(0) if self.respostas else VAZIO
        if isinstance(resposta, Exception):
            raise resposta
        if isinstance(resposta, Resposta):
            return resposta
        return Resposta(200, resposta)

    def get(self, url: str, **kwargs: Any) -> Resposta:
        return self._pedido("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Resposta:
        return self._pedido("POST", url, **kwargs)


def backend(*respostas: Any) -> tuple[SolrBackend, SessaoFalsa]:
    sessao = SessaoFalsa(*respostas)
    return SolrBackend(URL, session=sessao), sessao  # type: ignore[arg-type]


def buscar(consulta: Consulta, acesso: Acesso | None = None, *respostas: Any) -> Pedido:
    solr, sessao = backend(*respostas)
    solr.buscar(acesso or Acesso(IBGE, "usuario-1", "unidade-9"), consulta)
    (pedido,) = sessao.pedidos
    assert pedido.caminho.endswith("/select")
    return pedido


def entrada(**campos: Any) -> Entrada:
    base: dict[str, Any] = {
        "id": "processo:abc",
        "tipo": "processo",
        "processo_id": "abc",
        "versao": 7,
        "numero": "08004000001202673",
        "numero_formatado": "08004.000001/2026-73",
        "titulo": "Licitação de merenda escolar",
        "texto": "Licitação 001 Maria da Silva",
        "tipo_processo": "Licitação",
        "tipo_documento": None,
        "unidade_geradora_id": "unidade-9",
        "unidades": ["unidade-9", "unidade-3"],
        "nivel": "restrito",
        "credenciados": [],
        "documentos_id": ["12345678909"],
        "assinantes": [],
        "data": datetime(2026, 1, 1, 1, 30, tzinfo=UTC),  # still 2025 in Brasília
    }
    base.update(campos)
    return Entrada(**base)


# The characters Solr's query syntax gives a meaning to (standard parser and edismax).
SINTAXE = frozenset('+-&|!(){}[]^"~*?:\\/')


def sem_sintaxe(escapado: str) -> bool:
    """True when nothing in `escapado` is query syntax: every special char escaped."""
    resto = re.sub(r"\\.", "", escapado)
    return not any(c in SINTAXE for c in resto) and not {"AND", "OR", "NOT"} & set(resto.split())


# -- escaping the user's text ----------------------------------------------------


@pytest.mark.parametrize(
    ("q", "esperado"),
    [
        ('"frase"', r"\"frase\""),
        ("municipio:5208004", r"municipio\:5208004"),
        ("contrat*", r"contrat\*"),
        ("(obras", r"\(obras"),
        ("a\\b", r"a\\b"),
        ("12/2026", r"12\/2026"),
        ("-cancelado", r"\-cancelado"),
        ("parecer~2", r"parecer\~2"),
        ("obras AND NOT escola OR x", "obras and not escola or x"),
        ("a && b || !c", r"a \&\& b \|\| \!c"),
        ("{!lucene}*:*", r"\{\!lucene\}\*\:\*"),
        ("  várias\tpalavras\n", "várias palavras"),
    ],
)
def test_user_text_is_escaped(q: str, esperado: str):
    assert escapar(q) == esperado
    assert sem_sintaxe(escapar(q))


def test_a_query_made_only_of_special_characters_is_all_escaped():
    assert SINTAXE <= ESPECIAIS
    q = "".join(sorted(ESPECIAIS)) + '+-&&||!(){}[]^"~*?:\\/'
    escapado = escapar(q)
    assert re.fullmatch(r"(?:\\.)+", escapado), escapado
    assert re.sub(r"\\(.)", r"\1", escapado) == q  # every character kept, each escaped once


@given(st.text(max_size=60))
def test_no_text_ever_escapes_into_syntax(q: str):
    assert sem_sintaxe(escapar(q))


def test_the_escaped_text_is_what_solr_receives_as_q():
    pedido = buscar(Consulta(q='municipio:* OR nivel:publico "x"'))
    assert pedido.um("q") == r"municipio\:\* or nivel\:publico \"x\""
    assert pedido.um("defType") == "edismax"
    assert pedido.um("uf") == "-*"  # and edismax refuses field:value even if unescaped
    assert pedido.um("lowercaseOperators") == "false"
    assert pedido.um("qf") == QF and pedido.um("pf") == PF


# -- filters from the token, never from the request --------------------------------


def test_every_search_filters_by_municipality_access_and_cancelled():
    pedido = buscar(Consulta(q="merenda"))
    assert pedido.params["fq"][:3] == [f"municipio:{IBGE}", ACESSO_FQ, "-cancelado:true"]
    assert pedido.um("_route_") == f"{IBGE}!"


def test_without_a_current_unit_there_is_no_restrito_clause():
    pedido = buscar(Consulta(q="merenda"), Acesso(IBGE, "usuario-1", None))
    acesso = pedido.params["fq"][1]
    assert acesso == '(nivel:publico OR (nivel:sigiloso AND credenciados:"usuario-1"))'
    assert "restrito" not in " ".join(pedido.params["fq"])


def test_the_filters_follow_the_acesso_whatever_the_consulta_says():
    consulta = Consulta(
        q="municipio:5213103 OR nivel:sigiloso",
        tipo_processo='x" OR municipio:5213103 OR "',
        tipo_documento="*:*",
        unidade='u") OR (nivel:sigiloso',
        nivel="publico",
    )
    pedido = buscar(consulta, Acesso(IBGE, "usuario-1", "unidade-9"))
    fqs = pedido.params["fq"]
    assert fqs[:3] == [f"municipio:{IBGE}", ACESSO_FQ, "-cancelado:true"]
    assert [f for f in fqs if f.startswith("municipio:")] == [f"municipio:{IBGE}"]
    assert OUTRO_IBGE not in pedido.um("_route_")
    # Each user filter is one quoted term of its own field: never an extra clause.
    termo = re.compile(
        r'(tipo_processo|tipo_documento|unidade_geradora_id|nivel):"(?:[^"\\]|\\.)*"'
    )
    assert all(termo.fullmatch(f) for f in fqs[3:]), fqs[3:]
    assert fqs[3:] == [
        r'tipo_processo:"x\" OR municipio:5213103 OR \""',
        'tipo_documento:"*:*"',
        r'unidade_geradora_id:"u\") OR (nivel:sigiloso"',
        'nivel:"publico"',
    ]
    assert sem_sintaxe(pedido.um("q"))


def test_long_searches_are_posted_with_the_same_filters():
    solr, sessao = backend()
    solr.buscar(Acesso(IBGE, "usuario-1", "unidade-9"), Consulta(q="palavra " * 120))
    (pedido,) = sessao.pedidos
    assert pedido.metodo == "POST" and pedido.caminho.endswith("/select")
    assert pedido.params["fq"][:3] == [f"municipio:{IBGE}", ACESSO_FQ, "-cancelado:true"]


def test_another_municipality_comes_only_from_another_token():
    pedido = buscar(Consulta(q="x"), Acesso(OUTRO_IBGE, "usuario-2", None))
    assert pedido.params["fq"][0] == f"municipio:{OUTRO_IBGE}"
    assert pedido.um("_route_") == f"{OUTRO_IBGE}!"


def test_an_unknown_level_filter_is_refused_before_solr_is_called():
    solr, sessao = backend()
    with pytest.raises(DadosInvalidos):
        solr.buscar(Acesso(IBGE, "u", None), Consulta(q="x", nivel="publico OR *:*"))
    assert sessao.pedidos == []


def test_an_invalid_ibge_never_reaches_solr():
    solr, sessao = backend()
    with pytest.raises(ValueError):
        solr.buscar(Acesso("5208004 OR *:*", "u", None), Consulta(q="x"))
    with pytest.raises(ValueError):
        solr.limpar("*")
    assert sessao.pedidos == []


def test_date_filters_are_brasilia_days_as_a_range_on_data():
    pedido = buscar(Consulta(q="x", de=date(2026, 3, 1), ate=date(2026, 3, 31)))
    assert pedido.params["fq"][3:] == [
        "data:[2026-03-01T03:00:00.000Z TO 2026-04-01T03:00:00.000Z}"
    ]
    so_de = buscar(Consulta(q="x", de=date(2026, 3, 1)))
    assert so_de.params["fq"][3:] == ["data:[2026-03-01T03:00:00.000Z TO *}"]
    with pytest.raises(DadosInvalidos):
        buscar(Consulta(q="x", de=date(2026, 4, 1), ate=date(2026, 3, 1)))


# -- the number boost, pages, facets, highlighting params -----------------------------


@pytest.mark.parametrize(
    ("q", "digitos"),
    [
        ("08004.000001/2026-73", "08004000001202673"),
        ("08004000001202673", "08004000001202673"),
        (" 08004 000001 2026 73 ", "08004000001202673"),
        ("12.345.678.000001/2026-00", "12345678000001202600"),
    ],
)
def test_a_process_number_boosts_that_process_first(q: str, digitos: str):
    pedido = buscar(Consulta(q=q))
    assert pedido.um("bq") == f'(+numero:"{digitos}" +tipo:processo)^=100000'
    assert "digitos" in pedido.um("qf")  # and it matches through the digits-only field


@pytest.mark.parametrize("q", ["contrato 2026", "0800400000120267", "merenda", "123.456.789-09"])
def test_other_queries_have_no_number_boost(q: str):
    assert "bq" not in buscar(Consulta(q=q)).params


def test_rows_are_capped_and_pages_are_stable():
    pedido = buscar(Consulta(q="x", por_pagina=1000))
    assert pedido.um("rows") == "100" and pedido.um("start") == "0"
    pedido = buscar(Consulta(q="x", pagina=3, por_pagina=50))
    assert pedido.um("rows") == "50" and pedido.um("start") == "100"
    assert pedido.um("sort") == "score desc, id asc"
    pedido = buscar(Consulta(q="x", pagina=0, por_pagina=0))
    assert pedido.um("rows") == "1" and pedido.um("start") == "0"
    with pytest.raises(DadosInvalidos):
        buscar(Consulta(q="x", pagina=10_000, por_pagina=100))


def test_facets_and_highlighting_are_requested():
    pedido = buscar(Consulta(q="x"))
    assert pedido.um("facet") == "true"
    assert pedido.params["facet.field"] == ["tipo_processo", "ano", "unidade_geradora_id"]
    assert pedido.um("facet.mincount") == "1"
    assert pedido.um("hl") == "true" and pedido.um("hl.fl") == "titulo,texto"
    assert pedido.um("hl.tag.pre") == MARCA_INICIO and pedido.um("hl.tag.post") == MARCA_FIM
    assert "hl.encoder" not in pedido.params  # the backend escapes the snippets itself
    assert pedido.um("fl") == FL


# -- parsing Solr's answer -------------------------------------------------------------

RESPOSTA = {
    "responseHeader": {"status": 0, "QTime": 3},
    "response": {
        "numFound": 42,
        "start": 0,
        "maxScore": 9.5,
        "docs": [
            {
                "id": f"{IBGE}!processo:abc",
                "municipio": IBGE,
                "tipo": "processo",
                "processo_id": "abc",
                "numero_formatado": "08004.000001/2026-73",
                "titulo": 'Merenda <script>alert("x")</script>',
                "score": 9.51234567,
            },
            {
                "id": f"{IBGE}!documento:d1",
                "municipio": IBGE,
                "tipo": "documento",
                "processo_id": "abc",
                "numero_formatado": "08004.000001/2026-73",
                "titulo": "Ofício 12/2026 - SEMAD",
                "score": 2.0,
            },
            {  # impossible with the municipality fq; dropped if it ever happened
                "id": f"{OUTRO_IBGE}!processo:zzz",
                "municipio": OUTRO_IBGE,
                "tipo": "processo",
                "processo_id": "zzz",
                "titulo": "De outro município",
                "score": 1.0,
            },
        ],
    },
    "facet_counts": {
        "facet_queries": {},
        "facet_fields": {
            "tipo_processo": ["Licitação", 30, "Obras", 12],
            "ano": ["2026", 40, "2025", 2],
            "unidade_geradora_id": ["unidade-9", 41, "unidade-3", 1, "unidade-7", 0],
        },
    },
    "highlighting": {
        f"{IBGE}!processo:abc": {
            "titulo": [f'{MARCA_INICIO}Merenda{MARCA_FIM} <script>alert("x")</script>'],
            "texto": [],
        },
        f"{IBGE}!documento:d1": {
            "titulo": ["Ofício 12/2026 - SEMAD"],
            "texto": [
                f"Solicito a {MARCA_INICIO}merenda{MARCA_FIM} & o leite",
                f"segunda {MARCA_INICIO}merenda{MARCA_FIM}",
            ],
        },
    },
}


def test_a_solr_answer_becomes_a_resultado():
    solr, _ = backend(RESPOSTA)
    resultado = solr.buscar(Acesso(IBGE, "usuario-1", "unidade-9"), Consulta(q="merenda"))
    assert (resultado.total, resultado.total_exato) == (42, True)  # Solr counts every hit
    assert resultado.facetas == {
        "tipo_processo": {"Licitação": 30, "Obras": 12},
        "ano": {"2026": 40, "2025": 2},
        "unidade": {"unidade-9": 41, "unidade-3": 1},
    }
    assert set(resultado.facetas) == set(FACETAS)
    processo, documento = resultado.itens
    assert processo == {
        "id": "abc",
        "tipo": "processo",
        "processo_id": "abc",
        "numero": "08004.000001/2026-73",
        "titulo": 'Merenda <script>alert("x")</script>',
        "trecho": "<mark>Merenda</mark> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
        "score": 9.512346,
    }
    assert documento["id"] == "d1" and documento["tipo"] == "documento"
    assert documento["trecho"] == (
        "Solicito a <mark>merenda</mark> &amp; o leite … segunda <mark>merenda</mark>"
    )


def test_without_highlights_the_snippet_is_the_escaped_title():
    resposta = json.loads(json.dumps(RESPOSTA))
    resposta["highlighting"] = {}
    solr, _ = backend(resposta)
    resultado = solr.buscar(Acesso(IBGE, "usuario-1", None), Consulta(q="x"))
    assert resultado.itens[0]["trecho"] == (
        "Merenda &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )


def test_facets_written_as_maps_are_read_too():
    resposta = json.loads(json.dumps(RESPOSTA))
    resposta["facet_counts"]["facet_fields"]["ano"] = {"2026": 40}
    solr, _ = backend(resposta)
    resultado = solr.buscar(Acesso(IBGE, "usuario-1", None), Consulta(q="x"))
    assert resultado.facetas["ano"] == {"2026": 40}


@pytest.mark.parametrize(
    "falha",
    [
        Resposta(500, {"error": {"msg": "boom", "code": 500}}),
        requests.ConnectionError("connection refused"),
        requests.Timeout("timed out"),
    ],
)
def test_solr_failures_become_a_portuguese_503(falha: Any):
    solr, _ = backend(falha)
    with pytest.raises(ServicoIndisponivel) as erro:
        solr.buscar(Acesso(IBGE, "usuario-1", None), Consulta(q="joão da silva"))
    assert erro.value.code == "busca_indisponivel"
    assert "indisponível" in erro.value.message
    assert "joão" not in str(erro.value) and erro.value.__cause__ is None


# -- writes ----------------------------------------------------------------------------

COMMIT_PARAMS = {"commit", "softCommit", "commitWithin", "optimize", "expungeDeletes"}


def test_indexar_posts_versioned_atomic_updates_without_commit():
    solr, sessao = backend()
    documento = entrada(
        id="documento:d1", tipo="documento", texto="", tipo_documento="Ofício", nivel="publico"
    )
    solr.indexar(IBGE, [entrada(), documento])
    (pedido,) = sessao.pedidos
    assert pedido.metodo == "POST" and pedido.caminho == "/solr/sempapel/update"
    assert not COMMIT_PARAMS & set(pedido.params)
    assert "update.chain" not in pedido.params  # the versioned chain is the default one
    processo, doc = pedido.json()
    assert processo["id"] == f"{IBGE}!processo:abc"  # compositeId: <ibge>!<entrada.id>
    assert doc["id"] == f"{IBGE}!documento:d1"
    # A plain value, what DocBasedVersionConstraints compares; Solr's _version_ never sent.
    assert processo["versao"] == 7 and "_version_" not in processo
    assert processo["municipio"] == {"set": IBGE}
    assert processo["unidades"] == {"set": ["unidade-9", "unidade-3"]}
    assert processo["data"] == {"set": "2026-01-01T01:30:00.000Z"}
    assert processo["ano"] == {"set": 2025}  # the year in Brasília
    assert processo["tipo_documento"] == {"set": None}
    assert processo["texto"] == {"set": "Licitação 001 Maria da Silva"}
    assert processo["texto_versao"] == {"set": 7}
    # A document event without text leaves the extracted text alone.
    assert "texto" not in doc and "texto_versao" not in doc
    assert all(isinstance(v, dict) for k, v in doc.items() if k not in ("id", "versao"))


def test_indexar_sends_nothing_for_no_entries_and_validates_before_sending():
    solr, sessao = backend()
    solr.indexar(IBGE, [])
    with pytest.raises(ValueError):
        solr.indexar(IBGE, [entrada(), entrada(id="processo:a!b")])
    with pytest.raises(ValueError):
        solr.indexar(IBGE, [entrada(data=datetime(2026, 1, 1))])  # naive
    with pytest.raises(ValueError):
        solr.indexar(IBGE, [entrada(nivel="secreto")])
    assert sessao.pedidos == []


def test_indexar_splits_large_batches():
    solr, sessao = backend()
    solr.indexar(IBGE, [entrada(id=f"processo:{n}") for n in range(450)])
    assert [len(p.json()) for p in sessao.pedidos] == [200, 200, 50]


def test_highlight_markers_are_stripped_from_indexed_text():
    solr, sessao = backend()
    solr.indexar(IBGE, [entrada(titulo=f"a{MARCA_INICIO}b{MARCA_FIM}c")])
    assert sessao.pedidos[0].json()[0]["titulo"] == {"set": "abc"}


def test_remover_with_versions_writes_tombstones_through_the_versioned_chain():
    solr, sessao = backend()
    solr.remover(IBGE, ["processo:abc", "documento:d1"], {"processo:abc": 9, "documento:d1": 4})
    (pedido,) = sessao.pedidos
    assert pedido.caminho == "/solr/sempapel/update"
    assert not COMMIT_PARAMS & set(pedido.params)
    assert pedido.json() == [
        {"id": f"{IBGE}!processo:abc", "versao": 9},
        {"id": f"{IBGE}!documento:d1", "versao": 4},
    ]


def test_remover_without_versions_deletes_by_id_without_commit():
    solr, sessao = backend()
    solr.remover(IBGE, ["processo:abc"])
    (pedido,) = sessao.pedidos
    assert not COMMIT_PARAMS & set(pedido.params)
    ids = [e.text for e in pedido.xml().iter("id")]
    assert pedido.xml().tag == "delete" and ids == [f"{IBGE}!processo:abc"]


def test_limpar_deletes_by_query_only_within_the_municipality():
    solr, sessao = backend()
    solr.limpar(IBGE)
    (pedido,) = sessao.pedidos
    assert not COMMIT_PARAMS & set(pedido.params)
    (consulta,) = [e.text for e in pedido.xml().iter("query")]
    # Its documents, and its tombstones (which carry no municipio but its id prefix).
    assert consulta == rf"municipio:{IBGE} OR id:{IBGE}\!*"
    assert set(re.findall(r"\d{7}", consulta)) == {IBGE}
    assert "*:*" not in consulta


# -- obter, refiltrar, definir_texto ------------------------------------------------------


def _rtg(*docs: dict[str, Any]) -> dict[str, Any]:
    return {"response": {"numFound": len(docs), "start": 0, "docs": list(docs)}}


def test_obter_reads_in_real_time_and_ignores_tombstones():
    guardado = {
        "id": f"{IBGE}!processo:abc",
        "municipio": IBGE,
        "tipo": "processo",
        "processo_id": "abc",
        "versao": 7,
        "numero": "08004000001202673",
        "numero_formatado": "08004.000001/2026-73",
        "titulo": "Licitação",
        "texto": "Maria",
        "tipo_processo": "Licitação",
        "unidade_geradora_id": "unidade-9",
        "unidades": ["unidade-9"],
        "nivel": "restrito",
        "credenciados": ["usuario-1"],
        "data": "2026-01-01T01:30:00Z",
        "ano": 2025,
        "cancelado": False,
    }
    solr, sessao = backend(_rtg(guardado), _rtg({"id": f"{IBGE}!processo:x", "versao": 3}), _rtg())
    atual = solr.obter(IBGE, "processo:abc")
    assert sessao.pedidos[0].caminho.endswith("/get")
    assert sessao.pedidos[0].um("ids") == f"{IBGE}!processo:abc"
    assert atual is not None and atual.id == "processo:abc" and atual.versao == 7
    assert atual.unidades == ["unidade-9"] and atual.credenciados == ["usuario-1"]
    assert atual.tipo_documento is None and atual.cancelado is False
    assert atual.data == datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(0)))
    assert solr.obter(IBGE, "processo:x") is None  # a tombstone
    assert solr.obter(IBGE, "processo:y") is None  # never indexed


def test_refiltrar_copies_the_process_access_onto_its_documents():
    pagina1 = {
        "response": {"numFound": 2, "docs": [{"id": f"{IBGE}!documento:d1"}]},
        "nextCursorMark": "AoE1",
    }
    pagina2 = {
        "response": {"numFound": 2, "docs": [{"id": f"{IBGE}!documento:d2"}]},
        "nextCursorMark": "AoE2",
    }
    fim = {"response": {"numFound": 2, "docs": []}, "nextCursorMark": "AoE2"}
    ok = {"responseHeader": {"status": 0}}
    solr, sessao = backend(pagina1, ok, pagina2, ok, fim)
    solr.refiltrar(IBGE, entrada(nivel="sigiloso", credenciados=["usuario-5"]))
    consultas = [p for p in sessao.pedidos if p.caminho.endswith("/select")]
    escritas = [p for p in sessao.pedidos if p.caminho.endswith("/parcial")]
    assert [c.um("cursorMark") for c in consultas] == ["*", "AoE1", "AoE2"]
    assert consultas[0].params["fq"] == [
        f"municipio:{IBGE}",
        'processo_id:"abc"',
        "tipo:documento",
    ]
    assert [len(e.json()) for e in escritas] == [1, 1]
    (doc,) = escritas[0].json()
    assert doc["id"] == f"{IBGE}!documento:d1"
    assert doc["_version_"] == 1  # must exist: a document removed meanwhile is not recreated
    assert doc["nivel"] == {"set": "sigiloso"}
    assert doc["credenciados"] == {"set": ["usuario-5"]}
    assert "versao" not in doc  # the document keeps its own version
    assert all(not COMMIT_PARAMS & set(e.params) for e in escritas)


def test_definir_texto_writes_only_newer_text_and_retries_on_a_conflict():
    atual = {"id": f"{IBGE}!documento:d1", "municipio": IBGE, "texto_versao": 2, "_version_": 11}
    depois = dict(atual, _version_=12)
    conflito = {
        "responseHeader": {
            "status": 0,
            "errors": [{"type": "ADD", "id": f"{IBGE}!documento:d1", "message": "conflict"}],
        }
    }
    solr, sessao = backend(_rtg(atual), conflito, _rtg(depois), {"responseHeader": {}})
    texto = entrada(id="documento:d1", tipo="documento", versao=5, texto="o texto")
    solr.definir_texto(IBGE, texto)
    escritas = [p for p in sessao.pedidos if p.caminho.endswith("/parcial")]
    assert [e.json()[0]["_version_"] for e in escritas] == [11, 12]
    assert escritas[-1].json()[0]["texto"] == {"set": "o texto"}
    assert escritas[-1].json()[0]["texto_versao"] == {"set": 5}

    solr, sessao = backend(_rtg(dict(atual, texto_versao=5)))
    solr.definir_texto(IBGE, texto)  # the indexed text is as new: nothing written
    assert [p.caminho.rsplit("/", 1)[-1] for p in sessao.pedidos] == ["get"]


# -- the configset -----------------------------------------------------------------------


def _xml(nome: str) -> ET.Element:
    return ET.parse(CONFIGSET / nome).getroot()


def _padrao(valor: str) -> str:
    """${solr.x:1000} -> 1000 (the value used unless a system property overrides it)."""
    achado = re.fullmatch(r"\$\{[^:}]+:([^}]*)\}", valor.strip())
    return achado.group(1) if achado else valor.strip()


def test_every_configset_file_is_well_formed_xml():
    arquivos = sorted(CONFIGSET.glob("*.xml"))
    assert {a.name for a in arquivos} >= {"schema.xml", "solrconfig.xml"}
    for arquivo in arquivos:
        ET.parse(arquivo)


def test_schema_fields_and_types():
    schema = _xml("schema.xml")
    tipos = {t.get("name"): t for t in schema.iter("fieldType")}
    campos = {c.get("name"): c for c in schema.iter("field")}
    assert schema.findtext("uniqueKey") == "id"

    def tipo(nome: str) -> str:
        return campos[nome].get("type")

    def multi(nome: str) -> bool:
        valor = campos[nome].get("multiValued") or tipos[tipo(nome)].get("multiValued")
        return valor == "true"

    for nome in ("id", "municipio", "tipo", "processo_id", "numero", "numero_formatado", "nivel"):
        assert tipo(nome) == "string" and not multi(nome), nome
    for nome in ("tipo_processo", "tipo_documento", "unidade_geradora_id"):
        assert tipo(nome) == "string", nome
    for nome in ("unidades", "credenciados", "documentos_id"):
        assert tipos[tipo(nome)].get("class") == "solr.StrField" and multi(nome), nome
    for nome in ("titulo", "texto", "assinantes"):
        assert tipo(nome) == "text_pt", nome
    assert tipo("ano") == "pint" and tipo("data") == "pdate" and tipo("cancelado") == "boolean"
    assert tipos["pint"].get("class") == "solr.IntPointField"
    assert tipos["pdate"].get("class") == "solr.DatePointField"
    assert tipos["boolean"].get("class") == "solr.BoolField"
    # DocBasedVersionConstraints: the version field stored, single-valued, numeric.
    assert tipos[tipo("versao")].get("class") == "solr.LongPointField"
    assert campos["versao"].get("stored") == "true" and not multi("versao")
    assert "_version_" in campos  # the update log (required by the version processor)
    copias = {(c.get("source"), c.get("dest")) for c in schema.iter("copyField")}
    assert {("numero", "digitos"), ("documentos_id", "digitos")} <= copias


def test_text_pt_analysis_chain():
    schema = _xml("schema.xml")
    (text_pt,) = [t for t in schema.iter("fieldType") if t.get("name") == "text_pt"]
    (analyzer,) = text_pt.findall("analyzer")  # the same chain for index and query
    cadeia = [e.get("class") for e in analyzer]
    assert cadeia == [
        "solr.StandardTokenizerFactory",
        "solr.LowerCaseFilterFactory",
        "solr.ASCIIFoldingFilterFactory",
        "solr.StopFilterFactory",
        "solr.PatternReplaceFilterFactory",  # -oes -> -ao, so plurals of -ção stem together
        "solr.PortugueseLightStemFilterFactory",
    ]
    filtros = {e.get("class"): e for e in analyzer}
    assert filtros["solr.ASCIIFoldingFilterFactory"].get("preserveOriginal") == "false"
    stop = filtros["solr.StopFilterFactory"]
    assert stop.get("words") == "lang/stopwords_pt.txt" and stop.get("ignoreCase") == "true"
    troca = filtros["solr.PatternReplaceFilterFactory"]
    assert (troca.get("pattern"), troca.get("replacement")) == ("oes$", "ao")


def test_the_stopwords_are_folded_like_the_tokens_they_meet():
    palavras = [
        linha.strip()
        for linha in (CONFIGSET / "lang" / "stopwords_pt.txt").read_text().splitlines()
        if linha.strip() and not linha.startswith("#")
    ]
    assert {"de", "da", "do", "e", "nao", "para", "com"} <= set(palavras)
    assert all(p.isascii() and p == p.lower() for p in palavras), "after ASCIIFolding"
    assert "sao" not in palavras  # São Paulo, São João...
    assert len(palavras) == len(set(palavras))


def test_the_backend_only_uses_fields_the_schema_has():
    schema = _xml("schema.xml")
    campos = {c.get("name") for c in schema.iter("field")}
    solr, sessao = backend()
    solr.indexar(IBGE, [entrada(texto="t")])
    enviados = set(sessao.pedidos[0].json()[0])
    assert enviados <= campos, enviados - campos
    consultados = {c.split("^")[0] for c in (QF + " " + PF).split()}
    consultados |= set(FL.split(",")) - {"score"}
    consultados |= set(FACETAS.values()) | {"titulo", "texto", "cancelado", "credenciados"}
    assert consultados <= campos, consultados - campos


def test_solrconfig_commits_versions_and_handlers():
    config = _xml("solrconfig.xml")
    assert config.findtext("luceneMatchVersion").startswith("9.")
    assert config.find("schemaFactory").get("class") == "ClassicIndexSchemaFactory"
    handler = config.find("updateHandler")
    assert handler.find("updateLog") is not None
    assert 500 <= int(_padrao(handler.findtext("autoSoftCommit/maxTime"))) <= 2000
    assert int(_padrao(handler.findtext("autoCommit/maxTime"))) == 15000
    assert handler.findtext("autoCommit/openSearcher").strip() == "false"

    cadeias = {c.get("name"): c for c in config.iter("updateRequestProcessorChain")}
    padrao = [c for c in cadeias.values() if c.get("default") == "true"]
    assert len(padrao) == 1
    processadores = [p.get("class") for p in padrao[0].findall("processor")]
    versao = "solr.DocBasedVersionConstraintsProcessorFactory"
    assert processadores.index(versao) < processadores.index(
        "solr.DistributedUpdateProcessorFactory"
    )
    (restricao,) = [p for p in padrao[0].findall("processor") if p.get("class") == versao]
    assert restricao.findtext("str[@name='versionField']") == "versao"
    assert restricao.findtext("bool[@name='ignoreOldUpdates']") == "true"

    handlers = {h.get("name"): h for h in config.iter("requestHandler")}
    parcial = handlers["/parcial"].findtext("lst[@name='invariants']/str[@name='update.chain']")
    assert parcial in cadeias and cadeias[parcial].get("default") != "true"
    assert versao not in [p.get("class") for p in cadeias[parcial].findall("processor")]
    select = handlers["/select"]
    assert select.findtext("lst[@name='defaults']/str[@name='defType']") == "edismax"
    assert select.findtext("lst[@name='defaults']/str[@name='uf']") == "-*"
    assert select.find("lst[@name='defaults']/str[@name='hl.encoder']") is None
