# Shiji — quick start: `make demo` (run on SQLite with the demo data), `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
APT := apt-get -o DPkg::Lock::Timeout=300
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The suite in one process per core (pytest-xdist); each worker has its own
# test database (test_<name>_gw0, ...: pytest-django) and its own Chromium.
# worksteal: a worker that is done takes tests from the other's queue, so a
# long test late in the order does not leave one core idle.
# PYTEST_ARGS="-n 0" runs it in this process.
XDIST ?= -n auto --dist worksteal

.PHONY: demo test test-fast test-pg lint format install system-deps check vendor clean bench bench-quick bench-export

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests and a CJK font for screenshots;
# LibreOffice and poppler to print the exports to PDF and read them back
# (tests/paper.py), with Carlito, the metric-compatible Calibri that
# LibreOffice measures column widths with (without it, DejaVu Sans: every
# column a third wider, and the printed text smaller than on Excel).
# Installed only when missing.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q . \
		|| ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
		|| ! fc-list 2>/dev/null | grep -qi carlito || ! command -v msgfmt >/dev/null 2>&1; then \
		$(SUDO) $(APT) update -qq && \
		$(SUDO) $(APT) install -y -qq --no-install-recommends chromium fonts-wqy-zenhei fontconfig \
			libreoffice-calc libreoffice-writer poppler-utils fonts-crosextra-carlito gettext; \
	fi

demo: install
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py load_demo
	@echo "Shiji: http://127.0.0.1:$(PORT)/"
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The suite includes tests/production (collectstatic, gunicorn and a browser
# with production settings), so every run proves the production deploy too.
test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/mypy
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -q $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-pg: install system-deps
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	SHIJI_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(50))') \
		AUDIT_HMAC_KEYS=check:$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(48))') \
		ALLOWED_HOSTS=shiji.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

# Re-vendor the front-end assets from the npm registry (versions: shiji/web/static/vendor/README.md).
# The source-map comments are stripped: the maps are not vendored, and the
# production static storage refuses a file that references a missing one.
vendor:
	@set -e; tmp=$$(mktemp -d); cd $$tmp; \
	npm pack -s htmx.org@2.0.11 @tabler/core@1.6.1 echarts@6.1.0 >/dev/null; \
	for f in *.tgz; do mkdir -p $${f%.tgz}; tar xzf $$f -C $${f%.tgz}; done; \
	dest=$(CURDIR)/shiji/web/static/vendor; \
	cp htmx.org-2.0.11/package/dist/htmx.min.js $$dest/htmx-2.0.11.min.js; \
	cp tabler-core-1.6.1/package/dist/css/tabler.min.css $$dest/tabler-1.6.1.min.css; \
	cp tabler-core-1.6.1/package/dist/js/tabler.min.js $$dest/tabler-1.6.1.min.js; \
	cp echarts-6.1.0/package/dist/echarts.min.js $$dest/echarts-6.1.0.min.js; \
	sed -i -E '/^\/[*\/]# sourceMappingURL=/d' $$dest/*.js $$dest/*.css; \
	! grep -l 'sourceMappingURL=' $$dest/*.js $$dest/*.css; \
	rm -rf $$tmp

# Benchmarks (not tests): time and peak memory of the streaming ledger export.
BENCH_ROWS ?= 100000
# bench/run.py: the national data set (built once per parameters), gunicorn with
# the production settings, every page, export, import and a load, each figure
# with its floor; results in bench/results/. BENCH_ARGS="--db sqlite --runs 10".
bench: install
	$(BIN)/python bench/run.py --db both $(BENCH_ARGS)

bench-quick: install
	$(BIN)/python bench/run.py --quick --db sqlite $(BENCH_ARGS)

# The streaming export alone, on a scratch one-zone database.
bench-export: install
	$(BIN)/python bench/bench_ledger_export.py --rows $(BENCH_ROWS)

clean:
	rm -rf var test-artifacts
