# Two commands set everything up: `make report` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.evalkit-installed
EVALUATION ?= evaluations/vestre-toten-2010-2016.yaml
# Small linear algebra is faster on one BLAS thread on these machines (docs: benchmarking).
export OPENBLAS_NUM_THREADS ?= 1
export MPLBACKEND := Agg

.PHONY: env report test bench lab clean

env: $(STAMP)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install --quiet -e '.[test]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import evalkit, papermill, nbval"
	$(BIN)/python -m ipykernel install --sys-prefix --name evalkit --display-name "Python (evalkit)" >/dev/null
	touch $(STAMP)

# HTML + PDF. The PDF needs the system's Pango (and DejaVu fonts): installed here if missing and root.
report: $(STAMP)
	bash .ci/pdf-libraries
	$(BIN)/evalkit render $(EVALUATION) --pdf

test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests --nbval-lax --nbval-current-env notebooks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]' 2>&1 | grep -v "is ignored" || true
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lab]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/jupyter lab notebooks --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf reports $(VENV)
