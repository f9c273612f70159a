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

// BenchmarkAnalyzeAccented: text where one word in three has an accent
// (French, German, Portuguese), the words that are folded.
func BenchmarkAnalyzeAccented(b *testing.B) {
	text := []byte("Le café près de l'École où Zoë déjeune; Straße über München, ação e coração em Lisboa. " +
		"Plans for the coast road south, then the train back to the city centre.")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		an.Analyze(text)
	}
}
