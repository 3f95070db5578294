# Kubernetes exposure-pattern conformance harness.
#   make test     lint, then the harness's own tests (no cluster)
#   make lint     ruff (format and lint), mypy, and the layers of harness/ (import-linter)
#   make e2e      set up everything, run the suites on a kind cluster, write the claims report
#                 (ARTICLE=PATH.md also checks that article's YAML: reports/article-report.md)
#   make mutants  each claim's tests under its mutants: every check must be able to fail (MUTANTS=1 make e2e: both)
#   make images   build every image the e2e needs from packages (offline machines)
#   make diagnose TARGET=ingress/web NS=shop   name what is wrong with an exposure, and the fix
#   make conformance-ingress   SIG Network's Ingress conformance features on the Ingress controllers
#                 (or beside the claims: make e2e CONFORMANCE=ingress)
#   make bench-docs   time a 50-article docs folder (--plan; CLUSTER=1: on one cluster)
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
# MUTANTS=1: also run each claim's tests under its mutants (harness/mutants.yaml); MUTANT_SUBJECTS: only on these
MUTANTS ?=
MUTANT_SUBJECTS ?=
MUTANT_ARGS = $(if $(MUTANT_SUBJECTS),--mutant-subjects=$(MUTANT_SUBJECTS))
# make diagnose: KIND/NAME, its namespace, and a kubeconfig (empty: $KUBECONFIG or ~/.kube/config)
TARGET ?=
NS ?= default
KUBECONFIG_PATH ?=
# A Markdown article whose YAML snippets the e2e also checks (suites/article; report: article-report.md).
ARTICLE ?=
# Upstream conformance suites the e2e also runs (suites/conformance; report: conformance-ingress.md): ingress.
CONFORMANCE ?=
# ... on these controllers of CONTROLLERS only (empty: all of them), e.g. CONFORMANCE_CONTROLLERS=nginx
CONFORMANCE_CONTROLLERS ?=
# make conformance: implementations, profiles (empty: every profile each one's published report claims;
# PROFILE:core runs that profile's core tests only) and further flags (--cluster-name, --keep-cluster, ...)
IMPLEMENTATIONS ?= envoy-gateway,traefik
PROFILES ?=
CONFORMANCE_ARGS ?=
comma := ,
empty :=
space := $(empty) $(empty)
# the Ingress controllers of CONTROLLERS (envoy-gateway is a Gateway API implementation only)
INGRESS_CONTROLLERS = $(subst $(space),$(comma),$(strip $(filter-out envoy-gateway,$(subst $(comma),$(space),$(CONTROLLERS)))))

.PHONY: venv lint test e2e mutants conformance-ingress conformance diagnose images bench bench-latency bench-article-plan \
  bench-article bench-articles bench-docs bench-conformance clean clean-images

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
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(if $(ARTICLE),--article=$(abspath $(ARTICLE))) \
	  $(if $(MUTANTS),--mutants $(MUTANT_ARGS)) \
	  $(if $(CONFORMANCE),--conformance=$(CONFORMANCE)) \
	  $(if $(CONFORMANCE_CONTROLLERS),--conformance-controllers=$(CONFORMANCE_CONTROLLERS)) $(PYTEST_ARGS)

# the mutants alone: each claim's tests under each of its mutants; a claim must read "does not hold" under each
mutants: venv
	$(PY) -m pytest suites -n $(WORKERS) -p no:cacheprovider \
	  --controllers=$(CONTROLLERS) --report-dir=$(REPORT_DIR) --mutants -m mutant $(MUTANT_ARGS) \
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(PYTEST_ARGS)

# the five Ingress features of kubernetes-sigs/ingress-controller-conformance (pinned archive) on the Ingress controllers
conformance-ingress: venv
	$(PY) -m pytest suites/conformance -n $(WORKERS) -p no:cacheprovider \
	  --conformance=ingress --controllers=$(INGRESS_CONTROLLERS) --report-dir=$(REPORT_DIR) \
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(PYTEST_ARGS)

# exit status: 0 no problem found, 1 problems found, 2 bad input (missing object, unreachable cluster, RBAC)
diagnose: venv
	@test -n "$(TARGET)" || { echo "make diagnose: set TARGET=KIND/NAME (e.g. TARGET=ingress/web-gateway NS=shop)" >&2; exit 2; }
	@$(PY) -m harness diagnose $(TARGET) -n $(NS) $(if $(KUBECONFIG_PATH),--kubeconfig $(KUBECONFIG_PATH)) $(DIAGNOSE_ARGS)

# exit status: 0 every test passed or was skipped, 1 a test failed, 2 bad input, 3 the run could not be carried out
# after an e2e into the same REPORT_DIR, its claims report gets the conformance section (report refresh)
conformance: venv
	@rc=0; $(PY) -m harness conformance --implementation=$(IMPLEMENTATIONS) $(if $(PROFILES),--profiles=$(PROFILES)) \
	  --report-dir=$(REPORT_DIR) $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(CONFORMANCE_ARGS) || rc=$$?; \
	if [ -f $(REPORT_DIR)/claims-report.json ]; then $(PY) -m harness report refresh $(REPORT_DIR) || exit $$?; fi; \
	exit $$rc

images: venv
	$(PY) -m images $(if $(IMAGES_DIR),--out $(IMAGES_DIR))

bench: venv
	$(PY) -m bench.e2e $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

# request latency: direct L4 (MetalLB) vs through an L7 controller, on a throw-away cluster
bench-latency: venv
	$(PY) -m bench.latency $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

bench-article-plan: venv
	$(PY) -m bench.article_plan

# article mode on a kept kind cluster (CLUSTER_NAME, default bench-article; delete it when done):
# one typical article on one controller, then a docs folder of 50 articles (the real corpus repeated)
CLUSTER_NAME ?= bench-article
BENCH_CONTROLLERS ?= traefik
BENCH_ARGS ?=
bench-article: venv
	$(PY) -m bench.article one --controllers=$(BENCH_CONTROLLERS) --cluster-name=$(CLUSTER_NAME) \
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(BENCH_ARGS)

bench-articles: venv
	$(PY) -m bench.article many --controllers=$(BENCH_CONTROLLERS) --cluster-name=$(CLUSTER_NAME) \
	  $(if $(IMAGES_DIR),--images-dir=$(IMAGES_DIR)) $(BENCH_ARGS)
# a docs folder of 50 articles (the real corpus repeated): --plan always; CLUSTER=1 also runs it on one cluster
CLUSTER ?=
bench-docs: venv
	$(PY) -m bench.docs $(if $(CLUSTER),--cluster) $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR)) $(BENCH_ARGS)

# the Gateway API conformance runs: cold build of the suite's test binary, its images, each recorded run
bench-conformance: venv
	$(PY) -m bench.conformance --report-dir=$(REPORT_DIR) $(if $(IMAGES_DIR),--images-dir $(IMAGES_DIR))

clean:
	@if [ -x $(PY) ]; then $(PY) -m harness.lab.cluster clean; fi
	rm -rf $(REPORT_DIR) .harness .pytest-kind .pytest_cache

# also the image cache and the images `make images` built (the next `make images` is cold)
clean-images:
	@if [ -x $(PY) ]; then $(PY) -m images --remove; fi
