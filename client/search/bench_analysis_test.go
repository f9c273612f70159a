package search

import (
	"testing"

	"github.com/hearthcloud/hearth/internal/searchbench"
)

func benchNotes(n int) []Doc {
	var out []Doc
	for _, nt := range searchbench.New(3).Notes(n) {
		out = append(out, Doc{ID: nt.ID, Content: nt.Content})
	}
	return out
}

func BenchmarkMakeDocument(b *testing.B) {
	docs := benchNotes(2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := docs[i%len(docs)]
		makeDocument(d.ID, d.Content)
	}
}

func BenchmarkAnalyze(b *testing.B) {
	docs := benchNotes(2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := makeDocument(docs[i%len(docs)].ID, docs[i%len(docs)].Content)
		for _, f := range d.Fields {
			f.Analyze()
		}
	}
}

func BenchmarkPutMany(b *testing.B) {
	docs := benchNotes(5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, _ := New("d")
		x.PutMany(docs)
		x.Close()
	}
	b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkAnalyzerOnly(b *testing.B) {
	docs := benchNotes(2000)
	var texts [][]byte
	for _, d := range docs {
		members(d.Content, func(name string, v value) {
			if v.kind == 's' {
				texts = append(texts, v.text)
			}
		})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		an.Analyze(texts[i%len(texts)])
		an.Analyze(texts[(i+1)%len(texts)])
	}
}
