# tenantforge: build, test and plan the platform; preview and deploy it with
# the Pulumi CLI. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
STACK ?= dev
LAMBDAS := build/lambdas
PLAN := build/plan
# JUNIT=<file.xml> makes `make unit` (and `make test`) also write a JUnit
# report, as the pipeline's build does for CodeBuild's test reports.
JUNIT ?=
# Extra flags of `tenantctl rollout` (wave size, report format).
ROLLOUT_FLAGS ?=

.PHONY: help build test npm vet unit plan plan-update dev dev-reset preview up rollout release lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## cross-compile every lambdas/<name> into build/lambdas/<name>.zip; the web app into build/web
	$(GO) run ./cmd/lambdabuild -out $(LAMBDAS)
	$(GO) run ./cmd/webbuild -src web -out build/web

test: build npm vet unit ## the one test command: build, vet, unit and integration tests

npm: node_modules/.package-lock.json

# The pinned Node stand-ins and checkers the tests run (package-lock.json).
# npm ci empties node_modules first, through a link too: a node_modules that
# links to a shared install (another checkout's) is never reinstalled here.
node_modules/.package-lock.json: package.json package-lock.json
	@if [ -L node_modules ]; then \
		echo "node_modules links to $$(readlink node_modules); not running npm ci through the link (run it there if package-lock.json changed)" >&2; \
	else npm ci --no-audit --no-fund; fi

vet:
	$(GO) vet ./...

unit:
ifeq ($(JUNIT),)
	$(GO) test -count=1 ./...
else
	@mkdir -p $(dir $(JUNIT))
	$(GO) test -count=1 -json ./... 2>&1 | $(GO) tool go-junit-report -parser gojson -iocopy -out $(JUNIT)
endif

plan: build ## render every stack offline: build/plan/<stack>.{json,md,dot,svg}
	$(GO) run ./cmd/plan -out $(PLAN) -artifacts $(LAMBDAS)

plan-update: build ## refresh the golden plans in tests/golden (and docs/plan-dev.svg) after a reviewed change
	$(GO) run ./cmd/plan -out $(PLAN) -artifacts $(LAMBDAS) -golden tests/golden
	@if [ -f $(PLAN)/dev.svg ]; then cp $(PLAN)/dev.svg docs/plan-dev.svg; fi

# The local SaaS is derived from the dev stack's offline plan (build), runs
# cognito-local (npm) and keeps its data in build/dev.
dev: build npm ## run the whole SaaS locally: web app and API on http://127.0.0.1:8080 (TENANTFORGE_DEV_PORT)
	$(GO) build -o build/bin/dev ./cmd/dev
	build/bin/dev -stack $(STACK) -data build/dev

dev-reset: ## forget the local SaaS's data (tenants, users, products, orders) in build/dev
	@if [ -f build/dev/dev.pid ] && kill -0 "$$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' build/dev/dev.pid)" 2>/dev/null; then \
		echo "make dev is running (build/dev/dev.pid); stop it with Ctrl-C first" >&2; exit 1; fi
	rm -rf build/dev

preview: build ## pulumi preview of STACK (needs the Pulumi CLI and AWS credentials)
	@command -v pulumi >/dev/null || { echo "install the Pulumi CLI first: https://www.pulumi.com/docs/install/" >&2; exit 1; }
	pulumi preview --stack $(STACK) --diff

up: build ## pulumi up of STACK (needs the Pulumi CLI and AWS credentials)
	@command -v pulumi >/dev/null || { echo "install the Pulumi CLI first: https://www.pulumi.com/docs/install/" >&2; exit 1; }
	pulumi up --stack $(STACK)

rollout: ## pulumi up of the platform STACK, then its silo tenant stacks in waves (cmd/tenantctl; the pipeline's deploy)
	@command -v pulumi >/dev/null || { echo "install the Pulumi CLI first: https://www.pulumi.com/docs/install/" >&2; exit 1; }
	PLATFORM_STACK=$(STACK) $(GO) run ./cmd/tenantctl rollout $(ROLLOUT_FLAGS)

release: ## shift each function's live alias of STACKS (default STACK) to its new version through CodeDeploy
	./.ci/release-lambdas $(or $(STACKS),$(STACK))

lint: ## gofmt check, go vet, staticcheck and actionlint of the GitHub workflows
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted" >&2; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool actionlint

bench: build npm ## benchmarks; fails when a performance target is missed
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	$(GO) run ./cmd/authbench -seconds 3
	$(GO) run ./cmd/lambdabench -zips $(LAMBDAS)

clean: ## remove build output and the installed Node tools
	rm -rf build node_modules
