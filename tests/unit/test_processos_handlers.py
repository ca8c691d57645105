"""processos' handlers with an in-memory repository and unit of work: no database, no broker.

The fake keeps what `salvar` would write (the state, and each fact as a history entry),
and commits only when the handler says so, so these tests show that a handler loads,
calls one domain method, saves and commits, and that a refusal leaves nothing behind.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from services.chassis.ator import Ator
from services.chassis.errors import Conflito, NaoEncontrado
from services.chassis.event_consumer import EventoInvalido
from services.processos import domain, nup
from services.processos.domain import ABERTO, FECHADO, NAO_RECEBIDO, Processo, Usuario
from services.processos.handlers import commands, reads
from services.processos.repository import Arredores

ANA = Ator("ana", "ana", "A")
BIA = Ator("bia", "bia", "B")
DIRETORIO = {
    "tipos": {
        "t1": {
            "id": "t1",
            "nome": "Licitação",
            "ativo": True,
            "classificacao": "010",
            "nivel_acesso_sugerido": "publico",
            "hipotese_legal": None,
        }
    },
    "classificacoes": {"010": "item-010"},
    "hipoteses": {},
}


class FakeProcessoRepository:
    def __init__(self) -> None:
        self.salvos: dict[str, Processo] = {}
        self.historia: dict[str, list[domain.Evento]] = {}
        self.recebidos: set[str] = set()
        self.sequencia = 0
        self.numeracao_atual = nup.Numeracao("nup", "08004")

    # finding
    def resolver(self, referencia: str) -> str:
        if referencia in self.salvos:
            return referencia
        numero = nup.ler(referencia)
        for p in self.salvos.values():
            if numero is not None and p.numero == numero.digitos:
                return p.id
        raise domain.nao_encontrado()

    def _principal(self, p: Processo) -> Processo | None:
        julgado = p
        while julgado.principal_id is not None:
            julgado = self.salvos[julgado.principal_id]
        return None if julgado is p else julgado

    def para_operar(self, referencia: str, ator: Ator) -> Processo:
        p = copy.deepcopy(self.salvos[self.resolver(referencia)])
        if not p.legivel_por(ator, self._principal(p)):
            raise domain.nao_encontrado()
        return p

    def dois_para_operar(self, a: str, b: str, ator: Ator) -> tuple[Processo, Processo]:
        ida, idb = self.resolver(a), self.resolver(b)
        primeiro = self.para_operar(ida, ator)
        return primeiro, primeiro if ida == idb else self.para_operar(idb, ator)

    def para_ler(self, referencia: str, ator: Ator) -> tuple[Processo, Processo | None]:
        p = self.para_operar(referencia, ator)
        return p, self._principal(p)

    def para_detalhe(self, referencia: str, ator: Ator) -> tuple[Processo, Arredores]:
        p = self.para_operar(referencia, ator)
        p.anexos = [x.id for x in self.salvos.values() if x.principal_id == p.id]
        return p, Arredores([], [], None)

    def para_evento(self, pid: str) -> Processo | None:
        return copy.deepcopy(self.salvos.get(pid))

    def cadeia(self, pid: str) -> list[str]:
        cadeia, atual = [], self.salvos[pid].principal_id
        while atual is not None:
            cadeia.append(atual)
            atual = self.salvos[atual].principal_id
        return cadeia

    # numbering
    def numeracao(self) -> nup.Numeracao:
        return self.numeracao_atual

    def definir_numeracao(self, numeracao: nup.Numeracao) -> None:
        self.numeracao_atual = numeracao

    def proximo_numero(self, numeracao: nup.Numeracao, ano: int) -> nup.Numero:
        self.sequencia += 1
        return nup.gerar(numeracao.formato, numeracao.prefixo, self.sequencia, ano)

    # writing
    def adicionar(self, p: Processo, ator: Ator) -> None:
        self.salvos[p.id] = copy.deepcopy(p)

    def salvar(self, p: Processo, ator: Ator) -> None:
        self.historia.setdefault(p.id, []).extend(p.eventos)
        p.eventos = []
        self.salvos[p.id] = copy.deepcopy(p)

    def registrar_evento_recebido(self, evento_id: str) -> bool:
        if evento_id in self.recebidos:
            return False
        self.recebidos.add(evento_id)
        return True


class FakeUnitOfWork:
    """Commits copy the working state over the committed one; leaving without commit
    drops it (the real unit of work rolls back)."""

    def __init__(self, repo: FakeProcessoRepository) -> None:
        self.committed = repo
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        self.processos = copy.deepcopy(self.committed)
        return self

    def __exit__(self, *exc: object) -> None:
        self.processos = None

    def commit(self) -> None:
        self.committed.__dict__.update(copy.deepcopy(self.processos).__dict__)
        self.commits += 1


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeProcessoRepository())


def aberto(uow: FakeUnitOfWork, ator: Ator = ANA) -> str:
    return commands.gerar(uow, ator, DIRETORIO, {"tipo_processo": "t1", "especificacao": "x"})["id"]


def test_opening_numbers_the_process_and_records_it_in_one_commit(uow):
    feito = commands.gerar(uow, ANA, DIRETORIO, {"tipo_processo": "t1", "especificacao": "x"})
    salvo = uow.committed.salvos[feito["id"]]
    assert feito["numero"] == salvo.numero_formatado and feito["versao"] == 1
    assert salvo.unidades["A"].situacao == ABERTO
    assert uow.committed.historia[feito["id"]] == [domain.ProcessoGerado(feito["numero"])]
    assert uow.commits == 1


def test_a_refused_command_commits_nothing(uow):
    pid = aberto(uow)
    antes = copy.deepcopy(uow.committed.salvos)
    with pytest.raises(Conflito) as refused:
        commands.enviar(uow, ANA, pid, ["A"], False)
    assert refused.value.code == "destino_igual_origem"
    assert uow.committed.salvos == antes and uow.commits == 1


def test_a_process_the_caller_may_not_read_is_not_found_whatever_the_command(uow):
    pid = aberto(uow)
    uow.committed.salvos[pid].nivel_acesso = uow.committed.salvos[pid].nivel_efetivo = "restrito"
    for comando in (commands.concluir, commands.receber, commands.dar_ciencia):
        with pytest.raises(NaoEncontrado):
            comando(uow, BIA, pid)


def test_sending_and_receiving_through_the_handlers(uow):
    pid = aberto(uow)
    assert commands.enviar(uow, ANA, pid, ["B"], False) == {
        "destinos": ["B"],
        "manter_aberto": False,
    }
    commands.receber(uow, BIA, pid)
    salvo = uow.committed.salvos[pid]
    assert (salvo.unidades["A"].situacao, salvo.unidades["B"].situacao) == (FECHADO, ABERTO)
    assert [e.tipo for e in uow.committed.historia[pid]] == ["gerado", "enviado", "recebido"]


def test_annexing_saves_both_processes(uow):
    principal, anexado = aberto(uow), aberto(uow)
    feito = commands.anexar(uow, ANA, principal, anexado, "Mesmo assunto")
    assert feito["anexado"]["id"] == anexado and feito["principal"]["id"] == principal
    assert uow.committed.salvos[anexado].principal_id == principal
    assert uow.committed.historia[principal][-1].anexado.id == anexado
    assert uow.committed.historia[anexado][-1].principal.id == principal


def test_annexing_the_main_process_to_its_annex_is_a_cycle(uow):
    principal, anexado = aberto(uow), aberto(uow)
    commands.anexar(uow, ANA, principal, anexado, "m")
    with pytest.raises(Conflito) as refused:
        commands.anexar(uow, ANA, anexado, principal, "m")
    assert refused.value.code == "anexacao_ciclica"
    commands.desanexar(uow, ANA, principal, anexado, "m")
    assert uow.committed.salvos[anexado].principal_id is None


def test_a_read_lists_the_actions_and_a_destination_unit_receives_on_opening(uow):
    pid = aberto(uow)
    commands.enviar(uow, ANA, pid, ["B"], True)
    lido = reads.detalhe(uow, lambda: uow, BIA, pid)
    assert lido["na_minha_unidade"]["situacao"] == ABERTO  # received by reading it
    assert "receber" not in lido["acoes"] and "enviar" in lido["acoes"]
    assert uow.committed.historia[pid][-1] == domain.ProcessoRecebido()
    assert reads.detalhe(uow, lambda: uow, ANA, pid)["acoes"][0] == "enviar"


def test_documentos_is_told_why_it_may_not_include_a_document(uow):
    pid = aberto(uow)
    commands.enviar(uow, ANA, pid, ["B"], False)
    contexto = reads.contexto_documental(uow, ANA, pid)
    assert contexto["recusas"]["incluir_documento"]["code"] == "processo_nao_aberto_na_unidade"
    assert reads.contexto_documental(uow, BIA, pid)["recusas"]["incluir_documento"] is not None
    commands.receber(uow, BIA, pid)
    assert reads.contexto_documental(uow, BIA, pid)["recusas"] == {
        "incluir_documento": None,
        "cancelar_documento": None,
    }


def test_a_document_event_is_applied_once(uow):
    pid = aberto(uow)
    evento = {
        "id": "e1",
        "type": "documento.incluido",
        "data": {
            "documento": {"id": "d1", "processo_id": pid, "rotulo": "Ofício", "ordem": 1},
            "niveis_documentos": ["restrito"],
            "seq": 1,
            "usuario_id": "ana",
            "usuario": "ana",
            "unidade_id": "A",
        },
    }
    assert commands.aplicar_evento_documento(uow, evento)
    assert not commands.aplicar_evento_documento(uow, evento)
    assert uow.committed.salvos[pid].nivel_efetivo == "restrito"
    assert len(uow.committed.historia[pid]) == 2
    with pytest.raises(EventoInvalido):
        commands.aplicar_evento_documento(uow, {**evento, "id": "e2", "type": "documento.outro"})
    sem_processo = {**evento, "id": "e3"}
    sem_processo["data"] = {**evento["data"], "documento": {"processo_id": "nenhum"}}
    with pytest.raises(EventoInvalido):
        commands.aplicar_evento_documento(uow, sem_processo)


def test_assigning_and_credentials_take_users_that_auth_vouched_for(uow):
    pid = aberto(uow)
    assert commands.atribuir(uow, ANA, pid, Usuario("u1", "caio")) == {"atribuido_a": "u1"}
    assert commands.atribuir(uow, ANA, pid, None) == {"atribuido_a": None}
    with pytest.raises(Conflito) as refused:
        commands.credenciar(uow, ANA, pid, Usuario("u1", "caio"), True)
    assert refused.value.code == "processo_nao_sigiloso"


def test_numbering_changes_apply_to_the_next_process(uow):
    assert commands.definir_numeracao(uow, "nipe", "52080040") == {
        "formato": "nipe",
        "prefixo": "52080040",
    }
    pid = aberto(uow)
    assert len(uow.committed.salvos[pid].numero) == 20
    assert reads.ler_numeracao(uow) == {"formato": "nipe", "prefixo": "52080040"}


def test_an_annexed_process_is_judged_by_its_main_one_in_the_handlers_too(uow):
    principal, anexado = aberto(uow), aberto(uow)
    commands.anexar(uow, ANA, principal, anexado, "m")
    uow.committed.salvos[principal].nivel_efetivo = "restrito"
    with pytest.raises(NaoEncontrado):
        reads.contexto_documental(uow, BIA, anexado)
    assert reads.contexto_documental(uow, ANA, anexado)["recusas"]["incluir_documento"] == {
        "code": "processo_anexado",
        "message": "Processo anexado: inclua no processo principal.",
    }


def test_the_clock_is_real_but_the_states_do_not_depend_on_it(uow):
    pid = aberto(uow)
    commands.enviar(uow, ANA, pid, ["B"], True)
    assert uow.committed.salvos[pid].unidades["B"].situacao == NAO_RECEBIDO
    assert uow.committed.salvos[pid].atualizado_em <= datetime.now(UTC)
