"""Search through the gateway, fed by the real events (outbox, RabbitMQ, busca's queue)."""

from __future__ import annotations

import time

import pytest
import requests

from services.processos import nup

GOIANESIA, MINEIROS = "5208608", "5213103"
SENHA = "senha-da-busca-123"


@pytest.fixture(scope="module")
def org(platform, provision, create_user, bearer):
    provision(GOIANESIA, "Goianésia")
    provision(MINEIROS, "Mineiros")
    create_user(GOIANESIA, "adm_busca", SENHA, administrador=True)
    admin = bearer(GOIANESIA, "adm_busca", SENHA)
    for sigla in ("SEMAD", "SMS"):
        call(platform, "POST", "/api/v1/unidades", admin, {"sigla": sigla, "nome": sigla})
    for login, sigla in (("lia", "SEMAD"), ("leo", "SMS")):
        create_user(GOIANESIA, login, SENHA)
        call(
            platform,
            "PUT",
            f"/api/v1/usuarios/{login}/permissoes/{sigla}",
            admin,
            {"perfil": "basico"},
        )
    create_user(MINEIROS, "lia", SENHA)
    create_user(MINEIROS, "adm", SENHA, administrador=True)
    adm_mineiros = bearer(MINEIROS, "adm", SENHA)
    call(platform, "POST", "/api/v1/unidades", adm_mineiros, {"sigla": "SEMAD", "nome": "SEMAD"})
    call(
        platform, "PUT", "/api/v1/usuarios/lia/permissoes/SEMAD", adm_mineiros, {"perfil": "basico"}
    )
    tipos = call(platform, "GET", "/api/v1/tipos-processo", admin).json()
    return {
        "lia": bearer(GOIANESIA, "lia", SENHA),
        "leo": bearer(GOIANESIA, "leo", SENHA),
        "mineiros": bearer(MINEIROS, "lia", SENHA),
        "publico": next(t["id"] for t in tipos if t["nivel_acesso_sugerido"] == "publico"),
        "restrito": next(t for t in tipos if t["nivel_acesso_sugerido"] == "restrito"),
    }


def call(platform, method, path, headers, body=None, **kwargs):
    return requests.request(
        method, f"{platform.url}{path}", headers=headers, json=body, timeout=60, **kwargs
    )


def gerar(platform, headers, tipo, especificacao, **extra):
    body = {"tipo_processo": tipo, "especificacao": especificacao, **extra}
    answer = call(platform, "POST", "/api/v1/processos", headers, body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def buscar(platform, headers, **params):
    answer = call(platform, "GET", "/api/v1/busca", headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def eventually(fn, deadline=15.0):
    """Search is fed by events: poll (never assert on how fast)."""
    end = time.monotonic() + deadline
    while True:
        result = fn()
        if result or time.monotonic() > end:
            return result
        time.sleep(0.2)


def ids(resultado):
    return [i["processo_id"] for i in resultado["itens"]]


def test_accents_stems_and_numbers(platform, org):
    p = gerar(platform, org["lia"], org["publico"], "Licitação de contrato para merenda escolar")
    found = eventually(lambda: p["id"] in ids(buscar(platform, org["lia"], q="licitacao")))
    assert found
    assert p["id"] in ids(buscar(platform, org["lia"], q="contratos"))  # stem
    assert p["id"] in ids(buscar(platform, org["lia"], q="LICITAÇÕES"))
    digitos = nup.ler(p["numero"]).digitos
    for q in (p["numero"], digitos):
        primeiro = buscar(platform, org["lia"], q=q)["itens"][0]
        assert primeiro["processo_id"] == p["id"] and primeiro["tipo"] == "processo"
    hit = buscar(platform, org["lia"], q="merenda")["itens"][0]
    assert "<mark>" in hit["trecho"]


def test_snippets_never_carry_markup_from_the_content(platform, org):
    p = gerar(platform, org["lia"], org["publico"], 'Pedido <script>alert("x")</script> vizinhança')
    assert eventually(lambda: p["id"] in ids(buscar(platform, org["lia"], q="vizinhanca")))
    trecho = buscar(platform, org["lia"], q="vizinhanca")["itens"][0]["trecho"]
    assert "<script" not in trecho and "&quot;x&quot;" in trecho  # escaped, not interpreted


def test_restricted_is_invisible_in_hits_counts_and_facets(platform, org):
    hipotese = org["restrito"]["hipotese_legal"]
    marca = "xilogravura"
    p = gerar(
        platform,
        org["lia"],
        org["restrito"]["id"],
        f"Sindicância {marca} reservada",
        nivel_acesso="restrito",
        hipotese_legal=hipotese,
    )
    assert eventually(lambda: buscar(platform, org["lia"], q=marca)["total"] == 1)
    outsider = buscar(platform, org["leo"], q=marca)
    assert outsider["total"] == 0 and outsider["total_exato"] is True and outsider["itens"] == []
    assert all(sum(f.values()) == 0 for f in outsider["facetas"].values())
    # Sent to SMS, it becomes visible there (the access change re-filters it).
    call(platform, "POST", f"/api/v1/processos/{p['id']}/enviar", org["lia"], {"destinos": ["SMS"]})
    assert eventually(lambda: buscar(platform, org["leo"], q=marca)["total"] == 1)


def test_sigiloso_only_for_credentialed_users(platform, org):
    hipotese = next(
        h["nome"]
        for h in call(platform, "GET", "/api/v1/hipoteses-legais", org["lia"]).json()
        if "sigiloso" in h["niveis"]
    )
    marca = "quixotesco"
    p = gerar(
        platform,
        org["lia"],
        org["publico"],
        f"Apuração {marca}",
        nivel_acesso="sigiloso",
        hipotese_legal=hipotese,
    )
    assert eventually(lambda: buscar(platform, org["lia"], q=marca)["total"] == 1)
    assert buscar(platform, org["leo"], q=marca)["total"] == 0
    call(platform, "PUT", f"/api/v1/processos/{p['id']}/credenciais/leo", org["lia"])
    assert eventually(lambda: buscar(platform, org["leo"], q=marca)["total"] == 1)


def test_another_municipality_never_appears(platform, org):
    marca = "paralelepipedo"
    gerar(platform, org["lia"], org["publico"], f"Calçamento {marca}")
    assert eventually(lambda: buscar(platform, org["lia"], q=marca)["total"] >= 1)
    assert buscar(platform, org["mineiros"], q=marca)["total"] == 0


def test_duplicate_and_out_of_order_events_leave_the_index_as_a_reindex(engine, provision):
    """Applied straight to the backend: the same events twice, newest first, then the old."""
    from sqlalchemy import text

    from services.busca.handlers import aplicar
    from services.busca.postgres import PostgresBackend
    from services.chassis.tenant_session import TenantEngines

    provision(GOIANESIA, "Goianésia")
    backend = PostgresBackend(TenantEngines(engine))

    def evento(versao: int, especificacao: str, nivel: str) -> dict:
        return {
            "specversion": "1.0",
            "id": f"e{versao}",
            "type": "processo.enviado",
            "source": "/sempapel/processos",
            "municipio": GOIANESIA,
            "data": {
                "processo": {
                    "id": "f" * 32,
                    "numero": "08608000001202600",
                    "numero_formatado": "08608.000001/2026-00",
                    "versao": versao,
                    "tipo_nome": "Teste",
                    "classificacao": "001",
                    "especificacao": especificacao,
                    "nivel_efetivo": nivel,
                    "interessados": [],
                    "unidade_geradora_id": "u" * 32,
                    "unidades": [{"unidade_id": "u" * 32, "situacao": "aberto"}],
                    "credenciados": [],
                    "criado_em": "2026-11-27T10:00:00+00:00",
                }
            },
        }

    def estado() -> list:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        f"SELECT id, versao, titulo, nivel FROM mun_{GOIANESIA}.busca_entrada "
                        "WHERE processo_id = :p"
                    ),
                    {"p": "f" * 32},
                )
            )

    novo, velho = evento(3, "versão nova", "restrito"), evento(2, "versão velha", "publico")
    aplicar(backend, novo)
    aplicar(backend, novo)
    aplicar(backend, velho)
    depois_dos_eventos = estado()
    backend.remover(GOIANESIA, ["processo:" + "f" * 32])
    aplicar(backend, novo)  # what a reindex from the database (at version 3) writes
    assert (
        estado() == depois_dos_eventos == [("processo:" + "f" * 32, 3, "versão nova", "restrito")]
    )
    backend.remover(GOIANESIA, ["processo:" + "f" * 32])  # not in the database: leave no trace


def test_reindex_during_live_writes_ends_equal_to_the_database(platform, org, engine, settings):
    """The rebuild reads processos' and documentos' public snapshots over RPC, as the
    operator command does, while live writes keep publishing events."""
    import eventlet
    from sqlalchemy import text

    from services.busca import reindexacao
    from services.busca.postgres import PostgresBackend
    from services.chassis.tenant import Tenant
    from services.chassis.tenant_session import TenantEngines

    engines, tenant = TenantEngines(engine), Tenant(GOIANESIA)
    backend = PostgresBackend(engines)

    def reindexar() -> int:
        with reindexacao.conectar(settings, tenant) as cluster:
            return reindexacao.reindexar(reindexacao.FontePorRpc(cluster), backend, tenant)

    def escrever():
        for n in range(15):
            p = gerar(platform, org["lia"], org["publico"], f"Escrita ao vivo {n}")
            call(
                platform,
                "POST",
                f"/api/v1/processos/{p['id']}/enviar",
                org["lia"],
                {"destinos": ["SMS"]},
            )

    writer = eventlet.spawn(escrever)
    reindexar()
    writer.wait()

    def estado():
        with engine.connect() as conn:
            return sorted(
                conn.execute(
                    text(
                        f"SELECT id, versao, titulo, nivel, unidades, credenciados, cancelado "
                        f"FROM mun_{GOIANESIA}.busca_entrada"
                    )
                )
            )

    def esperado():
        backend.limpar(GOIANESIA)
        reindexar()
        return estado()

    def ids(ibge: str) -> set[str]:
        with reindexacao.conectar(settings, Tenant(ibge)) as cluster:
            return {p["id"] for p in cluster.processos.snapshot(None, 1000)["itens"]}

    # Each system token sees its own municipality only.
    goianesia = ids(GOIANESIA)
    assert len(goianesia) >= 15 and not goianesia & ids(MINEIROS)

    # Let the live events drain, then compare with a rebuild from scratch.
    anterior = None
    for _ in range(50):
        atual = estado()
        if atual == anterior:
            break
        anterior = atual
        time.sleep(0.3)
    assert atual == esperado()
