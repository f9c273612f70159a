package server

import (
	"io"
	"math"
	"net/http"
	"time"
)

// writeIdle is how long any response may go without progress (§8.1.10):
// a client that stops reading an answer, whatever it is (a blob, a JSON
// answer, a page or asset of the web client), is cut after it, instead of
// holding a connection and the handler for as long as it likes. A slow
// reader that keeps reading is never cut.
var writeIdle = 60 * time.Second

// writePiece and sendPiece are the most a Write and a ReadFrom send under
// one deadline, so that a large answer read slowly but steadily keeps
// moving its deadline forward: a reader is cut only below 256 KiB a minute.
const (
	writePiece = 64 << 10
	sendPiece  = 256 << 10
)

// progressDeadlines moves the connection's write deadline forward before
// each piece of every response h writes.
func progressDeadlines(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&progressWriter{ResponseWriter: w, rc: http.NewResponseController(w), idle: writeIdle}, r)
	})
}

type progressWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (p *progressWriter) Write(b []byte) (int, error) {
	var n int
	for len(b) > 0 {
		p.rc.SetWriteDeadline(time.Now().Add(p.idle))
		k, err := p.ResponseWriter.Write(b[:min(len(b), writePiece)])
		n += k
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// ReadFrom keeps the underlying writer's ReadFrom (sendfile for blob
// files) while moving the deadline forward: it sends r in limited pieces,
// each an *io.LimitedReader directly over r's source, as the kernel's
// sendfile path expects.
func (p *progressWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := p.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{p}, r)
	}
	lr, limited := r.(*io.LimitedReader)
	if !limited {
		lr = &io.LimitedReader{R: r, N: math.MaxInt64}
	}
	var total int64
	for lr.N > 0 {
		p.rc.SetWriteDeadline(time.Now().Add(p.idle))
		n, err := rf.ReadFrom(&io.LimitedReader{R: lr.R, N: min(lr.N, sendPiece)})
		total += n
		lr.N -= n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// Flush sends what is buffered, under a fresh deadline.
func (p *progressWriter) Flush() {
	p.rc.SetWriteDeadline(time.Now().Add(p.idle))
	p.rc.Flush()
}

// Unwrap lets the handlers' own ResponseControllers reach the connection.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
