//go:build js && wasm

package wasm

import (
	"errors"
	"io"
)

// Seek rewinds a blobReader to the Blob's start, the one seek it offers
// (offset 0 from io.SeekStart): an upload onto a file of the same name
// reads the file once to compare it with what is stored (its mac,
// client/contentmac.go) and again to send it. The slices asked for ahead
// are dropped.
func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("wasm: a file is read again only from its start")
	}
	r.off, r.asked, r.buf, r.started = 0, nil, nil, false // JSBlob: unread again
	return 0, nil
}
