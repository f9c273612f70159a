//go:build hearthtest && !js

// BenchmarkWasmReseal: the issue's "rotating a doctype key over 10,000
// documents in wasm: under 10 s, with the apps usable meanwhile". A native
// server (server.Open on a temporary folder: SQLite and blob files), an
// account of 10,000 notes of about 1 KB, two apps granted the notes, one
// revoked natively (Client.Revoke: the notes key gets generation 2). Then
// this package's test binary, built for GOOS=js GOARCH=wasm, runs under
// Node as the device that revoked (its client.State handed over in a file)
// and runs Client.Reseal (TestWasmResealDevice, reseal_wasm_test.go),
// while the other app, natively, reads and writes a note every 50 ms; its
// latency during the re-seal is compared with the same operations before.
// Then the same natively, on a second account of the same server, for
// comparison; and Argon2id at the shipped parameters (kdf.Default),
// natively, before and after, as a gauge of the machine's speed. At the
// end every note of both accounts must be sealed with generation 2 and
// hold what the app wrote last to it. Heavy, so it runs only when asked:
//
//	HEARTH_BENCH_RESEAL=1 go test -tags hearthtest ./internal/resealbench/ \
//	    -run '^$' -bench BenchmarkWasmReseal -benchtime 1x -timeout 30m -v
//
// (HEARTH_BENCH_DOCS sets the count of notes, 10,000 by default.)
// HEARTH_BENCH_RESEAL_CPUPROF=FILE.cpuprofile writes Node's CPU profile of
// the wasm device.

package resealbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/hearthcloud/hearth/client"
	"github.com/hearthcloud/hearth/crypto/kdf"
	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/searchbench"
	"github.com/hearthcloud/hearth/internal/wasmdevice"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/auth"
)

// The app's pace: one read and one write of a note every appEvery.
const (
	appEvery    = 50 * time.Millisecond
	appBaseline = 5 * time.Second // the app alone, before the re-seal
)

func BenchmarkWasmReseal(b *testing.B) {
	docsEnv := os.Getenv("HEARTH_BENCH_DOCS")
	if docsEnv == "" && os.Getenv("HEARTH_BENCH_RESEAL") == "" {
		b.Skip("heavy: set HEARTH_BENCH_RESEAL=1 (10,000 notes) or HEARTH_BENCH_DOCS to run it")
	}
	n := 10_000
	if docsEnv != "" {
		v, err := strconv.Atoi(docsEnv)
		if err != nil || v <= 0 {
			b.Fatalf("HEARTH_BENCH_DOCS=%q: not a positive count", docsEnv)
		}
		n = v
	}
	defer kdf.LowerFloorForTesting()() // the accounts use kdf.TestParams
	defer client.SetResealSettleForTesting(0)()
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// The wasm test binary builds while the notes are written.
	dev := wasmdevice.Start(ctx, b, "hearthtest")
	prof := os.Getenv("HEARTH_BENCH_RESEAL_CPUPROF")
	if prof != "" {
		abs, err := filepath.Abs(prof)
		if err != nil {
			b.Fatal(err)
		}
		dev.NodeArgs = []string{"--cpu-prof", "--cpu-prof-dir=" + filepath.Dir(abs), "--cpu-prof-name=" + filepath.Base(abs)}
	}

	srv, err := server.Open(context.Background(), server.Config{Dir: b.TempDir(), Hash: auth.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.API)
	defer func() { ts.Close(); srv.Close() }()

	all := makeNotes(n)
	wa := newAccount(ctx, b, ts.URL, "wren", all)
	na := newAccount(ctx, b, ts.URL, "robin", all)
	all = nil

	// WebAssembly: the device's state, keyring included, goes to a file.
	st, err := json.Marshal(wa.c.State())
	if err != nil {
		b.Fatal(err)
	}
	stateFile := filepath.Join(dev.Dir(), "state.json")
	if err := os.WriteFile(stateFile, st, 0o600); err != nil {
		b.Fatal(err)
	}
	// Not while the gauge or the app's baseline is measured.
	dev.Wait()
	gaugeBefore := deriveDefault(b)
	var wasm map[string]float64
	wa.measure(ctx, b, func() (time.Time, time.Time) {
		out := dev.Run("TestWasmResealDevice", envState+"="+stateFile, envDoctype+"="+notes)
		wasm = wasmdevice.ParseLine(out, "WASMRESEAL")
		if wasm == nil {
			b.Fatal("no WASMRESEAL line in the wasm device's output")
		}
		return time.UnixMilli(int64(wasm["start_unix_ms"])), time.UnixMilli(int64(wasm["end_unix_ms"]))
	})

	// Natively, for comparison.
	na.measure(ctx, b, func() (time.Time, time.Time) {
		start := time.Now()
		for attempt := 0; ; attempt++ {
			err := na.c.Reseal(ctx, notes, nil)
			if errors.Is(err, client.ErrResealPending) && attempt < 3 {
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			break
		}
		return start, time.Now()
	})
	gaugeAfter := deriveDefault(b)

	wa.verify(ctx, b, ts.URL)
	na.verify(ctx, b, ts.URL)

	wasmS := wasm["reseal_ms"] / 1e3
	nativeS := na.end.Sub(na.start).Seconds()
	b.Logf("wasm: %d notes re-sealed in %.2f s (%.0f notes/s; %v attempt(s), %v examined, heap %.0f MiB)",
		n, wasmS, float64(n)/wasmS, wasm["attempts"], wasm["examined"], wasm["heap_MiB"])
	b.Logf("native: %d notes re-sealed in %.2f s (%.0f notes/s)", n, nativeS, float64(n)/nativeS)
	for _, a := range []*account{wa, na} {
		b.Logf("%s: the app's read+write, before: %s; during: %s; %d app writes kept",
			a.kind, a.before, a.during, len(a.written))
	}
	b.Logf("Argon2id kdf.Default natively (the machine's gauge): %.0f ms before, %.0f ms after", gaugeBefore, gaugeAfter)

	b.ReportMetric(wasmS, "wasm_reseal_s")
	b.ReportMetric(float64(n)/wasmS, "wasm_notes/s")
	b.ReportMetric(nativeS, "native_reseal_s")
	b.ReportMetric(float64(n)/nativeS, "native_notes/s")
	b.ReportMetric(wa.before.p50, "app_p50_before_ms")
	b.ReportMetric(wa.during.p50, "app_p50_during_ms")
	b.ReportMetric(wa.during.p50/wa.before.p50, "app_p50_ratio")
	b.ReportMetric(wa.before.p99, "app_p99_before_ms")
	b.ReportMetric(wa.during.p99, "app_p99_during_ms")
	b.ReportMetric(wa.during.p99/wa.before.p99, "app_p99_ratio")
	b.ReportMetric(wa.during.max, "app_max_during_ms")
	b.ReportMetric(float64(wa.during.n), "app_ops_during")
	b.ReportMetric(float64(wa.failed+na.failed), "app_failed")
	b.ReportMetric(na.during.p50/na.before.p50, "native_app_p50_ratio")
	b.ReportMetric(na.during.p99/na.before.p99, "native_app_p99_ratio")
	b.ReportMetric((gaugeBefore+gaugeAfter)/2, "derive_default_ms")
	b.ReportMetric(float64(n), "notes")
	b.ReportMetric(0, "ns/op") // the wall time is mostly setup: see wasm_reseal_s
}

// deriveDefault times Argon2id at the shipped parameters (as
// BenchmarkDeriveDefault of crypto/kdf): the median of three, in ms.
func deriveDefault(tb testing.TB) float64 {
	seed := bytes.Repeat([]byte{0x5a}, kdf.SeedSize)
	var ms []float64
	for range 3 {
		t0 := time.Now()
		if _, err := kdf.Derive("correct horse battery staple", "alice", seed, kdf.Default); err != nil {
			tb.Fatal(err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1e3)
	}
	slices.Sort(ms)
	return ms[1]
}

// makeNotes returns n notes of about 1 KB of JSON: {title, body, created,
// updated}, the text of internal/searchbench's corpus.
func makeNotes(n int) []client.Item {
	out := make([]client.Item, n)
	for i, nt := range searchbench.New(6).Notes(n) {
		var v struct {
			Title   string `json:"title"`
			Body    string `json:"body"`
			Updated int64  `json:"updated"`
		}
		if err := json.Unmarshal(nt.Content, &v); err != nil {
			panic(err)
		}
		content, _ := json.Marshal(map[string]any{
			"title": v.Title, "body": v.Body,
			"created": v.Updated - 86_400_000*int64(1+i%300), "updated": v.Updated,
		})
		out[i] = client.Item{ID: nt.ID, Content: content}
	}
	return out
}

// account is one account of the benchmark: its device, the app that stays
// (the other is revoked), the notes' ids, and what the app did.
type account struct {
	kind string // "wasm" or "native": who re-seals
	c    *client.Client
	app  *client.App
	ids  []string

	start, end     time.Time         // the re-seal, as timed
	written        map[string][]byte // by the app, last per note
	before, during stats
	failed         int
	total          int
}

// newAccount signs up user, writes the notes, connects two apps granted
// them, and revokes one (the notes key gets generation 2).
func newAccount(ctx context.Context, tb testing.TB, url, user string, notesItems []client.Item) *account {
	tb.Helper()
	kind := map[string]string{"wren": "wasm", "robin": "native"}[user]
	c, _, err := client.Signup(ctx, url, user, "correct horse", &client.Options{KDF: kdf.TestParams, Device: kind})
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	a := &account{kind: kind, c: c, written: map[string][]byte{}}
	var raw int
	const chunk = 1000
	for i := 0; i < len(notesItems); i += chunk {
		res, err := c.PutMany(ctx, notes, notesItems[i:min(i+chunk, len(notesItems))])
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				tb.Fatal(r.Err)
			}
			a.ids = append(a.ids, r.ID)
		}
	}
	for _, it := range notesItems {
		raw += len(it.Content)
	}
	tb.Logf("%s: %d notes (%.1f MiB of JSON, %d bytes on average) written in %v", user, len(a.ids),
		float64(raw)/(1<<20), raw/len(notesItems), time.Since(t0).Round(time.Millisecond))

	scopes := []client.Scope{{Doctype: notes, Verbs: []string{"read", "write"}}}
	connect := func(name string) (string, *client.App) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			tb.Fatal(err)
		}
		info, tok, err := c.CreateToken(ctx, name, client.KindApp, scopes)
		if err != nil {
			tb.Fatal(err)
		}
		if err := c.Grant(ctx, info.ID, id.Recipient().String(), scopes); err != nil {
			tb.Fatal(err)
		}
		signer, err := c.SigningKey()
		if err != nil {
			tb.Fatal(err)
		}
		app, err := client.ConnectApp(ctx, url, c.User(), tok, id, signer, nil, &client.Options{Device: name})
		if err != nil {
			tb.Fatal(err)
		}
		return info.ID, app
	}
	revoked, _ := connect("revoked")
	_, a.app = connect("notes")
	rot, err := c.Revoke(ctx, revoked)
	if err != nil {
		tb.Fatal(err)
	}
	if rot.Doctypes[notes] != 2 || len(rot.Regranted) != 1 {
		tb.Fatalf("revocation: %+v", rot)
	}
	// The app takes its new grant (as it does by itself when it meets a
	// note sealed with generation 2), so that what it writes is sealed
	// with generation 2.
	if err := a.app.RefreshGrant(ctx); err != nil {
		tb.Fatal(err)
	}
	if p, err := c.PendingReseal(ctx); err != nil || !slices.Equal(p, []string{notes}) {
		tb.Fatalf("pending: %v, %v", p, err)
	}
	return a
}

// op is one read and write of a note by the app.
type op struct {
	at  time.Time
	d   time.Duration
	err error
}

// measure runs the app, one read and one write of a note every appEvery,
// alone for appBaseline, then while reseal runs (it returns when the
// re-seal started and ended), and sorts its operations into before and
// during.
func (a *account) measure(ctx context.Context, tb testing.TB, reseal func() (start, end time.Time)) {
	tb.Helper()
	stop := make(chan struct{})
	var ops []op
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		order := rng.Perm(len(a.ids))
		tick := time.NewTicker(appEvery)
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			id := a.ids[order[k%len(order)]]
			t0 := time.Now()
			content, err := a.appOp(ctx, id, k)
			ops = append(ops, op{at: t0, d: time.Since(t0), err: err})
			if err == nil {
				a.written[id] = content
			}
		}
	}()
	time.Sleep(appBaseline)
	launched := time.Now()
	a.start, a.end = reseal()
	time.Sleep(2 * appEvery)
	close(stop)
	wg.Wait()
	var before, during []time.Duration
	for _, o := range ops {
		if o.err != nil {
			a.failed++
			tb.Errorf("%s: the app's operation at %v failed: %v", a.kind, o.at.Format(time.StampMilli), o.err)
			continue
		}
		switch {
		case o.at.Before(launched):
			before = append(before, o.d)
		case !o.at.Before(a.start) && o.at.Before(a.end):
			during = append(during, o.d)
		}
	}
	a.total = len(ops)
	a.before, a.during = statsOf(before), statsOf(during)
	if a.during.n == 0 {
		tb.Fatalf("%s: no app operation during the re-seal", a.kind)
	}
}

// appOp reads note id and writes it back edited, as a notes app saving a
// change; it returns what it wrote.
func (a *account) appOp(ctx context.Context, id string, k int) ([]byte, error) {
	d, err := a.app.Get(ctx, notes, id)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var v map[string]any
	if err := json.Unmarshal(d.Content, &v); err != nil {
		return nil, err
	}
	v["body"] = fmt.Sprint(v["body"], " Edited (", k, ").")
	v["updated"] = time.Now().UnixMilli()
	content, _ := json.Marshal(v)
	if _, err := a.app.Put(ctx, notes, id, content); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return content, nil
}

// verify checks that every note is sealed with generation 2 (read raw
// from the server) and holds what the app wrote last to it, read by the
// user's device.
func (a *account) verify(ctx context.Context, tb testing.TB, url string) {
	tb.Helper()
	st := a.c.State()
	for i := 0; i < len(a.ids); i += 500 {
		ids := a.ids[i:min(i+500, len(a.ids))]
		body, _ := json.Marshal(map[string]any{"ids": ids})
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/docs/"+notes+"/_bulk_get", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+st.Token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			tb.Fatal(res.Status, err)
		}
		var ans struct {
			Docs []struct {
				ID     string `json:"id"`
				Sealed []byte `json:"sealed"`
			} `json:"docs"`
		}
		if err := json.Unmarshal(b, &ans); err != nil || len(ans.Docs) != len(ids) {
			tb.Fatal(err, len(ans.Docs))
		}
		for _, d := range ans.Docs {
			if g, err := seal.DocumentGen(d.Sealed); err != nil || g != 2 {
				tb.Fatalf("%s: %s is sealed with generation %d (%v)", a.kind, d.ID, g, err)
			}
		}
		docs, err := a.c.GetMany(ctx, notes, ids)
		if err != nil {
			tb.Fatal(err)
		}
		for j, d := range docs {
			if want, ok := a.written[ids[j]]; ok && (d == nil || !bytes.Equal(d.Content, want)) {
				tb.Fatalf("%s: the app's write of %s is lost", a.kind, ids[j])
			}
		}
	}
	if p, err := a.c.PendingReseal(ctx); err != nil || len(p) != 0 {
		tb.Fatalf("%s: pending after the re-seal: %v, %v", a.kind, p, err)
	}
}

// stats are latencies in ms.
type stats struct {
	n             int
	p50, p99, max float64
}

func statsOf(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	q := func(p float64) float64 { return ms(ds[min(len(ds)-1, int(p*float64(len(ds))))]) }
	return stats{n: len(ds), p50: q(0.5), p99: q(0.99), max: ms(ds[len(ds)-1])}
}

func (s stats) String() string {
	return fmt.Sprintf("%d ops, median %.1f ms, p99 %.1f ms, max %.1f ms", s.n, s.p50, s.p99, s.max)
}
