"""The editor's HTML reduced to the markup of an official document (nh3, an explicit whitelist).

Signed documents must not run code nor load anything from outside when they are read.
"""

from __future__ import annotations

import re

import nh3

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
