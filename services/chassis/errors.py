"""Errors that cross service boundaries with a stable code and a Portuguese message.

Every class is registered with nameko so that it arrives at the caller as the
same type (not a generic RemoteError); the gateway maps `status` and `code` to
its HTTP answer in one place. Constructor arguments are positional and
JSON-safe because nameko rebuilds the instance as ``cls(*exc_args)``.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


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

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


def _register(cls: type[SemPapelError]) -> type[SemPapelError]:
    return deserialize_to_instance(cls)


@_register
class RequisicaoInvalida(SemPapelError):
    status = 400


@_register
class DadosInvalidos(SemPapelError):
    status = 422
    code = "dados_invalidos"
    message = "Dados inválidos."


@_register
class NaoAutenticado(SemPapelError):
    status = 401
    code = "nao_autenticado"
    message = "Autenticação necessária."


@_register
class TokenInvalido(NaoAutenticado):
    code = "token_invalido"
    message = "Token de acesso inválido ou expirado."


@_register
class CredenciaisInvalidas(NaoAutenticado):
    code = "credenciais_invalidas"
    message = "Município, usuário ou senha incorretos."


@_register
class AcessoNegado(SemPapelError):
    status = 403
    code = "acesso_negado"
    message = "Acesso negado."


@_register
class MunicipioSuspenso(AcessoNegado):
    code = "municipio_suspenso"
    message = "O acesso deste município está suspenso. Procure a administração estadual."


@_register
class NaoEncontrado(SemPapelError):
    status = 404
    code = "nao_encontrado"
    message = "Recurso não encontrado."


@_register
class Conflito(SemPapelError):
    status = 409
    code = "conflito"
    message = "A operação conflita com o estado atual."


@_register
class UsuarioBloqueado(SemPapelError):
    status = 429
    code = "usuario_bloqueado"
    message = "Conta bloqueada temporariamente após tentativas de acesso inválidas."


@_register
class TipoNaoSuportado(SemPapelError):
    status = 415
    code = "tipo_de_conteudo_nao_suportado"
    message = "Tipo de conteúdo não suportado."


@_register
class ArquivoGrandeDemais(SemPapelError):
    status = 413
    code = "arquivo_grande_demais"
    message = "O arquivo excede o tamanho máximo permitido."


@_register
class ServicoIndisponivel(SemPapelError):
    status = 503
    code = "servico_indisponivel"
    message = "Serviço temporariamente indisponível. Tente novamente em instantes."


class ConfiguracaoInvalida(RuntimeError):
    """A deployment mistake: raised at start-up, never returned to a user."""


@_register
class ArmazenamentoIndisponivel(ServicoIndisponivel):
    code = "armazenamento_indisponivel"
    message = "O armazenamento de documentos está indisponível. Tente novamente em instantes."


@_register
class ConteudoCorrompido(SemPapelError):
    """The stored bytes no longer match the hash recorded when they were stored."""

    status = 500
    code = "conteudo_corrompido"
    message = "O conteúdo armazenado não confere com o registrado. A equipe foi notificada."


@_register
class BancoIndisponivel(ServicoIndisponivel):
    code = "banco_indisponivel"
    message = "O banco de dados está indisponível. Tente novamente em instantes."
