"""What an uploaded file really is, from its first bytes: format recognition and media types.

Recognition looks only at the first bytes of the upload (it is streamed to object
storage, so the caller holds a prefix of up to 64 KiB) and never at the file name:
a name is whatever the sender typed, the bytes are what a reader's program will run.
No framework: the domain names formats by these ids, the handlers refuse with `exigir_formato`.
"""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from collections.abc import Iterable

from services.chassis.errors import TipoNaoSuportado

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

UTF8_BOM = b"\xef\xbb\xbf"
# C0 controls other than \t \n \f \r never occur in text (NUL is refused before decoding).
CONTROLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")

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
    if prefixo.startswith(UTF8_BOM):
        prefixo = prefixo[len(UTF8_BOM) :]
    try:
        # final=False: a multi-byte sequence cut by the end of the prefix is not an error.
        texto = codecs.getincrementaldecoder("utf-8")().decode(prefixo, final=False)
    except UnicodeDecodeError:
        try:
            texto = prefixo.decode("cp1252")  # strict: its five undefined bytes fail
        except UnicodeDecodeError:
            return None
    if CONTROLE.search(texto):
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
