# The README's two commands: `make demo` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint typecheck pytest-sqlite pytest-postgres install

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked

demo: install
	$(UV) run hoa migrate
	$(UV) run hoa seed-demo
	$(UV) run hoa serve --host 127.0.0.1 --port 8000

lint: install
	$(UV) run ruff check src tests bench migrations
	$(UV) run ruff format --check src tests bench migrations

typecheck: install
	$(UV) run mypy src

pytest-sqlite: install
	$(UV) run pytest --db sqlite

pytest-postgres: install
	$(UV) run pytest --db postgres

test: lint typecheck pytest-sqlite pytest-postgres
