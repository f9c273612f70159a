//go:build !js

package client

import (
	"bufio"
	"context"
	"io"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// workerSource is the browser's (sealer_js.go).
type workerSource struct{ pieceSource }

func (*workerSource) close() {}

// sealInWorker is nil natively: large uploads are sealed here
// (sealer_js.go has the browser's seal worker).
func sealInWorker(*seal.Key, seal.BlobRef, seal.Meta, io.Reader, int64) *workerSource { return nil }

// openSealed opens the blob ref of size sealed bytes that src reads:
// natively, here (opener_js.go has the browser's seal worker). stop, once
// the caller is done with br, returns src to it.
func openSealed(src *bufio.Reader, _ int64, ks *seal.KeySet, ref seal.BlobRef) (br *seal.BlobReader, stop func(), err error) {
	br, err = seal.OpenBlob(src, ks, seal.PurposeFile, ref)
	return br, func() {}, err
}

// downloadJS is the browser's (download_js.go): natively, never taken.
func (c *Client) downloadJS(context.Context, string, *httpResponse, SealedBlob, io.Writer, func(done, total int64)) (seal.Meta, bool, error) {
	return seal.Meta{}, false, nil
}
