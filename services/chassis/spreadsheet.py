"""Onboarding spreadsheets: an XLSX workbook, or one CSV file per sheet, read into rows.

Generic on purpose: a service describes its sheet with a `SheetSpec` and reviews
and applies its rows through a `SheetImporter` (found by the entry point group
`sempapel.planilha`); this module only reads, writes templates and collects
problems. Reading is bounded so that a hostile upload cannot exhaust memory:
openpyxl's read-only mode streams rows, `defusedxml` (installed) guards its XML
parser, and the workbook's declared uncompressed size, its entry count and the
rows per sheet are limited before and while reading.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Protocol

from sqlalchemy.orm import Session

ENTRY_POINT_GROUP = "sempapel.planilha"
MAX_ROWS_PER_SHEET = 50_000
MAX_COLUMNS = 40
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_PROBLEMS_REPORTED = 1_000
README_SHEET = "Leia-me"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def normalize_name(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a sheet or column name."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed.lower() if c.isalnum())


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool = False
    options: tuple[str, ...] = ()
    width: int = 20
    help: str = ""


@dataclass(frozen=True)
class SheetSpec:
    title: str
    columns: tuple[Column, ...]
    csv_names: tuple[str, ...] = ()
    help: str = ""

    def matches(self, name: str) -> bool:
        wanted = normalize_name(name)
        return wanted in {normalize_name(n) for n in (self.title, *self.csv_names)}

    def column(self, header: str) -> Column | None:
        wanted = normalize_name(header)
        return next((c for c in self.columns if normalize_name(c.title) == wanted), None)


@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it, and its cells by column key.

    Only columns present in the header are in `values`; an empty cell is "".
    """

    number: int
    values: dict[str, str]

    def get(self, key: str) -> str | None:
        return self.values.get(key)


@dataclass(frozen=True)
class Problem:
    aba: str | None
    linha: int | None
    coluna: str | None
    codigo: str
    mensagem: str


@dataclass(frozen=True)
class Change:
    aba: str
    linha: int
    chave: str
    acao: str  # "criar" or "alterar"
    campos: tuple[str, ...] = ()


@dataclass
class Review:
    """What an import would do, sheet by sheet, and every problem found on the way."""

    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: Counter[str] = field(default_factory=Counter)

    def problem(
        self, sheet: SheetSpec, row: Row | None, column: str | None, code: str, message: str
    ) -> None:
        title = next((c.title for c in sheet.columns if c.key == column), column)
        self.problems.append(
            Problem(sheet.title, row.number if row else None, title, code, message)
        )

    def change(
        self, sheet: SheetSpec, row: Row, key: str, action: str, fields: Iterable[str] = ()
    ) -> None:
        titles = {c.key: c.title for c in sheet.columns}
        names = tuple(titles.get(f, f) for f in fields)
        self.changes.append(Change(sheet.title, row.number, key, action, names))

    def summary(self, sheets: Iterable[SheetSpec]) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = {s.title: Counter() for s in sheets}
        for c in self.changes:
            counts.setdefault(c.aba, Counter())[c.acao] += 1
        return {
            title: {
                "criar": n["criar"],
                "alterar": n["alterar"],
                "sem_mudanca": self.unchanged[title],
            }
            for title, n in counts.items()
        }


def problems_body(problems: list[Problem]) -> dict[str, Any]:
    """The error details of a refused import: every problem, up to a sane limit."""
    return {
        "total_problemas": len(problems),
        "problemas": [asdict(p) for p in problems[:MAX_PROBLEMS_REPORTED]],
    }


class SheetImporter(Protocol):
    """One sheet's rules, contributed by the service that owns its data.

    `review` reads the municipality's current state in `session`, reports every
    problem and every change into `review`, and returns whatever `apply` needs.
    `shared` carries what later sheets refer to (by `order`): the key `unidades`
    maps every unit sigla, existing or about to be created, to its id;
    `classificacoes` holds every code of the plan as it will be.
    `apply` writes in the same transaction; it may add entries to `report`.
    """

    sheet: SheetSpec
    order: int

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> Any: ...

    def apply(
        self, session: Session, plan: Any, shared: dict[str, Any], report: dict[str, Any]
    ) -> None: ...


# Reading


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


class _Reading:
    def __init__(self, specs: list[SheetSpec]) -> None:
        self.specs = specs
        self.rows: dict[str, list[Row]] = {}
        self.problems: list[Problem] = []

    def fail(self, sheet: str | None, line: int | None, column: str | None, code: str, msg: str):
        self.problems.append(Problem(sheet, line, column, code, msg))

    def spec_for(self, name: str, source: str) -> SheetSpec | None:
        spec = next((s for s in self.specs if s.matches(name)), None)
        if spec is None:
            known = ", ".join(s.title for s in self.specs)
            self.fail(
                source, None, None, "aba_desconhecida", f"Aba desconhecida; use uma de: {known}."
            )
        elif spec.title in self.rows:
            self.fail(spec.title, None, None, "aba_repetida", "A aba foi enviada mais de uma vez.")
            return None
        return spec

    def read_table(self, spec: SheetSpec, lines: Iterator[tuple[Any, ...]]) -> None:
        header = next(lines, None)
        if header is None:
            self.rows[spec.title] = []
            return
        columns: list[Column | None] = []
        for title in header[:MAX_COLUMNS]:
            text = _cell_text(title)
            column = spec.column(text) if text else None
            if text and column is None:
                self.fail(spec.title, 1, text, "coluna_desconhecida", "Coluna desconhecida.")
            if column is not None and column in columns:
                self.fail(spec.title, 1, text, "coluna_repetida", "Coluna repetida.")
                column = None
            columns.append(column)
        present = {c.key for c in columns if c is not None}
        for column in spec.columns:
            if column.required and column.key not in present:
                self.fail(
                    spec.title, 1, column.title, "coluna_ausente", "Coluna obrigatória ausente."
                )
        rows: list[Row] = []
        for number, values in enumerate(lines, start=2):
            cells = {
                c.key: _cell_text(v) for c, v in zip(columns, values, strict=False) if c is not None
            }
            if not any(cells.values()):
                continue
            if len(rows) >= MAX_ROWS_PER_SHEET:
                self.fail(
                    spec.title,
                    number,
                    None,
                    "linhas_demais",
                    f"A aba passa de {MAX_ROWS_PER_SHEET} linhas; divida a importação.",
                )
                break
            rows.append(Row(number, {key: cells.get(key, "") for key in present}))
        self.rows[spec.title] = rows

    def read_xlsx(self, name: str, data: bytes) -> None:
        import openpyxl  # imported here: only importers need it

        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            entries = archive.infolist()
        except zipfile.BadZipFile:
            self.fail(None, None, None, "arquivo_invalido", f"{name}: não é um arquivo XLSX.")
            return
        if len(entries) > MAX_ZIP_ENTRIES or (
            sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES
        ):
            self.fail(None, None, None, "arquivo_grande_demais", f"{name}: planilha grande demais.")
            return
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any parse failure is the file's problem
            self.fail(
                None, None, None, "arquivo_invalido", f"{name}: não é uma planilha XLSX válida."
            )
            return
        try:
            for sheet in workbook.worksheets:
                if normalize_name(sheet.title) == normalize_name(README_SHEET):
                    continue
                spec = self.spec_for(sheet.title, sheet.title)
                if spec is not None:
                    self.read_table(spec, sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
        except Exception:  # noqa: BLE001 - a corrupt part inside a valid zip
            self.fail(
                None, None, None, "arquivo_invalido", f"{name}: não é uma planilha XLSX válida."
            )
        finally:
            workbook.close()

    def read_csv(self, name: str, data: bytes) -> None:
        spec = self.spec_for(PurePath(name).stem, name)
        if spec is None:
            return
        text = _decode(data)
        first = text.split("\n", 1)[0]
        delimiter = max(";,\t", key=first.count)
        try:
            self.read_table(spec, iter(csv.reader(io.StringIO(text), delimiter=delimiter)))
        except csv.Error:
            self.fail(spec.title, None, None, "arquivo_invalido", f"{name}: CSV malformado.")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which Excel in Portuguese writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_files(
    files: list[tuple[str, bytes]], specs: list[SheetSpec]
) -> tuple[dict[str, list[Row]], list[Problem]]:
    """Rows by sheet title from one XLSX workbook or from CSV files named after their sheets."""
    reading = _Reading(specs)
    if not files:
        reading.fail(None, None, None, "arquivo_ausente", "Envie a planilha.")
    workbooks = [f for f in files if is_xlsx(f[1])]
    if workbooks and len(files) > 1:
        reading.fail(
            None,
            None,
            None,
            "arquivos_misturados",
            "Envie uma planilha XLSX ou arquivos CSV (um por aba), não os dois.",
        )
        return reading.rows, reading.problems
    for name, data in files:
        if is_xlsx(data):
            reading.read_xlsx(name, data)
        else:
            reading.read_csv(name, data)
    return reading.rows, reading.problems


# Writing the template


def write_template(specs: list[SheetSpec], instructions: list[str]) -> bytes:
    """An XLSX with a read-me sheet and one sheet per spec: headers, help, drop-down lists."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    readme = workbook.active
    readme.title = README_SHEET
    readme.column_dimensions["A"].width = 110
    for n, line in enumerate(instructions, start=1):
        readme.cell(row=n, column=1, value=line)
    readme["A1"].font = Font(bold=True, size=13)
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
    for spec in specs:
        sheet = workbook.create_sheet(spec.title)
        sheet.freeze_panes = "A2"
        for n, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(n)
            cell = sheet.cell(row=1, column=n, value=column.title)
            cell.font, cell.fill = bold, fill
            note = column.help + (" (obrigatória)" if column.required else "")
            if note.strip():
                cell.comment = Comment(note.strip(), "Prefeitura sem Papel")
            sheet.column_dimensions[letter].width = column.width
            # Text format keeps codes such as 001.01 and logins like 0123 as typed.
            sheet.column_dimensions[letter].number_format = "@"
            if column.options:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.options) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle=column.title,
                    error="Escolha um valor da lista.",
                )
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}{MAX_ROWS_PER_SHEET + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(spec: SheetSpec, rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet as CSV (UTF-8 with BOM and ';', as Excel in Portuguese opens it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.title for c in spec.columns])
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
