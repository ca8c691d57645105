"""Errors that cross service boundaries with a stable code and a Portuguese message.

Every subclass is listed in `REMOTE_TYPES` as it is defined, and the RPC modules
register that list with nameko (`services/chassis/remote_errors.py`) so that an error
arrives at the caller as the same type (not a generic RemoteError); the gateway maps
`status` and `code` to its HTTP answer in one place. Constructor arguments are
positional and JSON-safe because nameko rebuilds the instance as ``cls(*exc_args)``.
This module imports no framework: domain modules raise these errors.
"""

from __future__ import annotations

import json
from typing import Any

# "module.Class" -> class, the way nameko names an exception type on the wire.
REMOTE_TYPES: dict[str, type[SemPapelError]] = {}


class SemPapelError(Exception):
    status: int = 400
    code: str = "requisicao_invalida"
    message: str = "Requisição inválida."

    def __init__(
        self,
        message: str | None = None,
        code: str | None = None,
        details: dict[str, Any] | str | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        # nameko's error serializer turns every leaf into a string (1 -> "1", None -> "None"):
        # the details travel as one JSON text instead, and come back with their types.
        if isinstance(details, str):
            details = json.loads(details)
        self.details = details or {}
        super().__init__(self.message, self.code, json.dumps(self.details, ensure_ascii=False))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REMOTE_TYPES[f"{cls.__module__}.{cls.__name__}"] = cls

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


class RequisicaoInvalida(SemPapelError):
    status = 400


class DadosInvalidos(SemPapelError):
    status = 422
    code = "dados_invalidos"
    message = "Dados inválidos."


class NaoAutenticado(SemPapelError):
    status = 401
    code = "nao_autenticado"
    message = "Autenticação necessária."


class TokenInvalido(NaoAutenticado):
    code = "token_invalido"
    message = "Token de acesso inválido ou expirado."


class CredenciaisInvalidas(NaoAutenticado):
    code = "credenciais_invalidas"
    message = "Município, usuário ou senha incorretos."


class AcessoNegado(SemPapelError):
    status = 403
    code = "acesso_negado"
    message = "Acesso negado."


class MunicipioSuspenso(AcessoNegado):
    code = "municipio_suspenso"
    message = "O acesso deste município está suspenso. Procure a administração estadual."


class NaoEncontrado(SemPapelError):
    status = 404
    code = "nao_encontrado"
    message = "Recurso não encontrado."


class Conflito(SemPapelError):
    status = 409
    code = "conflito"
    message = "A operação conflita com o estado atual."


class UsuarioBloqueado(SemPapelError):
    status = 429
    code = "usuario_bloqueado"
    message = "Conta bloqueada temporariamente após tentativas de acesso inválidas."


class TipoNaoSuportado(SemPapelError):
    status = 415
    code = "tipo_de_conteudo_nao_suportado"
    message = "Tipo de conteúdo não suportado."


class ArquivoGrandeDemais(SemPapelError):
    status = 413
    code = "arquivo_grande_demais"
    message = "O arquivo excede o tamanho máximo permitido."


class ServicoIndisponivel(SemPapelError):
    status = 503
    code = "servico_indisponivel"
    message = "Serviço temporariamente indisponível. Tente novamente em instantes."


class ConfiguracaoInvalida(RuntimeError):
    """A deployment mistake: raised at start-up, never returned to a user."""


class ArmazenamentoIndisponivel(ServicoIndisponivel):
    code = "armazenamento_indisponivel"
    message = "O armazenamento de documentos está indisponível. Tente novamente em instantes."


class ConteudoCorrompido(SemPapelError):
    """The stored bytes no longer match the hash recorded when they were stored."""

    status = 500
    code = "conteudo_corrompido"
    message = "O conteúdo armazenado não confere com o registrado. A equipe foi notificada."


class BancoIndisponivel(ServicoIndisponivel):
    code = "banco_indisponivel"
    message = "O banco de dados está indisponível. Tente novamente em instantes."
