# MCR Studio: the two quick-start commands.
#   make demo   the main job (see README); options with ARGS, e.g. make demo ARGS="--port 8081 --backend-port 9091"
#   make test   install what the tests need and run them
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz bench install sysdeps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install when the package metadata changes.
$(STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip "setuptools>=68,<81" wheel
	@# setuptools warns on every editable install of a flat layout ("Editable installation ... be careful
	@# with folders ... with the same name as your package"): nothing to act on here, so it is silenced
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

ARGS ?=

demo: $(STAMP)
	$(PY) -m ls_backend.demo --dir out/demo $(ARGS)

# Debian packages the tests use: Chromium (browser test), CJK fonts (or Chinese renders as boxes), and
# PostgreSQL (the store's tests start a throwaway server with its initdb / pg_ctl).
sysdeps:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing chromium, fonts-noto-cjk and postgresql (apt)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk postgresql >/dev/null; \
	fi

test: $(STAMP) sysdeps
	$(PY) -m pytest -n 2 --dist loadgroup -q

fuzz: $(STAMP)
	for i in 1 2 3; do MCR_HYPOTHESIS_PROFILE=explore $(PY) -m pytest -q -p no:cacheprovider tests/test_file_readers_fuzz.py tests/ls_backend/test_fuzz.py || exit 1; done

bench: $(STAMP)
	$(PY) bench/exports_bench.py
	$(PY) bench/backend_bench.py
	$(PY) bench/assist_bench.py
	$(PY) bench/agreement_bench.py
	$(PY) bench/video_bench.py
	$(PY) bench/text_bench.py
	$(PY) bench/scale_bench.py
	$(PY) bench/effort_thresholds.py
	$(PY) bench/campaign_bench.py

clean:
	rm -rf $(VENV) out .cache .pytest_cache .hypothesis
