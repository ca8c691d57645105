"""Importing a large onboarding spreadsheet into one municipality: time and peak memory.

One run, fresh database: a generated XLSX with `--unidades` units (a tree five
levels deep), `--usuarios` users (every fifth in a second unit, so more rows than
users), `--tipos` process types, `--tipos` document types and 100 new plan codes.
Each stage runs in a fresh helper process (bench/planilha_ops.py, or the
`sempapel` command itself) and its peak resident memory is read from wait4:

- imports only (the interpreter with the import code loaded): the memory baseline;
- reading the workbook (openpyxl read-only, every cell checked);
- dry run (read + review against the database, rolled back);
- the first import (read + review + write, one transaction);
- importing the same file again (nothing changes);
- the operator command `sempapel planilha importar` into another municipality;
- the time baseline: units created one at a time as the admin API does
  (`--uma-a-uma` of them, one transaction each), per unit, against the import's
  time per unit row.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import yaml
from load import (
    BENCH_DB,
    BENCH_VHOST,
    PYTHON,
    REPO,
    SEMPAPEL,
    bench_infrastructure,
    exit_on_sigterm,
    fmt,
    machine_note,
    print_table,
    run_checked,
    service_env,
)

PLANO = REPO / "services" / "tenancy" / "dados" / "plano_classificacao.yaml"
MUNICIPIOS = (("5208707", "Goiânia"), ("5201405", "Aparecida de Goiânia"), ("5201108", "Anápolis"))


def generate(unidades: int, usuarios: int, tipos: int) -> bytes:
    """The workbook, written with the template's sheet and column titles."""
    codigos = [i["codigo"] for i in yaml.safe_load(PLANO.read_text(encoding="utf-8"))["itens"]]
    atividades = [c for c in codigos if c.count(".") == 2]
    subfuncoes = [c for c in codigos if c.count(".") == 1]
    book = openpyxl.Workbook(write_only=True)

    siglas = ["PREF"]
    sheet = book.create_sheet("Unidades")
    sheet.append(["Sigla", "Nome", "Unidade superior", "Protocolo", "Arquivo"])
    sheet.append(["PREF", "Prefeitura Municipal", "", "não", "não"])
    fanout = (40, 10, 4, 2)  # secretarias, departamentos, divisões, seções
    level, frontier = 0, ["PREF"]
    while len(siglas) < unidades:
        nxt = []
        for parent in frontier:
            for k in range(fanout[min(level, len(fanout) - 1)]):
                if len(siglas) >= unidades:
                    break
                sigla = f"{parent[:12]}-{k:02d}" if parent != "PREF" else f"SEC{k:02d}"
                sigla = f"U{len(siglas):05d}" if len(sigla) > 30 else sigla
                siglas.append(sigla)
                nxt.append(sigla)
                protocolo = "sim" if sigla.endswith("-00") else "não"
                sheet.append([sigla, f"Unidade {sigla}", parent, protocolo, "não"])
        frontier, level = nxt, level + 1

    sheet = book.create_sheet("Usuários")
    sheet.append(["Login", "Nome", "Unidade", "Perfil"])
    for n in range(usuarios):
        perfil = "administrador" if n % 50 == 0 else "básico"
        sheet.append([f"servidor{n:05d}", f"Servidor Número {n}", siglas[n % len(siglas)], perfil])
        if n % 5 == 0:
            sheet.append(
                [f"servidor{n:05d}", f"Servidor Número {n}", siglas[(n * 7 + 1) % len(siglas)], ""]
            )

    sheet = book.create_sheet("Tipos de processo")
    sheet.append(["Nome", "Classificação", "Nível de acesso sugerido", "Hipótese legal"])
    for n in range(tipos):
        restrito = n % 10 == 0
        sheet.append(
            [
                f"Processo de exemplo {n:04d}",
                atividades[n % len(atividades)],
                "restrito" if restrito else "público",
                "Informação Pessoal" if restrito else "",
            ]
        )

    sheet = book.create_sheet("Tipos de documento")
    sheet.append(["Nome", "Aplicação", "Numeração"])
    regras = ("nenhuma", "sequencial na unidade", "anual na unidade", "anual no município")
    for n in range(tipos):
        sheet.append([f"Documento de exemplo {n:04d}", "ambos", regras[n % 4]])

    sheet = book.create_sheet("Plano de classificação")
    sheet.append(
        [
            "Código",
            "Descrição",
            "Prazo na fase corrente",
            "Prazo na fase intermediária",
            "Destinação final",
            "Observações",
        ]
    )
    for n in range(100):
        pai = subfuncoes[n % len(subfuncoes)]
        sheet.append(
            [
                f"{pai}.{900 + n // len(subfuncoes):03d}",
                f"Atividade {n}",
                "5",
                "5",
                "eliminação",
                "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, env=env, cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if child.returncode != 0:
            raise RuntimeError(f"{argv} -> {child.returncode}\n{stdout}\n{err.read().decode()}")
    return wall, usage.ru_maxrss / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unidades", type=int, default=2000)
    parser.add_argument("--usuarios", type=int, default=5000)
    parser.add_argument("--tipos", type=int, default=500)
    parser.add_argument("--uma-a-uma", type=int, default=200, dest="uma_a_uma")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    exit_on_sigterm()
    print(machine_note())

    started = time.perf_counter()
    data = generate(args.unidades, args.usuarios, args.tipos)
    print(f"planilha gerada: {len(data) / 1024:.0f} KiB em {time.perf_counter() - started:.1f} s")
    with bench_infrastructure(BENCH_DB, BENCH_VHOST, args.keep), tempfile.TemporaryDirectory() as d:
        path = Path(d) / "planilha.xlsx"
        path.write_bytes(data)
        env = service_env()
        for ibge, nome in MUNICIPIOS:
            run_checked([SEMPAPEL, "municipio", "provisionar", "--ibge", ibge, "--nome", nome,
                         "--uf", "GO"], env)  # fmt: skip
        a, b, c = (m[0] for m in MUNICIPIOS)
        ops = [PYTHON, str(REPO / "bench" / "planilha_ops.py")]

        def stage(modo: str, ibge: str, *extra: str) -> tuple[float, float, dict]:
            wall, rss, out = measured([*ops, modo, "--municipio", ibge, *extra], env)
            return wall, rss, json.loads(out.strip().splitlines()[-1])

        rows = []
        _, base_rss, _ = stage("nada", a)
        rows.append(["só o interpretador e o código (base)", "", "", fmt(base_rss)])
        _, rss, r = stage("ler", a, "--arquivo", str(path))
        linhas = r["linhas"]
        rows.append(["ler a planilha", fmt(r["segundos"], 2), "", fmt(rss)])
        _, rss, r = stage("simular", a, "--arquivo", str(path))
        rows.append(["simulação (ler + conferir)", fmt(r["segundos"], 2), "", fmt(rss)])
        _, first_rss, first = stage("importar", a, "--arquivo", str(path))
        rows.append(["primeira importação", fmt(first["segundos"], 2), "", fmt(first_rss)])
        _, rss, again = stage("importar", a, "--arquivo", str(path))
        rows.append(["importar de novo (nada muda)", fmt(again["segundos"], 2), "", fmt(rss)])
        wall, rss, _ = measured(
            [SEMPAPEL, "planilha", "importar", "--municipio", b, str(path)], env
        )
        rows.append(["comando sempapel planilha importar", "", fmt(wall, 2), fmt(rss)])
        _, _, one = stage("unidades_uma_a_uma", c, "--quantas", str(args.uma_a_uma))

    print()
    print("linhas por aba: " + ", ".join(f"{k} {v}" for k, v in linhas.items()))
    print(f"contas novas com código de ativação: {first['codigos']}")
    assert all(n["criar"] == n["alterar"] == 0 for n in again["resumo"].values()), again
    print_table(
        ["etapa", "s (na etapa)", "s (processo)", "pico RSS MB"],
        rows,
        title="Importação da planilha num município",
    )
    total_rows = sum(linhas.values())
    per_unit = one["segundos"] / args.uma_a_uma * 1000
    per_row = first["segundos"] / total_rows * 1000
    print()
    print(
        f"base de tempo: {args.uma_a_uma} unidades criadas uma a uma (como a API faz): "
        f"{per_unit:.2f} ms por unidade -> {per_unit * args.unidades / 1000:.1f} s para "
        f"{args.unidades}; a importação: {per_row:.3f} ms por linha "
        f"({total_rows} linhas, {first['segundos']:.2f} s), "
        f"{per_unit / per_row:.0f}x menos por linha"
    )
    print(
        f"memória acima da base: primeira importação {first_rss - base_rss:.0f} MB, "
        f"comando completo {rss - base_rss:.0f} MB; planilha de {len(data) / 1024:.0f} KiB"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
