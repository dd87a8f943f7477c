#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (warnings are errors), and the
# unit and integration tests of the whole workspace. Installs poppler-utils (pdftotext) when
# missing and running as root; everything else comes through cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# PDF classification uses poppler's pdftotext; install it where we can (the test skips the PDF
# case, saying why, where we cannot).
if ! command -v pdftotext >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y poppler-utils >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y poppler-utils >/dev/null 2>&1; } || echo "note: poppler-utils could not be installed; the PDF test will skip"
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
