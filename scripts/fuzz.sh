#!/usr/bin/env bash
# Runs each fuzz target for a while: scripts/fuzz.sh [BUDGET]
# BUDGET is an execution count such as 300000x (the default). A duration such
# as 20s works too, but Go 1.26's fuzz coordinator can then fail a target
# with a bare "context deadline exceeded" at the deadline (golang/go#75804);
# a count has no deadline to race.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-300000x}
for pkg in $(go list ./crypto/... ./spec/... ./internal/wire ./internal/appmanifest ./internal/bytesize ./server/... ./client/... ./wasm ./cmd/hearth); do
  for f in $(go test -tags hearthtest -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $f ($t)"
    go test -tags hearthtest -run "^$" -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 5s "$pkg"
  done
done
