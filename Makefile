# k1s: a whole Kubernetes cluster in one Go process.
# `make help` lists the targets.

GO        ?= go
BIN       := bin/k1s
DATA_DIR  ?= $(HOME)/.k1s
# /version and `kubectl version` report the upstream release k1s serves.
LDFLAGS   := -X k8s.io/component-base/version.gitVersion=v1.37.2+k1s \
             -X k8s.io/component-base/version.gitMajor=1 \
             -X k8s.io/component-base/version.gitMinor=37 \
             -X k8s.io/component-base/version.gitTreeState=clean
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v /e2e)

.PHONY: help build up test test-unit test-e2e bench generate verify lint fmt clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/k1s
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/k1s

up: build ## Build and start a cluster on the embedded default (data in $(DATA_DIR))
	./$(BIN) up --data-dir $(DATA_DIR)

test: lint test-unit test-e2e ## Run vet, gofmt check, unit tests (-race) and e2e tests

test-unit: ## Unit and integration tests with the race detector
	$(GO) test -race -count=1 $(UNIT_PKGS)

test-e2e: ## End-to-end tests against in-process clusters (client-go and kubectl)
	$(GO) test -count=1 -timeout 15m ./e2e/...

bench: ## Benchmarks: start-up, idle RSS, nodes, pods, scheduler, plugin round trip, log streaming
	$(GO) test -run '^$$' -bench . -benchtime 5x -count 1 ./e2e/...
	$(GO) test -run '^$$' -bench . -count 1 ./controllers/nodelifecycle/ ./controllers/scheduler/ ./kubelet-lite/ ./plugins/cloud/

generate: ## Regenerate generated code (OpenAPI definitions, cloud plugin protobuf)
	hack/update-openapi.sh
	hack/update-proto.sh

verify: ## Fail if generated code is stale
	hack/verify-openapi.sh
	hack/verify-proto.sh

lint: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

fmt: ## Format the code
	gofmt -w $$(git ls-files '*.go')

clean: ## Remove build output
	rm -rf bin
