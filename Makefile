# The project's commands. `make test` is what CI runs (.ci/run): lint, then
# every test with the race detector.
GO ?= go

.PHONY: test lint bench build install mutation

test: lint
	$(GO) test -race -count=1 ./...

lint:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Every benchmark, then the speed goals they measure, met or missed
# (internal/cmd/benchgoals); exit 1 when a goal is missed.
bench:
	@out="$$(mktemp)"; trap 'rm -f "$$out" "$$out.code"' EXIT; \
	{ $(GO) test -run '^$$' -bench . -benchmem ./...; echo $$? > "$$out.code"; } | tee "$$out"; \
	[ "$$(cat "$$out.code")" = 0 ] || { echo "make bench: a benchmark failed"; exit 1; }; \
	$(GO) run ./internal/cmd/benchgoals < "$$out"

build:
	$(GO) build -o bin/conform ./cmd/conform

install:
	$(GO) install ./cmd/conform

# How well the tests bite: one operator changed at a time (internal/cmd/mutate),
# each package's score and its surviving mutants. Not part of make test.
mutation:
	$(GO) run ./internal/cmd/mutate -j 2 ./acs ./checks ./world ./planning ./internal/refserver=./internal/refserver,./server,./conformtest
