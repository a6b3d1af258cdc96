# volplace developer targets. `make help` lists them.
GO ?= go
CACHE_DIR ?= $(or $(VOLPLACE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/volplace)
TOOLS_DIR ?= $(CACHE_DIR)/tools
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)
GOVULNCHECK_VERSION ?= v1.8.0
GOVULNCHECK ?= $(TOOLS_DIR)/govulncheck-$(GOVULNCHECK_VERSION)
# The vulnerability database govulncheck reads is chosen by hack/vulndb.sh:
# GOVULNDB when set, else vuln.go.dev, else the offline copy in
# ../shared/vulndb (or VOLPLACE_VULNDB); it prints which, and its date.
VERSION ?= v0.1.0
IMAGE ?= ghcr.io/volplace/volplace:$(VERSION)
SCHEDULER_IMAGE ?= ghcr.io/volplace/volplace-scheduler:$(VERSION)
CONTAINER_TOOL ?= docker

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/volplace.
	$(GO) build -buildvcs=auto -ldflags "-X k8s.io/component-base/version.gitVersion=$(VERSION)" -o bin/volplace ./cmd/volplace

.PHONY: test
test: ## Run unit, end-to-end and storage tests with the race detector (builds the test control plane, storage stack, helm and volplace-scheduler on first use).
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh --storage)" VOLPLACE_HELM="$$(TOOLS_DIR=$(TOOLS_DIR) hack/helm.sh)" \
		VOLPLACE_SCHEDULER="$$(hack/volplace-scheduler.sh)" VOLPLACE_E2E_REQUIRED=1 $(GO) test -race -count=1 ./...

.PHONY: test-storage
test-storage: ## Run the storage suite alone: kube-controller-manager, CSI sidecars and test/csidriver under volplace (test/storage), and csi-sanity on the driver.
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh --storage)" VOLPLACE_E2E_REQUIRED=1 $(GO) test -race -count=1 -v ./test/csidriver/ ./test/storage/

FUZZTIME ?= 20s
FUZZ_TARGETS = ./extender:FuzzFilterHandler ./extender:FuzzPrioritizeHandler ./extender:FuzzNodeNames ./extender:FuzzAppendString ./extender:FuzzDecodeRequest ./webhook:FuzzAdmission \
	./cmd/volplace/app/simulate:FuzzLoad ./cmd/volplace/app/config:FuzzParse ./plugin:FuzzDecodeArgs

# Minimizing a new input is capped by calls, not time: FuzzLoad takes about a
# millisecond a call, and minimizing a descendant of its 3 KB seed ran to the
# time cap (5 s here, 60 s by default) while no new input was tried; when
# -fuzztime ran out during it, Go 1.26's coordinator reported "context
# deadline exceeded" (go.dev/issue/75804). 200 calls take under a second.
FUZZMINIMIZE ?= 200x
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (seed corpora under testdata/fuzz run in every go test).
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) $$pkg || exit 1; done

BENCHCOUNT ?= 5

.PHONY: bench
bench: ## Run the Go benchmarks (topology and the extender's HTTP handler) BENCHCOUNT times; see docs/benchmarks.md.
	$(GO) test -run='^$$' -bench=. -benchmem -count=$(BENCHCOUNT) ./topology/ ./extender/

.PHONY: soak
soak: ## Leak test: 1 000 000 requests to the extender and webhooks without the race detector, and the 90 s idle timeout (test/soak).
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" VOLPLACE_E2E_REQUIRED=1 $(GO) test -count=1 -timeout=30m -v \
		-run='^(TestMemoryFlat|TestIdleTimeout)$$' ./test/soak/ -args -soak.requests=1000000 -soak.samples=40 -soak.idle

LOAD_FLAGS ?=
.PHONY: bench-load
bench-load: ## Drive the extender at a fixed pod rate over loopback (test/perf/extenderload); see docs/benchmarks.md.
	$(GO) run ./test/perf/extenderload $(LOAD_FLAGS)

THROUGHPUT_FLAGS ?= --rounds 3
.PHONY: bench-throughput
bench-throughput: ## kube-scheduler's throughput with no extender, a no-op extender and volplace (takes minutes; run on an idle machine).
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(GO) run ./test/perf/throughput $(THROUGHPUT_FLAGS)

.PHONY: test-unit
test-unit: ## Run the tests that need no control plane.
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /test/)

.PHONY: control-plane
control-plane: ## Build (once) and print the test control plane's bin dir (with the storage stack), for KUBEBUILDER_ASSETS.
	@hack/control-plane.sh --storage

.PHONY: helm
helm: ## Build (once) and print the pinned helm (hack/tools/helm) that test/deploy lints and renders charts/volplace with.
	@TOOLS_DIR=$(TOOLS_DIR) hack/helm.sh

.PHONY: image
image: ## Build the container image $(IMAGE) (needs docker or podman; the Go build itself does not).
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

.PHONY: image-scheduler
image-scheduler: ## Build the volplace-scheduler image $(SCHEDULER_IMAGE) from the same Dockerfile (target volplace-scheduler).
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) --target volplace-scheduler -t $(SCHEDULER_IMAGE) .

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run go vet and golangci-lint.
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: vulncheck
vulncheck: $(GOVULNCHECK) ## Check the module's dependencies and code for known vulnerabilities (public database, else the offline copy).
	@db="$$(hack/vulndb.sh)" && $(GOVULNCHECK) -db "$$db" ./...

.PHONY: verify
verify: lint ## Check formatting, go.mod tidiness and lint.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR)/golangci-lint.tmp.$$$$ $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) && \
		mv $(TOOLS_DIR)/golangci-lint.tmp.$$$$/golangci-lint $@ && rm -rf $(TOOLS_DIR)/golangci-lint.tmp.$$$$

$(GOVULNCHECK):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR)/govulncheck.tmp.$$$$ $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) && \
		mv $(TOOLS_DIR)/govulncheck.tmp.$$$$/govulncheck $@ && rm -rf $(TOOLS_DIR)/govulncheck.tmp.$$$$
