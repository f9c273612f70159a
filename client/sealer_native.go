//go:build !js

package client

import (
	"bufio"
	"io"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// sealForSession seals a large upload for its session: natively, here
// (sealer_js.go has the browser's seal worker).
func sealForSession(k *seal.Key, ref seal.BlobRef, meta seal.Meta, r io.Reader, _ int64) (*io.PipeReader, <-chan error) {
	return sealStream(k, ref, meta, r, nil, nil)
}

// openSealed opens the blob ref of size sealed bytes that src reads:
// natively, here (sealer_js.go has the browser's seal worker). stop, once
// the caller is done with br, returns src to it.
func openSealed(src *bufio.Reader, _ int64, ks *seal.KeySet, ref seal.BlobRef) (br *seal.BlobReader, stop func(), err error) {
	br, err = seal.OpenBlob(src, ks, seal.PurposeFile, ref)
	return br, func() {}, err
}
