#!/usr/bin/env bash
# The whole test suite: what it needs (tests/setup.sh installs it), formatting, lints, unit and
# end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")"
tests/setup.sh
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
