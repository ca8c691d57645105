"""Numbering against the real database: yearly restart, rollback gives the number back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from services.chassis.ator import Ator
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines
from services.processos import nup
from services.processos.handlers import commands, reads
from services.processos.repository import ProcessoRepository
from services.processos.tables import processo
from services.tenancy.handlers import leituras

CRISTALINA = "5206206"
REPOSITORIES = {"processos": ProcessoRepository}


def test_the_sequence_restarts_each_year_and_never_skips(engine, provision):
    provision(CRISTALINA, "Cristalina")
    engines = TenantEngines(engine)
    tenant = Tenant(CRISTALINA)

    def numero(ano: int, commit: bool = True) -> nup.Numero:
        with engines.unit_of_work(tenant, REPOSITORIES) as uow:
            found = uow.processos.proximo_numero(nup.Numeracao("nup", "06206"), ano)
            if commit:
                uow.commit()
            return found

    assert [int(numero(2026).digitos[5:11]) for _ in range(3)] == [1, 2, 3]
    assert int(numero(2026, commit=False).digitos[5:11]) == 4  # rolled back: given back
    assert int(numero(2026).digitos[5:11]) == 4
    assert int(numero(2027).digitos[5:11]) == 1  # a new year starts again
    assert int(numero(2026).digitos[5:11]) == 5
    assert nup.ler(numero(2027).formatado) is not None


def test_a_process_opened_on_new_year_gets_the_new_years_first_number(engine, provision):
    provision(CRISTALINA, "Cristalina")
    engines = TenantEngines(engine)
    tenant = Tenant(CRISTALINA)
    diretorio = leituras.diretorio(engines.unit_of_work(tenant))
    tipo = next(t for t in diretorio["tipos"].values() if t["nivel_acesso_sugerido"] == "publico")
    ator = Ator("u" * 32, "operador", "f" * 32)
    dados = {"tipo_processo": tipo["id"], "especificacao": "Virada do ano"}
    reveillon = datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC)
    ano_novo = datetime(2032, 1, 1, 0, 0, 1, tzinfo=UTC)
    ultimo = commands.gerar(
        engines.unit_of_work(tenant, REPOSITORIES), ator, diretorio, dados, reveillon
    )
    primeiro = commands.gerar(
        engines.unit_of_work(tenant, REPOSITORIES), ator, diretorio, dados, ano_novo
    )
    assert ultimo["numero"].endswith("/2031-" + ultimo["numero"][-2:])
    assert primeiro["numero"][6:12] == "000001" and "/2032-" in primeiro["numero"]
    with engines.unit_of_work(tenant) as uow:
        anos = uow.session.execute(
            select(processo.c.ano).where(processo.c.id.in_([ultimo["id"], primeiro["id"]]))
        ).scalars()
        assert sorted(anos) == [2031, 2032]


def test_the_effective_level_follows_document_events_once_and_in_order(engine, provision):
    provision(CRISTALINA, "Cristalina")
    engines = TenantEngines(engine)
    tenant = Tenant(CRISTALINA)
    diretorio = leituras.diretorio(engines.unit_of_work(tenant))
    tipo = next(t for t in diretorio["tipos"].values() if t["nivel_acesso_sugerido"] == "publico")
    ator = Ator("u" * 32, "operador", "f" * 32)
    dados = {"tipo_processo": tipo["id"], "especificacao": "Com documentos"}
    pid = commands.gerar(engines.unit_of_work(tenant, REPOSITORIES), ator, diretorio, dados)["id"]

    def evento(n: int, tipo: str, niveis: list[str]) -> dict:
        return {
            "specversion": "1.0",
            "id": f"evento-{pid}-{n}",
            "type": f"documento.{tipo}",
            "source": "/sempapel/documentos",
            "municipio": CRISTALINA,
            "data": {
                "documento": {"id": f"d{n}", "processo_id": pid, "rotulo": f"Doc {n}", "ordem": n},
                "niveis_documentos": niveis,
                "seq": n,
                "usuario_id": ator.usuario_id,
                "usuario": "operador",
                "unidade_id": ator.unidade_id,
                "detalhes": {"motivo": "errado"} if tipo == "cancelado" else {},
            },
        }

    def aplicar(e: dict) -> bool:
        return commands.aplicar_evento_documento(engines.unit_of_work(tenant, REPOSITORIES), e)

    def nivel() -> str:
        leitura = engines.reading(tenant, REPOSITORIES)
        escrita = lambda: engines.unit_of_work(tenant, REPOSITORIES)  # noqa: E731
        return reads.detalhe(leitura, escrita, ator, pid)["nivel_efetivo"]

    um, dois, tres = (
        evento(1, "incluido", ["publico"]),
        evento(2, "incluido", ["publico", "restrito"]),
        evento(3, "cancelado", ["publico"]),
    )
    assert aplicar(um) and nivel() == "publico"
    assert aplicar(dois) and nivel() == "restrito"
    assert not aplicar(dois)  # a duplicate changes nothing
    assert aplicar(tres) and nivel() == "publico"
    historia = reads.andamentos(engines.reading(tenant, REPOSITORIES), ator, pid)
    assert [a["tipo"] for a in historia] == [
        "gerado",
        "documento_incluido",
        "documento_incluido",
        "documento_cancelado",
    ]
    assert historia[2]["detalhes"]["nivel_efetivo"] == {"de": "publico", "para": "restrito"}
    assert historia[3]["detalhes"]["motivo"] == "errado"
    # an older event arriving late (seq 2 < 3) records history but never restores its level
    atrasado = evento(2, "incluido", ["publico", "restrito"])
    atrasado["id"] = "outro-id"
    assert aplicar(atrasado) and nivel() == "publico"
