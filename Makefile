# Hearth. `make run` starts the server on its embedded default; `make test`
# runs every test, natively (with -race) and under WebAssembly in Node.
# Targets install what they need on a fresh Debian machine.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
# go test under GOOS=js finds go_js_wasm_exec (and through it Node) on PATH.
export PATH := $(PATH):$(GOROOT)/lib/wasm

# Packages that must build and pass under GOOS=js GOARCH=wasm.
WASM_PKGS := ./spec/... ./crypto/... ./internal/wire/ ./internal/appmanifest/ ./client/search/ ./client/vcard/ ./client/pwrule/...

.PHONY: all build test test-native test-wasm fuzz bench load run deps node vet cc bin web chromium axe

all: build

deps:
	@echo "Building Hearth: Go modules, the web client (WebAssembly) and the two programs; a few minutes the first time."
	$(GO) mod download

# Node runs the WebAssembly tests; install it from Debian when missing.
node:
	@command -v node >/dev/null 2>&1 || { \
	  echo "installing nodejs (for the WebAssembly tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; }

# SQLite (mattn/go-sqlite3) and the race detector need cgo, hence a C compiler.
cc:
	@command -v gcc >/dev/null 2>&1 || { \
	  echo "installing gcc (cgo, for SQLite)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; }

# Headless Chromium runs the browser tests (wasm/web/browsertest).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium (for the browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core (npm, pinned by its package-lock.json) checks every page the
# browser tests show (wasm/web/browsertest/axe.go).
AXE := wasm/web/browsertest/axe/node_modules/axe-core/axe.min.js
axe: node
	@test -f $(AXE) || { \
	  command -v npm >/dev/null 2>&1 || { echo "installing npm (for axe-core)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }; \
	  echo "installing axe-core (the accessibility checker of the browser tests)"; \
	  cd wasm/web/browsertest/axe && npm ci --no-audit --no-fund --silent; }

# The web client, embedded in hearthd (wasm/web/doc.go): hearth.wasm and
# hearth-search.wasm (the same with search, which Home loads when it is
# first used), hearth-password.wasm (the password strength estimator, which
# Home loads when a password is chosen), s/assets/hearthlink.wasm (the small
# client of the share and drop pages, spec/web.md §7), Go's wasm_exec.js, then precompressed copies and the manifest
# of SHA-384 hashes (go run ./wasm/web/gen).
WEBDIST := wasm/web/dist
web: deps
	@echo "[1/6] the browser client (hearth.wasm)"
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WEBDIST)/hearth.wasm ./wasm/cmd/hearthwasm
	@echo "[2/6] the browser client with search (hearth-search.wasm; the longest step)"
	GOOS=js GOARCH=wasm $(GO) build -tags search -trimpath -ldflags=-s -o $(WEBDIST)/hearth-search.wasm ./wasm/cmd/hearthwasm
	@echo "[3/6] the password estimator (hearth-password.wasm)"
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WEBDIST)/hearth-password.wasm ./wasm/cmd/hearthpassword
	@echo "[4/6] the link pages' client (s/assets/hearthlink.wasm)"
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WEBDIST)/s/assets/hearthlink.wasm ./wasm/cmd/hearthlink
	@echo "[5/6] the pages: hashes and compressed copies"
	cmp -s $(GOROOT)/lib/wasm/wasm_exec.js $(WEBDIST)/wasm_exec.js || cp $(GOROOT)/lib/wasm/wasm_exec.js $(WEBDIST)/
	$(GO) run ./wasm/web/gen

build: web cc
	$(GO) build ./...

vet: web cc
	$(GO) vet ./...
	$(GO) vet -tags hearthtest ./...
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS) ./client/ ./wasm/ ./wasm/cmd/...
	GOOS=js GOARCH=wasm $(GO) vet -tags search ./wasm/

test: test-native test-wasm

# The hearthtest tag compiles in test-only hooks (cheap key derivation);
# shipped builds never set it.
TESTTAGS := -tags hearthtest

# The browser tests take about 8 minutes on a quiet machine, more on a
# busy one: past go test's default limit of 10 minutes a package.
test-native: vet chromium axe
	$(GO) test $(TESTTAGS) -race -count=1 -timeout 40m ./...
	$(GO) test -tags 'hearthtest search' -race -count=1 ./wasm/
	cd internal/bbolt-standin && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd bench/plainbleve && $(GO) vet ./... && $(GO) test -count=1 ./...

test-wasm: deps node
	GOOS=js GOARCH=wasm $(GO) test $(TESTTAGS) -count=1 $(WASM_PKGS)

# A short fuzzing pass over every parser of untrusted input: FUZZTIME
# executions each (a count, not a duration: see scripts/fuzz.sh).
FUZZTIME ?= 300000x
fuzz: deps
	scripts/fuzz.sh $(FUZZTIME)

# Benchmarks, native and WebAssembly; figures go to BENCHMARKS.md by hand.
bench: web node cc
	scripts/bench.sh

# The load and fault harness (cmd/hearthload, internal/loadtest; not part of
# make test): the shipped hearthd driven by 1,000 simulated devices over 100
# accounts for 4 minutes, with a kill -9 and restart, a full disk and slow
# clients, then every acknowledged write checked from new devices; about 12
# minutes. Needs root for the disk-full phase (a loop-mounted file system).
# LOADFLAGS adds flags, e.g. LOADFLAGS="--duration 10m --faults kill".
# Figures in BENCHMARKS.md (issue 13).
load: bin
	$(GO) build -o bin/ ./cmd/hearthload
	bin/hearthload --hearthd bin/hearthd $(LOADFLAGS)

# bin/hearthd (server) and bin/hearth (command line client).
bin: web cc
	@echo "[6/6] the server and the command line client (bin/hearthd, bin/hearth)"
	$(GO) build -o bin/ ./cmd/hearthd ./cmd/hearth

# Start the server on the embedded default: SQLite and blobs in ./hearth-data,
# on 127.0.0.1:8080 (override with DATA= and LISTEN=; LOG=warn logs no
# line per request). Home is then at http://home.localhost:8080/.
DATA   ?= ./hearth-data
LISTEN ?= 127.0.0.1:8080
LOG    ?= info
run: bin
	bin/hearthd --data $(DATA) --listen $(LISTEN) --log $(LOG)
