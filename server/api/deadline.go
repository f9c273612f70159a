package api

import (
	"io"
	"net/http"
	"time"
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

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.rc.SetReadDeadline(time.Now().Add(ir.idle)) // unsupported in tests' recorders: ignored
	return ir.r.Read(p)
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

// bodyDeadline gives a body d to arrive.
func bodyDeadline(w http.ResponseWriter, d time.Duration) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}
