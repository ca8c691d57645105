"""The municipality's catalog: legal hypotheses, document and process types, the plan.

Rules are plain functions; the default catalog every new municipality starts
with is read from the YAML files in `dados/`, each naming its source.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.chassis.niveis_acesso import checar_hipotese
from services.chassis.tenant_session import UnitOfWork
from services.tenancy.tenant_tables import (
    hipotese_legal,
    plano_item,
    plano_versao,
    tipo_documento,
    tipo_processo,
    unidade,
)

DADOS = Path(__file__).parent / "dados"
APLICACOES = ("interno", "externo", "ambos")
NUMERACOES = ("nenhuma", "sequencial_unidade", "anual_unidade", "anual_municipio")
DESTINACOES = ("eliminacao", "guarda_permanente")
CAMPOS_ITEM = (
    "codigo",
    "descricao",
    "prazo_corrente",
    "prazo_intermediario",
    "destinacao",
    "observacoes",
)


def _id() -> str:
    return uuid.uuid4().hex


def _texto(valor: object, campo: str, maximo: int) -> str:
    if not isinstance(valor, str) or not " ".join(valor.split()):
        raise DadosInvalidos(
            f"{campo} é obrigatório.",
            details={"campos": [{"campo": campo, "mensagem": "campo obrigatório"}]},
        )
    valor = " ".join(valor.split())
    if len(valor) > maximo:
        raise DadosInvalidos(f"{campo} excede {maximo} caracteres.")
    return valor


def _um_de(valor: object, campo: str, opcoes: tuple[str, ...]) -> str:
    if valor not in opcoes:
        raise DadosInvalidos(
            f"{campo} deve ser um de: {', '.join(opcoes)}.", code=f"{campo}_invalido"
        )
    return str(valor)


@functools.cache
def dados_padrao(nome: str) -> dict[str, Any]:
    with (DADOS / f"{nome}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _vazio(conn: Connection) -> bool:
    tabelas = (hipotese_legal, tipo_documento, tipo_processo, plano_versao)
    return all(conn.execute(select(func.count()).select_from(t)).scalar() == 0 for t in tabelas)


def semear(conn: Connection) -> bool:
    """Insert the default catalog into a municipality that has none; True if it did.

    Runs in the caller's transaction, so it lands whole or not at all; a
    municipality that already has a catalog (its own edits included) is left alone.
    """
    if not _vazio(conn):
        return False
    hipoteses = {}
    for h in dados_padrao("hipoteses_legais")["hipoteses"]:
        row = {
            "id": _id(),
            "nome": h["nome"],
            "base_legal": h["base_legal"],
            "permite_restrito": "restrito" in h["niveis"],
            "permite_sigiloso": "sigiloso" in h["niveis"],
            "ativa": True,
        }
        hipoteses[h["nome"]] = row
    conn.execute(hipotese_legal.insert(), list(hipoteses.values()))

    plano = dados_padrao("plano_classificacao")
    versao_id = _id()
    conn.execute(
        plano_versao.insert().values(
            id=versao_id,
            versao=plano["versao"],
            fonte=plano["fonte"][:500],
            publicada_em=datetime.now(UTC),
            vigente=True,
        )
    )
    itens = {}
    for item in plano["itens"]:
        itens[item["codigo"]] = {
            "id": _id(),
            "versao_id": versao_id,
            "codigo": item["codigo"],
            "descricao": item["descricao"],
            "prazo_corrente": item.get("prazo_corrente"),
            "prazo_intermediario": item.get("prazo_intermediario"),
            "destinacao": item.get("destinacao"),
            "observacoes": item.get("observacoes"),
        }
    conn.execute(plano_item.insert(), list(itens.values()))

    conn.execute(
        tipo_documento.insert(),
        [
            {
                "id": _id(),
                "nome": t["nome"],
                "aplicacao": t["aplicacao"],
                "numeracao": t["numeracao"],
                "ativo": True,
            }
            for t in dados_padrao("tipos_documento")["tipos"]
        ],
    )
    tipos = []
    for t in dados_padrao("tipos_processo")["tipos"]:
        hipotese = hipoteses.get(t.get("hipotese_legal") or "")
        checar_hipotese(t["nivel_acesso_sugerido"], hipotese)
        tipos.append(
            {
                "id": _id(),
                "nome": t["nome"],
                "plano_item_id": itens[t["classificacao"]]["id"],
                "nivel_acesso_sugerido": t["nivel_acesso_sugerido"],
                "hipotese_id": hipotese["id"] if hipotese else None,
                "ativo": True,
            }
        )
    conn.execute(tipo_processo.insert(), tipos)
    return True


# Reads, for every user of the municipality.


def _hipotese(row: Any) -> dict[str, Any]:
    niveis = [n for n in ("restrito", "sigiloso") if row._mapping[f"permite_{n}"]]
    return {
        "id": row.id,
        "nome": row.nome,
        "base_legal": row.base_legal,
        "niveis": niveis,
        "ativa": row.ativa,
    }


def hipoteses(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(hipotese_legal).order_by(hipotese_legal.c.nome))
        return [_hipotese(r) for r in rows]


def tipos_documento(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(tipo_documento).order_by(tipo_documento.c.nome))
        return [
            {
                "id": r.id,
                "nome": r.nome,
                "aplicacao": r.aplicacao,
                "numeracao": r.numeracao,
                "ativo": r.ativo,
            }
            for r in rows
        ]


def tipos_processo(uow: UnitOfWork) -> list[dict[str, Any]]:
    query = (
        select(
            tipo_processo.c.id,
            tipo_processo.c.nome,
            tipo_processo.c.nivel_acesso_sugerido,
            tipo_processo.c.ativo,
            plano_item.c.codigo,
            hipotese_legal.c.nome.label("hip"),
        )
        .select_from(tipo_processo)
        .outerjoin(plano_item, plano_item.c.id == tipo_processo.c.plano_item_id)
        .outerjoin(hipotese_legal, hipotese_legal.c.id == tipo_processo.c.hipotese_id)
        .order_by(tipo_processo.c.nome)
    )
    with uow:
        return [
            {
                "id": r.id,
                "nome": r.nome,
                "classificacao": r.codigo,
                "nivel_acesso_sugerido": r.nivel_acesso_sugerido,
                "hipotese_legal": r.hip,
                "ativo": r.ativo,
            }
            for r in uow.session.execute(query)
        ]


def plano_vigente(uow: UnitOfWork) -> dict[str, Any]:
    with uow:
        versao = uow.session.execute(
            select(plano_versao).where(plano_versao.c.vigente.is_(True))
        ).first()
        if versao is None:
            raise NaoEncontrado(
                "O município ainda não tem plano de classificação.", code="plano_inexistente"
            )
        itens = uow.session.execute(
            select(plano_item)
            .where(plano_item.c.versao_id == versao.id)
            .order_by(plano_item.c.codigo)
        )
        return {
            "versao": versao.versao,
            "fonte": versao.fonte,
            "publicada_em": versao.publicada_em.isoformat(),
            "itens": [{k: r._mapping[k] for k in CAMPOS_ITEM} for r in itens],
        }


# Writes, for the municipality's administrators.


def _hipotese_por_nome(uow: UnitOfWork, nome: str | None) -> dict[str, Any] | None:
    if nome is None:
        return None
    row = uow.session.execute(
        select(hipotese_legal).where(
            hipotese_legal.c.nome == nome, hipotese_legal.c.ativa.is_(True)
        )
    ).first()
    if row is None:
        raise NaoEncontrado(
            f"Hipótese legal {nome!r} não encontrada.", code="hipotese_legal_nao_encontrada"
        )
    return dict(row._mapping)


def _nome_livre(uow: UnitOfWork, tabela: Any, nome: str, code: str) -> None:
    if uow.session.execute(select(tabela.c.id).where(tabela.c.nome == nome)).first():
        raise Conflito(f"Já existe {nome!r} neste município.", code=code)


def criar_hipotese(uow: UnitOfWork, nome: str, base_legal: str, niveis: list[str]) -> dict:
    nome = _texto(nome, "nome", 200)
    base_legal = _texto(base_legal, "base_legal", 300)
    if not niveis or any(n not in ("restrito", "sigiloso") for n in niveis):
        raise DadosInvalidos("niveis: informe restrito e/ou sigiloso.", code="niveis_invalidos")
    novo_id = _id()
    with uow:
        _nome_livre(uow, hipotese_legal, nome, "hipotese_legal_duplicada")
        uow.session.execute(
            hipotese_legal.insert().values(
                id=novo_id,
                nome=nome,
                base_legal=base_legal,
                permite_restrito="restrito" in niveis,
                permite_sigiloso="sigiloso" in niveis,
                ativa=True,
            )
        )
        uow.commit()
    return {
        "id": novo_id,
        "nome": nome,
        "base_legal": base_legal,
        "niveis": sorted(set(niveis)),
        "ativa": True,
    }


def criar_tipo_documento(uow: UnitOfWork, nome: str, aplicacao: str, numeracao: str) -> dict:
    nome = _texto(nome, "nome", 200)
    _um_de(aplicacao, "aplicacao", APLICACOES)
    _um_de(numeracao, "numeracao", NUMERACOES)
    novo_id = _id()
    with uow:
        _nome_livre(uow, tipo_documento, nome, "tipo_documento_duplicado")
        uow.session.execute(
            tipo_documento.insert().values(
                id=novo_id, nome=nome, aplicacao=aplicacao, numeracao=numeracao, ativo=True
            )
        )
        uow.commit()
    return {
        "id": novo_id,
        "nome": nome,
        "aplicacao": aplicacao,
        "numeracao": numeracao,
        "ativo": True,
    }


def criar_tipo_processo(
    uow: UnitOfWork,
    nome: str,
    classificacao: str,
    nivel_acesso_sugerido: str,
    hipotese_legal_nome: str | None,
) -> dict:
    nome = _texto(nome, "nome", 200)
    novo_id = _id()
    with uow:
        _nome_livre(uow, tipo_processo, nome, "tipo_processo_duplicado")
        hipotese = _hipotese_por_nome(uow, hipotese_legal_nome)
        checar_hipotese(nivel_acesso_sugerido, hipotese)
        item = uow.session.execute(
            select(plano_item.c.id)
            .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
            .where(plano_versao.c.vigente.is_(True), plano_item.c.codigo == classificacao)
        ).first()
        if item is None:
            raise NaoEncontrado(
                f"Código de classificação {classificacao!r} não existe no plano vigente.",
                code="classificacao_nao_encontrada",
            )
        uow.session.execute(
            tipo_processo.insert().values(
                id=novo_id,
                nome=nome,
                plano_item_id=item.id,
                nivel_acesso_sugerido=nivel_acesso_sugerido,
                hipotese_id=hipotese["id"] if hipotese else None,
                ativo=True,
            )
        )
        uow.commit()
    return {
        "nome": nome,
        "classificacao": classificacao,
        "nivel_acesso_sugerido": nivel_acesso_sugerido,
        "hipotese_legal": hipotese_legal_nome,
        "ativo": True,
    }


# The classification plan: versions are published whole; old ones stay, with whatever
# still points at their items (e-ARQ Brasil: a new version never reclassifies the past).

CODIGO_PATTERN = re.compile(r"\d{3}(\.\d{2}(\.\d{3})?)?")


def validar_itens(itens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every problem of a plan at once, as (index, field, message); parents before children."""
    problemas, vistos, limpos = [], set(), []
    for n, item in enumerate(itens):
        codigo = item.get("codigo")
        if not isinstance(codigo, str) or not CODIGO_PATTERN.fullmatch(codigo):
            problemas.append({"item": n, "campo": "codigo", "mensagem": "código inválido"})
            continue
        if codigo in vistos:
            problemas.append({"item": n, "campo": "codigo", "mensagem": "código repetido"})
        pai = codigo.rpartition(".")[0]
        if pai and pai not in vistos:
            problemas.append(
                {"item": n, "campo": "codigo", "mensagem": f"o código superior {pai} não vem antes"}
            )
        if not isinstance(item.get("descricao"), str) or not item["descricao"].strip():
            problemas.append({"item": n, "campo": "descricao", "mensagem": "campo obrigatório"})
        if item.get("destinacao") not in (None, *DESTINACOES):
            problemas.append({"item": n, "campo": "destinacao", "mensagem": "destinação inválida"})
        vistos.add(codigo)
        limpos.append({k: item.get(k) for k in CAMPOS_ITEM})
    if problemas:
        raise DadosInvalidos(
            f"O plano tem {len(problemas)} problema(s).",
            code="plano_invalido",
            details={"problemas": problemas},
        )
    return limpos


def publicar_versao(uow: UnitOfWork, versao: str, fonte: str, itens: list[dict]) -> dict:
    versao, fonte = _texto(versao, "versao", 30), _texto(fonte, "fonte", 500)
    limpos = validar_itens(itens)
    with uow:
        gravar_versao(uow.session, versao, fonte, limpos)
        uow.commit()
    return {"versao": versao, "itens": len(limpos)}


def gravar_versao(session: Session, versao: str, fonte: str, limpos: list[dict]) -> None:
    """Make `limpos` (validated items) the current version, in the caller's transaction."""
    existe = session.execute(select(plano_versao.c.id).where(plano_versao.c.versao == versao))
    if existe.first():
        raise Conflito(f"A versão {versao} já foi publicada.", code="versao_duplicada")
    session.execute(plano_versao.update().values(vigente=False))
    versao_id = _id()
    session.execute(
        plano_versao.insert().values(
            id=versao_id,
            versao=versao,
            fonte=fonte,
            publicada_em=datetime.now(UTC),
            vigente=True,
        )
    )
    session.execute(
        plano_item.insert(), [{"id": _id(), "versao_id": versao_id, **item} for item in limpos]
    )


def versoes(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(plano_versao).order_by(plano_versao.c.publicada_em))
        return [
            {
                "versao": r.versao,
                "fonte": r.fonte,
                "publicada_em": r.publicada_em.isoformat(),
                "vigente": r.vigente,
            }
            for r in rows
        ]


def excluir_item(uow: UnitOfWork, codigo: str) -> None:
    """Delete a code of the current version; refused while anything uses it (e-ARQ 1.1.9)."""
    with uow:
        item = uow.session.execute(
            select(plano_item.c.id)
            .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
            .where(plano_versao.c.vigente.is_(True), plano_item.c.codigo == codigo)
            .with_for_update()
        ).first()
        if item is None:
            raise NaoEncontrado(
                f"Código {codigo!r} não existe no plano vigente.",
                code="classificacao_nao_encontrada",
            )
        em_uso = uow.session.execute(
            select(func.count())
            .select_from(tipo_processo)
            .where(tipo_processo.c.plano_item_id == item.id)
        ).scalar()
        filhos = uow.session.execute(
            select(func.count())
            .select_from(plano_item)
            .where(
                plano_item.c.versao_id
                == select(plano_item.c.versao_id)
                .where(plano_item.c.id == item.id)
                .scalar_subquery(),
                plano_item.c.codigo.like(f"{codigo}.%"),
            )
        ).scalar()
        if em_uso or filhos:
            raise Conflito(
                f"O código {codigo} está em uso e não pode ser excluído.", code="codigo_em_uso"
            )
        uow.session.execute(plano_item.delete().where(plano_item.c.id == item.id))
        uow.commit()


# Changing and deactivating entries (nothing in the catalog is ever deleted but plan codes).

_TABELAS = {
    "hipoteses_legais": hipotese_legal,
    "tipos_documento": tipo_documento,
    "tipos_processo": tipo_processo,
}


def _tabela(qual: str) -> Any:
    if qual not in _TABELAS:
        raise DadosInvalidos(f"Catálogo desconhecido: {qual}.")
    return _TABELAS[qual]


def _linha(uow: UnitOfWork, qual: str, id_: str) -> Any:
    tabela = _tabela(qual)
    row = uow.session.execute(select(tabela).where(tabela.c.id == id_).with_for_update()).first()
    if row is None:
        raise NaoEncontrado("Item do catálogo não encontrado.", code="item_nao_encontrado")
    return row


def alterar(uow: UnitOfWork, qual: str, id_: str, mudancas: dict[str, Any]) -> None:
    """Apply `mudancas` (only what changes) to one entry, with the same rules as creation."""
    tabela = _tabela(qual)
    with uow:
        atual = dict(_linha(uow, qual, id_)._mapping)
        valores: dict[str, Any] = {}
        if "nome" in mudancas:
            valores["nome"] = _texto(mudancas["nome"], "nome", 200)
            if valores["nome"] != atual["nome"]:
                _nome_livre(uow, tabela, valores["nome"], "nome_duplicado")
        if qual == "hipoteses_legais":
            if "base_legal" in mudancas:
                valores["base_legal"] = _texto(mudancas["base_legal"], "base_legal", 300)
            if "niveis" in mudancas:
                niveis = mudancas["niveis"] or []
                if not niveis or any(n not in ("restrito", "sigiloso") for n in niveis):
                    raise DadosInvalidos(
                        "niveis: informe restrito e/ou sigiloso.", code="niveis_invalidos"
                    )
                valores["permite_restrito"] = "restrito" in niveis
                valores["permite_sigiloso"] = "sigiloso" in niveis
        elif qual == "tipos_documento":
            for campo, opcoes in (("aplicacao", APLICACOES), ("numeracao", NUMERACOES)):
                if campo in mudancas:
                    valores[campo] = _um_de(mudancas[campo], campo, opcoes)
        else:
            nivel = mudancas.get("nivel_acesso_sugerido", atual["nivel_acesso_sugerido"])
            if "hipotese_legal" in mudancas:
                hipotese = _hipotese_por_nome(uow, mudancas["hipotese_legal"])
            elif atual["hipotese_id"]:
                hipotese = dict(_linha(uow, "hipoteses_legais", atual["hipotese_id"])._mapping)
            else:
                hipotese = None
            checar_hipotese(nivel, hipotese)
            valores["nivel_acesso_sugerido"] = nivel
            valores["hipotese_id"] = hipotese["id"] if hipotese else None
        if valores:
            uow.session.execute(tabela.update().where(tabela.c.id == id_).values(**valores))
            uow.commit()


def desativar(uow: UnitOfWork, qual: str, id_: str) -> None:
    tabela = _tabela(qual)
    with uow:
        _linha(uow, qual, id_)
        if qual == "hipoteses_legais":
            usada = uow.session.execute(
                select(func.count())
                .select_from(tipo_processo)
                .where(tipo_processo.c.hipotese_id == id_, tipo_processo.c.ativo.is_(True))
            ).scalar()
            if usada:
                raise Conflito(
                    "A hipótese legal é sugerida por tipos de processo ativos.",
                    code="hipotese_legal_em_uso",
                )
        coluna = "ativa" if qual == "hipoteses_legais" else "ativo"
        uow.session.execute(tabela.update().where(tabela.c.id == id_).values({coluna: False}))
        uow.commit()


def diretorio(uow: UnitOfWork) -> dict[str, Any]:
    """What processos and documentos need, in one read: units, types, hypotheses, codes."""
    with uow:
        s = uow.session
        hipoteses = {r.nome: _hipotese_completa(r) for r in s.execute(select(hipotese_legal))}
        por_id = {h["id"]: h["nome"] for h in hipoteses.values()}
        codigos = dict(
            s.execute(
                select(plano_item.c.codigo, plano_item.c.id)
                .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
                .where(plano_versao.c.vigente.is_(True))
            ).all()
        )
        itens = dict(
            s.execute(
                select(plano_item.c.id, plano_item.c.codigo).where(
                    plano_item.c.id.in_(select(tipo_processo.c.plano_item_id))
                )
            ).all()
        )
        tipos = {
            r.id: {
                "id": r.id,
                "nome": r.nome,
                "classificacao": itens.get(r.plano_item_id),
                "nivel_acesso_sugerido": r.nivel_acesso_sugerido,
                "hipotese_legal": por_id.get(r.hipotese_id),
                "ativo": r.ativo,
            }
            for r in s.execute(select(tipo_processo))
        }
        unidades = {
            r.id: {"id": r.id, "sigla": r.sigla, "nome": r.nome, "ativa": r.ativa}
            for r in s.execute(
                select(unidade.c.id, unidade.c.sigla, unidade.c.nome, unidade.c.ativa)
            )
        }
        tipos_documento = {
            r.id: {
                "id": r.id,
                "nome": r.nome,
                "aplicacao": r.aplicacao,
                "numeracao": r.numeracao,
                "ativo": r.ativo,
            }
            for r in s.execute(select(tipo_documento))
        }
        guarda = s.scalars(
            select(plano_item.c.id).where(plano_item.c.destinacao == "guarda_permanente")
        )
        return {
            "unidades": unidades,
            "tipos": tipos,
            "tipos_documento": tipos_documento,
            # Plan items (of every version) whose documents are kept forever.
            "guarda_permanente": sorted(guarda),
            "hipoteses": hipoteses,
            "classificacoes": codigos,
        }


def _hipotese_completa(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "nome": row.nome,
        "permite_restrito": row.permite_restrito,
        "permite_sigiloso": row.permite_sigiloso,
        "ativa": row.ativa,
    }


def ler(uow: UnitOfWork, qual: str) -> Any:
    """One catalog, by the name the API uses for it (with _ for -)."""
    leitores = {
        "hipoteses_legais": hipoteses,
        "tipos_documento": tipos_documento,
        "tipos_processo": tipos_processo,
        "plano_classificacao": plano_vigente,
        "plano_versoes": versoes,
    }
    if qual not in leitores:
        raise DadosInvalidos(f"Catálogo desconhecido: {qual}.")
    return leitores[qual](uow)
