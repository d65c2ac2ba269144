PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Single-threaded BLAS keeps timings and test runs reproducible on small machines.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: demo test lint docs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-dev: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed-dev
	$(PY) examples/demo.py

test: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -q

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check tensorgrad tests benchmarks examples docs
	$(VENV)/bin/mypy

# The documentation site, from docs/ and the docstrings; any warning fails the build.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/op_overhead.py
	$(PY) benchmarks/mlp_step.py
	$(PY) benchmarks/train_digits.py
	$(PY) benchmarks/gradient_strategies.py
	$(PY) benchmarks/gradcheck_sweep.py
	$(PY) benchmarks/engines.py

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .hypothesis
