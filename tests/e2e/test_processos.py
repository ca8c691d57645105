"""Processes through the gateway: numbering, the lifecycle, access, history, inbox, events."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import kombu
import pytest
import requests
from sqlalchemy import text

from services.processos import nup

CALDAS, RIO_VERDE = "5204508", "5218805"
SENHA = "senha-dos-processos"


@pytest.fixture(scope="module")
def org(platform, provision, create_user, bearer):
    """Caldas Novas with four units and one user in each (one unit: it comes in the token)."""
    provision(CALDAS, "Caldas Novas")
    provision(RIO_VERDE, "Rio Verde")
    create_user(CALDAS, "adm_proc", SENHA, administrador=True)
    admin = bearer(CALDAS, "adm_proc", SENHA)
    for sigla, nome, superior in (
        ("GAB", "Gabinete", None),
        ("SEMAD", "Administração", "GAB"),
        ("SMS", "Saúde", "GAB"),
        ("SEFAZ", "Fazenda", "GAB"),
    ):
        answer = call(
            platform,
            "POST",
            "/api/v1/unidades",
            admin,
            {"sigla": sigla, "nome": nome, "unidade_superior": superior},
        )
        assert answer.status_code in (200, 201, 409), answer.text
    users = {"ana": "SEMAD", "ana2": "SEMAD", "bia": "SMS", "caio": "SEFAZ", "davi": "GAB"}
    for login, sigla in users.items():
        create_user(CALDAS, login, SENHA)
        answer = call(
            platform,
            "PUT",
            f"/api/v1/usuarios/{login}/permissoes/{sigla}",
            admin,
            {"perfil": "basico"},
        )
        assert answer.status_code == 200, answer.text
    create_user(RIO_VERDE, "ana", SENHA, administrador=True)
    tokens = {login: bearer(CALDAS, login, SENHA) for login in users}
    tokens["admin"] = admin
    tokens["rio_verde"] = bearer(RIO_VERDE, "ana", SENHA)
    tipos = call(platform, "GET", "/api/v1/tipos-processo", admin).json()
    tokens["tipos"] = {t["nome"]: t for t in tipos}
    return tokens


def call(platform, method, path, headers, body=None, **kwargs):
    return requests.request(
        method, f"{platform.url}{path}", headers=headers, json=body, timeout=60, **kwargs
    )


def tipo_publico(org) -> str:
    return next(t["id"] for t in org["tipos"].values() if t["nivel_acesso_sugerido"] == "publico")


def gerar(platform, headers, org, **extra):
    body = {"tipo_processo": tipo_publico(org), "especificacao": "Pedido de teste", **extra}
    answer = call(platform, "POST", "/api/v1/processos", headers, body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def refused(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


@pytest.fixture
def second_replica(platform, settings):
    """A second processos container competing on the same queue, as a second pod would."""
    from nameko.containers import ServiceContainer

    from services.chassis.runner import service_class

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = dict(settings.nameko_config(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    replica = ServiceContainer(service_class("processos"), config)
    replica.start()
    yield replica
    replica.stop()


def test_fifty_concurrent_processes_get_consecutive_valid_numbers(
    platform, org, second_replica, engine
):
    def um(n):
        return gerar(platform, org["ana" if n % 2 else "bia"], org, especificacao=f"Lote {n}")

    with ThreadPoolExecutor(max_workers=25) as pool:
        criados = list(pool.map(um, range(50)))
    numeros = [nup.ler(c["numero"]) for c in criados]
    assert all(n is not None for n in numeros)
    sequencias = sorted(int(n.digitos[5:11]) for n in numeros)
    assert len(set(sequencias)) == 50
    assert sequencias == list(range(sequencias[0], sequencias[0] + 50))
    assert {n.digitos[:5] for n in numeros} == {CALDAS[2:]}  # default prefix: IBGE's last five
    with engine.connect() as conn:
        ultimo = conn.execute(
            text(f"SELECT ultimo FROM mun_{CALDAS}.numeracao_sequencia WHERE ano = :a"),
            {"a": numeros[0].ano},
        ).scalar()
    assert ultimo == sequencias[-1]


def test_number_lookup_with_and_without_punctuation(platform, org):
    criado = gerar(platform, org["ana"], org)
    digitos = nup.ler(criado["numero"]).digitos
    by_digits = call(platform, "GET", f"/api/v1/processos/{digitos}", org["bia"])
    assert by_digits.status_code == 200 and by_digits.json()["id"] == criado["id"]
    by_query = call(
        platform, "GET", "/api/v1/processos", org["bia"], params={"numero": criado["numero"]}
    )
    assert by_query.status_code == 200 and by_query.json()["id"] == criado["id"]
    wrong = digitos[:-1] + str((int(digitos[-1]) + 1) % 10)
    refused(
        call(platform, "GET", f"/api/v1/processos/{wrong}", org["bia"]),
        404,
        "processo_nao_encontrado",
    )


def test_opening_validates_its_input(platform, org):
    ana = org["ana"]
    body = {"tipo_processo": tipo_publico(org), "especificacao": "x"}
    bad_cpf = {**body, "interessados": [{"nome": "Fulano", "cpf_cnpj": "529.982.247-24"}]}
    refused(call(platform, "POST", "/api/v1/processos", ana, bad_cpf), 422, "cpf_cnpj_invalido")
    refused(
        call(platform, "POST", "/api/v1/processos", ana, {**body, "tipo_processo": "x" * 32}),
        422,
        "tipo_processo_invalido",
    )
    refused(
        call(platform, "POST", "/api/v1/processos", ana, {**body, "nivel_acesso": "restrito"}),
        422,
        "hipotese_legal_obrigatoria",
    )
    refused(
        call(platform, "POST", "/api/v1/processos", ana, {**body, "classificacao": "999"}),
        422,
        "classificacao_nao_encontrada",
    )
    refused(
        call(platform, "POST", "/api/v1/processos", org["admin"], body),
        409,
        "unidade_nao_escolhida",
    )
    # Limits are the domain's, stated once, and come back with its codes.
    refused(
        call(platform, "POST", "/api/v1/processos", ana, {**body, "especificacao": "x" * 501}),
        422,
        "especificacao_invalida",
    )
    refused(
        call(platform, "POST", "/api/v1/processos", ana, {**body, "especificacao": " "}),
        422,
        "especificacao_invalida",
    )
    ok = {
        **body,
        "interessados": [
            {"nome": "Maria da Silva", "cpf_cnpj": "529.982.247-25"},
            {"nome": "Empresa Ltda", "cpf_cnpj": "11222333000181"},
        ],
    }
    criado = call(platform, "POST", "/api/v1/processos", ana, ok)
    assert criado.status_code == 201, criado.text
    detalhe = call(platform, "GET", f"/api/v1/processos/{criado.json()['id']}", ana).json()
    assert detalhe["interessados"][0] == {"nome": "Maria da Silva", "documento": "52998224725"}
    assert detalhe["unidade_geradora"] == "SEMAD"
    assert detalhe["classificacao"]  # the type's default


def test_the_lifecycle_and_every_refused_transition(platform, org):
    ana, bia, caio = org["ana"], org["bia"], org["caio"]
    p = gerar(platform, ana, org)["id"]
    path = f"/api/v1/processos/{p}"

    refused(
        call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["SEMAD"]}),
        409,
        "destino_igual_origem",
    )
    refused(
        call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["NADA"]}),
        422,
        "unidade_nao_encontrada",
    )
    sent = call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["SMS", "SEFAZ"]})
    assert sent.status_code == 200, sent.text
    refused(call(platform, "POST", f"{path}/concluir", ana), 409, "processo_nao_aberto_na_unidade")
    refused(
        call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["GAB"]}),
        409,
        "processo_nao_aberto_na_unidade",
    )
    refused(call(platform, "POST", f"{path}/concluir", bia), 409, "processo_nao_recebido")

    caixa = call(platform, "GET", "/api/v1/caixa", bia, params={"grupo": "nao_recebidos"}).json()
    assert p in [i["id"] for i in caixa["itens"]]
    assert call(platform, "POST", f"{path}/receber", bia).status_code == 204
    refused(call(platform, "POST", f"{path}/receber", bia), 409, "processo_nao_enviado_a_unidade")
    caixa = call(platform, "GET", "/api/v1/caixa", bia).json()
    assert p in [i["id"] for i in caixa["itens"]]

    # SEFAZ opening it for the first time receives it.
    detalhe = call(platform, "GET", path, caio).json()
    assert detalhe["na_minha_unidade"]["situacao"] == "aberto"

    refused(
        call(platform, "PUT", f"{path}/atribuicao", bia, {"usuario": "caio"}),
        422,
        "usuario_sem_permissao_na_unidade",
    )
    assert call(platform, "PUT", f"{path}/atribuicao", bia, {"usuario": "bia"}).status_code == 200
    mine = call(platform, "GET", "/api/v1/caixa", bia, params={"grupo": "atribuidos"}).json()
    assert [i["id"] for i in mine["itens"]] == [p] or p in [i["id"] for i in mine["itens"]]
    assert call(platform, "DELETE", f"{path}/atribuicao", bia).status_code == 204
    refused(call(platform, "DELETE", f"{path}/atribuicao", bia), 409, "processo_nao_atribuido")

    motivo = {"motivo": "Aguardando parecer externo"}
    assert call(platform, "POST", f"{path}/sobrestamento", bia, motivo).status_code == 204
    refused(
        call(platform, "POST", f"{path}/sobrestamento", bia, motivo), 409, "processo_ja_sobrestado"
    )
    refused(
        call(platform, "POST", f"{path}/enviar", bia, {"destinos": ["GAB"]}),
        409,
        "processo_sobrestado",
    )
    refused(call(platform, "POST", f"{path}/concluir", bia), 409, "processo_sobrestado")
    assert call(platform, "POST", f"{path}/sobrestamento/remover", bia, motivo).status_code == 204
    refused(
        call(platform, "POST", f"{path}/sobrestamento/remover", bia, motivo),
        409,
        "processo_nao_sobrestado",
    )

    assert call(platform, "POST", f"{path}/concluir", bia).status_code == 204
    refused(
        call(platform, "POST", f"{path}/enviar", bia, {"destinos": ["GAB"]}),
        409,
        "processo_nao_aberto_na_unidade",
    )
    refused(call(platform, "POST", f"{path}/reabrir", caio), 409, "processo_ja_aberto")
    refused(
        call(platform, "POST", f"{path}/reabrir", org["davi"]),
        409,
        "processo_nunca_esteve_na_unidade",
    )
    assert call(platform, "POST", f"{path}/reabrir", bia).status_code == 204
    refused(
        call(platform, "POST", f"{path}/enviar", bia, {"destinos": ["SEFAZ"]}),
        409,
        "processo_ja_aberto_no_destino",
    )
    kept = call(
        platform, "POST", f"{path}/enviar", bia, {"destinos": ["GAB"], "manter_aberto": True}
    )
    assert kept.status_code == 200
    assert call(platform, "GET", path, bia).json()["na_minha_unidade"]["situacao"] == "aberto"
    assert call(platform, "POST", f"{path}/ciencia", bia).status_code == 204

    historia = call(platform, "GET", f"{path}/andamentos", ana).json()
    tipos = [a["tipo"] for a in historia]
    assert tipos == [
        "gerado",
        "enviado",
        "recebido",
        "recebido",
        "atribuido",
        "atribuido",
        "sobrestado",
        "sobrestamento_removido",
        "concluido",
        "reaberto",
        "enviado",
        "ciencia",
    ]
    assert [a["seq"] for a in historia] == list(range(1, 13))
    assert historia[1]["detalhes"]["destinos_siglas"] == ["SMS", "SEFAZ"]
    assert historia[6]["detalhes"]["motivo"] == "Aguardando parecer externo"
    assert {historia[2]["unidade"], historia[3]["unidade"]} == {"SMS", "SEFAZ"}
    assert historia[0]["usuario"] == "ana"


def test_a_read_says_what_the_callers_unit_may_do_now_by_the_rules_that_refuse(platform, org):
    """`acoes` comes from the same guards the commands refuse with: a front end shows the
    buttons it lists and never copies a rule."""
    p = gerar(platform, org["ana"], org)
    path = f"/api/v1/processos/{p['id']}"

    def acoes(quem: str) -> list[str]:
        answer = call(platform, "GET", path, org[quem])
        assert answer.status_code == 200, answer.text
        return answer.json()["acoes"]

    aberto = acoes("ana")
    assert {"enviar", "concluir", "sobrestar", "incluir_documento"} <= set(aberto)
    assert "reabrir" not in aberto and "remover_sobrestamento" not in aberto
    assert "desanexar" not in aberto  # a full read knows it has no annexes
    assert "enviar" not in acoes("bia")  # público, readable, but not open in SMS
    motivo = {"motivo": "Aguardando parecer"}
    assert call(platform, "POST", f"{path}/sobrestamento", org["ana"], motivo).status_code == 204
    sobrestado = acoes("ana")
    assert "remover_sobrestamento" in sobrestado and "enviar" not in sobrestado
    refused(
        call(platform, "POST", f"{path}/enviar", org["ana"], {"destinos": ["SMS"]}),
        409,
        "processo_sobrestado",
    )


def test_annexing_relating_and_their_refusals(platform, org):
    ana = org["ana"]
    a, b, c = (gerar(platform, ana, org)["id"] for _ in range(3))
    motivo = "Mesmo assunto"
    refused(
        call(
            platform,
            "POST",
            f"/api/v1/processos/{a}/anexos",
            ana,
            {"processo": a, "motivo": motivo},
        ),
        409,
        "anexacao_em_si_mesmo",
    )
    ok = call(
        platform, "POST", f"/api/v1/processos/{a}/anexos", ana, {"processo": b, "motivo": motivo}
    )
    assert ok.status_code == 200, ok.text
    refused(
        call(
            platform,
            "POST",
            f"/api/v1/processos/{b}/anexos",
            ana,
            {"processo": a, "motivo": motivo},
        ),
        409,
        "anexacao_ciclica",
    )
    refused(
        call(platform, "POST", f"/api/v1/processos/{b}/enviar", ana, {"destinos": ["SMS"]}),
        409,
        "processo_anexado",
    )
    refused(
        call(
            platform,
            "POST",
            f"/api/v1/processos/{c}/anexos",
            ana,
            {"processo": b, "motivo": motivo},
        ),
        409,
        "processo_ja_anexado",
    )
    principal = call(platform, "GET", f"/api/v1/processos/{a}", ana).json()
    assert [x["id"] for x in principal["anexos"]] == [b]
    assert call(platform, "GET", f"/api/v1/processos/{b}", ana).json()["principal"]["id"] == a
    # moving the main one takes the annexed one along: it stays closed on its own
    out = call(
        platform,
        "POST",
        f"/api/v1/processos/{a}/anexos/{b}/desanexar",
        ana,
        {"motivo": "Anexado por engano"},
    )
    assert out.status_code == 204, out.text
    assert (
        call(platform, "GET", f"/api/v1/processos/{b}", ana).json()["na_minha_unidade"]["situacao"]
        == "aberto"
    )

    assert call(platform, "PUT", f"/api/v1/processos/{a}/relacionados/{c}", ana).status_code == 204
    refused(
        call(platform, "PUT", f"/api/v1/processos/{c}/relacionados/{a}", ana),
        409,
        "processos_ja_relacionados",
    )
    refused(
        call(platform, "PUT", f"/api/v1/processos/{a}/relacionados/{a}", ana),
        409,
        "relacao_consigo_mesmo",
    )
    assert [
        r["id"] for r in call(platform, "GET", f"/api/v1/processos/{c}", ana).json()["relacionados"]
    ] == [a]
    assert (
        call(platform, "DELETE", f"/api/v1/processos/{a}/relacionados/{c}", ana).status_code == 204
    )
    refused(
        call(platform, "DELETE", f"/api/v1/processos/{a}/relacionados/{c}", ana),
        409,
        "relacao_inexistente",
    )


def test_restricted_is_invisible_outside_its_path(platform, org):
    ana, bia = org["ana"], org["bia"]
    hipotese = next(
        t["hipotese_legal"]
        for t in org["tipos"].values()
        if t["nivel_acesso_sugerido"] == "restrito"
    )
    p = gerar(platform, ana, org, nivel_acesso="restrito", hipotese_legal=hipotese)
    path = f"/api/v1/processos/{p['id']}"
    digitos = nup.ler(p["numero"]).digitos
    for url in (path, f"{path}/andamentos", f"/api/v1/processos/{digitos}"):
        refused(call(platform, "GET", url, bia), 404, "processo_nao_encontrado")
    refused(call(platform, "POST", f"{path}/ciencia", bia), 404, "processo_nao_encontrado")
    assert call(platform, "GET", path, org["ana2"]).status_code == 200  # same unit
    # once sent to SMS, SMS reads it; SEFAZ still does not
    assert call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["SMS"]}).status_code == 200
    assert call(platform, "GET", path, bia).status_code == 200
    refused(call(platform, "GET", path, org["caio"]), 404, "processo_nao_encontrado")
    caixa_sefaz = call(
        platform, "GET", "/api/v1/caixa", org["caio"], params={"grupo": "nao_recebidos"}
    )
    assert p["id"] not in [i["id"] for i in caixa_sefaz.json()["itens"]]


def test_sigiloso_only_for_credentialed_users(platform, org):
    ana, ana2, bia = org["ana"], org["ana2"], org["bia"]
    hipotese = next(
        h["nome"]
        for h in call(platform, "GET", "/api/v1/hipoteses-legais", ana).json()
        if "sigiloso" in h["niveis"]
    )
    p = gerar(platform, ana, org, nivel_acesso="sigiloso", hipotese_legal=hipotese)
    path = f"/api/v1/processos/{p['id']}"
    # same unit, no credential: not found, not in the inbox
    for url in (path, f"{path}/andamentos"):
        refused(call(platform, "GET", url, ana2), 404, "processo_nao_encontrado")
    assert p["id"] not in [
        i["id"] for i in call(platform, "GET", "/api/v1/caixa", ana2).json()["itens"]
    ]
    assert p["id"] in [
        i["id"]
        for i in call(platform, "GET", "/api/v1/caixa", ana, params={"limite": 200}).json()["itens"]
    ]
    refused(
        call(platform, "POST", f"{path}/enviar", ana, {"destinos": ["SMS"]}),
        409,
        "processo_sigiloso_nao_tramita",
    )
    refused(call(platform, "DELETE", f"{path}/credenciais/ana", ana), 409, "ultima_credencial")
    refused(call(platform, "PUT", f"{path}/credenciais/bia", ana2), 404, "processo_nao_encontrado")

    assert call(platform, "PUT", f"{path}/credenciais/bia", ana).status_code == 204
    refused(call(platform, "PUT", f"{path}/credenciais/bia", ana), 409, "credencial_existente")
    assert call(platform, "GET", path, bia).status_code == 200
    assert call(platform, "DELETE", f"{path}/credenciais/bia", ana).status_code == 204  # cassada
    refused(call(platform, "GET", path, bia), 404, "processo_nao_encontrado")
    assert call(platform, "PUT", f"{path}/credenciais/ana2", ana).status_code == 204
    assert call(platform, "DELETE", f"{path}/credenciais/ana", ana).status_code == 204  # renúncia
    refused(call(platform, "GET", path, ana), 404, "processo_nao_encontrado")
    historia = [a["tipo"] for a in call(platform, "GET", f"{path}/andamentos", ana2).json()]
    assert historia == [
        "gerado",
        "credencial_concedida",
        "credencial_cassada",
        "credencial_concedida",
        "credencial_renunciada",
    ]


def test_another_municipality_never_reaches_a_process(platform, org):
    p = gerar(platform, org["ana"], org)
    digitos = nup.ler(p["numero"]).digitos
    other = org["rio_verde"]
    for url in (f"/api/v1/processos/{p['id']}", f"/api/v1/processos/{digitos}"):
        refused(call(platform, "GET", url, other), 404, "processo_nao_encontrado")
    refused(
        call(platform, "GET", "/api/v1/processos", other, params={"numero": p["numero"]}),
        404,
        "processo_nao_encontrado",
    )
    refused(
        call(platform, "POST", f"/api/v1/processos/{p['id']}/ciencia", other),
        404,
        "processo_nao_encontrado",
    )


def test_inbox_pages_by_keyset_and_filters(platform, org):
    davi = org["davi"]
    criados = [gerar(platform, davi, org, especificacao=f"Caixa {n}")["id"] for n in range(7)]
    marcado = criados[2]
    path = f"/api/v1/processos/{marcado}/marcador"
    assert call(platform, "PUT", path, davi, {"texto": "Urgente: prefeito"}).status_code == 204
    vistos, apos = [], None
    while True:
        params = {"limite": 3, **({"apos": apos} if apos else {})}
        page = call(platform, "GET", "/api/v1/caixa", davi, params=params).json()
        vistos += [i["id"] for i in page["itens"]]
        apos = page["proxima"]
        if apos is None:
            break
    assert set(criados) <= set(vistos) and len(vistos) == len(set(vistos))
    assert vistos.index(marcado) < vistos.index(criados[0])  # the marked one changed last
    only = call(platform, "GET", "/api/v1/caixa", davi, params={"marcador": "URGENTE"}).json()
    assert [i["id"] for i in only["itens"]] == [marcado]
    tipo = call(platform, "GET", "/api/v1/caixa", davi, params={"tipo": "x" * 32}).json()
    assert tipo["itens"] == []
    refused(
        call(platform, "GET", "/api/v1/caixa", davi, params={"apos": "@@"}), 422, "cursor_invalido"
    )
    refused(
        call(platform, "GET", "/api/v1/caixa", davi, params={"grupo": "todos"}),
        422,
        "grupo_invalido",
    )


def test_a_unit_with_open_processes_cannot_be_deactivated(platform, org):
    admin = org["admin"]
    answer = call(
        platform,
        "POST",
        "/api/v1/unidades",
        admin,
        {"sigla": "TEMP", "nome": "Temporária", "unidade_superior": "GAB"},
    )
    assert answer.status_code in (200, 201), answer.text
    p = gerar(platform, org["ana"], org)["id"]
    assert (
        call(
            platform, "POST", f"/api/v1/processos/{p}/enviar", org["ana"], {"destinos": ["TEMP"]}
        ).status_code
        == 200
    )
    refused(
        call(platform, "POST", "/api/v1/unidades/TEMP/desativar", admin),
        409,
        "unidade_com_processos",
    )


def assert_matches_asyncapi(routing_key: str, event: dict) -> None:
    """Validate a published event against its message in docs/asyncapi.json."""
    from pathlib import Path

    import jsonschema

    document = json.loads((Path(__file__).parents[2] / "docs" / "asyncapi.json").read_text())
    payload = document["components"]["messages"][routing_key]["payload"]
    # The payload's $refs point at #/components/...: validate with the components beside it.
    jsonschema.Draft7Validator({**payload, "components": document["components"]}).validate(event)


def test_every_change_is_published_as_a_cloudevent(platform, org, settings):
    with kombu.Connection(settings.amqp_uri) as conn:
        exchange = kombu.Exchange("sempapel.eventos", type="topic", durable=True)
        queue = kombu.Queue("teste-processos-eventos", exchange, "processo.#", auto_delete=True)
        with conn.SimpleQueue(queue) as simple:
            p = gerar(platform, org["ana"], org)
            call(
                platform,
                "POST",
                f"/api/v1/processos/{p['id']}/enviar",
                org["ana"],
                {"destinos": ["SMS"]},
            )
            events, deadline = [], time.monotonic() + 20
            while time.monotonic() < deadline and len(events) < 2:
                try:
                    message = simple.get(timeout=1)
                except simple.Empty:
                    continue
                body = json.loads(message.body)
                message.ack()
                if body["subject"] == p["id"]:
                    events.append((message.delivery_info["routing_key"], body))
    assert [key for key, _ in events] == ["processo.gerado", "processo.enviado"]
    for key, body in events:  # what is published is what the AsyncAPI document promises
        assert_matches_asyncapi(key, body)
    gerado = events[0][1]
    assert gerado["specversion"] == "1.0" and gerado["type"] == "processo.gerado"
    assert gerado["municipio"] == CALDAS and gerado["source"] == "/sempapel/processos"
    assert gerado["data"]["processo"]["numero_formatado"] == p["numero"]
    assert events[1][1]["data"]["processo"]["versao"] == 2
