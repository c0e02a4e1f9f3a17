# The project's commands. Only the Rust toolchain is needed: cargo fetches everything else.
#   make reproduce   every quick experiment (embedded data, CPU, minutes)
#   make test        every test
# See README.md for the rest.

CARGO   ?= cargo
HARNESS := target/release/harness
# Quick experiments: no download, minutes on a laptop. `make reproduce` runs them all.
QUICK   := experiments/fig1_linear.yaml

.PHONY: all build reproduce reproduce-fig1 test verify bench clean-cache help

all: build

help:
	@sed -n '2,5p' Makefile

build:
	$(CARGO) build --release --locked

$(HARNESS): build

reproduce: build
	$(HARNESS) run $(QUICK)

reproduce-fig1: build
	$(HARNESS) run experiments/fig1_linear.yaml

# Tests share the release build with `make reproduce` (one compile of candle, not two).
test:
	$(CARGO) test --release --locked --workspace --no-fail-fast

verify: build
	$(HARNESS) verify

bench:
	$(CARGO) bench --locked --workspace

clean-cache:
	rm -rf artifacts/cache artifacts/results
