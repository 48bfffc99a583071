# Recipes for working on the reform-task tracker. `./dev <recipe>` installs what is missing
# (nats-server, just) and then runs the recipe; with both installed, `just <recipe>` is the same.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Built with the `up` profile (Cargo.toml): optimised, so queries answer in well under a
# millisecond and the demo loads in seconds; incremental, so rebuilds after an edit are quick.
# Start the whole stack on the embedded default, load the demo province, show the views.
up *ARGS:
    cargo run --locked --profile up -p reformctl -- up {{ARGS}}

# Query latency (p50/p99) over the demo, on the profile `up` runs; PROFILE=dev to compare.
bench-queries PROFILE="up":
    cargo bench --locked -p reformctl --bench queries --profile {{PROFILE}}

# Run the full test suite: unit, property and integration tests (each starts its own nats-server).
test:
    # Every part's own binary too: tests/deployment.rs runs each as the deployment describes.
    # With --tests the features are the test build's, so nothing is compiled twice.
    cargo build --workspace --bins --tests --locked
    cargo test --workspace --locked

# Benchmarks: commands/s beside bare publish, projector events/s beside a bare read (minutes).
bench: bench-commands bench-e2e bench-projector bench-audit bench-startup bench-queries bench-scale bench-directory

# The tasks service against bare publish-with-ack, synced and lazy.
bench-commands:
    cargo bench --locked -p reform-tasks --bench commands

# A head's command end to end (send, views, page) over the demo under other commands' load.
bench-e2e:
    cargo bench --locked -p reformctl --bench e2e

# Three starts of the tasks service: no state file, a new one, and resuming from its snapshot.
# A command service's start-up time and memory over PAR_BENCH_EVENTS events (default 1,000,000).
bench-startup:
    cargo bench --locked -p reform-tasks --bench startup

# Load the national workload (63 provinces to mid-2025, then 34; 2015–2026; EVENTS events) into a broker's stream.
gen-national NATS="nats://127.0.0.1:4222" EVENTS="10000000" SEED="20261201":
    cargo run --locked --release -p reform-projector --example gen_national -- --nats {{NATS}} --events {{EVENTS}} --seed {{SEED}}

# 1, 2 and 4 projectors over the national workload: replay, memory, query p50/p99 (PAR_BENCH_EVENTS).
bench-scale:
    cargo bench --locked -p reform-projector --bench scale

# What a part of the directory costs at national scale (the dashboard asks one per page).
bench-directory:
    cargo bench --locked -p reform-projector --bench directory

# The projector against a bare consumer over PAR_BENCH_EVENTS events (default 1,000,000).
bench-projector:
    cargo bench --locked -p reform-projector --bench throughput

# Chaos (SECONDS of random kill -9 of every part and the broker), the cluster, a partition (root).
chaos SECONDS="300" SEED="20261201":
    PAR_CHAOS_SECONDS={{SECONDS}} PAR_CHAOS_SEED={{SEED}} cargo test --locked -p reformctl --test chaos -- --nocapture
    cargo test --locked -p reformctl --test cluster -- --nocapture
    cargo test --locked -p reformctl --test partition -- --ignored --nocapture

# Fuzz each target for SECONDS (cargo-fuzz; the test suite replays fuzz/corpus).
fuzz SECONDS="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
    cd fuzz && for target in decode_event command_request framework_file; do \
        mkdir -p target/fuzz-corpus/$target; \
        dict=""; [ -f dict/$target.dict ] && dict="-dict=dict/$target.dict"; \
        RUSTC_BOOTSTRAP=1 cargo fuzz run $target target/fuzz-corpus/$target corpus/$target \
            -- -max_total_time={{SECONDS}} $dict; \
    done

# The auditor's work per event: decode, verify, Merkle tree, replay (PAR_BENCH_EVENTS events).
bench-audit:
    cargo bench --locked -p reformctl --bench audit

# Format the code.
fmt:
    cargo fmt --all

# Check formatting and lints (warnings are errors).
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Lint, then test: what to run before pushing.
verify: lint test

# Remove the embedded stack's data directory (the local event log and views).
clean-data:
    rm -rf data
