package search

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// synthNotes returns n notes of about 1 KB of text: a title, a body of
// words drawn from a 20,000-word vocabulary with a Zipf distribution (as in
// natural language) and a date, the same for the same seed.
func synthNotes(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, 1))
	vocab := make([]string, 20000)
	for i := range vocab {
		l := 3 + r.IntN(8)
		var b strings.Builder
		for range l {
			b.WriteByte("etaoinshrdlcumwfgypbvkjxqz"[min(r.IntN(26), r.IntN(26))])
		}
		vocab[i] = b.String()
	}
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[z.Uint64()])
		}
		return b.String()
	}
	docs := make([]Doc, n)
	for i := range docs {
		c, _ := json.Marshal(map[string]any{
			"title":   words(3 + r.IntN(4)),
			"body":    words(140 + r.IntN(40)),
			"updated": 1_700_000_000_000 + int64(i)*60_000,
		})
		docs[i] = Doc{ID: fmt.Sprintf("n%07d", i), Content: c}
	}
	return docs
}
