# Every target bootstraps its own virtual environment in $(VENV) from setup.cfg,
# with Python 3.10, 3.11 or 3.12 (TensorFlow's range): choose one with PYTHON=.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.10 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Test worker processes (pytest-xdist): 2 on the 2-core machine the times in the
# README come from; each needs up to 4 GiB (the AlexNet-224 export test).
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: kernel demo readme-numbers study test test-fast check-notebooks strip-notebooks lint format benchmark clean

# PYTHONWARNINGS=ignore: setuptools's build backend warns about every editable install.
$(STAMP): setup.cfg pyproject.toml
	@v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	case "$$v" in 3.10|3.11|3.12) ;; *) echo "larq-ber needs Python 3.10, 3.11 or 3.12, but PYTHON=$(PYTHON) is $${v:-not a Python}: pick one, e.g. PYTHON=python3.12 make demo" >&2; exit 1;; esac
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## kernel: compile the optional CPU kernel of the flips (about 10 s; see larq_ber.kernel)
kernel: $(STAMP)
	$(BIN)/larq-ber kernel build

## demo: install everything, sweep the quickstart recipe (LeNet-4, offline digits) and plot it
demo: $(STAMP)
	$(BIN)/larq-ber sweep quickstart --out runs/quickstart
	$(BIN)/larq-ber plot runs/quickstart --figure runs/quickstart/accuracy_vs_epoch.png
	$(BIN)/larq-ber plot runs/quickstart --figure runs/quickstart/top1max_vs_ber.png --kind top1max

## readme-numbers: rerun what the README's result numbers come from (quickstart sweep
## and figures, demo, MTJ tables) into docs/readme_numbers.md, with the machine and
## versions (about 5 minutes on 2 cores)
readme-numbers: $(STAMP)
	$(BIN)/python docs/readme_numbers.py --out docs/readme_numbers.md --runs runs/readme

## study: the Fashion-MNIST robustness study (about an hour on 2 cores; needs
## `apt-get install dataset-fashion-mnist` offline); tables and figures into docs/robustness
study: $(STAMP)
	$(BIN)/larq-ber sweep fashion_mnist_robustness --out runs/fashion
	mkdir -p docs/robustness
	$(BIN)/larq-ber results runs/fashion --csv docs/robustness/fashion_mnist_epochs.csv \
		--robustness-csv docs/robustness/fashion_mnist_robustness.csv
	$(BIN)/larq-ber plot runs/fashion --kind robustness --figure docs/robustness/fashion_mnist_robustness.png
	$(BIN)/larq-ber plot runs/fashion --kind epochs --style std --figure docs/robustness/fashion_mnist_epochs.png
	$(BIN)/python docs/robustness/summarize.py docs/robustness/fashion_mnist_robustness.csv

## test: install everything and run the test suite (not the notebook executions)
test: $(STAMP)
	$(BIN)/python -m pytest -m "not notebook" $(XDIST) --durations=15 $(PYTEST_ARGS)

## test-fast: the tests not marked slow
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not notebook" $(XDIST) --durations=15 $(PYTEST_ARGS)

## check-notebooks: run every notebook top to bottom and every example, offline
check-notebooks: $(STAMP)
	$(BIN)/python -m pytest -m notebook tests/test_notebooks.py $(PYTEST_ARGS)

## strip-notebooks: remove outputs and execution counts before committing (nbstripout)
strip-notebooks: $(STAMP)
	$(BIN)/nbstripout notebooks/*.ipynb

## lint: ruff (lint + format check, notebooks included), mypy, notebooks stripped
lint: $(STAMP)
	$(BIN)/nbstripout --verify notebooks/*.ipynb
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## docs: build the documentation site into site/ offline (mkdocs build --strict: broken
## links and references fail; the notebooks are rendered, not run)
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(DOCS_STAMP)

.PHONY: docs
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## benchmark: quantizer overhead, model speed vs plain larq, input pipeline, sweep throughput, export latency, MTJ speed, errors at deployment (about 40 minutes)
benchmark: $(STAMP)
	$(BIN)/python benchmarks/quantizer_overhead.py
	$(BIN)/python benchmarks/model_speed.py
	$(BIN)/python benchmarks/input_pipeline.py
	$(BIN)/python benchmarks/sweep_throughput.py
	$(BIN)/python benchmarks/export_latency.py
	$(BIN)/python benchmarks/mtj_speed.py
	$(BIN)/python benchmarks/errors_overhead.py

## peers: larq-ber against PyTorch, training with flips and a robustness draw (benchmarks/peers.py,
## about 15 minutes), then where LeNet-4's training step goes (benchmarks/training_profile.py);
## PyTorch is installed into $(PEERS_VENV), outside the repository (~5 GB)
PEERS_VENV ?= $(HOME)/.cache/larq_ber/peers-venv
.PHONY: peers
peers: $(STAMP)
	test -x $(PEERS_VENV)/bin/python || { $(PYTHON) -m venv $(PEERS_VENV) && \
		$(PEERS_VENV)/bin/python -m pip install --quiet "torch >= 2.4" numpy; }
	$(BIN)/python benchmarks/peers.py --torch-python $(PEERS_VENV)/bin/python
	$(BIN)/python benchmarks/training_profile.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
