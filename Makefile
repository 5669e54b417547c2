# Two commands do all set-up: `make demo` and `make test`. Both create .venv
# and install Lvyue with its dependencies from pyproject.toml when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install i18n wheel clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/lvyue demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Re-extract messages, merge translations (engine/locale/pending/*.po) and compile catalogs.
i18n: $(STAMP)
	$(BIN)/python tools/i18n.py update

wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps --wheel-dir dist .

bench: $(STAMP)
	$(BIN)/python bench/moves.py

clean:
	rm -rf $(VENV) build dist *.egg-info
