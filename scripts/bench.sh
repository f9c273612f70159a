#!/usr/bin/env bash
# Runs the crypto benchmarks natively and under WebAssembly in Node and the
# storage benchmarks natively,
# three counts each, writes the raw outputs to bench-out/native.txt and
# bench-out/wasm.txt and, when benchstat is available (it is installed with
# go install if missing), prints its summaries (medians). The figures are
# copied into BENCHMARKS.md by hand.
#
#   scripts/bench.sh            (or: make bench)
#
# Then the search benchmarks (issue 5), key rotation (issue 6) and the whole-program runs of scripts/bench-e2e.sh (CLI upload against
# rclone crypt, server memory, document writes and the feed over HTTP).
# About ten minutes on a 2-core machine. BENCH_COUNT overrides the count.
# BENCH_ONLY=reseal runs the key rotation benchmark alone (about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
COUNT=${BENCH_COUNT:-3}
PKGS=./crypto/...
# Storage benchmarks run natively only.
NATIVE_PKGS="./crypto/... ./server/..."
OUT=bench-out
# Benchmarks whose single iteration takes a large fraction of a second in
# WebAssembly: a fixed iteration count keeps the wasm run short.
HEAVY='Blob64MiB|Open10000Documents|DeriveDefault'

# A GOOS or GOARCH from the caller's environment would turn the native run
# into something else.
unset GOOS GOARCH
# go test under GOOS=js finds go_js_wasm_exec (and through it Node) on PATH.
PATH=$PATH:$("$GO" env GOROOT)/lib/wasm
export PATH

if ! command -v node >/dev/null 2>&1; then
  echo "bench.sh: node is needed for the WebAssembly benchmarks (make node installs it)" >&2
  exit 1
fi

mkdir -p "$OUT"
start=$(date +%s)

echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cores:   $(nproc)"
echo "cpu:     $(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
echo "go:      $("$GO" version)"
echo "node:    $(node --version)"
echo "kernel:  $(uname -sr)"
echo

# Key rotation (issue 6): 10,000 notes re-sealed by a device in WebAssembly
# (Node) against a native server, while an app reads and writes a note every
# 50 ms; the same natively; Argon2id as the machine's gauge.
# HEARTH_BENCH_DOCS overrides the count.
reseal() {
  echo "== key rotation: HEARTH_BENCH_RESEAL=1 go test -tags hearthtest ./internal/resealbench/ -run '^\$' -bench BenchmarkWasmReseal -benchtime 1x -v"
  HEARTH_BENCH_RESEAL=1 "$GO" test -tags hearthtest ./internal/resealbench/ -run '^$' -bench BenchmarkWasmReseal \
    -benchtime 1x -timeout 30m -v | tee "$OUT/reseal.txt"
  echo
}
if [ "${BENCH_ONLY:-}" = reseal ]; then
  reseal
  echo "== done in $(( $(date +%s) - start )) s; raw results in $OUT/reseal.txt"
  exit 0
fi

echo "== native: go test -run '^\$' -bench . -benchmem -count $COUNT $NATIVE_PKGS"
# shellcheck disable=SC2086
"$GO" test -run '^$' -bench . -benchmem -count "$COUNT" $NATIVE_PKGS | tee "$OUT/native.txt"
echo

echo "== wasm (1/2): GOOS=js GOARCH=wasm go test -run '^\$' -bench . -skip '$HEAVY' -benchmem -count $COUNT $PKGS"
GOOS=js GOARCH=wasm "$GO" test -run '^$' -bench . -skip "$HEAVY" -benchmem -count "$COUNT" "$PKGS" | tee "$OUT/wasm.txt"
echo
echo "== wasm (2/2): GOOS=js GOARCH=wasm go test -run '^\$' -bench '$HEAVY' -benchtime=3x -benchmem -count $COUNT $PKGS"
GOOS=js GOARCH=wasm "$GO" test -run '^$' -bench "$HEAVY" -benchtime=3x -benchmem -count "$COUNT" "$PKGS" | tee -a "$OUT/wasm.txt"
echo

# benchstat: on PATH, in GOBIN or GOPATH/bin, or installed there now.
bindir=$("$GO" env GOBIN)
[ -n "$bindir" ] || bindir=$("$GO" env GOPATH)/bin
benchstat=$(command -v benchstat || true)
if [ -z "$benchstat" ] && [ -x "$bindir/benchstat" ]; then
  benchstat=$bindir/benchstat
fi
if [ -z "$benchstat" ]; then
  echo "== installing benchstat into $bindir"
  if "$GO" install golang.org/x/perf/cmd/benchstat@latest; then
    benchstat=$bindir/benchstat
  else
    echo "bench.sh: could not install benchstat; raw results are in $OUT/" >&2
  fi
fi
if [ -n "$benchstat" ]; then
  echo "== benchstat: native (medians of $COUNT)"
  "$benchstat" "$OUT/native.txt"
  echo
  echo "== benchstat: wasm (medians of $COUNT)"
  "$benchstat" "$OUT/wasm.txt"
  echo
fi

# Search (issue 5): 100,000 notes, natively and in WebAssembly, once each
# (one run builds the corpus and the index, minutes in wasm), then the
# baseline, a plain bleve index on disk, in its own module (it needs the
# real bbolt). HEARTH_BENCH_DOCS overrides the count.
echo "== search, native: go test ./client/search/ -run '^\$' -bench . -benchtime 1x"
"$GO" test ./client/search/ -run '^$' -bench . -benchtime 1x -timeout 60m | tee "$OUT/search-native.txt"
echo
echo "== search, wasm: GOOS=js GOARCH=wasm go test ./client/search/ -run '^\$' -bench . -benchtime 1x"
GOOS=js GOARCH=wasm "$GO" test ./client/search/ -run '^$' -bench . -benchtime 1x -timeout 90m | tee "$OUT/search-wasm.txt"
echo
echo "== search, opening on a new device in wasm, from a local server: go test -tags hearthtest ./client/search/ -bench BenchmarkWasmOpen"
HEARTH_BENCH_WASM_OPEN=1 "$GO" test -tags hearthtest ./client/search/ -run '^$' -bench BenchmarkWasmOpen -benchtime 1x -timeout 30m | tee "$OUT/search-open.txt"
echo
echo "== search, against plain bleve on disk: (cd bench/plainbleve && go test -run '^\$' -bench . -benchtime 1x)"
(cd bench/plainbleve && "$GO" test -run '^$' -bench . -benchtime 1x -timeout 60m) | tee "$OUT/search-plain.txt"
echo

reseal

# Files (issue 16): listing 10,000 files natively, and an upload of 256 MiB
# through an upload session against one PUT in the same run (a ratio).
echo "== files: go test -tags hearthtest ./client/ -bench 'Files10k|Tree10k' -benchtime 5x; ./cmd/hearth/ -bench UploadSessionVsPut -benchtime 3x"
"$GO" test -tags hearthtest ./client/ -run '^$' -bench 'Files10k|Tree10k' -benchtime 5x -timeout 30m | tee "$OUT/files.txt"
"$GO" test -tags hearthtest ./cmd/hearth/ -run '^$' -bench UploadSessionVsPut -benchtime 3x -timeout 30m | tee -a "$OUT/files.txt"
echo

echo "== whole-program runs (scripts/bench-e2e.sh)"
scripts/bench-e2e.sh | tee "$OUT/e2e.txt"
echo

echo "== done in $(( $(date +%s) - start )) s; raw results in $OUT/native.txt and $OUT/wasm.txt"
