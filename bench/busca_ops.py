"""Helper process of bench_busca.py: realistic entries, the index, events and the backend alone.

JSON on stdin, JSON on stdout, like processos_ops.py, so the benchmark's own
process imports no service code:

    busca_ops.py indexar    stdin: {"ibge", "siglas", "tipos_processo", "tipos_documento",
                                    "processos", "documentos", "lote", "semente"}
    busca_ops.py publicar   stdin: {"ibge", "siglas", "tipos_processo", "tipos_documento",
                                    "eventos", "semente", "amqp_uri"}
    busca_ops.py buscar     stdin: {"ibge", "usuario_id", "unidade_id", "consultas",
                                    "segundos", "clientes", "explicar_acima_ms"}

`indexar` generates `processos` processes and `documentos` documents in the
shapes their events carry (`services/processos/events.py`,
`services/documentos/events.py`): Portuguese administrative text from a
vocabulary by subject (the process type's area and the generating unit's),
Zipf-weighted, stop words included; document bodies of 150 to 450 words with
the municipality's letterhead, interested parties with valid CPFs, process
numbers (NIPE, prefix 99999999), the types' suggested access levels (so some
restrito, a few sigiloso with credentials), the units a process went through,
1% of documents cancelled. Entries are made by the service's own mapping
(`domain.de_processo`, `domain.de_documento`) and written with the real
`PostgresBackend.indexar` in batches of `lote`: processes first, then documents,
timed batch by batch (generation is not timed). Then VACUUM ANALYZE, as
autovacuum would (it is off on this machine), and the table's sizes.
Some entries are planted for the query set: the rare word "quilombola" in 25
documents, one citizen (CPF) in 8 processes.

`publicar` makes `eventos` // 10 new processes (ids starting f0f0f0f0) with 3
documents each and publishes their 10 events each as the outbox relay does
(`cloud_event`, `OutboxRelay._publish`: routing key = type, persistent,
publisher confirms): processo.gerado; then per document documento.incluido
(seq 2d-1, no text), processo.documento_incluido (versao d+1) and
documento.texto_extraido (seq 2d, with the text). The events of different
processes are interleaved at random, each process's in order. Each `data` is
validated against the pydantic models of the events catalogue first.

`buscar` runs `PostgresBackend.buscar` on the queries (built by the service's
own `_consulta`) with an `Acesso` as the service builds it from a token:
1 client (sequential, at least 3 calls) and N clients (threads, one pooled
connection each; only the kinds under `varios_ate_ms` alone) for `segundos`
per query kind, with the time of each SQL statement (now one: the prepared
search, on the autocommit pool). For the kinds whose p95 at 1 client is over
`explicar_acima_ms`, EXPLAIN (ANALYZE, BUFFERS) of each statement of one call,
prepared with a generic plan as the backend runs it.

This process is not monkey-patched and takes a plain engine (no psycogreen
wait callback): the index is written and read by plain threads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
import time
import types
import uuid
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import create_engine, event, text

from services.busca import domain
from services.busca.domain import Acesso
from services.busca.handlers import consulta_de
from services.busca.postgres import PostgresBackend
from services.chassis import prepared_statements
from services.chassis.config import Settings
from services.chassis.events import EXCHANGE
from services.chassis.outbox import OutboxRelay, cloud_event
from services.chassis.tenant import schema_for
from services.chassis.tenant_session import TenantEngines
from services.documentos import events as doc_eventos
from services.processos import events as proc_eventos
from services.processos import nup

PREFIXO = "99999999"  # NIPE prefix of the generated processes (not the municipality's)
PREFIXO_EVENTOS = "99999998"
ID_EVENTOS = "f0f0f0f0"  # the ids of the processes and documents sent as events start so
RARA = "quilombola"
RARA_DOCUMENTOS = 25
CIDADAO = "Maria Aparecida dos Santos Ribeiro"
CIDADAO_PROCESSOS = 8

# --------------------------------------------------------------------------- vocabulary

PARADAS = (
    "de a o que e do da em um para com não uma os no se na por mais as dos como mas ao das à "
    "seu sua ou quando já também só pelo pela até entre depois sem mesmo aos seus nas esse "
    "essa num nem suas pelos este esta isso foi ser será são está estão tem ter sido qual "
    "quais sobre cujo cuja onde pelas nesta neste desta deste"
).split()

GERAL: (
    str | list[str]
) = """processo|documento|solicitação|requerimento|senhor|senhora|secretaria|secretário|
prefeito|servidor|informação|análise|parecer|despacho|encaminhamento|providências|conforme|
referente|anexo|cópia|prazo|dias|data|assunto|objeto|finalidade|interessado|requerente|
autorização|aprovação|deferimento|indeferimento|arquivamento|ciência|manifestação|verificação|
documentação|comprovante|declaração|certidão|registro|cadastro|protocolo|número|ofício|
memorando|comunicação|publicação|diário oficial|legislação|lei|decreto|portaria|artigo|inciso|
parágrafo|termos|disposto|previsto|vigente|regulamento|norma|procedimento|orientação|instrução|
administração|pública|público|interesse|gestão|controle|fiscalização|acompanhamento|execução|
cumprimento|atendimento|serviço|serviços|recurso|recursos|valor|total|reais|orçamento|despesa|
pagamento|empresa|contrato|proposta|preço|quantidade|unidade|item|especificação|descrição|
relatório|ata|reunião|comissão|equipe|responsável|técnico|coordenação|diretoria|gabinete|
assessoria|procuradoria|controladoria|departamento|divisão|setor|seção|chefia|superior|
competente|competência|atribuições|cargo|função|exercício|período|vigência|início|término|
conclusão|resultado|situação|pendência|pendente|regularização|regular|irregular|necessidade|
necessário|urgência|urgente|prioridade|imediato|posterior|anterior|seguinte|presente|referido|
mencionado|citado|respectivo|devido|legal|legais|jurídico|administrativo|administrativa|
financeiro|orçamentário|técnica|operacional|local|endereço|rua|avenida|quadra|lote|bairro|
telefone|e-mail|contato|retorno|resposta|esclarecimento|dúvida|consulta|pedido|atender|
encaminhar|solicitar|informar|analisar|verificar|providenciar|autorizar|aprovar|determinar|
designar|comunicar|notificar|publicar|arquivar|instruir|juntar|anexar|devolver|retornar|
considerando|tendo em vista|nos termos|em anexo|a fim de|por meio de|de acordo com|
atenciosamente|respeitosamente|cordialmente|solicito|informo|encaminho|submeto|
apreciação|deliberação|decisão|homologação|ratificação|convocação|notificação|intimação|
prorrogação|alteração|inclusão|exclusão|substituição|complementação|retificação|
cancelamento|suspensão|revogação|anulação|acompanhar|conferência|levantamento|diagnóstico|
planejamento|programação|cronograma|etapa|fase|meta|indicador|avaliação|monitoramento|
transparência|eficiência|economicidade|legalidade|publicidade|impessoalidade|moralidade|
cidadão|cidadania|comunidade|população|munícipe|usuário|beneficiário|família|zona rural|
zona urbana|distrito|povoado|região|território|estado de goiás|governo federal"""

TOPICOS: dict[str, Any] = {
    "compras": """licitação|licitações|pregão eletrônico|edital|certame|licitante|habilitação|
adjudicação|homologação do certame|ata de registro de preços|registro de preços|dispensa|
inexigibilidade|cotação|orçamentos|mapa de preços|pesquisa de preços|termo de referência|
estudo técnico preliminar|fornecimento|aquisição|material de expediente|material de limpeza|
gêneros alimentícios|equipamentos de informática|mobiliário|impugnação|recurso administrativo|
empresa vencedora|menor preço|lote único|garantia contratual|termo aditivo|apostilamento|
reajuste|penalidade|multa contratual|fiscal do contrato|gestor do contrato|entrega|
almoxarifado|requisição de material|estoque|contratação|contratada|contratante|fornecedor|
fornecedores|proposta de preços|planilha de custos|sessão pública|pregoeiro|
agente de contratação|lei 14.133""",
    "obras": """obra|obras|engenharia|pavimentação asfáltica|recapeamento|drenagem pluvial|
meio-fio|calçada|sarjeta|bueiro|ponte|reforma|ampliação|construção|projeto básico|
projeto executivo|planilha orçamentária|cronograma físico-financeiro|medição|
boletim de medição|anotação de responsabilidade técnica|engenheiro|canteiro de obras|
terraplenagem|concreto|asfalto|iluminação pública|rede de esgoto|abastecimento de água|praça|
quadra poliesportiva|creche|unidade básica de saúde|escola municipal|loteamento|topografia|
vistoria|laudo técnico|aditivo de prazo|paralisação|recebimento provisório|
recebimento definitivo|empreiteira|serviço de engenharia|manutenção predial|alvará|
habite-se|licença ambiental|sinalização viária|tapa-buraco""",
    "pessoal": """servidora|cargo efetivo|cargo em comissão|matrícula|lotação|férias|licença|
licença-prêmio|afastamento|atestado médico|perícia médica|aposentadoria|pensão por morte|
tempo de contribuição|averbação|progressão funcional|gratificação|adicional|insalubridade|
periculosidade|quinquênio|folha de pagamento|contracheque|remuneração|vencimento|desconto|
consignado|exoneração|nomeação|posse|estágio probatório|avaliação de desempenho|
capacitação|curso|treinamento|frequência|ponto eletrônico|jornada de trabalho|horas extras|
concurso público|processo seletivo|convocação|regime próprio de previdência|instituto de
previdência|recursos humanos|estatuto dos servidores|abono|décimo terceiro|rescisão|
cessão de servidor|readaptação|sindicância|processo administrativo disciplinar""",
    "financas": """dotação orçamentária|crédito adicional|suplementação|empenho|
nota de empenho|liquidação|ordem de pagamento|nota fiscal|fatura|boleto|retenção|imposto|
imposto sobre serviços|imposto de renda retido|tesouraria|conta bancária|transferência|
conciliação bancária|balancete|contabilidade|prestação de contas|exercício financeiro|
restos a pagar|receita|arrecadação|tributo|iptu|itbi|dívida ativa|parcelamento|
certidão negativa|diárias|adiantamento|suprimento de fundos|lei orçamentária anual|
lei de diretrizes orçamentárias|plano plurianual|fonte de recurso|saldo|credor|
elemento de despesa|ficha orçamentária|quota financeira|repasse|fundo municipal|
regularidade fiscal|fgts|tribunal de contas dos municípios""",
    "atendimento": """reclamação|denúncia|sugestão|elogio|ouvidoria|cidadã|resposta ao cidadão|
pedido de informação|acesso à informação|lei 12.527|iluminação|buraco na rua|coleta de lixo|
terreno baldio|poda de árvore|limpeza urbana|animais soltos|perturbação do sossego|
transporte coletivo|transporte escolar|vaga em creche|consulta médica|medicamentos|
segunda via|certidão de débitos|alvará de funcionamento|habite-se|numeração predial|
uso do solo|esgoto a céu aberto|vazamento|falta de água|entulho|calçada irregular|
atendimento ao público|balcão de atendimento|protocolo geral|manifestação anônima""",
    "normas": """decreto municipal|portaria|lei municipal|projeto de lei|sanção|veto|
câmara municipal|vereador|regimento interno|estrutura organizacional|organograma|
competências|atribuições|designação|regulamentação|plano municipal|programa|projeto|meta|
planejamento estratégico|diário oficial do município|revogação|vigência|lei orgânica|
mensagem ao legislativo|emenda|comissão permanente|conselho municipal|audiência pública|
consulta pública|política municipal|plano diretor|código tributário|código de posturas""",
    "juridico": """procuradoria-geral|parecer jurídico|ação judicial|mandado de segurança|
execução fiscal|sentença|acórdão|apelação|intimação|citação|prazo processual|contestação|
autos|juízo|comarca de formosa|tribunal de justiça|ministério público|tribunal de contas|
diligência|auditoria|inspeção|controle interno|recomendação|apontamento|irregularidade|
ressarcimento|termo de ajustamento de conduta|inquérito civil|precatório|
requisição de pequeno valor|acordo judicial|segredo de justiça|defensoria pública""",
    "patrimonio": """bem móvel|bem imóvel|tombamento|plaqueta|inventário|incorporação|
baixa patrimonial|alienação|leilão|doação|cessão de uso|veículo|veículos|placa|abastecimento|
combustível|manutenção|oficina|pneus|multa de trânsito|motorista|frota municipal|
quilometragem|seguro|licenciamento|ordem de tráfego|máquinas pesadas|patrol|
retroescavadeira|caminhão basculante|escritura|matrícula do imóvel|desapropriação|
avaliação do imóvel""",
    "convenios": """convênio|termo de colaboração|termo de fomento|organização da sociedade civil|
plano de trabalho|transferência voluntária|contrapartida|acordo de cooperação técnica|
ministério|governo estadual|emenda parlamentar|chamamento público|plataforma transferegov|
conta específica|objeto pactuado|prestação de contas parcial|termo de execução|
associação|entidade|parceria|fundo nacional|caixa econômica federal""",
    "documentos": """arquivo|tabela de temporalidade|eliminação de documentos|guarda permanente|
listagem de eliminação|dados pessoais|titular dos dados|lei geral de proteção de dados|
encarregado|tratamento de dados|consentimento|campanha|publicidade institucional|divulgação|
redes sociais|evento|imprensa|assessoria de comunicação|identidade visual|arquivo público|
digitalização|gestão documental""",
}


def _lista(texto: str) -> list[str]:
    """'a|b c|...' over several lines -> ['a', 'b c', ...], whitespace normalized."""
    return [" ".join(w.split()) for w in texto.split("|") if w.strip()]


GERAL = _lista(GERAL)
TOPICOS = {k: _lista(v) for k, v in TOPICOS.items()}

# The area of a process type (the part of its name before ':') -> the vocabulary's subject.
AREAS = {
    "Protocolo": "atendimento",
    "Ouvidoria": "atendimento",
    "Acesso à Informação": "atendimento",
    "Gestão Institucional": "normas",
    "Legislação": "normas",
    "Planejamento": "normas",
    "Jurídico": "juridico",
    "Controle Interno": "juridico",
    "Controle Externo": "juridico",
    "Pessoal": "pessoal",
    "Licitação": "compras",
    "Contratos": "compras",
    "Material": "compras",
    "Patrimônio": "patrimonio",
    "Frota": "patrimonio",
    "Obras": "obras",
    "Orçamento": "financas",
    "Pagamentos": "financas",
    "Contabilidade": "financas",
    "Convênio": "convenios",
    "Gestão Documental": "documentos",
    "Proteção de Dados": "documentos",
    "Comunicação": "documentos",
}
# How often each area's processes are opened (relative).
PESO_AREA = {
    "Pagamentos": 14,
    "Pessoal": 4,  # per type: Pessoal has 13 types
    "Licitação": 6,
    "Contratos": 6,
    "Protocolo": 8,
    "Ouvidoria": 6,
    "Acesso à Informação": 2,
    "Obras": 6,
    "Material": 5,
    "Frota": 4,
    "Orçamento": 3,
    "Legislação": 3,
}

UNIDADES = {
    # sigla: (nome, subject words of the unit)
    "PROT": ("Protocolo Geral", "atendimento ao público|protocolo geral|balcão"),
    "SEMAD": (
        "Secretaria Municipal de Administração",
        "recursos humanos|administração|patrimônio|almoxarifado",
    ),
    "SEFAZ": ("Secretaria Municipal de Fazenda", "tesouraria|arrecadação|contabilidade|tributos"),
    "SMS": (
        "Secretaria Municipal de Saúde",
        "saúde|paciente|unidade básica de saúde|vacinação|atenção primária|hospital municipal|"
        "agente comunitário de saúde|sus|farmácia básica|vigilância sanitária",
    ),
    "SEMED": (
        "Secretaria Municipal de Educação",
        "educação|escola|aluno|alunos|professor|professora|merenda escolar|ensino fundamental|"
        "educação infantil|transporte escolar|fundeb",
    ),
    "SEMOB": (
        "Secretaria Municipal de Obras",
        "obras|infraestrutura|estradas vicinais|máquinas|pavimentação|drenagem",
    ),
    "PGM": ("Procuradoria-Geral do Município", "procuradoria|jurídico|processo judicial"),
    "SEMAS": (
        "Secretaria Municipal de Assistência Social",
        "assistência social|cras|creas|bolsa família|cadastro único|vulnerabilidade|idosos",
    ),
}
PESO_UNIDADE = {"PROT": 5, "SEMAD": 5, "SEFAZ": 4, "SMS": 5, "SEMED": 5, "SEMOB": 3}

NOMES = """Maria José Ana João Francisco Antônio Carlos Paulo Pedro Lucas Luiz Marcos Luís Gabriel
Rafael Daniel Marcelo Bruno Eduardo Felipe Raimundo Rodrigo Manoel Mateus André Fernando Fábio
Leonardo Gustavo Guilherme Juliana Adriana Márcia Fernanda Patrícia Aline Sandra Camila Amanda
Bruna Jéssica Letícia Júlia Luciana Vanessa Mariana Gabriela Vera Vitória Larissa Cláudia
Beatriz Luana Rita Sônia Renata Eliane Josefa Simone Natália Sebastião Benedito Valdir Geraldo
Aparecida Conceição Terezinha Rosângela Cleide Wesley Weslley Kelly Thaís Ítalo Érica""".split()
SOBRENOMES = """Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa
Ribeiro Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento
Andrade Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira
Araújo Pinto Moura Cavalcanti Monteiro Borges Campos Reis Batista Correia Xavier Siqueira Pires
Brito Macedo Magalhães Queiroz Caldeira Amorim Guimarães Fonseca Tavares Prado Paiva""".split()
BAIRROS = _lista("""Centro|Setor Norte|Setor Sul|Jardim América|Vila Santa Maria|Parque Lago|
Setor Bosque|Jardim Triângulo|Vila Verde|Setor Nordeste|Formosinha|Parque das Laranjeiras|
Setor Ferroviário|Vila Rosa|Jardim Califórnia|Setor Primavera|Parque Vila Verde|Bela Vista|
Jardim Oliveira|Setor Sudeste""")
EMPRESAS = _lista(
    """Construtora Planalto Ltda|Distribuidora Cerrado Comércio Ltda|Papelaria Formosa ME|
    Auto Posto Lagoa Feia Ltda|Goiás Informática e Serviços Ltda|Alimentos Bom Sabor Eireli|
    Engenharia Central Ltda|Limpeza Total Serviços Ltda|Farmácia Popular do Cerrado Ltda|
    Transportes Rio Preto Ltda|Móveis Brasília Ltda|Asfalto Forte Engenharia Ltda"""
)
ITENS = _lista(
    """material de expediente|gêneros alimentícios para a merenda escolar|
    medicamentos da farmácia básica|equipamentos de informática|mobiliário escolar|
    material de limpeza|uniformes escolares|combustível para a frota|pneus e câmaras de ar|
    material de construção|material hospitalar|serviços de manutenção de ar-condicionado|
    serviços de vigilância|locação de veículos|serviços gráficos|cestas básicas|
    kits de higiene|material esportivo"""
)
PREDIOS = _lista(
    """Escola Municipal Joaquim de Paula|Creche Pequeno Príncipe|
    Unidade Básica de Saúde do Setor Norte|Praça da Matriz|Ginásio de Esportes|
    Centro de Referência de Assistência Social|Mercado Municipal|Cemitério Municipal|
    Terminal Rodoviário|Paço Municipal"""
)
MESES = (
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
).split()

ESPECIFICACOES = {
    "compras": [
        "Aquisição de {item} para a {unidade}",
        "Pregão eletrônico para registro de preços de {item}",
        "Contratação de empresa para fornecimento de {item}",
        "Dispensa de licitação para aquisição de {item}",
        "Aditivo ao contrato com {empresa}",
        "Requisição de {item} ao almoxarifado",
    ],
    "obras": [
        "Pavimentação asfáltica da Rua {n} no {bairro}",
        "Reforma da {predio}",
        "Construção de calçadas e meio-fio no {bairro}",
        "Drenagem pluvial no {bairro}",
        "Medição da obra de ampliação da {predio}",
    ],
    "pessoal": [
        "Férias de {nome}",
        "Licença-prêmio de {nome}",
        "Aposentadoria de {nome}",
        "Progressão funcional de {nome}",
        "Folha de pagamento de {mes} de {ano}",
        "Nomeação de {nome} em cargo efetivo",
        "Averbação de tempo de contribuição de {nome}",
    ],
    "financas": [
        "Pagamento da nota fiscal {nf} de {empresa}",
        "Empenho e liquidação de despesa com {item}",
        "Crédito adicional suplementar para a {unidade}",
        "Diárias de viagem de {nome} a Goiânia",
        "Prestação de contas do exercício de {ano}",
    ],
    "atendimento": [
        "Requerimento de {nome}",
        "Reclamação sobre buraco na rua no {bairro}",
        "Solicitação de poda de árvore na Rua {n} do {bairro}",
        "Pedido de acesso à informação sobre {item}",
        "Manifestação sobre coleta de lixo no {bairro}",
        "Requerimento de segunda via de certidão - {nome}",
    ],
    "normas": [
        "Decreto que regulamenta o horário de funcionamento da {unidade}",
        "Portaria de designação de comissão de {item}",
        "Projeto de lei que dispõe sobre o plano municipal de {tema}",
        "Alteração da estrutura organizacional da {unidade}",
    ],
    "juridico": [
        "Parecer jurídico sobre contrato com {empresa}",
        "Ação judicial movida por {nome}",
        "Diligência do Tribunal de Contas sobre {item}",
        "Auditoria interna na {unidade}",
    ],
    "patrimonio": [
        "Abastecimento da frota da {unidade} em {mes} de {ano}",
        "Baixa patrimonial de bens inservíveis da {unidade}",
        "Multa de trânsito do veículo placa {placa}",
        "Manutenção do veículo placa {placa}",
        "Cessão de uso de imóvel no {bairro}",
    ],
    "convenios": [
        "Convênio com o governo estadual para {tema}",
        "Termo de colaboração com associação do {bairro}",
        "Prestação de contas de transferência voluntária para {tema}",
    ],
    "documentos": [
        "Eliminação de documentos da {unidade}",
        "Campanha institucional de {tema}",
        "Requerimento de titular de dados - {nome}",
    ],
}
TEMAS = (
    "saneamento básico|mobilidade urbana|educação infantil|saúde da família|habitação|"
    "vacinação|combate à dengue|regularização fundiária|cultura|esporte e lazer"
).split("|")


def _zipf(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (r**s) for r in range(1, n + 1)]


def cpf_valido(rng: random.Random) -> str:
    base = [rng.randrange(10) for _ in range(9)]
    for peso in (10, 11):
        soma = sum(d * p for d, p in zip(base, range(peso, 1, -1), strict=False))
        resto = soma * 10 % 11
        base.append(0 if resto == 10 else resto)
    return "".join(map(str, base))


def cpf_formatado(d: str) -> str:
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


# --------------------------------------------------------------------------- generator


class Gerador:
    """Processes and documents as their events carry them, deterministic for a seed."""

    def __init__(
        self,
        semente: int,
        unidades: dict[str, str],
        tipos_processo: list[dict[str, Any]],
        tipos_documento: list[dict[str, Any]],
        prefixo: str,
        id_prefixo: str = "",
    ) -> None:
        self.rng = random.Random(semente)
        self.unidades = unidades  # sigla -> id
        self.siglas = list(unidades)
        self.peso_unidade = list(accumulate(PESO_UNIDADE.get(s, 1) for s in self.siglas))
        tipos = [t for t in tipos_processo if t.get("ativo", True)]
        self.tipos = tipos
        self.peso_tipo = list(accumulate(PESO_AREA.get(t["nome"].split(":")[0], 1) for t in tipos))
        self.tipos_documento = [t for t in tipos_documento if t.get("ativo", True)]
        self.prefixo = prefixo
        self.id_prefixo = id_prefixo
        self.seq_ano: dict[int, int] = {}
        self.doc_numero = 0
        self._populacoes: dict[tuple[str, str], tuple[list[str], list[float]]] = {}
        self.inicio = datetime(2022, 1, 3, 8, tzinfo=UTC)
        self.fim = datetime(2025, 11, 28, 18, tzinfo=UTC)
        self.fake_usuarios = [uuid.UUID(int=self.rng.getrandbits(128)).hex for _ in range(40)]
        self.cidadao_cpf = cpf_valido(self.rng)

    def _id(self) -> str:
        raw = uuid.UUID(int=self.rng.getrandbits(128)).hex
        return (self.id_prefixo + raw)[:32]

    def _nome(self) -> str:
        r = self.rng
        meio = f" {r.choice(SOBRENOMES)}" if r.random() < 0.6 else ""
        return f"{r.choice(NOMES)}{meio} {r.choice(SOBRENOMES)}"

    def populacao(self, topico: str, sigla: str) -> tuple[list[str], list[float]]:
        """Words with cumulative weights: 40 % stop words, 32 % general, 20 % subject, 8 % unit."""
        chave = (topico, sigla)
        if chave not in self._populacoes:
            partes = [
                (PARADAS, 0.40, 0.9),
                (GERAL, 0.32, 1.0),
                (TOPICOS[topico], 0.20, 0.9),
                (UNIDADES.get(sigla, ("", "administração"))[1].split("|"), 0.08, 0.8),
            ]
            palavras: list[str] = []
            pesos: list[float] = []
            for lista, fatia, s in partes:
                z = _zipf(len(lista), s)
                soma = sum(z)
                palavras += lista
                pesos += [fatia * w / soma for w in z]
            self._populacoes[chave] = (palavras, list(accumulate(pesos)))
        return self._populacoes[chave]

    def _texto(self, topico: str, sigla: str, n: int) -> str:
        palavras, cum = self.populacao(topico, sigla)
        ws = self.rng.choices(palavras, cum_weights=cum, k=n)
        frases = []
        i = 0
        while i < len(ws):
            k = self.rng.randint(8, 20)
            frase = " ".join(ws[i : i + k])
            frases.append(frase[:1].upper() + frase[1:] + ".")
            i += k
        return " ".join(frases)

    def _quando(self) -> datetime:
        span = (self.fim - self.inicio).total_seconds()
        # more recent years hold more processes (the platform's use grows)
        return self.inicio + timedelta(seconds=span * (self.rng.random() ** 0.8))

    def processo(self, forcar_cidadao: bool = False) -> dict[str, Any]:
        r = self.rng
        tipo = r.choices(self.tipos, cum_weights=self.peso_tipo)[0]
        area = tipo["nome"].split(":")[0]
        topico = AREAS.get(area, "atendimento")
        geradora = r.choices(self.siglas, cum_weights=self.peso_unidade)[0]
        quando = self._quando()
        ano = quando.year
        self.seq_ano[ano] = self.seq_ano.get(ano, 0) + 1
        numero = nup.gerar("nipe", self.prefixo, self.seq_ano[ano], ano)
        interessados = [
            {"nome": self._nome(), "documento": cpf_valido(r)} for _ in range(r.choice((1, 1, 2)))
        ]
        if forcar_cidadao:
            interessados[0] = {"nome": CIDADAO, "documento": self.cidadao_cpf}
        modelo = r.choice(ESPECIFICACOES[topico])
        especificacao = modelo.format(
            item=r.choice(ITENS),
            unidade=UNIDADES.get(geradora, (geradora,))[0],
            empresa=r.choice(EMPRESAS),
            n=r.randint(1, 120),
            bairro=r.choice(BAIRROS),
            predio=r.choice(PREDIOS),
            nome=interessados[0]["nome"],
            mes=r.choice(MESES),
            ano=ano,
            nf=r.randint(100, 99999),
            tema=r.choice(TEMAS),
            placa=f"{''.join(r.choices('ABCDEFGHIJKLMNOPQRSTUVWXYZ', k=3))}{r.randint(1000, 9999)}",
        )
        passou = {geradora}
        for _ in range(r.choice((0, 0, 1, 1, 2, 3))):
            passou.add(r.choices(self.siglas, cum_weights=self.peso_unidade)[0])
        nivel = tipo["nivel_acesso_sugerido"]
        credenciados = (
            sorted(r.sample(self.fake_usuarios, r.randint(1, 3))) if nivel == "sigiloso" else []
        )
        return {
            "id": self._id(),
            "numero": numero.digitos,
            "numero_formatado": numero.formatado,
            "versao": 1,
            "tipo_processo_id": tipo["id"],
            "tipo_nome": tipo["nome"],
            "especificacao": especificacao,
            "classificacao": tipo.get("classificacao") or "",
            "nivel_acesso": nivel,
            "nivel_efetivo": nivel,
            "hipotese_legal": tipo.get("hipotese_legal"),
            "interessados": interessados,
            "unidade_geradora_id": self.unidades[geradora],
            "unidades": sorted(
                (
                    {"unidade_id": self.unidades[s], "situacao": r.choice(("aberto", "fechado"))}
                    for s in passou
                ),
                key=lambda u: u["unidade_id"],
            ),
            "credenciados": credenciados,
            "principal_id": None,
            "sobrestado": False,
            "criado_em": quando.isoformat(),
            "atualizado_em": quando.isoformat(),
            "_topico": topico,
            "_sigla": geradora,
        }

    def documento(
        self, proc: dict[str, Any], ordem: int, rara: bool = False
    ) -> tuple[dict[str, Any], str]:
        """A document of `proc` and its text (letterhead, body, signature)."""
        r = self.rng
        tipo = r.choice(self.tipos_documento)
        sigla = proc["_sigla"] if r.random() < 0.6 else r.choice(self.siglas)
        self.doc_numero += 1
        quando = datetime.fromisoformat(proc["criado_em"]) + timedelta(hours=r.randint(0, 24 * 120))
        assinantes = [
            {
                "usuario_id": r.choice(self.fake_usuarios),
                "nome": self._nome(),
                "cargo": r.choice(
                    (
                        "Secretário Municipal",
                        "Diretor",
                        "Assessor Técnico",
                        "Agente Administrativo",
                        "Procurador do Município",
                        "Coordenadora",
                        "Fiscal de Contrato",
                    )
                ),
                "unidade_sigla": sigla,
                "assinado_em": quando.isoformat(),
            }
            for _ in range(r.choice((0, 1, 1, 1, 2)))
        ]
        nome_unidade = UNIDADES.get(sigla, (sigla,))[0]
        partes = [
            f"PREFEITURA MUNICIPAL DE FORMOSA. {nome_unidade}.",
            f"{tipo['nome']} nº {r.randint(1, 999)}/{quando.year} - {sigla}.",
            f"Processo nº {proc['numero_formatado']}. Assunto: {proc['especificacao']}.",
        ]
        interessado = proc["interessados"][0]
        if r.random() < 0.5:
            partes.append(
                f"Interessado: {interessado['nome']}, "
                f"CPF {cpf_formatado(interessado['documento'])}."
            )
        partes.append(self._texto(proc["_topico"], sigla, r.randint(150, 450)))
        if r.random() < 0.3:
            partes.append(
                f"Valor total de R$ {r.randint(100, 900_000):,},{r.randint(0, 99):02d}".replace(
                    ",", "."
                )
                + f" em favor de {r.choice(EMPRESAS)}."
            )
        if rara:
            partes.append(
                f"Atendimento à comunidade {RARA} do {r.choice(BAIRROS)} "
                "conforme o plano de trabalho."
            )
        partes.append(
            f"Formosa, {quando.day} de {MESES[quando.month - 1]} de {quando.year}. "
            + " ".join(f"{a['nome']}, {a['cargo']}." for a in assinantes)
        )
        texto = " ".join(partes)
        documento = {
            "id": self._id(),
            "processo_id": proc["id"],
            "ordem": ordem,
            "numero": self.doc_numero,
            "rotulo": f"{tipo['nome']} {r.randint(1, 999)}/{quando.year} - {sigla}",
            "origem": r.choice(("interno", "interno", "interno", "externo")),
            "tipo_documento_id": tipo["id"],
            "tipo_nome": tipo["nome"],
            "nivel_acesso": proc["nivel_acesso"],
            "situacao": "cancelado"
            if r.random() < 0.01
            else ("assinado" if assinantes else "incluido"),
            "unidade_id": self.unidades[sigla],
            "data_documento": quando.date().isoformat(),
            "formato": "application/pdf",
            "sha256": hashlib.sha256(texto.encode()).hexdigest(),
            "assinantes": assinantes,
            "criado_em": quando.isoformat(),
        }
        return documento, texto


def _publico(proc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proc.items() if not k.startswith("_")}


def _gerador(item: dict[str, Any], unidades: dict[str, str], prefixo: str, id_prefixo: str = ""):
    return Gerador(
        int(item.get("semente", 1)),
        unidades,
        item["tipos_processo"],
        item["tipos_documento"],
        prefixo,
        id_prefixo,
    )


# --------------------------------------------------------------------------- database


def _engine(pool: int = 12) -> Any:
    return create_engine(Settings.from_env().database_url, pool_size=pool, max_overflow=0)


def _unidades(engine: Any, ibge: str, siglas: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(f'SELECT sigla, id FROM "{schema_for(ibge)}".unidade WHERE sigla = ANY(:s)'),
            {"s": list(siglas)},
        ).all()
    found = dict(rows)
    missing = set(siglas) - set(found)
    if missing:
        raise SystemExit(f"unidades inexistentes: {sorted(missing)}")
    return {s: found[s] for s in siglas}


def _tamanhos(engine: Any, ibge: str) -> dict[str, Any]:
    tabela = f'"{schema_for(ibge)}".busca_entrada'
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT pg_relation_size('{tabela}'), pg_total_relation_size('{tabela}'), "
                f"pg_relation_size('\"{schema_for(ibge)}\".ix_busca_entrada_filtros'), "
                f"(SELECT count(*) FROM {tabela}), "
                f"(SELECT avg(length(texto)) FROM {tabela} WHERE tipo = 'documento')"
            )
        ).one()
    return {
        "tabela_bytes": row[0],
        "total_bytes": row[1],
        "gin_bytes": row[2],
        "entradas": row[3],
        "texto_medio_documento": float(row[4] or 0),
    }


def cmd_indexar(item: dict[str, Any]) -> dict[str, Any]:
    ibge = item["ibge"]
    engine = _engine()
    unidades = _unidades(engine, ibge, item["siglas"])
    backend = PostgresBackend(TenantEngines(engine))
    g = _gerador(item, unidades, PREFIXO)
    n_proc, n_doc, lote = int(item["processos"]), int(item["documentos"]), int(item["lote"])
    cidadao_em = {i * n_proc // CIDADAO_PROCESSOS for i in range(CIDADAO_PROCESSOS)}
    processos = [g.processo(forcar_cidadao=i in cidadao_em) for i in range(n_proc)]
    entradas_proc = [domain.de_processo(_publico(p)) for p in processos]

    tempos: dict[str, float] = {"processos": 0.0, "documentos": 0.0}
    lotes: list[float] = []
    started = time.perf_counter()
    for i in range(0, n_proc, lote):
        t0 = time.perf_counter()
        backend.indexar(ibge, entradas_proc[i : i + lote])
        lotes.append(time.perf_counter() - t0)
        tempos["processos"] += lotes[-1]
    # Documents: 1 to 9 per process (mean n_doc / n_proc), in process order.
    por_processo = [1] * n_proc
    for _ in range(n_doc - n_proc):
        por_processo[g.rng.randrange(n_proc)] += 1
    raras = set(g.rng.sample(range(n_doc), RARA_DOCUMENTOS))
    por_id = {e.processo_id: e for e in entradas_proc}
    pendentes: list[domain.Entrada] = []
    k = 0
    gerar_s = 0.0
    lotes_doc: list[float] = []
    for proc, quantos in zip(processos, por_processo, strict=True):
        base = por_id[proc["id"]]
        for ordem in range(1, quantos + 1):
            t0 = time.perf_counter()
            documento, texto = g.documento(proc, ordem, rara=k in raras)
            pendentes.append(domain.de_documento(documento, ordem, base, texto))
            gerar_s += time.perf_counter() - t0
            k += 1
            if len(pendentes) >= lote:
                t0 = time.perf_counter()
                backend.indexar(ibge, pendentes)
                lotes_doc.append(time.perf_counter() - t0)
                pendentes = []
    if pendentes:
        t0 = time.perf_counter()
        backend.indexar(ibge, pendentes)
        lotes_doc.append(time.perf_counter() - t0)
    tempos["documentos"] = sum(lotes_doc)
    total_s = time.perf_counter() - started

    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'VACUUM ANALYZE "{schema_for(ibge)}".busca_entrada'))
    vacuum_s = time.perf_counter() - t0

    # Values for the query set, from the data.
    meio = processos[n_proc // 2]
    tipos_freq: dict[str, int] = {}
    for p in processos:
        tipos_freq[p["tipo_nome"]] = tipos_freq.get(p["tipo_nome"], 0) + 1
    niveis: dict[str, int] = {}
    for e in entradas_proc:
        niveis[e.nivel] = niveis.get(e.nivel, 0) + 1
    resultado = {
        "processos": n_proc,
        "documentos": k,
        "lote": lote,
        "processos_s": tempos["processos"],
        "documentos_s": tempos["documentos"],
        "lotes_processos_s": sorted(lotes),
        "lotes_documentos_s": sorted(lotes_doc),
        "gerar_documentos_s": gerar_s,
        "total_com_geracao_s": total_s,
        "vacuum_analyze_s": vacuum_s,
        "niveis_processos": niveis,
        "amostras": {
            "numero": meio["numero"],
            "numero_formatado": meio["numero_formatado"],
            "cpf": cpf_formatado(g.cidadao_cpf),
            "tipo_mais_comum": max(tipos_freq, key=tipos_freq.get),
            "rara": RARA,
        },
        "unidades": unidades,
    }
    resultado.update(_tamanhos(engine, ibge))
    engine.dispose()
    return resultado


# --------------------------------------------------------------------------- events


def _eventos_de(g: Gerador, ibge: str) -> list[dict[str, Any]]:
    """The 10 CloudEvents of one new process with 3 documents, in the order they happen."""
    proc = g.processo()
    proc["nivel_acesso"] = proc["nivel_efetivo"] = (
        "restrito" if proc["nivel_acesso"] == "restrito" else "publico"
    )
    proc["credenciados"] = []
    usuario = g.rng.choice(g.fake_usuarios)
    unidade = proc["unidade_geradora_id"]
    criado = datetime.fromisoformat(proc["criado_em"])
    saida: list[tuple[str, str, dict[str, Any], datetime]] = []

    def snapshot(versao: int, quando: datetime) -> dict[str, Any]:
        return {**_publico(proc), "versao": versao, "atualizado_em": quando.isoformat()}

    def ev_processo(tipo: str, versao: int, quando: datetime, detalhes: dict) -> None:
        dados = {
            "processo": snapshot(versao, quando),
            "unidade_id": unidade,
            "usuario_id": usuario,
            "detalhes": detalhes,
        }
        proc_eventos.EventoProcesso.model_validate(dados)
        saida.append((proc_eventos.SOURCE, f"processo.{tipo}", dados, quando))

    def ev_documento(tipo: str, doc: dict, seq: int, quando: datetime, texto: str | None) -> None:
        dados = {
            "documento": doc,
            "niveis_documentos": [proc["nivel_acesso"]],
            "seq": seq,
            "unidade_id": unidade,
            "usuario_id": usuario,
            "usuario": "bench",
            "detalhes": {},
            "texto": texto,
        }
        doc_eventos.EventoDocumento.model_validate(dados)
        saida.append((doc_eventos.SOURCE, f"documento.{tipo}", dados, quando))

    ev_processo("gerado", 1, criado, {})
    for d in range(1, 4):
        documento, texto = g.documento(proc, d)
        quando = criado + timedelta(minutes=d)
        ev_documento("incluido", documento, 2 * d - 1, quando, None)
        ev_processo("documento_incluido", d + 1, quando, {"documento_id": documento["id"]})
        ev_documento("texto_extraido", documento, 2 * d, quando + timedelta(seconds=5), texto)
    eventos = []
    for source, tipo, dados, quando in saida:
        row = types.SimpleNamespace(
            id=uuid.uuid4().hex,
            tipo=tipo,
            assunto=dados.get("processo", dados.get("documento"))["id"],
            dados=json.dumps(dados, ensure_ascii=False),
            criado_em=quando,
        )
        eventos.append(cloud_event(row, ibge, source))
    return eventos


def cmd_publicar(item: dict[str, Any]) -> dict[str, Any]:
    ibge = item["ibge"]
    engine = _engine(1)
    unidades = _unidades(engine, ibge, item["siglas"])
    engine.dispose()
    g = _gerador(item, unidades, PREFIXO_EVENTOS, ID_EVENTOS)
    n_proc = max(1, int(item["eventos"]) // 10)
    filas = [_eventos_de(g, ibge) for _ in range(n_proc)]
    ordem: list[dict[str, Any]] = []
    vivos = [f for f in filas if f]
    while vivos:  # interleave the processes at random, each one's events in order
        i = g.rng.randrange(len(vivos))
        ordem.append(vivos[i].pop(0))
        if not vivos[i]:
            vivos.pop(i)
    relay = OutboxRelay(None, None, item["amqp_uri"], "/bench", exchange=EXCHANGE)  # type: ignore[arg-type]
    relay._get_producer()  # connect before the clock starts
    t_inicio = time.time()
    for ev in ordem:
        relay._publish(ev)
    t_fim = time.time()
    relay.close()
    return {
        "eventos": len(ordem),
        "processos": n_proc,
        "documentos": 3 * n_proc,
        "versao_final_processo": 4,
        "id_prefixo": ID_EVENTOS,
        "t_inicio": t_inicio,
        "t_fim": t_fim,
        "bytes_medio": sum(len(json.dumps(e, ensure_ascii=False)) for e in ordem) / len(ordem),
    }


# --------------------------------------------------------------------------- queries


def _classe(statement: str) -> str:
    """Which of buscar()'s statements this is (the service has issued count + 3 facets +
    page, then one GROUPING SETS statement + page, now one statement for everything)."""
    s = statement.lstrip()
    if s.startswith(("WITH c AS", "EXECUTE sp_")):
        return "busca"
    if s.startswith("PREPARE sp_"):
        return "preparar"
    if s.startswith("SELECT count(*) FROM"):
        return "count"
    if "ts_headline" in s:
        return "pagina"
    if "GROUPING SETS" in s:
        return "agregados"
    if "GROUP BY tipo_processo" in s:
        return "faceta_tipo"
    if "GROUP BY ano" in s:
        return "faceta_ano"
    if "GROUP BY unidade_geradora_id" in s:
        return "faceta_unidade"
    return "outra"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _medir(
    backend: PostgresBackend,
    acesso: Acesso,
    consulta: Any,
    n: int,
    segundos: float,
    local: threading.local,
) -> dict[str, Any]:
    """`n` threads calling buscar for `segundos` (at least 3 calls with one thread)."""
    lat: list[float] = []
    sql: dict[str, float] = {}
    lock = threading.Lock()
    fim = time.perf_counter() + segundos

    def cliente() -> None:
        local.sql = {}
        minhas: list[float] = []
        while True:
            t0 = time.perf_counter()
            if t0 >= fim and (n > 1 or len(minhas) >= 3):
                break
            backend.buscar(acesso, consulta)
            minhas.append((time.perf_counter() - t0) * 1000)
        with lock:
            lat.extend(minhas)
            for k, v in local.sql.items():
                sql[k] = sql.get(k, 0.0) + v
        local.sql = None

    inicio = time.perf_counter()
    threads = [threading.Thread(target=cliente) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    durou = time.perf_counter() - inicio
    return {
        "n": len(lat),
        "rps": len(lat) / durou,
        "p50": _pct(lat, 50),
        "p95": _pct(lat, 95),
        "p99": _pct(lat, 99),
        "sql_ms": {k: v / max(len(lat), 1) for k, v in sorted(sql.items())},
    }


def cmd_buscar(item: dict[str, Any]) -> dict[str, Any]:
    ibge = item["ibge"]
    clientes = [int(c) for c in item.get("clientes", [1, 10])]
    engine = _engine(max(clientes) + 2)
    backend = PostgresBackend(TenantEngines(engine))
    acesso = Acesso(ibge, item["usuario_id"], item["unidade_id"])
    segundos = float(item["segundos"])
    local = threading.local()

    def _antes(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        local.t0 = time.perf_counter()

    def _depois(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        registro = getattr(local, "sql", None)
        if registro is not None:
            classe = _classe(statement)
            registro[classe] = registro.get(classe, 0.0) + (time.perf_counter() - local.t0) * 1000

    # A search runs on the autocommit pool (TenantEngines.reader), writes on `engine`.
    for medido in (engine, backend.engines.reader):
        event.listen(medido, "before_cursor_execute", _antes)
        event.listen(medido, "after_cursor_execute", _depois)
    # The statement and its values as the backend hands them to execute_prepared.
    executar = prepared_statements.execute_prepared

    def _espiar(conn: Any, sql: str, params: dict[str, Any]) -> list[Any]:
        if getattr(local, "capturar", None) is not None:
            local.capturar.append((sql, params))
        return executar(conn, sql, params)

    prepared_statements.execute_prepared = _espiar

    consultas = [(nome, consulta_de(filtros, {})) for nome, filtros in item["consultas"]]
    saida: dict[str, Any] = {"tipos": {}}
    for nome, consulta in consultas:  # warm the cache and the plans, once each
        r = backend.buscar(acesso, consulta)
        saida["tipos"][nome] = {"total": r.total, "itens": len(r.itens)}

    # More than one client only for the kinds that take less than `varios_ate_ms` alone:
    # a slower one at N clients just queues (N x its time / cores), minutes per kind.
    varios_ate_ms = float(item.get("varios_ate_ms", 250))
    for n in clientes:
        for nome, consulta in consultas:
            if n > 1 and saida["tipos"][nome]["c1"]["p50"] > varios_ate_ms:
                continue
            saida["tipos"][nome][f"c{n}"] = _medir(backend, acesso, consulta, n, segundos, local)

    # EXPLAIN ANALYZE of the slow kinds, statement by statement, as issued: prepared, with
    # the generic plan the backend's connections use (chassis/prepared_statements.py).
    limite = float(item.get("explicar_acima_ms", 50))
    planos: dict[str, list[dict[str, Any]]] = {}
    for nome, consulta in consultas:
        if saida["tipos"][nome]["c1"]["p95"] <= limite:
            continue
        local.capturar = []
        backend.buscar(acesso, consulta)
        capturados, local.capturar = local.capturar, None
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            planos[nome] = []
            cur.execute("SET plan_cache_mode = force_generic_plan")
            for i, (statement, parameters) in enumerate(capturados):
                posicional, nomes = prepared_statements.positional(statement)
                cur.execute(f"PREPARE explicar_{i} AS {posicional}")
                marcas = ", ".join(["%s"] * len(nomes))
                cur.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE explicar_{i}({marcas})",
                    [parameters[n] for n in nomes],
                )
                linhas = [r[0] for r in cur.fetchall()]
                cur.execute(f"DEALLOCATE explicar_{i}")
                planos[nome].append({"classe": _classe(statement), "plano": linhas})
            raw.rollback()
        finally:
            raw.close()
    saida["planos"] = planos
    engine.dispose()
    return saida


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("indexar", "publicar", "buscar"))
    args = parser.parse_args()
    item = json.load(sys.stdin)
    fn = {
        "indexar": cmd_indexar,
        "publicar": cmd_publicar,
        "buscar": cmd_buscar,
    }[args.command]
    json.dump(fn(item), sys.stdout, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
