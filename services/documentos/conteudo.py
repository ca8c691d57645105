"""What an uploaded file really is, safe HTML for the editor, and text for search.

Three concerns of a document's content, kept free of any framework:

* Recognition looks only at the first bytes of the upload (it is streamed to object
  storage, so the caller holds a prefix of up to 64 KiB) and never at the file name:
  a name is whatever the sender typed, the bytes are what a reader's program will run.
* The editor's HTML goes through nh3 (ammonia) with an explicit whitelist: signed
  documents must not run code nor load anything from outside when they are read.
* Text extraction feeds the search index. It is bounded in every dimension a hostile
  file can inflate (text length, zip entry sizes, pages, cells) and fails with one
  exception, `TextoIndisponivel`, so the caller can keep the document unindexed.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from html.parser import HTMLParser
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element

import nh3
from defusedxml.ElementTree import fromstring as xml_fromstring
from defusedxml.ElementTree import iterparse

from services.chassis.errors import TipoNaoSuportado

# --------------------------------------------------------------------------------------
# 1. Recognition by content
# --------------------------------------------------------------------------------------

#: The formats a document may have: stable id -> (media type, default extension).
#: Only these can be permitted; every other recognised id exists to name what was refused.
FORMATOS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "txt": ("text/plain", "txt"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}

PERMITIDOS_PADRAO: tuple[str, ...] = ("pdf", "png", "jpeg", "txt", "odt", "ods", "docx", "xlsx")

#: How a recognised format is named in messages (with its article, for a sentence).
DESCRICOES: dict[str, str] = {
    "pdf": "um documento PDF",
    "png": "uma imagem PNG",
    "jpeg": "uma imagem JPEG",
    "txt": "um texto simples",
    "odt": "um texto do LibreOffice (ODT)",
    "ods": "uma planilha do LibreOffice (ODS)",
    "docx": "um documento do Word (DOCX)",
    "xlsx": "uma planilha do Excel (XLSX)",
    # Undetermined: a zip with Office parts whose kind the prefix does not settle.
    "ooxml": "um documento do Office cujo tipo (DOCX ou XLSX) não pôde ser confirmado",
    "docm": "um documento do Word com macros (DOCM)",
    "xlsm": "uma planilha do Excel com macros (XLSM)",
    "pptx": "uma apresentação do PowerPoint (PPTX)",
    "opendocument": "um documento OpenDocument de outro tipo (apresentação, desenho ou modelo)",
    "pe": "um programa executável do Windows (EXE/DLL)",
    "elf": "um programa executável do Linux (ELF)",
    "macho": "um programa executável do macOS (Mach-O) ou uma classe Java",
    "script": "um script executável (#!)",
    "html": "uma página HTML",
    "xml": "um documento XML",
    "svg": "uma imagem SVG (pode conter scripts)",
    "rtf": "um documento RTF",
    "ole": "um documento do Office antigo (DOC, XLS ou PPT)",
    "zip": "um arquivo compactado ZIP",
    "rar": "um arquivo compactado RAR",
    "7z": "um arquivo compactado 7-Zip",
    "gzip": "um arquivo compactado GZIP",
    "gif": "uma imagem GIF",
    "webp": "uma imagem WebP",
    "tiff": "uma imagem TIFF",
}

# Fixed signatures at offset 0, checked in order. Each needs at most 8 bytes.
_ASSINATURAS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"MZ", "pe"),  # DOS header of every Windows executable and DLL
    (b"\x7fELF", "elf"),
    (b"\xfe\xed\xfa\xce", "macho"),
    (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (b"\xca\xfe\xba\xbe", "macho"),  # universal binary; also a Java class file
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
)

_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_CENTRAL = b"PK\x01\x02"
_ZIP_OUTRAS = (b"PK\x05\x06", b"PK\x07\x08")  # empty archive, spanned archive marker

_ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
_ODF_PREFIXO = b"application/vnd.oasis.opendocument."

_UTF8_BOM = b"\xef\xbb\xbf"
# C0 controls other than \t \n \f \r never occur in text (NUL is refused before decoding).
_CONTROLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")

# What a browser's MIME sniffing takes for HTML (WHATWG "MIME Sniffing", 7.1), each
# followed by a tag-terminating byte. A text beginning like this is not accepted as txt.
_HTML_INICIOS = (
    "<!doctype html",
    "<html",
    "<head",
    "<script",
    "<iframe",
    "<h1",
    "<div",
    "<font",
    "<table",
    "<a",
    "<style",
    "<title",
    "<b",
    "<body",
    "<br",
    "<p",
    "<!--",
)
_FIM_DE_TAG = " \t\n\r\f>/"


def reconhecer(prefixo: bytes) -> str | None:
    """The format id of a file from its first bytes, or None when nothing fits.

    The result may be a format that is never accepted (an executable, HTML, a plain
    zip, "ooxml" for an Office zip whose kind the prefix does not settle): it exists so
    that the refusal can say what the file is. Pass the first 64 KiB when available; 16
    bytes settle every format except those inside a zip (odt, ods, docx, xlsx) and txt.
    """
    prefixo = bytes(prefixo)
    if not prefixo:
        return None
    for assinatura, formato in _ASSINATURAS:
        if prefixo.startswith(assinatura):
            return formato
    if prefixo.startswith(b"RIFF") and prefixo[8:12] == b"WEBP":
        return "webp"
    if prefixo.startswith(_ZIP_LOCAL):
        return _reconhecer_zip(prefixo)
    if prefixo.startswith(_ZIP_OUTRAS):
        return "zip"
    texto = _texto_do_prefixo(prefixo)
    if texto is None:
        return None
    return _reconhecer_texto(texto)


def exigir_formato(prefixo: bytes, permitidos: Iterable[str]) -> str:
    """The recognised format when it is permitted; a 415 that names what it is otherwise.

    `permitidos` must be ids of `FORMATOS` (a ValueError tells the programmer otherwise),
    so "ooxml", executables, HTML or a plain zip can never be let through by mistake.
    """
    lista = list(dict.fromkeys(permitidos))
    desconhecidos = [f for f in lista if f not in FORMATOS]
    if desconhecidos:
        raise ValueError(f"formatos permitidos desconhecidos: {desconhecidos}")
    formato = reconhecer(prefixo)
    if formato is not None and formato in lista:
        return formato
    aceitos = ", ".join(f.upper() for f in lista) or "nenhum"
    if not prefixo:
        mensagem = f"O arquivo está vazio. Formatos aceitos: {aceitos}."
    elif formato is None:
        mensagem = (
            "Não foi possível reconhecer o formato do arquivo pelo seu conteúdo. "
            f"Formatos aceitos: {aceitos}."
        )
    else:
        mensagem = (
            f"O conteúdo do arquivo é {DESCRICOES.get(formato, formato)}, formato não aceito "
            f"aqui. Formatos aceitos: {aceitos}."
        )
    raise TipoNaoSuportado(
        mensagem,
        code="formato_nao_permitido",
        details={"formato": formato, "permitidos": lista},
    )


def media_type(formato: str) -> str:
    """The media type to store and serve a document with (never the sender's claim)."""
    try:
        return FORMATOS[formato][0]
    except KeyError:
        raise ValueError(f"formato sem tipo de mídia: {formato!r}") from None


def _texto_do_prefixo(prefixo: bytes) -> str | None:
    """The prefix as text when it is text: UTF-8 (its last character may be cut) or cp1252."""
    if b"\x00" in prefixo:
        return None
    if prefixo.startswith(_UTF8_BOM):
        prefixo = prefixo[len(_UTF8_BOM) :]
    try:
        # final=False: a multi-byte sequence cut by the end of the prefix is not an error.
        texto = codecs.getincrementaldecoder("utf-8")().decode(prefixo, final=False)
    except UnicodeDecodeError:
        try:
            texto = prefixo.decode("cp1252")  # strict: its five undefined bytes fail
        except UnicodeDecodeError:
            return None
    if _CONTROLE.search(texto):
        return None
    return texto


def _reconhecer_texto(texto: str) -> str:
    inicio = texto.lstrip(" \t\n\r\f")
    minusculo = inicio[:256].lower()
    if inicio.startswith("#!"):
        return "script"
    if minusculo.startswith("{\\rtf"):
        return "rtf"
    if minusculo.startswith("<?xml"):
        corpo = texto[:65536].lower()
        if "<svg" in corpo:
            return "svg"
        if "<html" in corpo or "http://www.w3.org/1999/xhtml" in corpo:
            return "html"
        return "xml"
    if _comeca_com_tag(minusculo, "<svg"):
        return "svg"
    if any(_comeca_com_tag(minusculo, tag) for tag in _HTML_INICIOS):
        return "html"
    return "txt"


def _comeca_com_tag(texto: str, tag: str) -> bool:
    # A prefix that ends right after the tag is taken as the tag: refusing is the safe side.
    return texto.startswith(tag) and (len(texto) == len(tag) or texto[len(tag)] in _FIM_DE_TAG)


class _EntradaZip:
    __slots__ = ("nome", "metodo", "flags", "dados", "completa")

    def __init__(self, nome: str, metodo: int, flags: int, dados: bytes, completa: bool):
        self.nome = nome
        self.metodo = metodo
        self.flags = flags
        self.dados = dados  # as stored (compressed), possibly cut by the end of the prefix
        self.completa = completa


_MAX_ENTRADAS_PREFIXO = 256
_MAX_INFLADO_PREFIXO = 1024 * 1024


def _entradas_zip(prefixo: bytes) -> list[_EntradaZip]:
    """The zip entries whose local file headers are in the prefix, in archive order.

    The central directory is at the end of the file, out of reach; local headers are
    walked one after the other. An entry whose size is only in a trailing data
    descriptor is skipped by inflating it (deflate marks its own end); a stored one
    with a descriptor ends the walk, as does anything that does not parse.
    """
    entradas: list[_EntradaZip] = []
    pos = 0
    while len(entradas) < _MAX_ENTRADAS_PREFIXO and prefixo.startswith(_ZIP_LOCAL, pos):
        if pos + 30 > len(prefixo):
            break
        (_, _, flags, metodo, _, _, _, tam_comp, tam_orig, tam_nome, tam_extra) = (
            struct.unpack_from("<4sHHHHHIIIHH", prefixo, pos)
        )
        inicio_nome = pos + 30
        if inicio_nome + tam_nome > len(prefixo):
            break
        bruto = prefixo[inicio_nome : inicio_nome + tam_nome]
        nome = bruto.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        extra = prefixo[inicio_nome + tam_nome : inicio_nome + tam_nome + tam_extra]
        inicio_dados = inicio_nome + tam_nome + tam_extra
        if 0xFFFFFFFF in (tam_comp, tam_orig):
            tam_comp = _tamanho_zip64(extra)
            if tam_comp is None:
                entradas.append(_EntradaZip(nome, metodo, flags, b"", False))
                break
        if flags & 0x08:  # sizes follow the data, in a data descriptor
            fim = _fim_deflate(prefixo, inicio_dados) if metodo == 8 else None
            if fim is None:
                entradas.append(
                    _EntradaZip(
                        nome, metodo, flags, prefixo[inicio_dados : inicio_dados + 65536], False
                    )
                )
                break
            entradas.append(_EntradaZip(nome, metodo, flags, prefixo[inicio_dados:fim], True))
            proximo = _depois_do_descritor(prefixo, fim)
            if proximo is None:
                break
            pos = proximo
            continue
        fim = inicio_dados + tam_comp
        completa = fim <= len(prefixo)
        entradas.append(_EntradaZip(nome, metodo, flags, prefixo[inicio_dados:fim], completa))
        if not completa:
            break
        pos = fim
    return entradas


def _tamanho_zip64(extra: bytes) -> int | None:
    pos = 0
    while pos + 4 <= len(extra):
        ident, tamanho = struct.unpack_from("<HH", extra, pos)
        if ident == 0x0001 and tamanho >= 16:
            return struct.unpack_from("<Q", extra, pos + 12)[0]  # original size, then compressed
        pos += 4 + tamanho
    return None


def _fim_deflate(prefixo: bytes, inicio: int) -> int | None:
    """Where a raw deflate stream starting at `inicio` ends, if it ends inside the prefix."""
    descompressor = zlib.decompressobj(-15)
    pendente = prefixo[inicio:]
    try:
        # The output is thrown away, in slices: 64 KiB inflate to at most about 64 MiB.
        while not descompressor.eof:
            saida = descompressor.decompress(pendente, 65536)
            pendente = descompressor.unconsumed_tail
            if not saida and not pendente:
                break
    except zlib.error:
        return None
    if not descompressor.eof:
        return None
    return len(prefixo) - len(descompressor.unused_data)


def _depois_do_descritor(prefixo: bytes, fim: int) -> int | None:
    # Descriptor: optional signature, crc, then 4-byte (or 8-byte, zip64) sizes.
    if prefixo.startswith(b"PK\x07\x08", fim):
        candidatos = (16, 24)
    else:
        candidatos = (12, 20)
    for tamanho in candidatos:
        proximo = fim + tamanho
        if prefixo.startswith((_ZIP_LOCAL, _ZIP_CENTRAL), proximo):
            return proximo
    return None


def _conteudo(entrada: _EntradaZip) -> bytes:
    """The (possibly partial) content of an entry seen in the prefix; b"" if unreadable."""
    if entrada.flags & 0x01:  # encrypted
        return b""
    if entrada.metodo == 0:
        return entrada.dados
    if entrada.metodo == 8:
        descompressor = zlib.decompressobj(-15)
        try:
            return descompressor.decompress(entrada.dados, _MAX_INFLADO_PREFIXO)
        except zlib.error:
            return b""
    return b""


_OOXML_POR_TIPO = (
    # Macro-enabled first: their content types also contain the plain markers below.
    ("macroenabled", None),
    ("vbaproject", None),
    ("wordprocessingml.document.main+xml", "docx"),
    ("spreadsheetml.sheet.main+xml", "xlsx"),
    ("presentationml.presentation.main+xml", "pptx"),
)
_OOXML_PASTAS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
_OOXML_PACOTE = frozenset({"[Content_Types].xml", "_rels/.rels"})
_OOXML_MACROS = {"docx": "docm", "xlsx": "xlsm"}


def _reconhecer_zip(prefixo: bytes) -> str:
    """odt/ods by their `mimetype` entry; docx/xlsx by the OOXML parts in the prefix.

    OOXML rule, from the local headers visible in the prefix:
    * it is OOXML when `[Content_Types].xml`, `_rels/.rels` or a `docProps/` part is
      among them: `[Content_Types].xml` is not always first (openpyxl writes it last,
      after docProps/ and the xl/ parts, so a big sheet pushes it out of the prefix);
    * the kind comes from the main part's content type in `[Content_Types].xml` when its
      content is in the prefix, otherwise from the entry names (`word/` -> docx, `xl/` ->
      xlsx); both must agree;
    * macros (`vbaProject.bin`, a macroEnabled content type) make it docm/xlsm;
    * anything else is "ooxml": undetermined, which `exigir_formato` never accepts.
    """
    entradas = _entradas_zip(prefixo)
    if not entradas:
        return "zip"
    primeira = entradas[0]
    if primeira.nome == "mimetype":
        if primeira.metodo != 0 or primeira.flags & 0x01:
            return "zip"
        tipo = primeira.dados.strip()
        if tipo in _ODF:
            return _ODF[tipo]
        if tipo.startswith(_ODF_PREFIXO):
            return "opendocument"
        return "zip"
    nomes = [e.nome for e in entradas]
    if not any(n in _OOXML_PACOTE or n.startswith("docProps/") for n in nomes):
        return "zip"
    por_nome = {
        tipo for pasta, tipo in _OOXML_PASTAS.items() if any(n.startswith(pasta) for n in nomes)
    }
    macros = any(n.lower().endswith("vbaproject.bin") for n in nomes)
    por_tipo: str | None = None
    for entrada in entradas:
        if entrada.nome == "[Content_Types].xml":
            tipos = _conteudo(entrada).decode("utf-8", "replace").lower()
            for marca, tipo in _OOXML_POR_TIPO:
                if marca in tipos:
                    if tipo is None:
                        macros = True
                        continue
                    por_tipo = tipo
                    break
            if por_tipo is None:  # no main part type yet: the part names it overrides
                por_tipo = _unico(t for p, t in _OOXML_PASTAS.items() if f'partname="/{p}' in tipos)
    if por_tipo is not None:
        if por_nome - {por_tipo}:
            return "ooxml"
        tipo_final = por_tipo
    elif len(por_nome) == 1:
        tipo_final = next(iter(por_nome))
    else:
        return "ooxml"
    if macros:
        return _OOXML_MACROS.get(tipo_final, "ooxml")
    return tipo_final


def _unico(valores: Iterable[str]) -> str | None:
    conjunto = set(valores)
    return conjunto.pop() if len(conjunto) == 1 else None


# --------------------------------------------------------------------------------------
# 2. HTML from the editor
# --------------------------------------------------------------------------------------

_TAGS_PERMITIDAS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4"),
        *("strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote"),
        *("ul", "ol", "li"),
        *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
        *("span", "div", "a", "img"),
    }
)
# Removed with everything inside (the text of a script or a form is no document text).
_TAGS_REMOVIDAS_COM_CONTEUDO = frozenset(
    {
        *("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet"),
        *("form", "textarea", "select", "button", "noscript", "noembed", "noframes"),
        *("template", "svg", "math", "title", "xmp"),
    }
)
_ATRIBUTOS_PERMITIDOS = {
    "*": {"class"},
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_ESQUEMAS_LINK = frozenset({"http", "https", "mailto"})
_ESQUEMA = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_IMAGEM_EMBUTIDA = re.compile(r"^\s*data:image/(?:png|jpeg)[;,]", re.IGNORECASE)
_NUMERO_DE_CELULAS = re.compile(r"\s*[0-9]{1,4}\s*")
_IMG_SEM_SRC = re.compile(r'<img(?:\s+(?!src=)[a-zA-Z-]+="[^"]*")*\s*/?>')


def _filtrar_atributo(tag: str, atributo: str, valor: str) -> str | None:
    """The last word on URLs, after nh3's own scheme check.

    nh3 checks one scheme list for every URL attribute, and `data` must be on it for
    embedded images; so links are narrowed here to http/https/mailto, and an image
    keeps its src only as a data:image/png or data:image/jpeg URL. An external image
    tells its server who opens the document, and can change after the document is signed.
    """
    if atributo == "href":
        esquema = _ESQUEMA.match(valor)
        return valor if esquema and esquema.group(1).lower() in _ESQUEMAS_LINK else None
    if atributo == "src":
        return valor if tag == "img" and _IMAGEM_EMBUTIDA.match(valor) else None
    if atributo in ("colspan", "rowspan"):
        if _NUMERO_DE_CELULAS.fullmatch(valor) and 1 <= int(valor) <= 1000:
            return valor.strip()
        return None
    return valor


_LIMPADOR = nh3.Cleaner(
    tags=set(_TAGS_PERMITIDAS),
    clean_content_tags=set(_TAGS_REMOVIDAS_COM_CONTEUDO),
    attributes={tag: set(nomes) for tag, nomes in _ATRIBUTOS_PERMITIDOS.items()},
    attribute_filter=_filtrar_atributo,
    strip_comments=True,
    link_rel="noopener noreferrer",
    url_schemes={"http", "https", "mailto", "data"},
    url_relative="deny",  # a relative URL means nothing outside the page it was written on
)


def sanitizar_html(html: str) -> str:
    """The editor's HTML reduced to the markup of an official document.

    No scripts, styles, frames, forms, event handlers, `style` attributes, nor URLs
    other than http/https/mailto links (with rel="noopener noreferrer") and images
    embedded as PNG or JPEG data URLs; an image left without a source is dropped.
    """
    limpo = _LIMPADOR.clean(html)
    return _IMG_SEM_SRC.sub("", limpo)


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


# --------------------------------------------------------------------------------------
# 3. Text for search
# --------------------------------------------------------------------------------------

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
    texto = _CONTROLE.sub("", texto)
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
    if bruto.startswith(_UTF8_BOM):
        bruto = bruto[len(_UTF8_BOM) :]
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
