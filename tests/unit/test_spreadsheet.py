"""Reading onboarding spreadsheets: headers, cells, CSV dialects, hostile files; codes."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from services.auth.domain import ativacao
from services.chassis.errors import DadosInvalidos, SemPapelError
from services.chassis.spreadsheet import (
    MAX_UNCOMPRESSED_BYTES,
    Column,
    SheetSpec,
    read_files,
    write_csv,
)

SPEC = SheetSpec(
    title="Plano de classificação",
    csv_names=("plano",),
    columns=(
        Column("codigo", "Código", required=True),
        Column("descricao", "Descrição", required=True),
        Column("obs", "Observações"),
    ),
)


def book(title: str, rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_headers_match_without_case_or_accents_and_cells_become_text():
    data = book(
        "PLANO DE CLASSIFICACAO",
        [
            ["codigo", "DESCRICAO"],
            [1, "  Organização   administrativa "],
            [None, None],  # empty rows are skipped, numbering is kept
            ["001.01", True],
        ],
    )
    rows, problems = read_files([("p.xlsx", data)], [SPEC])
    assert problems == []
    got = rows["Plano de classificação"]
    assert [(r.number, r.values) for r in got] == [
        (2, {"codigo": "1", "descricao": "Organização administrativa"}),
        (4, {"codigo": "001.01", "descricao": "sim"}),
    ]
    assert got[0].get("obs") is None  # the column is absent, not empty


def test_unknown_sheets_columns_and_missing_required_columns_are_all_reported():
    wb = openpyxl.Workbook()
    wb.active.title = "Leia-me"  # the template's read-me sheet is ignored
    wb.create_sheet("Plano").append(["Código", "Cor favorita", "Código"])
    wb.create_sheet("Orçamento").append(["x"])
    out = io.BytesIO()
    wb.save(out)
    _, problems = read_files([("p.xlsx", out.getvalue())], [SPEC])
    assert {(p.aba, p.linha, p.coluna, p.codigo) for p in problems} == {
        ("Plano de classificação", 1, "Cor favorita", "coluna_desconhecida"),
        ("Plano de classificação", 1, "Código", "coluna_repetida"),
        ("Plano de classificação", 1, "Descrição", "coluna_ausente"),
        ("Orçamento", None, None, "aba_desconhecida"),
    }


@pytest.mark.parametrize(
    ("raw", "delimiter"),
    [
        ("Código;Descrição\r\n001;Organização\r\n".encode("cp1252"), ";"),
        ("\ufeffCódigo,Descrição\n001,Organização\n".encode(), ","),
        ("Código\tDescrição\n001\tOrganização\n".encode(), "\t"),
    ],
)
def test_csv_in_the_encodings_and_separators_spreadsheets_write(raw, delimiter):
    rows, problems = read_files([("Plano.csv", raw)], [SPEC])
    assert problems == []
    assert rows["Plano de classificação"][0].values == {
        "codigo": "001",
        "descricao": "Organização",
    }


def test_written_csv_reads_back():
    data = write_csv(SPEC, [["001", "Organização; administração", "nota"]])
    rows, problems = read_files([("plano.csv", data)], [SPEC])
    assert problems == []
    assert rows["Plano de classificação"][0].values["descricao"] == "Organização; administração"


def test_files_that_are_not_spreadsheets_are_problems_not_crashes():
    for data in (b"PK\x03\x04garbage", b"PK\x03\x04" + bytes(range(256)) * 10):
        _, problems = read_files([("x.xlsx", data)], [SPEC])
        assert [p.codigo for p in problems] == ["arquivo_invalido"]
    # a real zip that is not a workbook
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "oi")
    _, problems = read_files([("x.xlsx", out.getvalue())], [SPEC])
    assert [p.codigo for p in problems] == ["arquivo_invalido"]


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
                f.write(chunk)
    assert len(out.getvalue()) < 1024 * 1024  # small on the wire
    _, problems = read_files([("bomb.xlsx", out.getvalue())], [SPEC])
    assert [p.codigo for p in problems] == ["arquivo_grande_demais"]


def test_one_workbook_or_csv_files_not_both():
    data = book("Plano", [["Código", "Descrição"]])
    _, problems = read_files([("a.xlsx", data), ("plano.csv", b"x")], [SPEC])
    assert [p.codigo for p in problems] == ["arquivos_misturados"]
    _, problems = read_files([], [SPEC])
    assert [p.codigo for p in problems] == ["arquivo_ausente"]


def test_problem_details_keep_their_types_across_rpc_serialization():
    from nameko.exceptions import deserialize, serialize

    error = DadosInvalidos(
        "x", code="planilha_invalida", details={"problemas": [{"linha": 7, "aba": None}]}
    )
    back = deserialize(serialize(error))
    assert isinstance(back, SemPapelError)
    assert back.details == {"problemas": [{"linha": 7, "aba": None}]}


def test_activation_codes_are_random_typo_tolerant_and_expire():
    codes = {ativacao.novo_codigo() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert len(code) == 14 and code.count("-") == 2
    stored = ativacao.resumo(code)
    now = datetime.now(UTC)
    later = now + timedelta(days=1)
    assert ativacao.confere(code, stored, later, now)
    assert ativacao.confere(code.lower().replace("-", " "), stored, later, now)
    loose = code.replace("1", "I").replace("0", "O")
    assert ativacao.confere(loose, stored, later, now)
    assert not ativacao.confere(code, stored, now, now)  # expired
    assert not ativacao.confere(code, None, later, now)
    assert not ativacao.confere("0000-0000-0000", stored, later, now)
