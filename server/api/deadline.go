package api

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hearthcloud/hearth/server/blob"
)

// Timeouts of §8.1.10 that the http.Server cannot express alone: small
// bodies must arrive within Config.BodyTimeout; blob streams, either way,
// may take as long as they need but are aborted after Config.StreamIdle
// without progress.

// idleReader moves the connection's read deadline forward before each read.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

// A body that stops arriving (the deadline passes, or the connection
// fails) is the client's doing: truncated, not an internal failure.
func (ir *idleReader) Read(p []byte) (int, error) {
	ir.rc.SetReadDeadline(time.Now().Add(ir.idle)) // unsupported in tests' recorders: ignored
	n, err := ir.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", blob.ErrTruncated, err)
	}
	return n, err
}

// idleWriter moves the connection's write deadline forward before each
// write.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (iw *idleWriter) Write(p []byte) (int, error) {
	iw.rc.SetWriteDeadline(time.Now().Add(iw.idle))
	return iw.ResponseWriter.Write(p)
}

// ReadFrom keeps the underlying writer's ReadFrom (which lets the kernel
// send a file: sendfile) while still moving the deadline forward, by
// sending a limited file in pieces.
func (iw *idleWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := iw.ResponseWriter.(io.ReaderFrom)
	lr, limited := r.(*io.LimitedReader)
	if !ok || !limited {
		return io.Copy(struct{ io.Writer }{iw}, r) // through Write, hiding this method
	}
	const piece = 8 << 20
	var total int64
	for lr.N > 0 {
		iw.rc.SetWriteDeadline(time.Now().Add(iw.idle))
		n, err := rf.ReadFrom(&io.LimitedReader{R: lr.R, N: min(lr.N, piece)})
		total += n
		lr.N -= n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// bodyDeadline gives a body d to arrive.
func bodyDeadline(w http.ResponseWriter, d time.Duration) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}
