"""`sempapel`: the operators' command (provisioning, users, migrations, running services)."""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import secrets  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402

import click  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from tqdm import tqdm  # noqa: E402

from services.chassis import config as config_module  # noqa: E402
from services.chassis.config import Settings  # noqa: E402
from services.chassis.database import engine_from_settings  # noqa: E402
from services.chassis.errors import ConfiguracaoInvalida, SemPapelError  # noqa: E402
from services.chassis.runner import run_service, service_names  # noqa: E402
from services.chassis.structured_logging import configure_logging  # noqa: E402
from services.chassis.tenant import Tenant  # noqa: E402
from services.chassis.tenant_session import TenantEngines  # noqa: E402

PILOTOS = (
    ("5203302", "Bela Vista de Goiás", "GO"),
    ("5205109", "Catalão", "GO"),
    ("5208004", "Formosa", "GO"),
    ("5211800", "Jaraguá", "GO"),
    ("5212204", "Jussara", "GO"),
    ("5217104", "Piracanjuba", "GO"),
)


def _engine() -> Engine:
    return engine_from_settings(Settings.from_env())


def _fail(exc: Exception) -> None:
    message = exc.message if isinstance(exc, SemPapelError) else str(exc)
    click.echo(f"erro: {message}", err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """Operação da plataforma Prefeitura sem Papel."""
    configure_logging(Settings.from_env(log_level="WARNING"))


@main.command("config")
def show_config() -> None:
    """Lista todas as variáveis de ambiente que a plataforma lê."""
    for env, default, doc in config_module.describe():
        click.echo(f"{env:34} {default or '(sem padrão)':40} {doc}")


@main.command("chave")
def new_key() -> None:
    """Gera uma chave de assinatura de tokens (SEMPAPEL_JWT_SECRET)."""
    click.echo(secrets.token_urlsafe(48))


@main.command("servico")
@click.argument("nome", type=click.Choice(service_names()))
def servico(nome: str) -> None:
    """Roda um serviço neste processo (mais processos = mais réplicas)."""
    try:
        run_service(nome)
    except ConfiguracaoInvalida as exc:
        _fail(exc)


@main.group()
def municipio() -> None:
    """Cadastro de municípios."""


@municipio.command("provisionar")
@click.option("--ibge", required=True)
@click.option("--nome", required=True)
@click.option("--uf", required=True)
def provisionar(ibge: str, nome: str, uf: str) -> None:
    """Cadastra o município, cria seu schema e aplica as migrações (idempotente)."""
    from services.tenancy import provisioning

    try:
        report = provisioning.provision(_engine(), ibge, nome, uf)
    except SemPapelError as exc:
        _fail(exc)
    parts = ", ".join(f"{k}: {v}" for k, v in report.parts.items())
    click.echo(f"município {ibge} ativo ({parts}; catálogo: {report.catalogo})")


def _set_status(ibge: str, status: str) -> None:
    from services.tenancy import provisioning

    try:
        found = provisioning.set_status(_engine(), ibge, status)
    except SemPapelError as exc:
        _fail(exc)
    click.echo(f"município {found.ibge} ({found.nome}): {found.status}")


@municipio.command("suspender")
@click.option("--ibge", required=True)
def suspender(ibge: str) -> None:
    """Suspende o acesso de um município: ninguém entra."""
    _set_status(ibge, "suspenso")


@municipio.command("reativar")
@click.option("--ibge", required=True)
def reativar(ibge: str) -> None:
    """Devolve o acesso a um município suspenso."""
    _set_status(ibge, "ativo")


@municipio.command("listar")
def listar() -> None:
    from services.tenancy import registry

    for m in registry.list_all(_engine()):
        click.echo(f"{m.ibge}  {m.uf}  {m.status:13}  {m.nome}")


@main.group()
def usuario() -> None:
    """Usuários de um município."""


def criar_usuario(ibge: str, login: str, nome: str, senha: str, administrador: bool = False) -> str:
    from services.auth.handlers import contas as handlers
    from services.auth.passwords import Passwords
    from services.auth.settings import AuthSettings
    from services.tenancy import registry

    settings = Settings.from_env()
    engine = engine_from_settings(settings)
    registry.get(engine, ibge)
    uow = TenantEngines(engine).unit_of_work(Tenant(ibge))
    passwords = Passwords.from_settings(AuthSettings.from_env())
    return handlers.criar_usuario(uow, passwords, login, nome, senha, administrador).id


def _tenant_uow_and(ibge: str, action: Callable) -> object:
    from services.auth.handlers import contas as handlers

    engine = engine_from_settings(Settings.from_env())
    return action(TenantEngines(engine).unit_of_work(Tenant(ibge)), handlers)


@usuario.command("administrador")
@click.option("--municipio", "ibge", required=True)
@click.option("--login", required=True)
@click.option("--nao", is_flag=True, help="retira o perfil em vez de dar")
def usuario_administrador(ibge: str, login: str, nao: bool) -> None:
    """Dá (ou retira, com --nao) o perfil de administrador do município."""
    try:
        _tenant_uow_and(ibge, lambda uow, h: h.definir_administrador(uow, login, not nao))
    except SemPapelError as exc:
        _fail(exc)
    click.echo(f"{login}: {'não é' if nao else 'é'} administrador do município {ibge}")


@usuario.command("criar")
@click.option("--municipio", "ibge", required=True)
@click.option("--login", required=True)
@click.option("--nome", required=True)
@click.option("--administrador", is_flag=True, help="administrador do município")
def usuario_criar(ibge: str, login: str, nome: str, administrador: bool) -> None:
    """Cria um usuário; a senha é lida da entrada padrão (uma linha)."""
    senha = sys.stdin.readline().rstrip("\r\n")
    try:
        criar_usuario(ibge, login, nome, senha, administrador)
    except SemPapelError as exc:
        _fail(exc)
    click.echo(f"usuário {login} criado no município {ibge}")


@main.command("migrar")
@click.option("--municipio", "ibge", default=None, help="só este município")
@click.option("--workers", type=int, default=None, help="schemas migrados ao mesmo tempo")
def migrar(ibge: str | None, workers: int | None) -> None:
    """Leva o schema de cada município à última versão; pode ser interrompido e retomado."""
    from services.tenancy import provisioning, registry
    from services.tenancy.settings import TenancySettings

    settings = Settings.from_env()
    engine = engine_from_settings(settings)
    total = 1 if ibge else len(registry.list_all(engine))
    outcomes: Counter[str] = Counter()
    failures = []
    with tqdm(total=total, unit="município", file=sys.stderr, mininterval=0.5) as bar:

        def done(report: provisioning.SchemaReport) -> None:
            if report.error:
                failures.append(report)
                outcomes["falhou"] += 1
            else:
                outcomes.update(report.parts.values())
            bar.update(1)

        try:
            provisioning.migrate_all(
                engine,
                workers or TenancySettings.from_env().migration_workers,
                only=ibge,
                on_done=done,
            )
        except SemPapelError as exc:
            _fail(exc)
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "nada a migrar")
    for report in failures:
        click.echo(f"falhou {report.ibge}: {report.error}", err=True)
    if failures:
        sys.exit(1)


@main.group()
def planilha() -> None:
    """Planilha de encaminhamentos: modelo e importação."""


@planilha.command("modelo")
@click.argument("destino", default="planilha-modelo.xlsx")
def planilha_modelo(destino: str) -> None:
    """Grava o modelo XLSX (abas, colunas, listas de valores e instruções)."""
    from services.tenancy.handlers import importacao

    with click.open_file(destino, "wb") as f:
        f.write(importacao.modelo())
    if destino != "-":
        click.echo(f"modelo gravado em {destino}", err=True)


@planilha.command("importar")
@click.option("--municipio", "ibge", required=True)
@click.option("--simular", is_flag=True, help="só mostra o que mudaria; nada é gravado")
@click.option("--relatorio", type=click.Path(dir_okay=False), help="grava o relatório em JSON")
@click.argument("arquivos", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def planilha_importar(ibge: str, simular: bool, relatorio: str | None, arquivos: tuple) -> None:
    """Importa um XLSX, ou um CSV por aba (unidades.csv, usuarios.csv, ...), num município.

    Tudo é conferido antes: havendo problemas, todos são listados e nada é gravado.
    """
    import json
    from pathlib import Path

    from services.tenancy import registry
    from services.tenancy.handlers import importacao

    engine = _engine()
    try:
        registry.get(engine, ibge)
        dados = [(Path(a).name, Path(a).read_bytes()) for a in arquivos]
        linhas = importacao.ler(dados)
        uow = TenantEngines(engine).unit_of_work(Tenant(ibge))
        report = importacao.importar(uow, linhas, simular)
    except SemPapelError as exc:
        if relatorio:
            Path(relatorio).write_text(json.dumps(exc.as_body(), ensure_ascii=False, indent=2))
        problemas = exc.details.get("problemas", [])
        for p in problemas:
            lugar = " / ".join(str(x) for x in (p["aba"], p["linha"], p["coluna"]) if x)
            click.echo(f"{lugar or 'arquivo'}: {p['mensagem']}", err=True)
        _fail(exc)
    if relatorio:
        Path(relatorio).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    titulo = "simulação (nada gravado)" if simular else "importado"
    click.echo(f"município {ibge}: {titulo}")
    for aba, n in report["resumo"].items():
        click.echo(
            f"  {aba:24} criar {n['criar']:6}  alterar {n['alterar']:6}  "
            f"sem mudança {n['sem_mudanca']:6}"
        )
    if report.get("plano_versao_publicada"):
        click.echo(f"  nova versão do plano: {report['plano_versao_publicada']}")
    codigos = report.get("codigos_ativacao", [])
    if codigos:
        click.echo("códigos de ativação (uso único; entregue cada um ao seu usuário):")
        for c in codigos:
            click.echo(f"  {c['usuario']:24} {c['codigo']}  até {c['expira_em'][:10]}  {c['nome']}")


@main.group()
def busca() -> None:
    """Índice de busca."""


@busca.command("reindexar")
@click.option("--municipio", "ibge", default=None, help="só este município")
def busca_reindexar(ibge: str | None) -> None:
    """Reconstrói o índice a partir dos serviços donos dos dados (processos e documentos
    precisam estar no ar); os eventos ao vivo seguem chegando."""
    from services.busca import reindexacao
    from services.busca.backends import backend_from_settings
    from services.busca.settings import BuscaSettings

    settings = Settings.from_env()
    engines = TenantEngines(engine_from_settings(settings))
    backend = backend_from_settings(settings, BuscaSettings.from_env())
    try:
        tenants = [Tenant(ibge)] if ibge else reindexacao.municipios(engines)
        for tenant in tenants:
            with (
                reindexacao.conectar(settings, tenant) as cluster,
                tqdm(unit="item", desc=tenant.ibge, file=sys.stderr) as bar,
            ):

                def somar(n: int, bar: tqdm = bar) -> None:
                    bar.total = (bar.total or 0) + n
                    bar.refresh()

                feitos = reindexacao.reindexar(
                    reindexacao.FontePorRpc(cluster), backend, tenant, bar.update, somar
                )
            click.echo(f"{tenant.ibge}: {feitos} itens indexados")
    except SemPapelError as exc:
        _fail(exc)


@main.command("piloto")
@click.option("--senha-env", default="SEMPAPEL_ADMIN_SENHA", show_default=True)
def piloto(senha_env: str) -> None:
    """Provisiona os municípios piloto com um administrador cada (login: admin)."""
    import os

    from services.chassis.errors import Conflito
    from services.tenancy import provisioning

    engine = _engine()
    senha = os.environ.get(senha_env) or secrets.token_urlsafe(12)
    for ibge, nome, uf in PILOTOS:
        provisioning.provision(engine, ibge, nome, uf)
        try:
            criar_usuario(ibge, "admin", f"Administrador de {nome}", senha, administrador=True)
            click.echo(f"{ibge} {nome}: admin criado")
        except Conflito:
            _tenant_uow_and(
                ibge, lambda uow, handlers: handlers.definir_administrador(uow, "admin", True)
            )
            click.echo(f"{ibge} {nome}: admin já existia (senha mantida)")
    if not os.environ.get(senha_env):
        click.echo(f"senha dos administradores criados agora: {senha}")


if __name__ == "__main__":
    main()
