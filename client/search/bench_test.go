package search

// Benchmarks of the figures issue 5 asks for, at 100,000 notes of about
// 1 KB (HEARTH_BENCH_DOCS changes the count, HEARTH_BENCH_BATCH the
// documents per batch, 5,000 by default): indexing rate and peak
// memory, query latency, index size raw and sealed, and the time to open
// the sealed index on a new device (the network aside). They run natively
// and under GOOS=js GOARCH=wasm alike:
//
//	go test ./client/search/ -run '^$' -bench . -benchtime 1x -timeout 60m
//
// The corpus and the index are built once per process (benchSetup) and
// every benchmark reports its figures with b.ReportMetric; run them with
// -benchtime 1x. bench_disk_test.go compares the queries with a plain
// bleve index (native only).

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/searchbench"
	"github.com/hearthcloud/hearth/internal/wire"
)

const (
	benchDoctype = "io.hearth.notes"
	benchLimit   = 20 // hits a query asks for, as the UI does
	benchPasses  = 5  // passes over the query set per benchmark op
)

// benchDocs returns how many documents the benchmarks index:
// HEARTH_BENCH_DOCS, 100,000 by default.
func benchDocs() int {
	if v := os.Getenv("HEARTH_BENCH_DOCS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 100_000
}

// benchBatch is how many documents go in one batch (one segment):
// HEARTH_BENCH_BATCH, by default 5,000 as Store builds
// (Options.BatchDocs).
var benchBatch = func() int {
	if v := os.Getenv("HEARTH_BENCH_BATCH"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 5_000
}()

type sealedSegment struct {
	ref     seal.BlobRef
	data    []byte
	docs    uint64
	deleted []string
}

type benchQuery struct {
	kind   string
	text   string
	sortBy []string
}

// benchState is what benchSetup builds once per process.
type benchState struct {
	docs     []Doc
	rawBytes int64         // sum of the documents' content bytes
	genDur   time.Duration // making the corpus
	x        *Index
	indexDur time.Duration
	// Memory while indexing (runtime.MemStats, sampled after each batch
	// and by a ticker): the heap before indexing (the corpus), and peaks.
	heapBefore, heapPeak, sysPeak uint64
	segs                          []Segment
	segBytes                      int64
	keys                          *seal.KeySet
	sealed                        []sealedSegment
	sealedBytes                   int64
	sealDur                       time.Duration
	queries                       []benchQuery
}

var (
	benchOnce  sync.Once
	benchSt    *benchState
	benchSetUp error
)

// benchSetup returns the shared corpus and index, building them on first
// use.
func benchSetup(b *testing.B) *benchState {
	b.Helper()
	benchOnce.Do(func() { benchSt, benchSetUp = buildBench(b) })
	if benchSetUp != nil {
		b.Fatal(benchSetUp)
	}
	return benchSt
}

type memPeak struct {
	mu         sync.Mutex
	heap, sys  uint64
	stop, done chan struct{}
}

func (m *memPeak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mu.Lock()
	m.heap = max(m.heap, ms.HeapInuse)
	m.sys = max(m.sys, ms.Sys)
	m.mu.Unlock()
}

func startMemPeak() *memPeak {
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	m.sample()
	go func() {
		defer close(m.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *memPeak) end() (heap, sys uint64) {
	close(m.stop)
	<-m.done
	m.sample()
	return m.heap, m.sys
}

func buildBench(b *testing.B) (*benchState, error) {
	st := &benchState{}
	n := benchDocs()
	t0 := time.Now()
	corpus := searchbench.New(1)
	for _, nt := range corpus.Notes(n) {
		st.docs = append(st.docs, Doc{ID: nt.ID, Content: nt.Content})
	}
	st.genDur = time.Since(t0)
	for _, d := range st.docs {
		st.rawBytes += int64(len(d.Content))
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.heapBefore = ms.HeapInuse
	mp := startMemPeak()
	t0 = time.Now()
	x, err := New(benchDoctype)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i += benchBatch {
		if err := x.PutMany(st.docs[i:min(i+benchBatch, n)]); err != nil {
			return nil, err
		}
		mp.sample()
	}
	st.indexDur = time.Since(t0)
	st.heapPeak, st.sysPeak = mp.end()
	st.x = x
	if c, err := x.Count(); err != nil || c != uint64(n) {
		return nil, fmt.Errorf("the index holds %d documents, not %d (%v)", c, n, err)
	}

	if st.segs, err = x.Segments(); err != nil {
		return nil, err
	}
	for _, s := range st.segs {
		st.segBytes += int64(len(s.Data))
	}

	// Compress and seal each segment as Store.Save and client.PutSegment do.
	key := seal.GenerateKey(1)
	if st.keys, err = seal.NewKeySet(key); err != nil {
		return nil, err
	}
	t0 = time.Now()
	for _, s := range st.segs {
		id := wire.NewID()
		ref := seal.BlobRef{Doctype: benchDoctype, ID: id}
		var buf bytes.Buffer
		data := Compress(s.Data)
		bw, err := seal.NewBlobWriter(&buf, st.keys.Current(), seal.PurposeIndex, ref,
			seal.Meta{Name: id, Type: SegmentFormat, Size: int64(len(data))})
		if err != nil {
			return nil, err
		}
		if _, err := bw.Write(data); err != nil {
			return nil, err
		}
		if err := bw.Close(); err != nil {
			return nil, err
		}
		st.sealed = append(st.sealed, sealedSegment{ref: ref, data: buf.Bytes(), docs: s.Docs, deleted: s.Deleted})
		st.sealedBytes += int64(buf.Len())
	}
	st.sealDur = time.Since(t0)

	notes := make([]searchbench.Note, len(st.docs))
	for i, d := range st.docs {
		notes[i] = searchbench.Note{ID: d.ID, Content: d.Content}
	}
	for _, q := range corpus.Queries(notes) {
		st.queries = append(st.queries, benchQuery{kind: q.Kind, text: q.Text, sortBy: q.SortBy})
	}
	b.Logf("setup: %d docs (%.1f MiB of text) made in %v, indexed in batches of %d in %v, %d segments",
		n, mib(uint64(st.rawBytes)), st.genDur.Round(time.Millisecond), benchBatch, st.indexDur.Round(time.Millisecond), len(st.segs))
	return st, nil
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// queryTimes runs every query passes times (after one pass to warm up)
// and returns the time each run took, per query kind too.
func queryTimes(qs []benchQuery, passes int, run func(benchQuery) error) ([]time.Duration, map[string][]time.Duration, error) {
	for _, q := range qs {
		if err := run(q); err != nil {
			return nil, nil, fmt.Errorf("%q: %w", q.text, err)
		}
	}
	var all []time.Duration
	byKind := map[string][]time.Duration{}
	for range passes {
		for _, q := range qs {
			t0 := time.Now()
			if err := run(q); err != nil {
				return nil, nil, fmt.Errorf("%q: %w", q.text, err)
			}
			d := time.Since(t0)
			if searchbench.Typical(q.kind) {
				all = append(all, d)
			}
			byKind[q.kind] = append(byKind[q.kind], d)
		}
	}
	return all, byKind, nil
}

// pct returns the p-th percentile of ds in µs (ds is sorted).
func pct(ds []time.Duration, p float64) float64 {
	slices.Sort(ds)
	if len(ds) == 0 {
		return 0
	}
	return float64(ds[int(p*float64(len(ds)-1)+0.5)]) / 1e3
}

func ourSearch(x *Index) func(benchQuery) error {
	return func(q benchQuery) error {
		_, err := x.Search(Query{Text: q.text, Limit: benchLimit, SortBy: q.sortBy})
		return err
	}
}

func logKinds(b *testing.B, who string, byKind map[string][]time.Duration) {
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		b.Logf("%s %-9s median %8.0f µs  p90 %8.0f µs", who, k, pct(byKind[k], 0.5), pct(byKind[k], 0.9))
	}
}

// BenchmarkIndex reports the indexing rate of benchDocs() notes in batches
// of benchBatch, the peak memory meanwhile and the raw text size.
func BenchmarkIndex(b *testing.B) {
	st := benchSetup(b)
	for range b.N {
	}
	n := float64(len(st.docs))
	b.ReportMetric(n, "docs")
	b.ReportMetric(n/st.indexDur.Seconds(), "docs/s")
	b.ReportMetric(mib(uint64(st.rawBytes)), "text_MiB")
	b.ReportMetric(mib(st.heapBefore), "heap_before_MiB")
	b.ReportMetric(mib(st.heapPeak), "heapinuse_peak_MiB")
	b.ReportMetric(mib(st.sysPeak), "sys_peak_MiB")
	b.ReportMetric(float64(len(st.segs)), "segments")
}

// BenchmarkQuery reports the median and 90th percentile latency of the
// query set, limit 20.
func BenchmarkQuery(b *testing.B) {
	st := benchSetup(b)
	b.ResetTimer()
	var all []time.Duration
	byKind := map[string][]time.Duration{}
	for range b.N {
		a, k, err := queryTimes(st.queries, benchPasses, ourSearch(st.x))
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, a...)
		for kind, ds := range k {
			byKind[kind] = append(byKind[kind], ds...)
		}
	}
	b.StopTimer()
	for _, q := range st.queries {
		res, err := st.x.Search(Query{Text: q.text, Limit: benchLimit, SortBy: q.sortBy})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("query %-9s %-28q sort %v: %d hits", q.kind, q.text, q.sortBy, res.Total)
	}
	logKinds(b, "ours", byKind)
	// The median is over the typical queries (searchbench.Typical); the
	// broad ones are reported apart.
	b.ReportMetric(float64(len(st.queries)), "queries")
	b.ReportMetric(pct(all, 0.5), "median_µs")
	b.ReportMetric(pct(all, 0.9), "p90_µs")
	b.ReportMetric(pct(all, 1), "max_µs")
	b.ReportMetric(pct(byKind["broad"], 0.5), "broad_median_µs")
	b.ReportMetric(pct(byKind["prefix2"], 0.5), "prefix2_median_µs")
}

// BenchmarkSize reports the exported segments' size and the sealed size,
// against the raw text.
func BenchmarkSize(b *testing.B) {
	st := benchSetup(b)
	for range b.N {
	}
	b.ReportMetric(mib(uint64(st.rawBytes)), "text_MiB")
	b.ReportMetric(mib(uint64(st.segBytes)), "segments_MiB")
	b.ReportMetric(mib(uint64(st.sealedBytes)), "sealed_MiB")
	b.ReportMetric(float64(st.sealedBytes)/float64(st.segBytes), "sealed/segments")
	b.ReportMetric(float64(st.sealedBytes)/float64(st.rawBytes), "sealed/text")
	b.ReportMetric(float64(st.sealDur.Milliseconds()), "seal_ms")
}

// BenchmarkOpen reports the time a new device takes, once the sealed
// segments are downloaded, to open them all and load them into an index
// (and the first query's time on it).
func BenchmarkOpen(b *testing.B) {
	st := benchSetup(b)
	var dec, load, first time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		segs := make([]Segment, 0, len(st.sealed))
		for _, s := range st.sealed {
			br, err := seal.OpenBlob(bytes.NewReader(s.data), st.keys, seal.PurposeIndex, s.ref)
			if err != nil {
				b.Fatal(err)
			}
			if br.Meta().Type != SegmentFormat {
				b.Fatalf("segment of type %q", br.Meta().Type)
			}
			sealed, err := io.ReadAll(br)
			if err != nil {
				b.Fatal(err)
			}
			data, err := Decompress(sealed)
			if err != nil {
				b.Fatal(err)
			}
			segs = append(segs, Segment{Data: data, Deleted: s.deleted, Docs: s.docs})
		}
		t1 := time.Now()
		x, err := Load(benchDoctype, segs)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := x.Search(Query{Text: st.queries[0].text, Limit: benchLimit}); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		dec += t1.Sub(t0)
		load += t2.Sub(t1)
		first += t3.Sub(t2)
		b.StopTimer()
		if c, err := x.Count(); err != nil || c != uint64(len(st.docs)) {
			b.Fatalf("loaded %d documents, not %d (%v)", c, len(st.docs), err)
		}
		x.Close()
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64((dec+load).Milliseconds())/n, "open_ms")
	b.ReportMetric(float64(dec.Milliseconds())/n, "decrypt_decompress_ms")
	b.ReportMetric(float64(load.Milliseconds())/n, "load_ms")
	b.ReportMetric(float64(first.Microseconds())/n/1e3, "first_query_ms")
}
