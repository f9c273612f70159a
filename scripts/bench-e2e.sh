#!/usr/bin/env bash
# Whole-program benchmarks of issue 3, against the built binaries:
#   1. CLI upload and download of a 256 MiB file to a local hearthd (durable
#      on disk), against rclone with a crypt remote copying the same file to
#      local disk, in the same run (rclone is installed from Debian if
#      missing). Three rounds each; the page cache is not dropped (no root
#      needed), so both read a warm source file.
#   2. hearthd's peak memory (VmHWM) while one 1 GiB upload streams through.
#   3. Small document writes over HTTP and the changes-feed pull, through the
#      client library (go test -bench in cmd/hearth).
#
#   scripts/bench-e2e.sh        (make bench runs it after the crypto benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
unset GOOS GOARCH
ROUNDS=${BENCH_ROUNDS:-3}

if ! command -v rclone >/dev/null 2>&1; then
  echo "== installing rclone (the upload baseline)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null
fi

work=$(mktemp -d /var/tmp/hearth-bench.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$GO" build -o "$work/bin/" ./cmd/hearthd ./cmd/hearth
head -c $((256<<20)) /dev/urandom > "$work/file256"

port=$(( 20000 + RANDOM % 20000 ))
"$work/bin/hearthd" --data "$work/data" --listen "127.0.0.1:$port" >"$work/hearthd.out" 2>"$work/hearthd.log" &
pid=$!
for _ in $(seq 50); do grep -q serving "$work/hearthd.out" 2>/dev/null && break; sleep 0.1; done
export HEARTH_HOME="$work/home" HEARTH_PASSWORD="bench password"
"$work/bin/hearth" signup --server "http://127.0.0.1:$port" --user bench >/dev/null

export RCLONE_CONFIG_LCRYPT_TYPE=crypt RCLONE_CONFIG_LCRYPT_REMOTE="$work/rclone"
RCLONE_CONFIG_LCRYPT_PASSWORD=$(rclone obscure "bench password")
export RCLONE_CONFIG_LCRYPT_PASSWORD

now() { date +%s.%N; }
rate() { awk -v t="$1" 'BEGIN { printf "%.3f s  %6.0f MiB/s", t, 256 / t }'; }

echo "== machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$GO" version | cut -d' ' -f3), rclone $(rclone version | head -1 | cut -d' ' -f2)"
echo "== 256 MiB file, $ROUNDS rounds; upload includes the server's fsyncs; rclone+sync adds a sync(1) after rclone"
for r in $(seq "$ROUNDS"); do
  t0=$(now); id=$("$work/bin/hearth" upload "$work/file256"); t1=$(now)
  rm -f "$work/down"; t2=$(now); "$work/bin/hearth" download "$id" -o "$work/down" 2>/dev/null; t3=$(now)
  cmp -s "$work/file256" "$work/down" || { echo "download differs" >&2; exit 1; }
  rm -rf "$work/rclone" "$work/rdown"
  t4=$(now); rclone copy "$work/file256" lcrypt: ; t5=$(now); sync; t6=$(now)
  t7=$(now); rclone copy lcrypt:file256 "$work/rdown"; t8=$(now)
  up=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}'); down=$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b-a}')
  rup=$(awk -v a="$t4" -v b="$t5" 'BEGIN{print b-a}'); rupsync=$(awk -v a="$t4" -v b="$t6" 'BEGIN{print b-a}')
  rdown=$(awk -v a="$t7" -v b="$t8" 'BEGIN{print b-a}')
  echo "round $r: hearth upload $(rate "$up")   rclone crypt copy $(rate "$rup")   rclone+sync $(rate "$rupsync")"
  echo "         hearth download $(rate "$down")   rclone crypt copy back $(rate "$rdown")"
  echo "         ratio upload hearth/rclone (time) $(awk -v a="$up" -v b="$rup" 'BEGIN{printf "%.2f", a/b}')   download $(awk -v a="$down" -v b="$rdown" 'BEGIN{printf "%.2f", a/b}')"
done

echo "== hearthd peak memory while a 1 GiB upload streams"
head -c $((1<<30)) /dev/urandom > "$work/file1g"
rm -f "$work/file256" "$work/down"; rm -rf "$work/rclone" "$work/rdown"
before=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
t0=$(now); "$work/bin/hearth" upload "$work/file1g" >/dev/null; t1=$(now)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "hearthd RSS before: $((before/1024)) MiB; peak (VmHWM) over its whole life: $((hwm/1024)) MiB; 1 GiB upload $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f s, %.0f MiB/s", b-a, 1024/(b-a)}')"
kill $pid; wait $pid 2>/dev/null || true

echo "== the web client in headless Chromium (first load, sign-in, Notes with 1,000 notes; a shared image link)"
"$GO" test -run '^$' -bench 'BenchmarkWeb$|BenchmarkWebLinkImage' -benchtime 1x -count 3 ./wasm/web/

echo "== Files in headless Chromium: 10,000 files listed, a 1 GiB upload and download (issue 16)"
HEARTH_BENCH_FILE_MIB=${HEARTH_BENCH_FILE_MIB:-1024} "$GO" test -run '^$' -bench BenchmarkWebFiles -benchtime 1x -count 2 -timeout 60m ./wasm/web/

echo "== documents over HTTP and the changes feed (client library against hearthd)"
"$GO" test -run '^$' -bench 'DocWrites|FeedPull' -benchtime 1x -count 3 ./cmd/hearth
