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

# Each command installs the package with only the extra it needs (pyproject.toml's
# [project.optional-dependencies]), again only when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	@echo "make: installing tensorgrad[$*] into $(VENV): numpy," \
		"$$(sed -n 's/^$* = \[\(.*\)\]/\1/p' pyproject.toml | tr -d '\"') ..."
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[$*]"
	@touch $@

demo: $(VENV)/.installed-demo
	$(PY) examples/demo.py

test: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -q

lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check tensorgrad tests benchmarks examples docs
	$(VENV)/bin/mypy

# The documentation site, from docs/ and the docstrings; any warning fails the build, and
# the built site must load nothing from another site.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site
	$(PY) docs/check_site.py site

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/op_overhead.py
	$(PY) benchmarks/mlp_step.py
	$(PY) benchmarks/train_digits.py
	$(PY) benchmarks/gradient_strategies.py
	$(PY) benchmarks/gradcheck_sweep.py
	$(PY) benchmarks/engines.py

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .hypothesis
