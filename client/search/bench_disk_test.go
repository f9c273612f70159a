//go:build !js

package search

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// BenchmarkPlainBleve is the baseline: a plain bleve index on disk,
// unencrypted, with bleve's default mapping (stored fields, term vectors,
// the _all field), the same documents indexed in batches of benchBatch,
// then the same query set, run in passes alternating with ours so both see
// the machine alike. It reports the ratio of our latency to its.
//
// Scorch keeps its root in a bolt file, and this module replaces bbolt with
// a stand-in that opens no file: the on-disk index then cannot be made, and
// the benchmark falls back to the same plain index kept in memory (it says
// so in its log and its "on_disk" metric is 0). Run it in a module that
// uses the real bbolt to get the on-disk figures.
func BenchmarkPlainBleve(b *testing.B) {
	st := benchSetup(b)
	dir := filepath.Join(b.TempDir(), "plain.bleve")
	m := bleve.NewIndexMapping()
	onDisk := 1.0
	idx, err := bleve.New(dir, m)
	if err != nil {
		b.Logf("plain bleve on disk refused (%v): using it in memory (scorch, default mapping)", err)
		onDisk = 0
		idx, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	defer idx.Close()

	n := len(st.docs)
	t0 := time.Now()
	for i := 0; i < n; i += benchBatch {
		batch := idx.NewBatch()
		for _, d := range st.docs[i:min(i+benchBatch, n)] {
			var v map[string]any
			if err := json.Unmarshal(d.Content, &v); err != nil {
				b.Fatal(err)
			}
			if err := batch.Index(d.ID, v); err != nil {
				b.Fatal(err)
			}
		}
		if err := idx.Batch(batch); err != nil {
			b.Fatal(err)
		}
	}
	indexDur := time.Since(t0)
	if c, err := idx.DocCount(); err != nil || c != uint64(n) {
		b.Fatalf("plain index holds %d documents, not %d (%v)", c, n, err)
	}
	// Let the background merges of the on-disk index settle: wait until
	// its segment count holds for a second (at most 30 s).
	segments := plainSegments(b, idx)
	for deadline, still := time.Now().Add(30*time.Second), 0; time.Now().Before(deadline) && still < 4; {
		time.Sleep(250 * time.Millisecond)
		if s := plainSegments(b, idx); s == segments {
			still++
		} else {
			segments, still = s, 0
		}
	}
	var diskBytes int64
	if onDisk == 1 {
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					diskBytes += fi.Size()
				}
			}
			return nil
		})
	}

	plain := func(q benchQuery) error {
		req := bleve.NewSearchRequestOptions(bleve.NewQueryStringQuery(q.text), benchLimit, 0, false)
		if len(q.sortBy) > 0 {
			req.SortBy(q.sortBy)
		}
		_, err := idx.Search(req)
		return err
	}
	b.ResetTimer()
	var oursAll, plainAll []time.Duration
	plainKind := map[string][]time.Duration{}
	for range b.N {
		for range benchPasses {
			a, _, err := queryTimes(st.queries, 1, ourSearch(st.x))
			if err != nil {
				b.Fatal(err)
			}
			oursAll = append(oursAll, a...)
			p, k, err := queryTimes(st.queries, 1, plain)
			if err != nil {
				b.Fatal(err)
			}
			plainAll = append(plainAll, p...)
			for kind, ds := range k {
				plainKind[kind] = append(plainKind[kind], ds...)
			}
		}
	}
	b.StopTimer()
	logKinds(b, "plain", plainKind)
	om, o90 := pct(oursAll, 0.5), pct(oursAll, 0.9)
	pm, p90 := pct(plainAll, 0.5), pct(plainAll, 0.9)
	b.ReportMetric(onDisk, "on_disk")
	b.ReportMetric(float64(n)/indexDur.Seconds(), "plain_docs/s")
	b.ReportMetric(float64(segments), "plain_segments")
	b.ReportMetric(mib(uint64(diskBytes)), "plain_disk_MiB")
	b.ReportMetric(pm, "plain_median_µs")
	b.ReportMetric(p90, "plain_p90_µs")
	b.ReportMetric(om, "ours_median_µs")
	b.ReportMetric(o90, "ours_p90_µs")
	b.ReportMetric(om/pm, "ours/plain_median")
	b.ReportMetric(o90/p90, "ours/plain_p90")
	b.ReportMetric((float64(n)/st.indexDur.Seconds())/(float64(n)/indexDur.Seconds()), "ours/plain_docs/s")
}

// plainSegments returns how many segments the plain index has now.
func plainSegments(b *testing.B, idx bleve.Index) int {
	ai, err := idx.Advanced()
	if err != nil {
		b.Fatal(err)
	}
	r, err := ai.Reader()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		return len(snap.Segments())
	}
	return -1
}
