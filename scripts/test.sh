#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (warnings are errors), and the
# unit and integration tests of the whole workspace. Installs poppler-utils (pdftotext),
# chromium, softflowd, nfdump, rsyslog, samba, smbclient and the CAD/firmware tools below when
# missing and running as root; everything else comes through cargo.
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
# The NetFlow collector's tests receive a real exporter's datagrams; the nfcapd reader's tests
# compare with nfdump's own decode and have it write every compression.
install softflowd softflowd
install nfdump nfdump
# The syslog receiver's tests forward real audit lines through rsyslogd, and a live smbd's
# audit while smbclient reads files.
install rsyslogd rsyslog
install smbd samba
install smbclient smbclient
# The CAD, EDA and firmware detectors are tested on files real tools write
# (crates/classify/tests/real_tools.rs): ezdxf, Open CASCADE, ADMesh, pcb-rnd, SRecord, the
# ARM assembler, and KiCad's own files in kicad-templates (without recommended packages).
install_quietly() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "note: $* not installed; their tests will skip"; return 0; }
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; } || echo "note: $* could not be installed; their tests will skip"
}
missing=()
/usr/bin/python3 -c 'import ezdxf' 2>/dev/null || missing+=(python3-ezdxf)
command -v DRAWEXE >/dev/null || missing+=(oce-draw)
command -v admesh >/dev/null || missing+=(admesh)
command -v pcb-rnd >/dev/null || missing+=(pcb-rnd-core pcb-rnd-io-standard pcb-rnd-io-alien pcb-rnd-export)
command -v srec_cat >/dev/null || missing+=(srecord)
command -v arm-none-eabi-as >/dev/null || missing+=(binutils-arm-none-eabi)
[ -d /usr/share/kicad/template ] || missing+=(kicad-templates)
[ ${#missing[@]} = 0 ] || install_quietly "${missing[@]}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
