#!/usr/bin/env bash
# Classification benchmark per kind of content: `breachscope scan` (1 and 2 threads) against
# ripgrep running the same patterns (`rg -o -f patterns`, 1 and 2 threads) and against the
# `cat` floor (reading the files), on a generated corpus with one directory per kind:
#
#   prose-en, prose-ja            English / Japanese prose, UTF-8
#   prose-ja-{sjis,eucjp,utf16,iso2022jp}
#                                 the Japanese prose in Shift_JIS, EUC-JP, UTF-16LE (BOM),
#                                 ISO-2022-JP (rg -E decodes them: it searches the same text)
#   csv, csv-bom, csv-sjis        customer CSV (Japanese names, e-mail, phones, postal codes,
#                                 addresses, cards, birth dates…) in UTF-8, UTF-8 with BOM, CP932
#   numeric                       a lab's measurement CSV: timestamps, ids, 20 float columns
#   xlsx, docx                    customer workbooks; contracts and mail-merged letters
#                                 (rg cannot read zip: it searches their UTF-8 text twins, the
#                                 same cells as CSV and the same paragraphs as lines)
#   code                          Rust/Python/Java/YAML/INI/.env with keys, tokens, passwords,
#                                 PEM keys
#   cad                           CAD/EDA exports: ASCII DXF, STEP, ASCII STL, Gerber
#   firmware                      Intel HEX, Motorola S-record, raw Cortex-M flash images
#   mixed                         three files of each kind above (rg: their UTF-8 text twins)
#
# Each kind is 20–60 files (so two threads can split the work), the corpus ~MB megabytes in
# all, written once by crates/classify/examples/gen_kinds.rs (fixed seed) under $BENCH_DIR.
#
#   scripts/bench-scan.sh                       # MB=250 RUNS=5, every kind
#   MB=40 RUNS=3 scripts/bench-scan.sh          # a quick run
#   KINDS=csv,numeric scripts/bench-scan.sh     # kinds by name or prefix (csv = csv, csv-bom,
#                                               # csv-sjis; prose-ja = the five encodings)
#   PROFILE=numeric scripts/bench-scan.sh       # perf record -g of a 1-thread scan of one kind
#   PRESIDIO=1 scripts/bench-scan.sh            # also Presidio's recognizers on 3 prose files
#   BASELINE=old/breachscope scripts/bench-scan.sh  # an older build timed beside this one
#
# Prints one table per kind — median wall time, CPU time, MB/s wall and per core (of the bytes
# each command reads), rg time ÷ scan time at the same thread count (≥ 0.8 is the target) and
# the 2-thread speed-up (1-thread time ÷ 2-thread time) — and writes them with a summary to
# $BENCH_DIR/scan-kinds.md. Output goes to /dev/null (ripgrep 13 still searches everything
# then; a pipe would add 5–30 % to rg -o, which prints every match). Times under 5 ms (cat on
# small kinds) are rough: hyperfine subtracts the shell's start-up. The breachscope binary is
# copied to $BENCH_DIR/bin first (the shared target directory may be rebuilt meanwhile).
#
# Installs ripgrep and hyperfine (and linux-perf for PROFILE) with apt-get when missing and
# running as root. Presidio goes into a venv under $BENCH_DIR; it is ~1000× slower, so it runs
# on three files only and its MB/s is what compares.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
MB=${MB:-250}
RUNS=${RUNS:-5}
KINDS=${KINDS:-}
PROFILE=${PROFILE:-}
PRESIDIO=${PRESIDIO:-0}
mkdir -p "$BENCH_DIR/bin"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
target=${CARGO_TARGET_DIR:-target}

need() { # command, Debian package
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
  else
    echo "$1 is needed (apt-get install $2)" >&2
    exit 1
  fi
}
need rg ripgrep
need hyperfine hyperfine
if [ -n "$PROFILE" ]; then need perf linux-perf; fi

# Build, and snapshot the binary: another worktree building into the same target directory
# would replace it. Rebuild until cargo finds nothing to do, so the copy is of this tree.
B="$BENCH_DIR/bin/breachscope"
for _ in 1 2 3; do
  out=$(cargo build --release -p breachscope 2>&1) || { echo "$out" >&2; exit 1; }
  cp "$target/release/breachscope" "$B"
  if ! out=$(cargo build --release -p breachscope 2>&1); then echo "$out" >&2; exit 1; fi
  grep -q "Compiling breachscope " <<<"$out" || break
done
out=$(cargo build --release -p breachscope-classify --example gen_kinds 2>&1) || { echo "$out" >&2; exit 1; }

# The corpus, keyed by size and by the generator's sources (a changed generator writes anew).
gen_hash=$(cat crates/classify/examples/gen_kinds.rs crates/classify/examples/common/prose.rs \
  crates/simulate/src/pii.rs crates/simulate/src/ooxml.rs | sha256sum | cut -c1-8)
corpus="$BENCH_DIR/kinds-$MB-$gen_hash"
[ -f "$corpus/manifest.tsv" ] || "$target/release/examples/gen_kinds" "$corpus" "$MB"

# The patterns breachscope compiles (crates/classify/src/patterns.rs), one per line: every
# string literal of the `patterns` array (raw or not), whatever their number.
patterns="$BENCH_DIR/patterns.txt"
python3 - "$patterns" <<'PY'
import re, sys
src = open("crates/classify/src/patterns.rs", encoding="utf-8").read()
m = re.search(r"let\s+patterns\s*(?::[^=]*)?=\s*&?\[|PATTERNS\s*:[^=]*=\s*&?\[", src)
if not m:
    sys.exit("bench-scan: no `let patterns = [` (or PATTERNS array) in crates/classify/src/patterns.rs")
i, depth, pats = m.end(), 1, []
while depth:
    c = src[i]
    if src.startswith("//", i):
        i = src.index("\n", i)
        continue
    raw = re.match(r'r(#*)"', src[i:]) if c == "r" and not src[i - 1].isalnum() else None
    if raw:
        end = src.index('"' + raw.group(1), i + len(raw.group(0)))
        pats.append(src[i + len(raw.group(0)):end])
        i = end + 1 + len(raw.group(1))
        continue
    if c == '"':
        j, s = i + 1, []
        while src[j] != '"':
            if src[j] == "\\":
                nxt = src[j + 1]
                s.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}.get(nxt, "\\" + nxt))
                j += 2
            else:
                s.append(src[j])
                j += 1
        pats.append("".join(s))
        i = j + 1
        continue
    depth += {"[": 1, "]": -1}.get(c, 0)
    i += 1
if not pats or any("\n" in p for p in pats):
    sys.exit("bench-scan: could not extract the patterns (none, or one spans lines)")
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(pats) + "\n")
print(f"{len(pats)} patterns from crates/classify/src/patterns.rs", file=sys.stderr)
PY
rc=0; rg -q -f "$patterns" /dev/null || rc=$?
[ "$rc" -le 1 ] || { echo "ripgrep cannot compile $patterns" >&2; exit 1; }

key="$BENCH_DIR/bench.key"
selected() { # kind: whether KINDS names it or a prefix of it
  [ -z "$KINDS" ] && return 0
  local k
  IFS=, read -ra ks <<<"$KINDS"
  for k in "${ks[@]}"; do [[ $1 == "$k" || $1 == "$k"-* ]] && return 0; done
  return 1
}
q() { printf '%q' "$1"; }

if [ -n "$PROFILE" ]; then
  files=$(awk -F'\t' -v k="$PROFILE" '$1 == k { print $2 }' "$corpus/manifest.tsv")
  [ -n "$files" ] || { echo "PROFILE: no kind $PROFILE (kinds: $(cut -f1 "$corpus/manifest.tsv" | paste -sd' '))" >&2; exit 1; }
  data="$BENCH_DIR/perf-$PROFILE.data"
  perf record -g -o "$data" -- "$B" scan --no-cache --threads 1 --key "$key" "$corpus/$files" >/dev/null
  perf report -i "$data" --no-children --percent-limit 2 --stdio 2>/dev/null | head -60
  exit 0
fi

report() { # python: the per-kind table (and markdown) or the summary
  python3 - "$@" <<'PY'
import json, os, sys
mode = sys.argv[1]
def size(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
def rows(kind, bench_dir, files, rg_dir):
    d = json.load(open(os.path.join(bench_dir, f"scan-{kind}.json")))
    sizes = {"files": size(files), "rg": size(rg_dir)}
    by = {r["command"]: r for r in d["results"]}
    out = []
    for r in d["results"]:
        name = r["command"]
        n = sizes["rg"] if name.startswith("rg") else sizes["files"]
        cpu = r["user"] + r["system"]
        vs_rg = speedup = ""
        if name.startswith("breachscope"):
            rg = by.get(name.replace("breachscope scan", "rg -o"))
            vs_rg = f"{rg['median'] / r['median']:.2f}" if rg else ""
        if name.endswith("2 threads"):
            one = by.get(name.replace("2 threads", "1 thread"))
            speedup = f"{one['median'] / r['median']:.2f}" if one else ""
        out.append((name, r["median"], cpu, n / r["median"] / 1e6, n / cpu / 1e6, vs_rg, speedup))
    return sizes, out
HEAD = ("command", "median s", "CPU s", "MB/s wall", "MB/s per core", "vs rg -o", "2t speed-up")
if mode == "kind":
    kind, bench_dir, files, rg_dir, count, desc = sys.argv[2:8]
    sizes, out = rows(kind, bench_dir, files, rg_dir)
    title = f"{kind}: {desc}; {count} files, {sizes['files'] / 1e6:.1f} MB"
    if rg_dir != files:
        title += f" (rg reads {sizes['rg'] / 1e6:.1f} MB of UTF-8 text twins)"
    print(f"\n{title}")
    print(f"{HEAD[0]:28} {HEAD[1]:>9} {HEAD[2]:>7} {HEAD[3]:>10} {HEAD[4]:>14} {HEAD[5]:>9} {HEAD[6]:>12}")
    md = [f"### {title}", "", "| " + " | ".join(HEAD) + " |", "|---" + "|---:" * 6 + "|"]
    for name, med, cpu, wall, core, vs, sp in out:
        print(f"{name:28} {med:9.3f} {cpu:7.3f} {wall:10.1f} {core:14.1f} {vs:>9} {sp:>12}")
        md.append(f"| {name} | {med:.3f} | {cpu:.3f} | {wall:.1f} | {core:.1f} | {vs} | {sp} |")
    open(os.path.join(bench_dir, f"scan-{kind}.md"), "w").write("\n".join(md) + "\n\n")
else:
    bench_dir, manifest, header = sys.argv[2:5]
    kinds = [l.split("\t") for l in open(manifest, encoding="utf-8").read().splitlines()]
    done = [k for k in kinds if os.path.exists(os.path.join(bench_dir, f"scan-{k[0]}.json"))
            and k[0] in sys.argv[5:]]
    H = ("kind", "MB", "scan 1t MB/s", "rg 1t MB/s", "vs rg 1t", "vs rg 2t", "scan 2t speed-up", "cat MB/s", "vs baseline 1t", "vs baseline 2t")
    lines = [f"{H[0]:20} {H[1]:>6} {H[2]:>12} {H[3]:>10} {H[4]:>8} {H[5]:>8} {H[6]:>16} {H[7]:>8} {H[8]:>14} {H[9]:>14}"]
    md = ["| " + " | ".join(H) + " |", "|---" + "|---:" * 9 + "|"]
    for k in done:
        sizes, out = rows(k[0], bench_dir, os.path.join(os.path.dirname(manifest), k[1]),
                          os.path.join(os.path.dirname(manifest), k[2]))
        r = {o[0]: o for o in out}
        s1, s2 = r["breachscope scan, 1 thread"], r["breachscope scan, 2 threads"]
        g1, cat = r["rg -o, 1 thread"], r["cat (floor)"]
        b1, b2 = r.get("baseline scan, 1 thread"), r.get("baseline scan, 2 threads")
        vb1 = f"{b1[1] / s1[1]:.2f}" if b1 else ""
        vb2 = f"{b2[1] / s2[1]:.2f}" if b2 else ""
        vals = (k[0], f"{sizes['files'] / 1e6:.1f}", f"{s1[3]:.1f}", f"{g1[3]:.1f}", s1[5], s2[5], s2[6], f"{cat[3]:.0f}", vb1, vb2)
        lines.append(f"{vals[0]:20} {vals[1]:>6} {vals[2]:>12} {vals[3]:>10} {vals[4]:>8} {vals[5]:>8} {vals[6]:>16} {vals[7]:>8} {vals[8]:>14} {vals[9]:>14}")
        md.append("| " + " | ".join(vals) + " |")
    print("\nSummary (MB/s of the bytes each command reads; vs rg = rg time ÷ scan time)")
    print("\n".join(lines))
    parts = [open(os.path.join(bench_dir, f"scan-{k[0]}.md")).read() for k in done]
    with open(os.path.join(bench_dir, "scan-kinds.md"), "w") as f:
        f.write("# breachscope scan per kind of content\n\n" + header + "\n\n## Summary\n\n"
                + "\n".join(md) + "\n\n## Per kind\n\n" + "".join(parts))
    print(f"\nwrote {os.path.join(bench_dir, 'scan-kinds.md')}")
PY
}

ran=()
# BASELINE=path/to/an/older/breachscope: its scan is timed beside this one (the same files,
# 1 and 2 threads) and the summary gives "vs baseline" (baseline median ÷ this median: 1.00 is
# unchanged, below 1 slower).
if [ -n "${BASELINE:-}" ]; then
  cp "$BASELINE" "$BENCH_DIR/bin/breachscope-baseline"
  BASELINE="$BENCH_DIR/bin/breachscope-baseline"
fi
while IFS=$'\t' read -r kind files rg_dir encoding desc; do
  baseline_cmds=()
  if [ -n "${BASELINE:-}" ]; then
    baseline_cmds=(-n "baseline scan, 1 thread" "$(q "$BASELINE") scan --no-cache --threads 1 --key $(q "$key") $(q "$corpus/$files")"
      -n "baseline scan, 2 threads" "$(q "$BASELINE") scan --no-cache --threads 2 --key $(q "$key") $(q "$corpus/$files")")
  fi
  selected "$kind" || continue
  ran+=("$kind")
  files="$corpus/$files"
  rg_dir="$corpus/$rg_dir"
  enc=""
  [ "$encoding" = auto ] || enc="-E $encoding"
  count=$(find "$files" -type f | wc -l)
  # What the scan sees and finds, and how many matches rg prints (a check that both search the
  # text, not a timing).
  "$B" scan --no-cache --threads 2 --key "$key" --json "$BENCH_DIR/scan-$kind-result.json" "$files" >/dev/null
  matches=$( (rg -j2 -o $enc -f "$patterns" "$rg_dir" || [ $? -eq 1 ]) | wc -l)
  python3 - "$BENCH_DIR/scan-$kind-result.json" "$matches" "$kind" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
seen = collections.Counter(
    f"{(f.get('classification') or {}).get('format', 'error')}/{(f.get('classification') or {}).get('encoding', '-')}"
    for f in d["files"])
found = ", ".join(f"{k} {v}" for k, v in sorted(d["totals"].items())) or "nothing"
print(f"\n[{sys.argv[3]}] scan reads {', '.join(f'{n} {k}' for k, n in seen.most_common())}; "
      f"finds (distinct) {found}; rg -o prints {sys.argv[2]} matches")
PY
  echo "[$kind] load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
  hyperfine --style none --warmup 1 --runs "$RUNS" \
    --export-json "$BENCH_DIR/scan-$kind.json" \
    -n "cat (floor)" "cat $(q "$files")/* > /dev/null" \
    -n "breachscope scan, 1 thread" "$(q "$B") scan --no-cache --threads 1 --key $(q "$key") $(q "$files")" \
    -n "breachscope scan, 2 threads" "$(q "$B") scan --no-cache --threads 2 --key $(q "$key") $(q "$files")" \
    -n "rg -o, 1 thread" "rg -j1 -o $enc -f $(q "$patterns") $(q "$rg_dir"); test \$? -le 1" \
    -n "rg -o, 2 threads" "rg -j2 -o $enc -f $(q "$patterns") $(q "$rg_dir"); test \$? -le 1" \
    "${baseline_cmds[@]}"
  report kind "$kind" "$BENCH_DIR" "$files" "$rg_dir" "$count" "$desc"
done <"$corpus/manifest.tsv"
[ "${#ran[@]}" -gt 0 ] || { echo "KINDS=$KINDS names no kind ($(cut -f1 "$corpus/manifest.tsv" | paste -sd' '))" >&2; exit 1; }

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo "+changes")
header="Commit $commit, corpus \`$corpus\` (MB=$MB), $(date -u +%Y-%m-%dT%H:%MZ).
$(rg --version | sed -n 1p), $(hyperfine --version): median of $RUNS runs after a warm-up.
$(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg).

MB/s are of the bytes each command reads: scan and cat read the files, rg reads the files or,
for xlsx, docx and mixed, their UTF-8 text twins. 'vs rg' is rg's median ÷ scan's median at
the same thread count (≥ 0.8 is the target); '2t speed-up' is the 1-thread median ÷ the
2-thread median."
report summary "$BENCH_DIR" "$corpus/manifest.tsv" "$header" "${ran[@]}"

if [ "$PRESIDIO" = 1 ]; then
  if [ ! -x "$BENCH_DIR/presidio-venv/bin/python" ]; then
    python3 -m venv "$BENCH_DIR/presidio-venv"
    "$BENCH_DIR/presidio-venv/bin/pip" install --quiet presidio-analyzer
  fi
  for kind in prose-en prose-ja; do
    echo "Presidio, $kind (3 files):"
    "$BENCH_DIR/presidio-venv/bin/python" scripts/presidio_scan.py $(ls "$corpus/$kind/files"/* | head -3)
  done
fi
