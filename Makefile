# Kubernetes exposure-pattern conformance harness.
#   make test     lint, then the harness's own tests (no cluster)
#   make lint     ruff (format and lint), mypy, and the layers of harness/ (import-linter)
#   make e2e      set up everything, run the suites on a kind cluster, write the claims report
#                 (ARTICLE=PATH.md also checks that article's YAML: reports/article-report.md)
#   make images   build every image the e2e needs from packages (offline machines)
#   make diagnose TARGET=ingress/web NS=shop   name what is wrong with an exposure, and the fix
#   make conformance   the upstream Gateway API conformance suite on envoy-gateway and traefik
#   make clean    remove what the harness created
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CONTROLLERS ?= nginx,nginx-inc,traefik,traefik-nginx,envoy-gateway
WORKERS ?= 2
REPORT_DIR ?= reports
# Offline: point at the archives `make images` writes; empty means pull from registries.
IMAGES_DIR ?=
# The pinned source archives no registry serves (default: ../shared/sources next to the checkout).
SOURCES ?=
ifneq ($(SOURCES),)
export HARNESS_SOURCES := $(abspath $(SOURCES))
endif
PYTEST_ARGS ?=
# make diagnose: KIND/NAME, its namespace, and a kubeconfig (empty: $KUBECONFIG or ~/.kube/config)
TARGET ?=
NS ?= default
KUBECONFIG_PATH ?=
# A Markdown article whose YAML snippets the e2e also checks (suites/article; report: article-report.md).
ARTICLE ?=
# make conformance: implementations, profiles (empty: every profile each one's published report claims;
# PROFILE:core runs that profile's core tests only) and further flags (--cluster-name, --keep-cluster, ...)
IMPLEMENTATIONS ?= envoy-gateway,traefik
PROFILES ?=
CONFORMANCE_ARGS ?=

.PHONY: venv lint test e2e diagnose conformance images bench bench-latency bench-article-plan bench-conformance clean \
  clean-images

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[make] installing the harness and its dependencies into $(VENV)"
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	@$(PY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

lint: venv
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-cache

test: lint
	$(PY) -m pytest tests -n $(WORKERS) $(PYTEST_ARGS)

e2e: venv
	$(PY) -m pytest suites -n $(WORKERS) -p no:cacheprovider \
	  --controllers=$(CONTROLLERS) --report-dir=$(REPORT_DIR) \
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(if $(ARTICLE),--article=$(abspath $(ARTICLE))) $(PYTEST_ARGS)

# exit status: 0 no problem found, 1 problems found, 2 bad input (missing object, unreachable cluster, RBAC)
diagnose: venv
	@test -n "$(TARGET)" || { echo "make diagnose: set TARGET=KIND/NAME (e.g. TARGET=ingress/web-gateway NS=shop)" >&2; exit 2; }
	@$(PY) -m harness diagnose $(TARGET) -n $(NS) $(if $(KUBECONFIG_PATH),--kubeconfig $(KUBECONFIG_PATH)) $(DIAGNOSE_ARGS)

# exit status: 0 every test passed or was skipped, 1 a test failed, 2 bad input, 3 the run could not be carried out
conformance: venv
	$(PY) -m harness conformance --implementation=$(IMPLEMENTATIONS) $(if $(PROFILES),--profiles=$(PROFILES)) \
	  --report-dir=$(REPORT_DIR) $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(CONFORMANCE_ARGS)

images: venv
	$(PY) -m images $(if $(IMAGES_DIR),--out $(IMAGES_DIR))

bench: venv
	$(PY) -m bench.e2e $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

# request latency: direct L4 (MetalLB) vs through an L7 controller, on a throw-away cluster
bench-latency: venv
	$(PY) -m bench.latency $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

bench-article-plan: venv
	$(PY) -m bench.article_plan

# the Gateway API conformance runs: cold build of the suite's test binary, its images, each recorded run
bench-conformance: venv
	$(PY) -m bench.conformance --report-dir=$(REPORT_DIR) $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

clean:
	@if [ -x $(PY) ]; then $(PY) -m harness.lab.cluster clean; fi
	rm -rf $(REPORT_DIR) .harness .pytest-kind .pytest_cache

# also the image cache and the images `make images` built (the next `make images` is cold)
clean-images:
	@if [ -x $(PY) ]; then $(PY) -m images --remove; fi
