#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (warnings are errors), and the
# unit and integration tests of the whole workspace. Installs poppler-utils (pdftotext),
# chromium, softflowd, rsyslog, samba and smbclient when missing and running as root; everything
# else comes through cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# PDF classification uses poppler's pdftotext and the report.html test Debian's headless
# Chromium; install them where we can (those tests skip, saying why, where we cannot).
install() {
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "note: $2 is not installed; its tests will skip"; return 0; }
  apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null 2>&1; } || echo "note: $2 could not be installed; its tests will skip"
}
install pdftotext poppler-utils
install chromium chromium
# The NetFlow collector's tests receive a real exporter's datagrams.
install softflowd softflowd
# The syslog receiver's tests forward real audit lines through rsyslogd, and a live smbd's
# audit while smbclient reads files.
install rsyslogd rsyslog
install smbd samba
install smbclient smbclient
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
