"""The one rule every free-text field of tenancy follows: names, descriptions, sources."""

from __future__ import annotations

from services.chassis.errors import DadosInvalidos

NOME_MAX = 200


def texto(valor: object, campo: str, maximo: int, vazio: str | None = None) -> str:
    """`valor` with its runs of spaces collapsed; refused when empty or longer than `maximo`.

    `vazio` words the refusal of an empty value for records that have always had their own
    phrase for it (units); otherwise the refusal names the field.
    """
    limpo = " ".join(valor.split()) if isinstance(valor, str) else ""
    if not limpo and vazio is not None:
        raise DadosInvalidos(vazio)
    if not limpo:
        raise DadosInvalidos(
            f"{campo} é obrigatório.",
            details={"campos": [{"campo": campo, "mensagem": "campo obrigatório"}]},
        )
    if len(limpo) > maximo:
        raise DadosInvalidos(f"Use no máximo {maximo} caracteres.", code="texto_longo_demais")
    return limpo
