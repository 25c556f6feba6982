# The README's two commands: `make demo` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON_DOWNLOADS := never
PORT ?= 8000

.PHONY: demo test lint typecheck pytest-sqlite pytest-postgres install system-packages \
	web web-install web-check client client-check test-infra ops-check rules-check bench-gate
NPM_CI := npm ci --no-audit --no-fund --loglevel=error

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked

demo: install web
	$(UV) run hoa migrate
	$(UV) run hoa seed-demo
	$(UV) run hoa serve --host 127.0.0.1 --port $(PORT)

# ruff (with the C901 complexity limit), the import contracts of pyproject.toml, and ops-check.
lint: install ops-check
	$(UV) run ruff check src tests bench migrations
	$(UV) run ruff format --check src tests bench migrations
	$(UV) run lint-imports

# The delivery files, checked offline: the Dockerfile (hadolint), compose.yaml and the hosted CI
# workflow against their published schemas (vendored by check-jsonschema), the shell scripts.
ops-check: install
	$(UV) run hadolint Dockerfile
	$(UV) run check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(UV) run check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml
	bash -n ops/nginx/hoactl tools/system-packages.sh .ci/run

typecheck: install
	$(UV) run mypy src

# Debian packages the tests drive (installed when missing and root, else named).
system-packages:
	@tools/system-packages.sh

# The SQLite pass includes the end-to-end tests (tests/e2e), which serve web/dist, and the
# fresh-clone test of `make demo`.
pytest-sqlite: install web system-packages
	$(UV) run pytest --db sqlite

pytest-postgres: install
	$(UV) run pytest --db postgres

# Prometheus' own checks of ops/prometheus: the rules load, and their unit tests pass.
rules-check: system-packages
	@if command -v promtool >/dev/null; then \
	  promtool check rules ops/prometheus/recording.yml ops/prometheus/alerts.yml && \
	  cd ops/prometheus && promtool test rules tests.yml; \
	elif [ "$$CI" = true ]; then \
	  echo "promtool is missing: install Debian's prometheus (tools/system-packages.sh)" >&2; exit 1; \
	else echo "Skipping the Prometheus rule checks: run 'sudo apt-get install prometheus'"; fi

test: lint typecheck web-check rules-check pytest-sqlite pytest-postgres

# The infrastructure stage (after `make test` in CI): nginx with a rolling restart under load and
# blue-green, a streaming replica, then the storm, quota, idempotency and tenancy tests through
# pgbouncer.
test-infra: install system-packages
	$(UV) run pytest --db postgres --infra tests/infra
	$(UV) run pytest --db postgres --pgbouncer tests/test_tenancy.py tests/reservations/test_integrity.py \
		tests/reservations/test_concurrency.py tests/test_server.py

# The cost gate (bench/gate.py): instructions per request of the hot endpoints, counted by
# valgrind's callgrind in-process, against bench/gate-baseline.json; fails above 1.15 times. A few
# minutes under valgrind, so CI runs it as a stage of its own after `make test`.
bench-gate: install system-packages
	$(UV) run python -m bench.gate

# ---- Web app (web/) and its generated API client ----
# npm ci again only when a lock file changed (the stamp lives inside node_modules).
web/node_modules/.installed: web/package-lock.json
	cd web && $(NPM_CI)
	touch $@

tools/openapi/node_modules/.installed: tools/openapi/package-lock.json
	cd tools/openapi && $(NPM_CI)
	touch $@

web-install: web/node_modules/.installed

# Build the single-page app into web/dist (served by `hoa serve`); prints the bundle report.
web: web/node_modules/.installed
	cd web && npm run build

# Lint (oxlint), typecheck (tsc, strict), unit tests (Vitest), generated client up to date.
web-check: web/node_modules/.installed client-check
	cd web && npm run lint
	cd web && npm run typecheck
	cd web && npm run test

# Regenerate web/openapi.json and web/src/api from the API (run after changing the API).
client: install tools/openapi/node_modules/.installed
	UV="$(UV)" tools/openapi/generate.sh web/openapi.json web/src/api

client-check: install tools/openapi/node_modules/.installed
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	UV="$(UV)" tools/openapi/generate.sh "$$tmp/openapi.json" "$$tmp/api" && \
	if ! diff -r -q web/openapi.json "$$tmp/openapi.json" >/dev/null || ! diff -r web/src/api "$$tmp/api" >/dev/null; then \
	  diff -u web/openapi.json "$$tmp/openapi.json" | head -40; \
	  echo "The API client in web/src/api is stale: run 'make client' and commit the result." >&2; \
	  exit 1; \
	fi; echo "API client is up to date."
