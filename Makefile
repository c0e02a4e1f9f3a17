# The project's commands. Only the Rust toolchain is needed: cargo fetches everything else.
#   make reproduce   every quick experiment (embedded data, CPU, minutes)
#   make test        every test
# See README.md for the rest.

SHELL   := /bin/bash
CARGO   ?= cargo
HARNESS := target/release/harness
# Quick experiments: no download, minutes on a laptop. `make reproduce` runs them all.
QUICK   := experiments/fig1_linear.yaml experiments/fig2_relu.yaml \
           experiments/fig3_linear_vs_relu.yaml experiments/fig4_digits_fcnn.yaml \
           experiments/estimators.yaml
# C4 is also judged across the regression figures, pooling their points.
REGRESSION := experiments/fig1_linear.yaml experiments/fig2_relu.yaml \
              experiments/fig3_linear_vs_relu.yaml
# Experiments on downloaded data (mnist, cifar10 from the Hugging Face Hub).
DOWNLOAD_QUICK := experiments/fig4_mnist_fcnn_quick.yaml experiments/fig5_cifar10_cnn5_quick.yaml
FULL    := experiments/fig4_mnist_fcnn.yaml experiments/fig5_cifar10_cnn5.yaml
# Device for the download experiments: `make reproduce-full DEVICE=cuda` (needs a CUDA build,
# `cargo build --release --features cuda`).
DEVICE  ?= cpu

.PHONY: all build reproduce reproduce-fig1 reproduce-fig2 reproduce-fig3 reproduce-fig4 reproduce-estimators claims fetch reproduce-downloads-quick \
        reproduce-full test drills verify bench clean-cache help

all: build

help:
	@sed -n '2,5p' Makefile

build:
	$(CARGO) build --release --locked

$(HARNESS): build

reproduce: build
	$(HARNESS) run $(QUICK)
	$(HARNESS) claims $(REGRESSION)

reproduce-fig1: build
	$(HARNESS) run experiments/fig1_linear.yaml

reproduce-fig2: build
	$(HARNESS) run experiments/fig2_relu.yaml

reproduce-fig3: build
	$(HARNESS) run experiments/fig3_linear_vs_relu.yaml

# C4 across fig1–fig3 (runs what they lack first; cached units are reused).
claims: build
	$(HARNESS) run $(REGRESSION)
	$(HARNESS) claims $(REGRESSION)

reproduce-fig4: build
	$(HARNESS) run experiments/fig4_digits_fcnn.yaml

# Accuracy of the estimators on data with known answers.
reproduce-estimators: build
	$(HARNESS) run experiments/estimators.yaml

# Downloads mnist and cifar10 once into the Hugging Face cache ($$HF_HOME/hub).
fetch: build
	$(HARNESS) fetch mnist
	$(HARNESS) fetch cifar10

reproduce-downloads-quick: fetch
	$(HARNESS) run --device $(DEVICE) $(DOWNLOAD_QUICK)

# The paper's scale: hours to days on a CPU; meant for a GPU (DEVICE=cuda).
reproduce-full: fetch
	$(HARNESS) run --device $(DEVICE) $(FULL)

# Tests share the release build with `make reproduce` (one compile of candle, not two); the
# benches are compiled too, so that they cannot rot.
test:
	$(CARGO) build --release --locked --workspace --benches
	@mkdir -p target
	set -o pipefail; $(CARGO) test --release --locked --workspace --no-fail-fast 2>&1 | tee target/test.log
	@awk '/^test result:/ {p += $$4; f += $$6; s += $$8} END {printf "tests: %d passed, %d failed, %d skipped\n", p, f, s}' target/test.log

# The reliability drills (README "Reliability"), printing their figures.
drills:
	$(CARGO) test --release --locked -p harness --test drills -- --nocapture --test-threads 1 2>&1 | grep -o 'drill [a-z].*'

verify: build
	$(HARNESS) verify

bench:
	$(CARGO) bench --locked --workspace

clean-cache:
	rm -rf artifacts/cache artifacts/results
