"""The onboarding spreadsheet through the gateway and the operator command.

Everything is checked against the database itself: a refused import must leave
every table of the municipality exactly as it was.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import MetaData, select, text

from services.gateway.settings import GatewaySettings

MORRINHOS, NIQUELANDIA = "5213806", "5214606"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = (
    "unidade",
    "unidade_versao",
    "usuario",
    "permissao",
    "tipo_processo",
    "tipo_documento",
    "plano_versao",
    "plano_item",
    "hipotese_legal",
)


@pytest.fixture(scope="module")
def tokens(platform, provision, create_user, bearer):
    provision(MORRINHOS, "Morrinhos")
    provision(NIQUELANDIA, "Niquelândia")
    create_user(MORRINHOS, "adm_planilha", "senha-do-admin", administrador=True)
    create_user(MORRINHOS, "basico_planilha", "senha-do-basico")
    create_user(NIQUELANDIA, "adm_planilha", "senha-de-niquelandia", administrador=True)
    return {
        "admin": bearer(MORRINHOS, "adm_planilha", "senha-do-admin"),
        "basico": bearer(MORRINHOS, "basico_planilha", "senha-do-basico"),
        "niquelandia": bearer(NIQUELANDIA, "adm_planilha", "senha-de-niquelandia"),
    }


def snapshot(engine, ibge: str) -> dict[str, list[tuple]]:
    """Every row of the municipality's onboarding tables, sorted: equal means unchanged."""
    metadata = MetaData(schema=f"mun_{ibge}")
    metadata.reflect(engine, only=TABLES)
    with engine.connect() as conn:
        return {
            name: sorted((tuple(map(str, row)) for row in conn.execute(select(table))), key=str)
            for name, table in ((t.name, t) for t in metadata.sorted_tables)
        }


def workbook(**sheets: list[list]) -> bytes:
    """The project's own template with rows filled in, as a city hall would."""
    from services.tenancy.handlers import importacao

    book = openpyxl.load_workbook(io.BytesIO(importacao.modelo()))
    titles = {
        "unidades": "Unidades",
        "usuarios": "Usuários",
        "tipos_processo": "Tipos de processo",
        "tipos_documento": "Tipos de documento",
        "plano": "Plano de classificação",
    }
    for key, rows in sheets.items():
        sheet = book[titles[key]]
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


UNIDADES = [
    ["GAB", "Gabinete do Prefeito", "", "não", "não"],
    ["SEMAD", "Secretaria Municipal de Administração", "GAB", "", ""],
    ["PROT", "Protocolo Geral", "SEMAD", "sim", "não"],
    ["ARQ", "Arquivo Geral", "SEMAD", "não", "sim"],
    ["SMS", "Secretaria Municipal de Saúde", "GAB"],
]
USUARIOS = [
    ["ana.souza", "Ana Souza", "SEMAD", "administrador"],
    ["ana.souza", "Ana Souza", "PROT", "básico"],
    ["bruno", "Bruno Lima", "SMS", ""],
]
TIPOS_PROCESSO = [
    ["Licença para construir", "001.01", "público", ""],
    ["Processo disciplinar", "001.03", "restrito", "Informação Pessoal"],
]
TIPOS_DOCUMENTO = [["Certidão de obra", "externo", "nenhuma"], ["Ofício", "", ""]]
PLANO = [["001.03.901", "Acompanhamento de obras", "5 anos", "5 anos", "eliminação", ""]]


def correct_file() -> bytes:
    return workbook(
        unidades=UNIDADES,
        usuarios=USUARIOS,
        tipos_processo=TIPOS_PROCESSO,
        tipos_documento=TIPOS_DOCUMENTO,
        plano=PLANO,
    )


def upload(platform, headers, files, simular=False):
    return requests.post(
        f"{platform.url}/api/v1/admin/planilha",
        params={"simular": "sim"} if simular else None,
        headers=headers,
        files=files,
        timeout=120,
    )


def xlsx(data: bytes) -> dict:
    return {"arquivo": ("planilha.xlsx", data, XLSX)}


def test_three_errors_reported_then_corrected_then_reimported_unchanged(
    platform, engine, tokens, login
):
    before = snapshot(engine, MORRINHOS)
    broken = workbook(
        unidades=[*UNIDADES, ["DEFESA", "Defesa Civil", "SEMSEG"]],  # parent does not exist
        usuarios=[*USUARIOS, ["carla", "Carla", "SEMAD", "chefe"]],  # unknown profile
        tipos_processo=[*TIPOS_PROCESSO, ["Alvará", "999.99", "público"]],  # unknown code
        tipos_documento=TIPOS_DOCUMENTO,
        plano=PLANO,
    )
    answer = upload(platform, tokens["admin"], xlsx(broken))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "planilha_invalida"
    found = {(p["aba"], p["linha"], p["coluna"], p["codigo"]) for p in error["problemas"]}
    assert found == {
        ("Unidades", 7, "Unidade superior", "unidade_pai_inexistente"),
        ("Usuários", 5, "Perfil", "perfil_invalido"),
        ("Tipos de processo", 4, "Classificação", "classificacao_nao_encontrada"),
    }
    assert all(p["mensagem"] for p in error["problemas"])
    assert snapshot(engine, MORRINHOS) == before

    answer = upload(platform, tokens["admin"], xlsx(correct_file()))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["resumo"]["Unidades"] == {"criar": 5, "alterar": 0, "sem_mudanca": 0}
    assert report["resumo"]["Usuários"] == {"criar": 3, "alterar": 0, "sem_mudanca": 0}
    assert report["resumo"]["Tipos de processo"]["criar"] == 2
    # Ofício exists already; its empty cells keep what it has.
    assert report["resumo"]["Tipos de documento"] == {"criar": 1, "alterar": 0, "sem_mudanca": 1}
    assert report["resumo"]["Plano de classificação"] == {
        "criar": 1,
        "alterar": 0,
        "sem_mudanca": 0,
    }
    assert report["plano_versao_publicada"].startswith("planilha-")
    codigos = {c["usuario"]: c["codigo"] for c in report["codigos_ativacao"]}
    assert set(codigos) == {"ana.souza", "bruno"}
    after = snapshot(engine, MORRINHOS)
    assert after != before

    tree = requests.get(
        f"{platform.url}/api/v1/unidades", headers=tokens["basico"], timeout=30
    ).json()
    gab = next(u for u in tree if u["sigla"] == "GAB")
    semad = next(u for u in gab["subunidades"] if u["sigla"] == "SEMAD")
    assert [u["sigla"] for u in semad["subunidades"]] == ["ARQ", "PROT"]
    prot = next(u for u in semad["subunidades"] if u["sigla"] == "PROT")
    assert prot["protocolo"] and not prot["arquivo"]
    tipos = {
        t["nome"]: t
        for t in requests.get(
            f"{platform.url}/api/v1/tipos-processo", headers=tokens["basico"], timeout=30
        ).json()
    }
    assert tipos["Processo disciplinar"]["hipotese_legal"] == "Informação Pessoal"
    assert tipos["Licença para construir"]["classificacao"] == "001.01"

    # Imported accounts have no password until activated.
    assert login(MORRINHOS, "ana.souza", "qualquer-senha").status_code == 401

    again = upload(platform, tokens["admin"], xlsx(correct_file()))
    assert again.status_code == 200, again.text
    assert again.json()["alteracoes"] == []
    assert again.json()["codigos_ativacao"] == []
    assert all(n["criar"] == n["alterar"] == 0 for n in again.json()["resumo"].values())
    assert snapshot(engine, MORRINHOS) == after


def test_activation_code_is_single_use_and_gives_a_token(platform, tokens, login):
    sheet = workbook(usuarios=[["diego", "Diego Alves", "SMS", "básico"]])
    sheet_units = workbook(unidades=[["SMS", "Secretaria Municipal de Saúde", "GAB"]])
    # SMS may not exist yet when this test runs alone: import it first (idempotent).
    assert upload(platform, tokens["admin"], xlsx(correct_file())).status_code == 200
    assert upload(platform, tokens["admin"], xlsx(sheet_units)).status_code == 200
    report = upload(platform, tokens["admin"], xlsx(sheet)).json()
    codigo = report["codigos_ativacao"][0]["codigo"]

    def activate(code, senha="senha-nova-do-diego"):
        return requests.post(
            f"{platform.url}/api/v1/auth/ativacao",
            json={"municipio": MORRINHOS, "usuario": "diego", "codigo": code, "senha": senha},
            timeout=30,
        )

    wrong = activate("AAAA-BBBB-CCCC")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "ativacao_invalida"
    short = activate(codigo, senha="curta")
    assert short.status_code == 422
    done = activate(codigo.lower().replace("-", " "))  # typed loosely: still the code
    assert done.status_code == 200, done.text
    me = requests.get(
        f"{platform.url}/api/v1/me",
        headers={"Authorization": f"Bearer {done.json()['access_token']}"},
        timeout=30,
    ).json()
    assert me["usuario"] == "diego" and me["unidade"] == "SMS"
    assert activate(codigo).status_code == 401  # used once
    assert login(MORRINHOS, "diego", "senha-nova-do-diego").status_code == 200

    # The administrator can issue a new code only for accounts still without a password,
    again = requests.post(
        f"{platform.url}/api/v1/usuarios/diego/codigo-ativacao",
        headers=tokens["admin"],
        timeout=30,
    )
    assert again.status_code == 409
    # and set anyone's password.
    reset = requests.put(
        f"{platform.url}/api/v1/usuarios/diego/senha",
        headers=tokens["admin"],
        json={"senha": "senha-definida-pelo-admin"},
        timeout=30,
    )
    assert reset.status_code == 204, reset.text
    assert login(MORRINHOS, "diego", "senha-definida-pelo-admin").status_code == 200
    assert login(MORRINHOS, "diego", "senha-nova-do-diego").status_code == 401


def test_admin_sets_password_of_an_imported_account_and_old_code_dies(platform, tokens, login):
    assert upload(platform, tokens["admin"], xlsx(correct_file())).status_code == 200
    report = upload(
        platform, tokens["admin"], xlsx(workbook(usuarios=[["elisa", "Elisa", "SMS"]]))
    ).json()
    old = report["codigos_ativacao"][0]["codigo"]
    fresh = requests.post(
        f"{platform.url}/api/v1/usuarios/elisa/codigo-ativacao", headers=tokens["admin"], timeout=30
    )
    assert fresh.status_code == 200 and fresh.json()["codigo"] != old
    forbidden = requests.post(
        f"{platform.url}/api/v1/usuarios/elisa/codigo-ativacao",
        headers=tokens["basico"],
        timeout=30,
    )
    assert forbidden.status_code == 403
    body = {"municipio": MORRINHOS, "usuario": "elisa", "codigo": old, "senha": "senha-da-elisa"}
    assert (
        requests.post(f"{platform.url}/api/v1/auth/ativacao", json=body, timeout=30).status_code
        == 401
    )
    reset = requests.put(
        f"{platform.url}/api/v1/usuarios/elisa/senha",
        headers=tokens["admin"],
        json={"senha": "senha-dada-pelo-admin"},
        timeout=30,
    )
    assert reset.status_code == 204
    assert login(MORRINHOS, "elisa", "senha-dada-pelo-admin").status_code == 200
    body["codigo"] = fresh.json()["codigo"]
    assert (
        requests.post(f"{platform.url}/api/v1/auth/ativacao", json=body, timeout=30).status_code
        == 401
    )


def test_dry_run_shows_changes_and_writes_nothing(platform, engine, tokens):
    assert upload(platform, tokens["admin"], xlsx(correct_file())).status_code == 200
    before = snapshot(engine, MORRINHOS)
    changed = workbook(
        unidades=[
            ["SMS", "Secretaria Municipal de Saúde e Saneamento", "SEMAD"],
            ["CAPS", "Centro de Atenção Psicossocial", "SMS"],
        ],
        usuarios=[["bruno", "Bruno Lima", "SMS", "administrador"]],
    )
    answer = upload(platform, tokens["admin"], xlsx(changed), simular=True)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["simulacao"] is True and report["codigos_ativacao"] == []
    changes = {(c["aba"], c["chave"], c["acao"], tuple(c["campos"])) for c in report["alteracoes"]}
    assert changes == {
        ("Unidades", "SMS", "alterar", ("Nome", "Unidade superior")),
        ("Unidades", "CAPS", "criar", ()),
        ("Usuários", "bruno em SMS", "alterar", ("Perfil",)),
    }
    assert snapshot(engine, MORRINHOS) == before


def test_a_cycle_inside_the_sheet_is_reported_on_its_rows(platform, engine, tokens):
    before = snapshot(engine, MORRINHOS)
    cycle = workbook(
        unidades=[["CICLO1", "Um", "CICLO2"], ["CICLO2", "Dois", "CICLO1"], ["OK1", "Ok", ""]]
    )
    answer = upload(platform, tokens["admin"], xlsx(cycle))
    assert answer.status_code == 422
    problems = answer.json()["error"]["problemas"]
    assert {(p["linha"], p["codigo"]) for p in problems} == {
        (2, "ciclo_na_hierarquia"),
        (3, "ciclo_na_hierarquia"),
    }
    assert snapshot(engine, MORRINHOS) == before


def test_csv_files_per_sheet_in_excel_encoding(platform, engine, tokens):
    unidades = (
        "Sigla;Nome;Unidade superior\r\nOBRAS;Secretaria de Obras;\r\nFISC;Fiscalização;OBRAS\r\n"
    )
    usuarios = "Login;Nome;Unidade;Perfil\r\nfabio;Fábio Gonçalves;FISC;Básico\r\n"
    files = [
        ("arquivo", ("unidades.csv", unidades.encode("cp1252"), "text/csv")),
        ("arquivo", ("Usuários.csv", ("\ufeff" + usuarios).encode("utf-8"), "text/csv")),
    ]
    answer = upload(platform, tokens["niquelandia"], files)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["resumo"]["Unidades"]["criar"] == 2
    assert report["codigos_ativacao"][0]["nome"] == "Fábio Gonçalves"
    with engine.connect() as conn:
        nome = conn.execute(
            text(f"SELECT nome FROM mun_{NIQUELANDIA}.unidade WHERE sigla = 'FISC'")
        ).scalar()
    assert nome == "Fiscalização"


def test_only_administrators_of_the_municipality_import(platform, engine, tokens):
    before = {ibge: snapshot(engine, ibge) for ibge in (MORRINHOS, NIQUELANDIA)}
    forbidden = upload(platform, tokens["basico"], xlsx(correct_file()))
    assert forbidden.status_code == 403
    anonymous = upload(platform, {}, xlsx(correct_file()))
    assert anonymous.status_code == 401
    # Niquelândia's administrator imports into Niquelândia only, whatever the file says.
    assert upload(platform, tokens["niquelandia"], xlsx(correct_file())).status_code == 200
    assert snapshot(engine, MORRINHOS) == before[MORRINHOS]
    assert snapshot(engine, NIQUELANDIA) != before[NIQUELANDIA]


def test_bad_uploads_are_refused_clearly(platform, settings, tokens):
    as_json = requests.post(
        f"{platform.url}/api/v1/admin/planilha", headers=tokens["admin"], json={}, timeout=30
    )
    assert as_json.status_code == 415
    garbage = upload(platform, tokens["admin"], xlsx(b"PK\x03\x04 not really a zip"))
    assert garbage.status_code == 422
    assert garbage.json()["error"]["problemas"][0]["codigo"] == "arquivo_invalido"
    unknown = upload(platform, tokens["admin"], {"a": ("relatorio.csv", b"x;y\r\n1;2\r\n")})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["problemas"][0]["codigo"] == "aba_desconhecida"
    nothing = upload(platform, tokens["admin"], {"campo": ("", b"")})
    assert nothing.status_code == 422
    too_big = upload(
        platform,
        tokens["admin"],
        xlsx(b"PK\x03\x04" + b"\0" * (GatewaySettings.from_env().spreadsheet_max_bytes + 1)),
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "corpo_muito_grande"


def test_template_downloads_with_every_sheet(platform, tokens):
    answer = requests.get(
        f"{platform.url}/api/v1/admin/planilha/modelo", headers=tokens["basico"], timeout=30
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(XLSX)
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [
        "Leia-me",
        "Unidades",
        "Usuários",
        "Tipos de processo",
        "Tipos de documento",
        "Plano de classificação",
    ]
    assert [c.value for c in book["Usuários"][1]] == ["Login", "Nome", "Unidade", "Perfil"]


def test_operator_command_imports_and_simulates(tmp_path, engine, tokens):
    from services.operador.cli import main

    path = tmp_path / "planilha.xlsx"
    path.write_bytes(workbook(unidades=[["CLI", "Unidade criada pelo operador", ""]]))
    runner = CliRunner()
    before = snapshot(engine, MORRINHOS)
    simulated = runner.invoke(
        main, ["planilha", "importar", "--municipio", MORRINHOS, "--simular", str(path)]
    )
    assert simulated.exit_code == 0, simulated.output
    assert "simulação" in simulated.output
    assert snapshot(engine, MORRINHOS) == before
    done = runner.invoke(main, ["planilha", "importar", "--municipio", MORRINHOS, str(path)])
    assert done.exit_code == 0, done.output
    assert "criar      1" in done.output

    bad = tmp_path / "unidades.csv"
    bad.write_text("Sigla;Nome\r\nok;\r\n", encoding="utf-8")
    refused = runner.invoke(main, ["planilha", "importar", "--municipio", MORRINHOS, str(bad)])
    assert refused.exit_code == 2
    assert "Unidades / 2 / Nome" in refused.output

    model = tmp_path / "modelo.xlsx"
    assert runner.invoke(main, ["planilha", "modelo", str(model)]).exit_code == 0
    assert "Unidades" in openpyxl.load_workbook(model).sheetnames
