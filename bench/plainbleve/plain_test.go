// Package plainbleve is the baseline of the search benchmarks
// (BENCHMARKS.md, "Issue 5: encrypted search"): a plain bleve index on
// disk, unencrypted, with bleve's default mapping, against Hearth's
// in-memory index of the same notes, in one process. It is a module of its
// own because bleve on disk needs the real go.etcd.io/bbolt, which
// Hearth's module replaces with a stand-in that opens no file
// (internal/bbolt-standin).
//
//	cd bench/plainbleve && go test -run '^$' -bench . -benchtime 1x -timeout 60m
//
// HEARTH_BENCH_DOCS sets the number of notes (default 100,000).
package plainbleve

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/hearthcloud/hearth/client/search"
	"github.com/hearthcloud/hearth/internal/searchbench"
)

const batch = 5_000 // as search.Store builds

func docs() int {
	if n, err := strconv.Atoi(os.Getenv("HEARTH_BENCH_DOCS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// pct returns the p-th percentile of ds in µs.
func pct(ds []time.Duration, p float64) float64 {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	if len(ds) == 0 {
		return 0
	}
	return float64(ds[int(p*float64(len(ds)-1)+0.5)]) / 1e3
}

// BenchmarkPlainBleve indexes the same notes in both, in batches of 5,000,
// then runs the query set in passes that alternate between the two (so
// that both see the machine alike), and reports each one's indexing rate
// and query latency (median and 90th percentile over the typical queries,
// median of the broad ones) and the ratios ours/plain.
func BenchmarkPlainBleve(b *testing.B) {
	corpus := searchbench.New(1)
	notes := corpus.Notes(docs())
	qs := corpus.Queries(notes)

	ours, err := search.New("io.hearth.notes")
	if err != nil {
		b.Fatal(err)
	}
	defer ours.Close()
	t0 := time.Now()
	for i := 0; i < len(notes); i += batch {
		var ds []search.Doc
		for _, n := range notes[i:min(i+batch, len(notes))] {
			ds = append(ds, search.Doc{ID: n.ID, Content: n.Content})
		}
		if err := ours.PutMany(ds); err != nil {
			b.Fatal(err)
		}
	}
	oursIndex := time.Since(t0)

	dir := filepath.Join(b.TempDir(), "plain.bleve")
	plain, err := bleve.New(dir, bleve.NewIndexMapping())
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	t0 = time.Now()
	for i := 0; i < len(notes); i += batch {
		bt := plain.NewBatch()
		for _, n := range notes[i:min(i+batch, len(notes))] {
			var v map[string]any
			if err := json.Unmarshal(n.Content, &v); err != nil {
				b.Fatal(err)
			}
			if err := bt.Index(n.ID, v); err != nil {
				b.Fatal(err)
			}
		}
		if err := plain.Batch(bt); err != nil {
			b.Fatal(err)
		}
	}
	plainIndex := time.Since(t0)
	var disk int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				disk += fi.Size()
			}
		}
		return nil
	})

	runOurs := func(q searchbench.Query) error {
		_, err := ours.Search(search.Query{Text: q.Text, Limit: 20, SortBy: q.SortBy})
		return err
	}
	runPlain := func(q searchbench.Query) error {
		req := bleve.NewSearchRequestOptions(bleve.NewQueryStringQuery(q.Text), 20, 0, false)
		if len(q.SortBy) > 0 {
			req.SortBy(q.SortBy)
		}
		_, err := plain.Search(req)
		return err
	}
	type times struct{ typical, broad []time.Duration }
	var o, p times
	timeOne := func(t *times, run func(searchbench.Query) error, q searchbench.Query) {
		s := time.Now()
		if err := run(q); err != nil {
			b.Fatalf("%q: %v", q.Text, err)
		}
		d := time.Since(s)
		if searchbench.Typical(q.Kind) {
			t.typical = append(t.typical, d)
		} else if q.Kind == "broad" {
			t.broad = append(t.broad, d)
		}
	}
	for _, q := range qs { // warm up
		runOurs(q)
		runPlain(q)
	}
	b.ResetTimer()
	for range b.N {
		for range 5 {
			for _, q := range qs {
				timeOne(&o, runOurs, q)
				timeOne(&p, runPlain, q)
			}
		}
	}
	b.StopTimer()
	n := float64(len(notes))
	b.ReportMetric(n/oursIndex.Seconds(), "ours_docs/s")
	b.ReportMetric(n/plainIndex.Seconds(), "plain_docs/s")
	b.ReportMetric(float64(disk)/(1<<20), "plain_disk_MiB")
	b.ReportMetric(pct(o.typical, 0.5), "ours_median_µs")
	b.ReportMetric(pct(p.typical, 0.5), "plain_median_µs")
	b.ReportMetric(pct(o.typical, 0.9), "ours_p90_µs")
	b.ReportMetric(pct(p.typical, 0.9), "plain_p90_µs")
	b.ReportMetric(pct(o.typical, 0.5)/pct(p.typical, 0.5), "ours/plain_median")
	b.ReportMetric(pct(o.typical, 0.9)/pct(p.typical, 0.9), "ours/plain_p90")
	b.ReportMetric(pct(o.broad, 0.5)/pct(p.broad, 0.5), "ours/plain_broad_median")
}
