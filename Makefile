# Two commands on a fresh machine: `make demo` and `make test`. Everything else is here too.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOGDIR ?= logs

.PHONY: setup demo test lint bench protos browser clean

# A virtual environment in the checkout with the project (editable, so the compiled
# scanner is built in place) and everything the tests and trainers need.
$(STAMP): pyproject.toml inspector/events/_scan.c
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[train,export,dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium and ChromeDriver for the browser tests (root installs them; others are
# told the one command to run).
browser:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	  else \
	    echo "browser tests need Chromium: sudo apt-get install chromium chromium-driver" >&2; exit 1; \
	  fi; }

demo: setup
	$(VENV)/bin/inspector demo --logdir $(LOGDIR)

lint: setup
	$(VENV)/bin/ruff check .

test: setup browser lint
	$(PY) -m pytest -q

bench: setup
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/hook_overhead.py
	$(PY) benchmarks/dashboard.py

protos: setup
	$(PY) -m grpc_tools.protoc -I. --python_out=. --pyi_out=. inspector/events/proto/*.proto

clean:
	rm -rf $(VENV) build *.egg-info inspector/events/*.so
