#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (warnings are errors), and the
# unit and integration tests of the whole workspace. Installs nothing beyond what cargo fetches.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
