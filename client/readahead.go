package client

import "io"

// readAhead reads from r in its own goroutine, up to depth chunks ahead of
// the consumer, so that what r does per byte (network reads and hashing,
// for a download) runs alongside what the consumer does (decryption and
// writing). Close stops the goroutine; after Read has returned an error
// (io.EOF included) the goroutine has finished with r.
type readAhead struct {
	chunks chan []byte
	free   chan []byte
	done   chan struct{}
	err    error // set before chunks is closed
	cur    []byte
	buf    []byte
}

const (
	readAheadChunk = 1 << 20
	readAheadDepth = 4
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{chunks: make(chan []byte, readAheadDepth), free: make(chan []byte, readAheadDepth+1), done: make(chan struct{})}
	for range readAheadDepth + 1 {
		ra.free <- make([]byte, readAheadChunk)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.chunks)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := io.ReadFull(r, b)
		if n > 0 {
			select {
			case ra.chunks <- b[:n]:
			case <-ra.done:
				return
			}
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			ra.err = err
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	if len(ra.cur) == 0 {
		if ra.buf != nil {
			ra.free <- ra.buf[:cap(ra.buf)]
			ra.buf = nil
		}
		b, ok := <-ra.chunks
		if !ok {
			return 0, ra.err
		}
		ra.buf, ra.cur = b, b
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the reading goroutine and waits until it has finished with
// the underlying reader.
func (ra *readAhead) Close() {
	select {
	case <-ra.done:
	default:
		close(ra.done)
	}
	for range ra.chunks {
	}
}
