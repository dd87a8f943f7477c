#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 60 s each).
#
#   scripts/fuzz.sh            # all targets, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh samba_lines
#
# cargo-fuzz is installed when missing. libFuzzer's sanitizer flags need a nightly compiler;
# with the stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(zeek_lines samba_lines sniff evtx classify netflow nfcapd syslog_framing firewall_lines pcap)
# EVTX seeds: the smallest real logs beside the repository (their licences keep them out of it).
evtx_samples=../shared/data/evtx/EVTX-ATTACK-SAMPLES
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  max_len=4096
  if [ "$t" = evtx ]; then
    # One file header and one chunk: room for every structure the parser reads.
    max_len=69632
    if [ -d "$evtx_samples" ]; then
      for f in "$evtx_samples/Lateral Movement/LM_REMCOM_5145_TargetHost.evtx" \
               "$evtx_samples/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx"; do
        [ -f "$f" ] && cp "$f" "fuzz/corpus/evtx/seed-$(basename "$f" | tr ' ' _)"
      done
    else
      echo "note: $evtx_samples not found: the evtx target starts from an empty corpus"
    fi
  fi
  # NetFlow seeds: softflowd's real v5, v9 and IPFIX exports as captured (pcap files).
  if [ "$t" = netflow ]; then
    max_len=16384
    if [ -d ../shared/data/netflow ]; then
      for f in ../shared/data/netflow/*.export.pcap; do
        cp "$f" "fuzz/corpus/netflow/seed-$(basename "$f")"
      done
    else
      echo "note: ../shared/data/netflow not found: the netflow target starts from an empty corpus"
    fi
  fi
  # nfcapd seeds: nfcapd 1.7.1's real files, and nfdump's LZO, bzip2 and LZ4 copies of them;
  # nfdump 1.6's and 1.7.8's files where they are (scripts/make-nfcapd-*-fixtures.sh).
  if [ "$t" = nfcapd ]; then
    max_len=16384
    for f in "${BREACHSCOPE_NFCAPD_FIXTURES:-bench-out/nfcapd-fixtures}"/nfcapd-*/*.nfcapd; do
      [ -f "$f" ] || continue
      cp "$f" "fuzz/corpus/nfcapd/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    if [ -d ../shared/data/netflow ]; then
      for f in ../shared/data/netflow/*.nfcapd; do
        cp "$f" "fuzz/corpus/nfcapd/seed-$(basename "$f")"
        chmod u+w "fuzz/corpus/nfcapd/seed-$(basename "$f")"
        if command -v nfdump >/dev/null; then
          for z in z j y; do
            nfdump -r "$f" "-$z" -w "fuzz/corpus/nfcapd/seed-$z-$(basename "$f")" >/dev/null
          done
        fi
      done
    else
      echo "note: ../shared/data/netflow not found: the nfcapd target starts from an empty corpus"
    fi
  fi
  # pcap seeds: Zeek's small test captures (pcap, several link layers), copied at run time.
  if [ "$t" = pcap ]; then
    max_len=65536
    if [ -d ../shared/data/net/zeek ]; then
      for f in ../shared/data/net/zeek/*/*.pcap; do
        [ "$(stat -c %s "$f")" -le 65536 ] || continue
        cp "$f" "fuzz/corpus/pcap/seed-$(basename "$f")"
        chmod u+w "fuzz/corpus/pcap/seed-$(basename "$f")"
      done
    else
      echo "note: ../shared/data/net/zeek not found: the pcap target starts from an empty corpus"
    fi
  fi
  # Classification seeds: small files of each kind, written by the project's own generators.
  if [ "$t" = classify ]; then
    max_len=65536
    cargo run --quiet --release -p breachscope-classify --example fuzz_seeds -- "fuzz/corpus/classify"
  fi
  echo "== fuzzing $t for ${SECONDS_EACH}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_EACH" -max_len="$max_len" -print_final_stats=1
done
