"""auth: login into a municipality, and who the caller is."""

from __future__ import annotations

from typing import Any

from services.auth.dependencies import CredentialsProvider
from services.auth.domain import acesso
from services.auth.handlers import contas, permissoes
from services.chassis.errors import CredenciaisInvalidas, NaoEncontrado, SemPapelError
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.tenant import validar_ibge
from services.chassis.tenant_session import TenantDatabase

EXPECTED = SemPapelError


class AuthService(ProbedService):
    name = "auth"

    db = TenantDatabase()
    credentials = CredentialsProvider()
    tenancy = ServiceRpc("tenancy")

    @rpc(expected_exceptions=EXPECTED)
    def login(self, municipio: str, usuario: str, senha: str) -> dict[str, Any]:
        ibge = validar_ibge(municipio)
        if not self._municipio_aberto(ibge):
            self.credentials.passwords.verify(None, senha)
            raise CredenciaisInvalidas()
        conta = contas.autenticar(
            self.db.for_municipio(ibge),
            self.credentials.passwords,
            self.credentials.policy,
            usuario,
            senha,
        )
        # From here on the call acts as the user, so tenancy reads this municipality.
        self.call.authenticate(self._token(conta, ibge, None, {}))
        unidades = self._unidades(conta.id)
        return self._token_response(conta, ibge, acesso.unidade_inicial(unidades), unidades)

    # Plumbing of the entrypoints: tenancy's answers, and tokens (the rules are acesso's).

    def _municipio_aberto(self, ibge: str) -> bool:
        try:
            return acesso.municipio_aberto(self.tenancy.obter_municipio(ibge))
        except NaoEncontrado:
            return False

    def _unidades(self, usuario_id: str) -> dict[str, dict[str, Any]]:
        uow = self.db.unit_of_work()
        return permissoes.unidades(uow, usuario_id, self.tenancy.unidades_por_id)

    def _token(self, conta: Any, ibge: str, unidade: str | None, unidades: dict) -> str:
        administrador = acesso.administrador(conta.administrador, unidades)
        unidade_id = acesso.id_da_unidade(unidades, unidade)
        return self.credentials.tokens.issue(
            conta.id, conta.login, ibge, unidade, administrador, unidade_id
        )

    def _token_response(
        self, conta: Any, ibge: str, unidade: str | None, unidades: dict
    ) -> dict[str, Any]:
        return {
            "access_token": self._token(conta, ibge, unidade, unidades),
            "token_type": "Bearer",
            "expires_in": self.credentials.tokens.ttl_seconds,
        }

    @rpc(expected_exceptions=EXPECTED)
    def escolher_unidade(self, sigla: str) -> dict[str, Any]:
        """A new token carrying the unit, if the user has a permission in it and it is active."""
        identity = self.call.identity
        conta = contas.perfil(self.db.unit_of_work(), identity.usuario_id)
        unidades = self._unidades(conta.id)
        escolhida = acesso.unidade_escolhida(unidades, sigla)
        return self._token_response(conta, identity.tenant.ibge, escolhida, unidades)

    @rpc(expected_exceptions=EXPECTED)
    def conceder_permissao(self, login: str, sigla: str, perfil: str) -> dict[str, str]:
        self.call.require_administrator()
        unidade = self.tenancy.unidade_por_sigla(sigla)
        permissoes.conceder(self.db.unit_of_work(), login, unidade["id"], perfil)
        return {"usuario": login, "unidade": unidade["sigla"], "perfil": perfil}

    @rpc(expected_exceptions=EXPECTED)
    def revogar_permissao(self, login: str, sigla: str) -> None:
        self.call.require_administrator()
        unidade = self.tenancy.unidade_por_sigla(sigla)
        permissoes.revogar(self.db.unit_of_work(), login, unidade["id"])

    @rpc(expected_exceptions=EXPECTED)
    def ativar_conta(self, municipio: str, usuario: str, codigo: str, senha: str) -> dict:
        """First access of an imported account: the one-time code, a password, then a login."""
        ibge = validar_ibge(municipio)
        if not self._municipio_aberto(ibge):
            raise CredenciaisInvalidas()
        contas.ativar(
            self.db.for_municipio(ibge),
            self.credentials.passwords,
            self.credentials.policy,
            usuario,
            codigo,
            senha,
        )
        return self.login(ibge, usuario, senha)

    @rpc(expected_exceptions=EXPECTED)
    def definir_senha(self, login: str, senha: str) -> None:
        self.call.require_administrator()
        contas.definir_senha(self.db.unit_of_work(), self.credentials.passwords, login, senha)

    @rpc(expected_exceptions=EXPECTED)
    def novo_codigo_ativacao(self, login: str) -> dict[str, str]:
        self.call.require_administrator()
        return contas.novo_codigo_ativacao(
            self.db.unit_of_work(), login, self.credentials.activation_days
        )

    @rpc(expected_exceptions=EXPECTED)
    def confirmar_senha(self, senha: str) -> dict[str, str]:
        """The caller's password again, for a signature; 401 `senha_incorreta` otherwise."""
        conta = contas.confirmar_senha(
            self.db.unit_of_work(),
            self.credentials.passwords,
            self.credentials.policy,
            self.call.identity.usuario_id,
            str(senha),
        )
        return {"id": conta.id, "login": conta.login, "nome": conta.nome}

    @rpc(expected_exceptions=EXPECTED)
    def usuario_por_login(self, login: str) -> dict[str, Any]:
        """A user of the caller's municipality, with the ids of the units it works in."""
        self.call.identity  # noqa: B018 - authenticated callers only
        conta = contas.por_login(self.db.unit_of_work(), login)
        return {
            "id": conta.id,
            "login": conta.login,
            "nome": conta.nome,
            "ativo": conta.ativo,
            "unidades": sorted(permissoes.permissoes(self.db.unit_of_work(), conta.id)),
        }

    @rpc(expected_exceptions=EXPECTED)
    def me(self) -> dict[str, Any]:
        identity = self.call.identity
        conta = contas.perfil(self.db.unit_of_work(), identity.usuario_id)
        registro = self.credentials.municipios.get(
            identity.tenant.ibge, lambda: self.tenancy.obter_municipio(identity.tenant.ibge)
        )
        unidades = self._unidades(conta.id)
        return {
            "usuario": conta.login,
            "nome": conta.nome,
            "administrador": identity.administrador,
            "unidade": identity.unidade,
            "unidades": acesso.unidades_de_trabalho(unidades),
            "municipio": {"ibge": registro["ibge"], "nome": registro["nome"]},
        }


SERVICE = AuthService
