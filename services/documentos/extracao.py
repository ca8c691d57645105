"""Text for search: the pure extraction functions, one per format, bounded against hostile files.

Extraction feeds the search index. It is bounded in every dimension a hostile file
can inflate (text length, zip entry sizes, pages, cells) and fails with one
exception, `TextoIndisponivel`, so the caller can keep the document unindexed. It runs in
the extraction children (`extratores.py`, `extracao_filho.py`), never on the service's
hub, except `texto_de_html` for the editor's documents (fast, bounded by their size).
"""

from __future__ import annotations

import codecs
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from html.parser import HTMLParser
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring as xml_fromstring
from defusedxml.ElementTree import iterparse

from services.documentos.formatos import CONTROLE, UTF8_BOM

_BLOCOS_HTML = frozenset(
    {
        *("p", "div", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol"),
        *("table", "thead", "tbody", "tfoot", "tr", "caption", "blockquote", "pre"),
        *("section", "article", "header", "footer", "nav", "aside", "main", "address"),
        *("dl", "dt", "dd", "figure", "figcaption", "body", "html"),
    }
)
_CELULAS_HTML = frozenset({"td", "th"})
_INVISIVEIS_HTML = frozenset({"script", "style", "template", "title", "noscript", "head"})
_ESPACOS = re.compile(r"\s+")
_QUEBRA = "\n"


class _ExtratorHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.partes: list[str] = []
        self.invisivel = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIVEIS_HTML:
            self.invisivel += 1
        elif tag in _BLOCOS_HTML:
            self.partes.append(_QUEBRA)
            if tag == "pre":
                self.pre += 1
        elif tag in _CELULAS_HTML:
            self.partes.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIVEIS_HTML:
            self.invisivel = max(0, self.invisivel - 1)
        elif tag in _BLOCOS_HTML:
            self.partes.append(_QUEBRA)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _CELULAS_HTML:
            self.partes.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and the like: a void element opens no invisible region.
        if tag in _BLOCOS_HTML:
            self.partes.append(_QUEBRA)
        elif tag in _CELULAS_HTML:
            self.partes.append(" ")

    def handle_data(self, data: str) -> None:
        if self.invisivel:
            return
        if self.pre:
            self.partes.append(data)
        else:  # source line breaks are spaces for a reader
            self.partes.append(_ESPACOS.sub(" ", data))


def texto_de_html(html: str) -> str:
    """The text a reader sees, one block per line, for the search index."""
    extrator = _ExtratorHtml()
    extrator.feed(html)
    extrator.close()
    return _normalizar_linhas("".join(extrator.partes))


def _normalizar_linhas(texto: str) -> str:
    linhas = (" ".join(linha.split()) for linha in texto.splitlines())
    return "\n".join(linha for linha in linhas if linha)


LIMITE_TEXTO = 2_000_000
LIMITE_ENTRADA_ZIP = 100 * 1024 * 1024  # declared uncompressed size of one entry read
_LIMITE_COPIA = 512 * 1024 * 1024  # a non-seekable stream spooled for zip/pdf readers
_MAX_PAGINAS = 10_000
_MAX_CELULAS = 20_000_000  # cells visited in a spreadsheet, empty ones included
_MAX_REPETICAO = 100  # repeated ODS cells written out
FORMATOS_SEM_TEXTO = frozenset({"png", "jpeg", "gif", "webp", "tiff"})


class TextoIndisponivel(Exception):
    """The text of a document cannot be had; the document stays, unsearchable by text."""

    def __init__(self, motivo: str) -> None:
        super().__init__(motivo)
        self.motivo = motivo


def extrair_texto(formato: str, dados: bytes | BinaryIO) -> str:
    """The text of a document for the search index, at most LIMITE_TEXTO characters.

    `dados` is the whole content; a seekable stream is read from its start. Images give
    "" (there is no OCR). Anything unreadable - broken, encrypted, oversized zip entry,
    unknown format - raises TextoIndisponivel with the reason; no other exception escapes.
    """
    if formato in FORMATOS_SEM_TEXTO:
        return ""
    extrator = _EXTRATORES.get(formato)
    if extrator is None:
        raise TextoIndisponivel(f"formato sem extração de texto: {formato}")
    try:
        texto = extrator(dados)
    except TextoIndisponivel:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed input fails in many ways
        detalhe = str(exc)[:200]
        raise TextoIndisponivel(
            f"conteúdo {formato} ilegível ({type(exc).__name__}: {detalhe})"
        ) from exc
    return _limpar(texto)


def _limpar(texto: str) -> str:
    """Truncated, one kind of line break, no control characters, no lone surrogates."""
    texto = texto[:LIMITE_TEXTO].replace("\r\n", "\n").replace("\r", "\n")
    texto = CONTROLE.sub("", texto)
    # A lone surrogate (seen in PDF text) cannot be stored as UTF-8.
    return texto.encode("utf-8", "replace").decode("utf-8")


def _arquivo(dados: bytes | BinaryIO) -> BinaryIO:
    """A seekable file at the start of the content, as zip and PDF readers need."""
    if isinstance(dados, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(dados))
    if dados.seekable():
        dados.seek(0)
        return dados
    copia = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    copiados = 0
    while bloco := dados.read(1024 * 1024):
        copiados += len(bloco)
        if copiados > _LIMITE_COPIA:
            copia.close()
            raise TextoIndisponivel("arquivo grande demais para extrair o texto")
        copia.write(bloco)
    copia.seek(0)
    return copia  # type: ignore[return-value]


def _ler_limitado(dados: bytes | BinaryIO, limite: int) -> tuple[bytes, bool]:
    """Up to `limite` bytes of the content, and whether there was more."""
    if isinstance(dados, bytes | bytearray | memoryview):
        bruto = bytes(dados[: limite + 1])
    else:
        if dados.seekable():
            dados.seek(0)
        bruto = dados.read(limite + 1)
    return bruto[:limite], len(bruto) > limite


def _decodificar(bruto: bytes, cortado: bool) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; a cut last character is dropped."""
    if bruto.startswith(UTF8_BOM):
        bruto = bruto[len(UTF8_BOM) :]
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(bruto, final=not cortado)
    except UnicodeDecodeError:
        return bruto.decode("cp1252", "replace")


def _texto_txt(dados: bytes | BinaryIO) -> str:
    # Windows-1252 uses one byte a character and UTF-8 at most four.
    bruto, cortado = _ler_limitado(dados, 4 * LIMITE_TEXTO)
    return _decodificar(bruto, cortado)


def _texto_html(dados: bytes | BinaryIO) -> str:
    bruto, cortado = _ler_limitado(dados, 4 * LIMITE_TEXTO)
    return texto_de_html(_decodificar(bruto, cortado))


def _tem_fim_de_pdf(arquivo: BinaryIO) -> bool:
    """Whether `%%EOF` occurs anywhere, searched from the end a block at a time.

    Without one, pypdf walks the whole file backwards a line at a time in Python before
    failing: 0.3-0.5 s of CPU per 10 MB, seconds for a large upload (bench_documentos).
    """
    bloco, marcador = 1024 * 1024, b"%%EOF"
    posicao = arquivo.seek(0, io.SEEK_END)
    seguinte = b""  # the start of the block after this one: a marker may straddle both
    while posicao > 0:
        inicio = max(0, posicao - bloco)
        arquivo.seek(inicio)
        dados = arquivo.read(posicao - inicio) + seguinte
        if marcador in dados:
            return True
        seguinte, posicao = dados[: len(marcador) - 1], inicio
    return False


def _texto_pdf(dados: bytes | BinaryIO) -> str:
    from pypdf import PdfReader  # imported here: only extraction needs it

    arquivo = _arquivo(dados)
    if not _tem_fim_de_pdf(arquivo):
        raise TextoIndisponivel("PDF sem o marcador de fim (%%EOF)")
    arquivo.seek(0)
    leitor = PdfReader(arquivo, strict=False)
    if leitor.is_encrypted:
        raise TextoIndisponivel("PDF cifrado (protegido por senha)")
    partes: list[str] = []
    total = 0
    for numero, pagina in enumerate(leitor.pages):
        if numero >= _MAX_PAGINAS or total > LIMITE_TEXTO:
            break
        texto = pagina.extract_text() or ""
        partes.append(texto)
        total += len(texto) + 1
    return "\n".join(partes)


def _abrir_entrada(arquivo: zipfile.ZipFile, nome: str) -> BinaryIO:
    """One zip entry for reading, refused if it declares more than LIMITE_ENTRADA_ZIP.

    zipfile never inflates an entry beyond its declared size (the CRC check then
    fails), so the declared size bounds what is really read.
    """
    try:
        info = arquivo.getinfo(nome)
    except KeyError:
        raise TextoIndisponivel(f"parte ausente no arquivo: {nome}") from None
    _verificar_tamanho(info)
    return arquivo.open(info)  # type: ignore[return-value]


def _verificar_tamanho(info: zipfile.ZipInfo) -> None:
    if info.file_size > LIMITE_ENTRADA_ZIP:
        raise TextoIndisponivel(
            f"a parte {info.filename} declara {info.file_size} bytes descompactados, "
            f"acima do limite de {LIMITE_ENTRADA_ZIP}"
        )


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TIPO_DOCUMENTO_PRINCIPAL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


def _parte_principal_docx(arquivo: zipfile.ZipFile) -> str:
    """The main document part named by _rels/.rels (usually word/document.xml)."""
    try:
        info = arquivo.getinfo("_rels/.rels")
    except KeyError:
        return "word/document.xml"
    if info.file_size > 1024 * 1024:
        return "word/document.xml"
    raiz = xml_fromstring(arquivo.read(info), forbid_dtd=True)
    for relacao in raiz.iter(f"{_REL}Relationship"):
        if relacao.get("Type") == _TIPO_DOCUMENTO_PRINCIPAL and relacao.get("Target"):
            return relacao.get("Target", "").lstrip("/")
    return "word/document.xml"


class _Saida:
    """Lines of extracted text, that say when the limit has been reached."""

    def __init__(self) -> None:
        self.linhas: list[str] = []
        self.total = 0

    def linha(self, texto: str, celulas: bool = False) -> None:
        """Add a line unless blank; a row of cells keeps its leading empty cells."""
        if not texto.strip():
            return
        texto = texto.rstrip() if celulas else texto.strip()
        self.linhas.append(texto)
        self.total += len(texto) + 1

    @property
    def cheia(self) -> bool:
        return self.total > LIMITE_TEXTO

    def texto(self) -> str:
        return "\n".join(self.linhas)


def _eventos(fonte: BinaryIO) -> Iterator[tuple[str, Element, Element | None]]:
    """(event, element, parent) from a streamed, defused parse; no DTD at all."""
    pilha: list[Element] = []
    for evento, elemento in iterparse(fonte, events=("start", "end"), forbid_dtd=True):
        if evento == "start":
            yield evento, elemento, pilha[-1] if pilha else None
            pilha.append(elemento)
        else:
            pilha.pop()
            yield evento, elemento, pilha[-1] if pilha else None


def _preordem(raiz: Element, pular: frozenset[str]) -> Iterator[Element]:
    """The elements under `raiz` in document order, skipping the subtrees in `pular`."""
    pilha = [raiz]
    while pilha:
        elemento = pilha.pop()
        if elemento.tag in pular:
            continue
        yield elemento
        pilha.extend(reversed(list(elemento)))


_DOCX_PULAR = frozenset({f"{_MC}Fallback", f"{_W}del", f"{_W}instrText", f"{_W}delText"})


def _paragrafo_docx(paragrafo: Element) -> str:
    partes: list[str] = []
    for elemento in _preordem(paragrafo, _DOCX_PULAR):
        tag = elemento.tag
        if tag == f"{_W}t":
            partes.append(elemento.text or "")
        elif tag == f"{_W}tab":
            partes.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            partes.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            partes.append("-")
        elif tag == f"{_W}p" and elemento is not paragrafo:  # text box inside a paragraph
            partes.append("\n")
    return "".join(partes)


def _texto_docx(dados: bytes | BinaryIO) -> str:
    """Paragraphs as lines; a table row as one line, its cells separated by tabs."""
    saida = _Saida()
    with zipfile.ZipFile(_arquivo(dados)) as arquivo:
        with _abrir_entrada(arquivo, _parte_principal_docx(arquivo)) as fonte:
            profundidade = 0  # paragraphs nest (text boxes): the outermost one is read
            celulas: list[list[str]] = []  # paragraphs of each open cell
            linhas: list[list[str]] = []  # cells of each open row
            for evento, elemento, pai in _eventos(fonte):
                tag = elemento.tag
                if evento == "start":
                    if tag == f"{_W}p":
                        profundidade += 1
                    elif tag == f"{_W}tc" and not profundidade:
                        celulas.append([])
                    elif tag == f"{_W}tr" and not profundidade:
                        linhas.append([])
                    continue
                if tag == f"{_W}p":
                    profundidade -= 1
                    if profundidade:
                        continue
                    texto = _paragrafo_docx(elemento)
                    if celulas:
                        celulas[-1].append(texto)
                    else:
                        for linha in texto.split("\n"):
                            saida.linha(linha)
                elif tag == f"{_W}tc" and not profundidade and celulas:
                    paragrafos = celulas.pop()
                    if linhas:
                        linhas[-1].append(" ".join(" ".join(paragrafos).split()))
                elif tag == f"{_W}tr" and not profundidade and linhas:
                    linha = "\t".join(linhas.pop()).rstrip("\t")
                    if celulas:  # a table inside a cell
                        celulas[-1].append(linha)
                    else:
                        saida.linha(linha, celulas=True)
                else:
                    continue
                if pai is not None:
                    pai.remove(elemento)  # what is read is not kept in memory
                if saida.cheia:
                    break
    return saida.texto()


_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODF_PARAGRAFOS = frozenset({f"{_TEXT}p", f"{_TEXT}h"})
_ODF_PULAR = frozenset({f"{_OFFICE}annotation", f"{_TEXT}note-citation", f"{_TEXT}tracked-changes"})
_ESPACOS_XML = re.compile(r"[ \t\r\n]+")
_INTEIRO = re.compile(r"[0-9]{1,9}")


def _texto_odf(raiz: Element) -> str:
    """Mixed content of an ODF element: runs of whitespace are one space (ODF 6.1.2),
    <text:s text:c="n"/> is n spaces, <text:tab/> a tab, <text:line-break/> and each
    paragraph's end a line break."""
    partes: list[str] = []
    # (element, closing): a closing marker emits the paragraph break and the tail.
    pilha: list[tuple[Element, bool]] = [(raiz, False)]
    while pilha:
        elemento, fechando = pilha.pop()
        if fechando:
            if elemento.tag in _ODF_PARAGRAFOS:
                partes.append("\n")
            if elemento is not raiz and elemento.tail:
                partes.append(_ESPACOS_XML.sub(" ", elemento.tail))
            continue
        tag = elemento.tag
        if tag in _ODF_PULAR:
            if elemento.tail:
                partes.append(_ESPACOS_XML.sub(" ", elemento.tail))
            continue
        if tag in _ODF_PARAGRAFOS and elemento is not raiz:  # in a note or a cell
            partes.append("\n")
        if tag == f"{_TEXT}s":
            quantos = elemento.get(f"{_TEXT}c", "1")
            partes.append(" " * (min(int(quantos), 100) if _INTEIRO.fullmatch(quantos) else 1))
        elif tag == f"{_TEXT}tab":
            partes.append("\t")
        elif tag == f"{_TEXT}line-break":
            partes.append("\n")
        elif elemento.text:
            partes.append(_ESPACOS_XML.sub(" ", elemento.text))
        pilha.append((elemento, True))
        pilha.extend((filho, False) for filho in reversed(list(elemento)))
    return "".join(partes)


def _texto_odt(dados: bytes | BinaryIO) -> str:
    """Each paragraph and heading of content.xml as lines (table cells included)."""
    saida = _Saida()
    with zipfile.ZipFile(_arquivo(dados)) as arquivo:
        with _abrir_entrada(arquivo, "content.xml") as fonte:
            profundidade = 0  # notes hold paragraphs inside paragraphs
            for evento, elemento, pai in _eventos(fonte):
                if elemento.tag not in _ODF_PARAGRAFOS:
                    continue
                if evento == "start":
                    profundidade += 1
                    continue
                profundidade -= 1
                if profundidade:
                    continue
                for linha in _texto_odf(elemento).split("\n"):
                    saida.linha(linha)
                if pai is not None:
                    pai.remove(elemento)
                if saida.cheia:
                    break
    return saida.texto()


def _repeticao(elemento: Element, atributo: str) -> int:
    valor = elemento.get(f"{_TABLE}{atributo}", "1")
    return min(int(valor), _MAX_REPETICAO) if _INTEIRO.fullmatch(valor) else 1


def _texto_ods(dados: bytes | BinaryIO) -> str:
    """Each non-empty row of every sheet as a line, its cells separated by tabs."""
    saida = _Saida()
    celulas_vistas = 0
    with zipfile.ZipFile(_arquivo(dados)) as arquivo:
        with _abrir_entrada(arquivo, "content.xml") as fonte:
            for evento, elemento, pai in _eventos(fonte):
                if evento != "end" or elemento.tag != f"{_TABLE}table-row":
                    continue
                valores: list[str] = []
                for celula in elemento:
                    if celula.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                        continue
                    texto = " ".join(_texto_odf(celula).split())
                    vezes = _repeticao(celula, "number-columns-repeated")
                    celulas_vistas += vezes
                    valores.extend([texto] * vezes)
                saida.linha("\t".join(valores), celulas=True)
                if pai is not None:
                    pai.remove(elemento)
                if saida.cheia or celulas_vistas > _MAX_CELULAS:
                    break
    return saida.texto()


def _valor_celula(valor: Any) -> str:
    if isinstance(valor, bool):
        return "verdadeiro" if valor else "falso"
    if isinstance(valor, float) and valor.is_integer():
        return str(int(valor))
    if isinstance(valor, datetime):
        if valor.time() == time(0):
            return valor.strftime("%d/%m/%Y")
        return valor.strftime("%d/%m/%Y %H:%M")
    if isinstance(valor, date):
        return valor.strftime("%d/%m/%Y")
    return str(valor)


def _texto_xlsx(dados: bytes | BinaryIO) -> str:
    """Each non-empty row of every worksheet as a line, values separated by tabs."""
    import openpyxl  # imported here: only extraction needs it

    arquivo = _arquivo(dados)
    with zipfile.ZipFile(arquivo) as pacote:
        for info in pacote.infolist():
            # openpyxl reads the XML parts; pictures and embedded files are not opened.
            if not info.filename.startswith(("xl/media/", "xl/embeddings/")):
                _verificar_tamanho(info)
    arquivo.seek(0)
    saida = _Saida()
    celulas_vistas = 0
    livro = openpyxl.load_workbook(arquivo, read_only=True, data_only=True)
    try:
        for planilha in livro.worksheets:
            # The declared dimension may be absurd (A1:XFD1048576): rows are then padded
            # to it. Without it each row is only as wide as its last cell.
            planilha.reset_dimensions()
            for linha in planilha.iter_rows(values_only=True):
                celulas_vistas += len(linha) + 1
                valores = [_valor_celula(v) if v is not None else "" for v in linha]
                saida.linha("\t".join(valores), celulas=True)
                if saida.cheia or celulas_vistas > _MAX_CELULAS:
                    return saida.texto()
    finally:
        livro.close()
    return saida.texto()


_EXTRATORES: dict[str, Callable[[bytes | BinaryIO], str]] = {
    "pdf": _texto_pdf,
    "docx": _texto_docx,
    "odt": _texto_odt,
    "xlsx": _texto_xlsx,
    "ods": _texto_ods,
    "html": _texto_html,
    "txt": _texto_txt,
}
