# placecheck tasks. `just` lists them.

import 'scripts/testenv.just'

# List the recipes
default:
    @just --list --unsorted

# Build the binaries (debug)
build:
    cargo build --all-features

# The whole test suite: unit, fixture, CLI, reporter and live-cluster tests.
# Builds the test kube-apiserver + etcd once (cached in ~/.cache/placecheck-testenv).
test: testenv-build
    cargo test --all-features --no-fail-fast
    scripts/testenv.sh stop

# Formatting and clippy, warnings are errors
lint:
    cargo fmt --all --check
    cargo clippy --all-targets --all-features -- -D warnings

# Format the code
fmt:
    cargo fmt --all

# Benchmarks: generate the fleets and time lint/explain at three sizes (docs/performance.md)
bench:
    scripts/bench.sh

# Regenerate docs/policies/ from the policies' meta and fixtures
docs:
    UPDATE_DOCS=1 cargo test --test meta

# Lint the shipped example (what the README shows)
example:
    cargo run --quiet -- lint examples/cluster

# Validate the SARIF output with Microsoft's SARIF multitool and GitHub's ingestion rules (npx)
validate-sarif:
    scripts/validate-sarif.sh
