package api

import (
	"net/http"
	"strconv"
)

// maxPage is the most bytes the body of a response carrying document
// bodies may take, whole (§8.6.1 for feed pages, §8.5.4 for bulk reads):
// every byte from the opening brace to the final newline counts.
const maxPage = 32 << 20

// A page is a JSON object whose one array member is built from items
// encoded one at a time, so that the server holds the encoded page and
// nothing more, and never lets it pass its limit: head opens the object and
// the array, items are added while they fit, and a tail closes both; tailMax
// bounds the tail with its final newline.
type page struct {
	head  []byte
	items [][]byte
	size  int // head, items and the commas between them
	limit int // maxPage less the room kept for the tail
}

func newPage(head string, tailMax int) *page {
	return &page{head: []byte(head), size: len(head), limit: maxPage - tailMax}
}

// cost is what adding an item of n bytes takes, its comma included.
func (p *page) cost(n int) int {
	if len(p.items) > 0 {
		n++
	}
	return n
}

// fits reports whether an item of n bytes fits, leaving reserve bytes for
// what must still follow it.
func (p *page) fits(n, reserve int) bool { return p.size+p.cost(n)+reserve <= p.limit }

func (p *page) add(item []byte) {
	p.size += p.cost(len(item))
	p.items = append(p.items, item)
}

// write answers status with the page, closed by tail and a newline (at
// most the tailMax given to newPage), as writeJSON ends its bodies.
func (p *page) write(w http.ResponseWriter, status int, tail string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(p.size+len(tail)+1))
	w.WriteHeader(status)
	w.Write(p.head)
	for i, it := range p.items {
		if i > 0 {
			w.Write([]byte{','})
		}
		w.Write(it)
	}
	w.Write([]byte(tail + "\n"))
}
