# Prefeitura sem Papel: everything a fresh machine needs, from this file.
#   make up    - install, start PostgreSQL/RabbitMQ if down, provision the pilots, run all services
#   make test  - install, start PostgreSQL/RabbitMQ if down, run the whole test suite

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install up down test lint format bench docs clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: install
	bash deploy/local/up.sh

down:
	bash deploy/local/down.sh

test: install
	bash deploy/local/infra.sh sempapel_test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	bash deploy/local/infra.sh sempapel_bench
	$(VENV)/bin/python bench/bench_green_driver.py
	$(VENV)/bin/python bench/bench_gateway.py
	$(VENV)/bin/python bench/bench_tenant_scale.py
	$(VENV)/bin/python bench/bench_planilha.py
	$(VENV)/bin/python bench/bench_processos.py
	$(VENV)/bin/python bench/bench_documentos.py
	$(VENV)/bin/python bench/bench_busca.py

docs: install
	$(VENV)/bin/python -m services.operador.docs_api

clean: down
	rm -rf $(VENV) .run .pytest_cache .ruff_cache
