package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/hearthcloud/hearth/crypto/seal"
)

// A file's document records a keyed hash of its plaintext, its mac
// (§6.3): HMAC-SHA-256 of its pieces' HMAC-SHA-256 under the content-MAC
// subkey of the doctype key of generation mac_gen (seal.NewContentMAC). An upload onto a file of
// the same name, length and mac is skipped: the content is there already.
// The mac lives inside the sealed document, so the host learns nothing of
// it; and each account's doctype keys differ, so equal files of two
// accounts do not hash alike.
//
// A file uploaded before macs were recorded has none, and is not
// compared: its size and modification time alone would not do, for a
// file edited within the second, or copied with its time kept, has both
// unchanged, and skipping it would lose the new content without a word.
// Its next upload records a mac.

// contentMACSize is the length of a mac.
const contentMACSize = sha256.Size

// contentSum is a file's mac and the key generation it was made with;
// the zero value is none.
type contentSum struct {
	mac []byte
	gen uint32
}

// set records s in file document m (removes the mac when s is none).
func (s contentSum) set(m docEdit) {
	m.set("mac", s.mac)
	m.set("mac_gen", s.gen)
}

// newContentMAC returns the hash that makes a mac with key k (§6.3).
func newContentMAC(k *seal.Key) hash.Hash {
	return seal.NewContentMAC(k.ContentMACKey())
}

// macSource makes the mac of a file as it is uploaded: by hashing what
// the upload reads through it, or, in the browser, of the Blob the upload
// reads in the seal worker (blobMAC), beside it.
type macSource struct {
	r       io.Reader
	h       hash.Hash // hashing what is read; nil in the browser's way
	n, size int64     // read so far, of size
	wait    func() ([]byte, error)
	gen     uint32
}

// macOf returns the mac source of a file of size bytes that r reads, with
// the doctype key that seals now; the upload reads reader(), and sum gives
// the mac once it has read to the end.
func (c *Client) macOf(ctx context.Context, r io.Reader, size int64) (*macSource, error) {
	ks, err := c.keys(ctx, FilesDoctype, 0, true)
	if err != nil {
		return nil, err
	}
	k := ks.Current()
	if k == nil {
		return nil, fmt.Errorf("client: no key for %s", FilesDoctype)
	}
	m := &macSource{r: r, size: size, gen: k.Gen()}
	if wait, ok := blobMAC(r, k.ContentMACKey()); ok {
		m.wait = wait
	} else {
		m.h = newContentMAC(k)
	}
	return m, nil
}

// reader is what the upload reads: r itself in the browser's way (so that
// the seal worker still finds its Blob), else r through the hash.
func (m *macSource) reader() io.Reader {
	if m.wait != nil {
		return m.r
	}
	return m
}

func (m *macSource) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	m.n += int64(n)
	return n, err
}

// sum is the mac of what was uploaded; none if it is not known for sure
// (what was read through the hash is not the whole file, or the
// browser's reading failed): a document without a mac is only compared no
// more.
func (m *macSource) sum() contentSum {
	if m.wait != nil {
		mac, err := m.wait()
		if err != nil || len(mac) != contentMACSize {
			return contentSum{}
		}
		return contentSum{mac: mac, gen: m.gen}
	}
	if m.n != m.size {
		return contentSum{}
	}
	return contentSum{mac: m.h.Sum(nil), gen: m.gen}
}

// unchanged reports whether r, size bytes, holds what file target holds
// now, by its mac: r is read once to its end and rewound to its start,
// which it must allow (an io.Seeker: a file on disk, a browser's Blob,
// which the browser reads in JavaScript instead, blobMAC);
// otherwise, or when the document records no mac, a mac of a key
// generation this session does not hold, or another length, it is false
// without reading r. d is the document as last listed: only a file that
// looks the same there is read again (fresh) and compared.
func (c *Client) unchanged(ctx context.Context, target string, d *filesDoc, r io.Reader, size int64) (bool, error) {
	rs, ok := r.(io.Seeker)
	if !ok || d == nil || d.Kind != KindFile || d.old || d.MAC == nil || d.Length != size {
		return false, nil
	}
	content, _, err := c.filesDocAt(ctx, target, true)
	if err != nil {
		return false, err
	}
	if d, err = parseFilesDoc(content); err != nil || d.Kind != KindFile || d.MAC == nil || d.Length != size {
		return false, nil
	}
	ks, err := c.keys(ctx, FilesDoctype, d.MACGen, false)
	if err != nil {
		return false, err
	}
	k := ks.Gen(d.MACGen)
	if k == nil {
		return false, nil // a generation dropped since: upload, and record a new mac
	}
	if wait, ok := blobMAC(r, k.ContentMACKey()); ok { // the browser's Blob, read there
		mac, err := wait()
		return err == nil && hmac.Equal(mac, d.MAC), err
	}
	h := newContentMAC(k)
	n, err := io.Copy(h, r)
	if err != nil {
		return false, err
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("client: reading the file again: %w", err)
	}
	return n == size && hmac.Equal(h.Sum(nil), d.MAC), nil
}
