# Every target creates the virtualenv and installs the project first, so a fresh clone needs
# nothing but python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install shell test lint bench sandbox docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --config-settings editable_mode=compat -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

# Coverage of the suite and of every Python process it starts (elysiactl, sandboxes): one data
# file per process, combined; under 85% of shell/, commands/, completers/ and sandbox/ fails.
test: lint
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report

bench: $(STAMP)
	$(BIN)/python -m bench

# The shell on the in-process sandbox, or on a cluster: make shell URL=http://localhost:8080
shell: $(STAMP)
ifdef URL
	$(BIN)/elysiactl --url $(URL)
else
	$(BIN)/elysiactl --sandbox
endif

# Regenerate the command reference in README.md and the index of `elysiactl --help` from the
# declarations.
docs: $(STAMP)
	$(BIN)/python -m commands.reference README.md
	$(BIN)/python -m shell.cli_index

# Run the Weaviate emulator in the foreground: make sandbox ARGS="--port 8080 --nodes 3"
sandbox: $(STAMP)
	$(BIN)/python -m sandbox $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
