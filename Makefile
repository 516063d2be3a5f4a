# The project's commands. `make test` is what CI runs (.ci/run).
GO ?= go

.PHONY: test vet bench build

test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

build:
	$(GO) build -o bin/conform ./cmd/conform
