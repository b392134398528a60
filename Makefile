# Everything starts from python3 and make: the first target that needs the
# environment builds it from the committed, hashed lock file.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := .tools/bin/uv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo demo-headless test pytest lint typecheck system-packages bench lock clean

install: $(STAMP)

$(UV):
	$(PY) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"

# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE set none is ever written, and each of
# the test suite's hundreds of Python processes would compile Dagster, pyarrow and the rest again
# (1.9 CPU-seconds to import them instead of 0.9).
$(STAMP): requirements.lock pyproject.toml Makefile | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PY) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

demo: $(STAMP)
	$(BIN)/extract-assets demo

demo-headless: $(STAMP)
	$(BIN)/extract-assets demo --headless

lint: $(STAMP)
	$(BIN)/ruff check extract_assets extract_assets_tests benchmarks
	$(BIN)/ruff format --check extract_assets extract_assets_tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# The browser, PostgreSQL and Spark tests drive Debian's chromium, postgresql and Java.
system-packages:
	@scripts/system-packages

# Each module goes whole to one worker (its module-scoped demo, servers and instances are set up
# once), the modules holding slow tests first (see extract_assets_tests/conftest.py). Most tests
# wait on servers and processes, so four workers keep two cores busy (8.6 min against 14.5 with
# two, measured side by side on the same busy machine).
PYTEST_WORKERS ?= 4
# The project's own modules compiled too, for the same reason; only changed ones are rewritten.
# The type check (~30 s of one core) runs beside the tests, which leave about a third of the two
# cores idle while they wait.
test: lint system-packages
	$(BIN)/python -m compileall -q extract_assets extract_assets_tests benchmarks
	@$(MAKE) --no-print-directory -j2 typecheck pytest

pytest: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra test --extra bench --universal \
		--python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .tools .dagster_home data .pytest_cache .mypy_cache .ruff_cache
