# The project's commands. Only the Rust toolchain is needed: cargo fetches everything else.
#   make reproduce   every quick experiment (embedded data, CPU, minutes)
#   make test        every test
#   make test-slurm  the Slurm path against a real single-node Slurm (root; installs it)
#   make confirm ESTIMATOR=keep     the pre-registered confirmatory run of claim rules v3
# See README.md for the rest.

SHELL   := /bin/bash
CARGO   ?= cargo
HARNESS := target/release/harness
# Quick experiments: no download, minutes on a laptop. `make reproduce` runs them all.
QUICK   := experiments/fig1_linear.yaml experiments/fig2_relu.yaml \
           experiments/fig3_linear_vs_relu.yaml experiments/fig4_digits_fcnn.yaml \
           experiments/fig4_digits_fcnn_same_inputs.yaml experiments/estimators.yaml
# C4 is also judged across the regression figures, pooling their points.
REGRESSION := experiments/fig1_linear.yaml experiments/fig2_relu.yaml \
              experiments/fig3_linear_vs_relu.yaml
# The network experiments that `harness check` compares with reference/.
CHECKED := $(REGRESSION) experiments/fig4_digits_fcnn.yaml experiments/fig4_digits_fcnn_same_inputs.yaml
# Where `make test-report` runs its experiments (fig1–fig3 and the estimators, about 30 s cold).
REPORT_TEST := target/report-test
# Experiments on downloaded data (mnist, cifar10 from the Hugging Face Hub).
DOWNLOAD_QUICK := experiments/fig4_mnist_fcnn_quick.yaml experiments/fig5_cifar10_cnn5_quick.yaml
FULL    := experiments/fig4_mnist_fcnn.yaml experiments/fig5_cifar10_cnn5.yaml
# Device for the download experiments: `make reproduce-full DEVICE=cuda` (needs a CUDA build,
# `cargo build --release --features cuda`).
DEVICE  ?= cpu
# Shard processes for the runs of `make reproduce`: `make reproduce JOBS=4` (results identical).
JOBS    ?= 1

.PHONY: confirm power sensitivity all build reproduce reproduce-fig1 reproduce-fig2 reproduce-fig3 reproduce-fig4 reproduce-fig4-same-inputs reproduce-estimators reproduce-estimators-full reproduce-estimators-joint reproduce-estimators-recheck reproduce-estimators-pooled claims fetch reproduce-downloads-quick \
        reproduce-full test test-slurm fuzz drills verify bench bench-check bench-selftest bench-baseline bench-record bench-report \
        bench-compare clean-cache help check report test-report mutants lint

all: build

help:
	@sed -n '2,7p' Makefile

build:
	$(CARGO) build --release --locked

$(HARNESS): build

reproduce: build
	$(HARNESS) run --jobs $(JOBS) $(QUICK)
	$(HARNESS) claims $(REGRESSION)
	@$(MAKE) --no-print-directory report

# Each quick network experiment against reference/ (docs/CHECK.md; tier 1, unit by unit, when
# the manifest and seeds are the reference's), then one verdict line per experiment. Exit
# status: that of the worst verdict (1 if any FAIL, else 3 if any INCONCLUSIVE, else 0).
check: build
	@worst=0; summary=""; for m in $(CHECKED); do $(HARNESS) check $$m; rc=$$?; \
	  case $$rc in 0) v=PASS;; 1) v=FAIL;; 3) v=INCONCLUSIVE;; *) v="error (exit $$rc)";; esac; \
	  summary="$$summary  $$(basename $$m .yaml): $$v\n"; \
	  if [ $$rc -eq 1 ] || { [ $$rc -ne 0 ] && [ $$worst -ne 1 ]; }; then worst=$$rc; fi; done; \
	  printf "make check against reference/:\n$$summary"; exit $$worst

# The one page: runs the checks (whatever their verdicts), then writes
# artifacts/results/index.html and prints its path.
report: build
	@for m in $(CHECKED); do $(HARNESS) check $$m || true; done
	$(HARNESS) report

# The report page in headless Chromium (installed from Debian if missing): every figure
# loads, every check verdict shows, every CSV link resolves; screenshot in $(REPORT_TEST).
test-report: build
	$(HARNESS) --quiet --artifacts $(REPORT_TEST) run $(REGRESSION) experiments/estimators.yaml
	$(HARNESS) --quiet --artifacts $(REPORT_TEST) claims $(REGRESSION)
	@for m in $(REGRESSION); do $(HARNESS) --artifacts $(REPORT_TEST) check $$m || true; done
	$(HARNESS) --artifacts $(REPORT_TEST) report
	scripts/test-report.sh $(REPORT_TEST)/results $(REPORT_TEST)/report.png

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

# Fig. 4 on digits with `pairing: same-inputs` (one subset per replica, independent label
# noise), to set beside fig4_digits_fcnn's independent subsets (docs/classification.md).
reproduce-fig4-same-inputs: build
	$(HARNESS) run experiments/fig4_digits_fcnn_same_inputs.yaml

# The power analysis of claim rules v3 with reference/ as the pilot (docs/POWER.md): the
# replicas per point for a 90 % chance that each v3 claim passes; the cost from the last cold
# run of each manifest in the run history (a cold `make reproduce`), where there is one.
power: build
	$(HARNESS) power $(addprefix reference/,$(basename $(notdir $(CHECKED))))

# How the digits runs' v3 findings move with the dead ReLU units (docs/SENSITIVITY.md); needs
# `make reproduce-fig4 reproduce-fig4-same-inputs` first (members.csv and pairs.csv).
sensitivity: build
	$(HARNESS) sensitivity artifacts/results/fig4_digits_fcnn artifacts/results/fig4_digits_fcnn_same_inputs

# The pre-registered confirmatory run of claim rules v3 (docs/CONFIRM.md): the manifests of
# experiments/confirm/ (seeds derived from the v3 text, replicas from the power analysis),
# about 23 min on 2 quiet cores; `JOBS=n` shards it. Its main estimator is issue 26's decision,
# each figure's own (`make confirm ESTIMATOR=keep`); refused without ESTIMATOR.
confirm: build
	scripts/confirm.sh $(HARNESS) $(JOBS) "$(ESTIMATOR)"

# Accuracy of the estimators on data with known answers.
reproduce-estimators: build
	$(HARNESS) run experiments/estimators.yaml

# The full accuracy grid (every family, 1+1 … 16+16 dims, N to 20 000, rho 0 … 0.9): about half an
# hour on 2 cores; not part of `make reproduce`.
reproduce-estimators-full: build
	$(HARNESS) run experiments/estimators_full.yaml

# The same grid on one Clayton copula over every coordinate (`clayton-joint`: SPEC §4.C,
# limit 3), a few minutes on 2 cores; not part of `make reproduce`.
reproduce-estimators-joint: build
	$(HARNESS) run experiments/estimators_joint.yaml

# The full grid again on fresh data sets, 20 a cell (SPEC §4.F: which verdicts of §4.C hold up
# under resampling), 41 min cold on 2 cores; not part of `make reproduce`. Compare with
# `harness diff experiments/estimators_full.yaml experiments/estimators_recheck.yaml`, or the
# committed copies without running either: `harness diff reference/estimators_full
# reference/estimators_recheck`.
reproduce-estimators-recheck: build
	$(HARNESS) run experiments/estimators_recheck.yaml

# tcopula-pooled (SPEC §4.G): blind on a third set of fresh data sets, on the recheck's data
# sets, and on clayton-joint; not part of `make reproduce`. Read with `harness diff
# experiments/estimators_pooled_on_recheck.yaml experiments/estimators_pooled.yaml` (or the
# committed copies in reference/).
reproduce-estimators-pooled: build
	$(HARNESS) run experiments/estimators_pooled.yaml
	$(HARNESS) run experiments/estimators_pooled_on_recheck.yaml
	$(HARNESS) run experiments/estimators_pooled_joint.yaml

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

# Clippy over every crate and target, warnings as errors (the lints the workspace allows, and
# why, are in Cargo.toml's [workspace.lints.clippy]).
lint:
	$(CARGO) clippy --release --locked --workspace --all-targets -- -D warnings

# Fuzzes the manifest parser and validation and the CSV reader of `harness cce`:
# FUZZ_CASES (default 1000000) and/or FUZZ_SECONDS; FUZZ_SEED; crashing inputs go to
# FUZZ_CRASHES (default target/fuzz-crashes). Prints the cases run and the crashes found.
fuzz:
	$(CARGO) test --release --locked -p harness --test fuzz -- --ignored --nocapture fuzz_long

# A real Slurm (Debian's slurm-wlm and munge, installed if missing) on this machine: a job
# array over a shared artifacts folder, checked against a local run (harness/tests/slurm/).
test-slurm: build
	harness/tests/slurm/run.sh
# The reliability drills (README "Reliability"), printing their figures.
drills:
	$(CARGO) test --release --locked -p harness --test drills -- --nocapture --test-threads 1 2>&1 | grep -o 'drill [a-z].*'

verify: build
	$(HARNESS) verify

# Mutation testing with cargo-mutants (installed from crates.io when missing), one module of
# the result-deciding code per invocation: `make mutants MODULE=claims` (see docs/TESTING.md).
# Each module runs only the tests that guard it. Mutants are built in place (the tree is
# restored after each one: do not edit it meanwhile) with the release profile's dependencies
# and the harness itself at opt-level 1, incremental, so that one mutant builds in seconds.
# SHARD=k/n (k from 0) runs one of n shards of a module (MUTANTS_ARGS="--sharding round-robin"
# makes a shard an even sample of the file); results go to target/mutants/<MODULE>/.
MODULE  ?=
SHARD   ?= 0/1
MUTANTS_ARGS ?=
MUTANTS_TIMEOUT ?= 240
CARGO_MUTANTS_VERSION ?= 27.1.0
# Per module: the files mutated, the test targets built and run (passed to every cargo call,
# so that a mutant rebuilds only those), and a test-name filter (after `--`). estimators skips
# knn's naive-scan comparison: knn.rs is not mutated, and at opt-level 1 that one test takes
# 27 s, against about 2 s for all the others together.
M_TESTS = $(foreach t,$(1),--cargo-arg=--test=$(t))
MUTANTS_estimators := -f harness/src/estimators/ksg.rs -f harness/src/estimators/kl.rs \
    -f harness/src/estimators/gaussian.rs -f harness/src/estimators/measure.rs \
    -f harness/src/estimators/imbalance.rs -f harness/src/estimators/mod.rs \
    -f harness/src/estimators/pair.rs --cargo-arg=--lib $(call M_TESTS,estimators_independent dead_units) \
    -- -- estimators naive closed_form dead_units --skip methods_match_a_naive_scan
MUTANTS_claims         := -f harness/src/results/claims.rs -f harness/src/results/claims/v2.rs \
    --cargo-arg=--lib $(call M_TESTS,claims_rules claims_rules_v2) \
    -- -- claims c1_ c2_ c3_ c4_ evaluate_ peak_rule threshold window v2_ a_comparison side_by_side
MUTANTS_cache          := -f harness/src/cache/mod.rs -f harness/src/cache/executor.rs --cargo-arg=--lib \
    $(call M_TESTS,cache_store pipeline read_only drills) \
    -- -- cache:: entry corrupt verify read_only_artifacts concurrent_runs
MUTANTS_identity       := -f harness/src/identity.rs --cargo-arg=--lib $(call M_TESTS,identity projection) \
    -- -- identity:: hash omitted pca
MUTANTS_theory         := -f harness/src/models/theory.rs --cargo-arg=--lib $(call M_TESTS,theory_independent) \
    -- -- theory
MUTANTS_classification := -f harness/src/data/classification.rs \
    -f harness/src/representations/classification.rs --cargo-arg=--lib \
    $(call M_TESTS,classification_science) -- -- classification:: noisy_labels digits_experiment
MUTANTS_rng            := -f harness/src/rng.rs --cargo-arg=--lib -- -- rng::
# The level-reading estimators of issue 26 (their t fit, pair departures, surrogates and the
# accuracy families) and the accuracy tables that judge them (`versus.csv`).
MUTANTS_levels         := -f harness/src/estimators/pairs.rs -f harness/src/estimators/ksg_tref.rs \
    -f harness/src/estimators/elliptical.rs -f harness/src/estimators/student.rs \
    -f harness/src/estimators/families.rs -f harness/src/estimators/draw.rs \
    -f harness/src/estimators/optimize.rs --cargo-arg=--lib \
    -- -- estimators:: kinds::accuracy --skip methods_match_a_naive_scan
MUTANTS_accuracy       := -f harness/src/results/accuracy.rs -f harness/src/results/accuracy_folder.rs \
    -f harness/src/results/accuracy_recheck.rs \
    --cargo-arg=--lib -- -- results::accuracy kinds::accuracy
mutants:
	@test -n "$(MUTANTS_$(MODULE))" || { echo "MODULE must be one of: estimators claims cache identity theory classification rng levels accuracy"; exit 2; }
	@command -v cargo-mutants >/dev/null || $(CARGO) install --locked cargo-mutants --version $(CARGO_MUTANTS_VERSION)
	@mkdir -p target/mutants/$(MODULE)
	nice -n 10 $(CARGO) mutants --in-place --no-shuffle --baseline skip \
	    --timeout $(MUTANTS_TIMEOUT) --build-timeout 900 --shard $(SHARD) -p harness \
	    --cargo-arg=--config=profile.release.package.harness.opt-level=1 \
	    --cargo-arg=--config=profile.release.incremental=true --profile release \
	    --output target/mutants/$(MODULE) $(MUTANTS_ARGS) $(MUTANTS_$(MODULE))

# The criterion benches the README's "Hot paths" table quotes, on one thread (RAYON_NUM_THREADS=1:
# candle's products and rayon's pool, as the harness runs each product), then their table
# under the README's names (perfgate summary). BENCH_TIME: seconds of measurement per bench.
BENCH_TIME ?= 3
bench:
	RAYON_NUM_THREADS=1 $(CARGO) bench --locked -p harness-benches --bench fig1 --bench entropy \
	    --bench training --bench classification -- --warm-up-time 1 \
	    --measurement-time $(BENCH_TIME) "$$($(CARGO) run --release --locked -q -p harness-benches --bin perfgate -- summary --filter)"
	@echo; echo "make bench: medians on one thread (RAYON_NUM_THREADS=1), named as in README \"Hot paths\":"
	@$(CARGO) run --release --locked -q -p harness-benches --bin perfgate -- summary --target target

# Performance regression tracking (benches/README.md). The gate: instruction counts of the
# hot paths against this machine's committed baseline, or, when the key has none or the change
# wrote it, against the base commit (merge-base with main) built here. CI calls benches/gate.sh
# itself, since make turns its exit codes (1 regression, 2 a bench without baseline) into 2.
bench-check:
	benches/install-tools.sh
	benches/gate.sh check

# The gate's self-test, short form (CI): the clean tree passes, one rerun gives the same
# counts, and a planted slowdown behind a Cargo.lock change fails against the base built here
# (~5 min). The full form: benches/gate-selftest.sh [reruns] (benches/README.md).
bench-selftest:
	benches/install-tools.sh
	benches/gate-selftest.sh --short

# Rewrites benches/baselines/<machine key>.json from the current tree, on purpose.
bench-baseline:
	benches/install-tools.sh
	benches/gate.sh baseline

# Appends this commit's counts to benches/history.csv (WALL=1: criterion medians too).
bench-record:
	benches/install-tools.sh
	benches/gate.sh record $(if $(WALL),--wall)

# One SVG per hot path over the recorded commits: benches/history/<hot path>.svg.
bench-report:
	benches/gate.sh report

# Interleaved A/B wall time of BASE against the working tree: make bench-compare BASE=<rev>.
ROUNDS ?= 10
bench-compare:
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git rev> [ROUNDS=10]" >&2; exit 2; }
	benches/ab.sh $(BASE) $(ROUNDS)

clean-cache:
	rm -rf artifacts/cache artifacts/results
