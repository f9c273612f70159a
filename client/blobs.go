package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hearthcloud/hearth/crypto/seal"
	"github.com/hearthcloud/hearth/internal/wire"
)

// FilesDoctype is the doctype of the documents that name uploaded files
// (spec/protocol.md §6.3); their blobs live in the same doctype.
const FilesDoctype = "io.hearth.files"

// FileInfo describes a downloaded file, from its authenticated metadata.
type FileInfo struct {
	ID         string    // the files document's id (what Upload returned)
	Blob       string    // the blob's id
	Name       string    // file name, without directories (checked per §6.1)
	Type       string    // media type, may be empty
	Size       int64     // content length
	ModTime    time.Time // zero if not recorded
	SealedSize int64     // size stored on the server
}

// progressReader reports bytes read to fn.
type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.fn != nil && n > 0 {
		p.fn(p.done, p.total)
	}
	return n, err
}

var errUploadAborted = errors.New("client: upload aborted")

// SealedBlob names a stored blob as a document refers to it (§6.3): its
// id, the SHA-256 of its sealed bytes, and their length.
type SealedBlob struct {
	ID     string
	Digest []byte
	Size   int64
}

// uploadBlob seals meta.Size bytes read from r as a new blob of doctype
// (purpose file) under a fresh id and uploads it, streaming; it returns
// the blob once the server's answer gave the digest and size that were
// sent. progress, if not nil, is called with plaintext bytes sent so far.
func (c *Client) uploadBlob(ctx context.Context, doctype string, r io.Reader, meta seal.Meta, progress func(done, total int64)) (SealedBlob, error) {
	size := meta.Size
	if size < 0 || size > seal.MaxBlobSize {
		return SealedBlob{}, fmt.Errorf("client: bad file size %d", size)
	}
	// The body streams past call's guard: nothing is sealed or sent by a
	// device that halted or has not read the feed yet.
	if err := c.writable(); err != nil {
		return SealedBlob{}, err
	}
	ks, err := c.keys(ctx, doctype, 0, true)
	if err != nil {
		return SealedBlob{}, err
	}
	if err := c.registerOnce(ctx, doctype); err != nil {
		return SealedBlob{}, err
	}
	k := ks.Current()
	ref := seal.BlobRef{Doctype: doctype, ID: wire.NewID()}
	sealedSize, err := seal.SealedBlobSize(k, seal.PurposeFile, ref, meta)
	if err != nil {
		return SealedBlob{}, err
	}
	if sealedSize > sessionThreshold {
		// Large: in pieces through an upload session, which a dropped
		// connection or a server restart does not undo (upload.go).
		if src := sealInWorker(k, ref, meta, r, sealedSize); src != nil {
			b, err := c.uploadSession(ctx, doctype, ref.ID, src, sealedSize, size, progress)
			src.close()
			return b, err
		}
		pr, done := sealStream(k, ref, meta, r, nil, nil)
		b, err := c.uploadSession(ctx, doctype, ref.ID, newReaderSource(pr, sealedSize), sealedSize, size, progress)
		pr.CloseWithError(errUploadAborted) // unblocks the sealer if the upload ended early
		werr := <-done
		if err != nil {
			if werr != nil && !errors.Is(werr, errUploadAborted) && !errors.Is(werr, io.ErrClosedPipe) {
				return SealedBlob{}, werr
			}
			return SealedBlob{}, err
		}
		if werr != nil {
			return SealedBlob{}, werr
		}
		return b, nil
	}
	h := newBlobHash()
	pr, done := sealStream(k, ref, meta, r, h, progress)
	req := &httpRequest{method: "PUT", url: c.st.Server + "/v1/blobs/" + doctype + "/" + ref.ID,
		header: map[string]string{
			"Content-Type":  "application/octet-stream",
			"Authorization": "Bearer " + c.token(),
			"Expect":        "100-continue", // dropped under js: fetch forbids it
		},
		body: pr, contentLength: sealedSize}
	res, err := c.tr.roundTrip(ctx, req)
	pr.CloseWithError(errUploadAborted) // unblocks the sealer if the request ended early
	werr := <-done
	if err != nil {
		if werr != nil && !errors.Is(werr, errUploadAborted) && !errors.Is(werr, io.ErrClosedPipe) {
			return SealedBlob{}, werr
		}
		return SealedBlob{}, fmt.Errorf("client: upload: %w", err)
	}
	defer res.body.Close()
	b, err := io.ReadAll(io.LimitReader(res.body, 1<<20))
	if err != nil {
		return SealedBlob{}, fmt.Errorf("client: upload: reading the answer: %w", err)
	}
	if res.status < 200 || res.status > 299 {
		// The sealer stopped because the body was cut short (the server
		// answered before reading it all, and the request's body was
		// closed, by net/http or here): the answer says why.
		if werr != nil && !errors.Is(werr, errUploadAborted) && !errors.Is(werr, io.ErrClosedPipe) {
			return SealedBlob{}, werr
		}
		return SealedBlob{}, apiError(res, b)
	}
	if werr != nil {
		return SealedBlob{}, werr
	}
	var ans struct {
		ID     string `json:"id"`
		Size   int64  `json:"size"`
		Digest []byte `json:"digest"`
	}
	digest := h.Sum(nil)
	if err := json.Unmarshal(b, &ans); err != nil || ans.ID != ref.ID || ans.Size != sealedSize || string(ans.Digest) != string(digest) {
		c.deleteBlob(doctype, ref.ID)
		return SealedBlob{}, integrity("the server stored other bytes than were uploaded (blob %s)", ref.ID)
	}
	return SealedBlob{ID: ref.ID, Digest: digest, Size: sealedSize}, nil
}

// sealStream seals meta.Size bytes read from r as blob ref (purpose file)
// under k, in a goroutine, into the pipe it returns, hashing what it writes
// into h if not nil; progress, if not nil, is called with the plaintext
// bytes read so far. done gets the sealer's error (nil once the sealed
// stream ended whole); closing the pipe with an error stops it.
func sealStream(k *seal.Key, ref seal.BlobRef, meta seal.Meta, r io.Reader, h hash.Hash, progress func(done, total int64)) (pr *io.PipeReader, done <-chan error) {
	size := meta.Size
	pr, pw := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		err := func() error {
			var dst io.Writer = pw
			if h != nil {
				dst = io.MultiWriter(pw, h)
			}
			bw, err := seal.NewBlobWriter(dst, k, seal.PurposeFile, ref, meta)
			if err != nil {
				return err
			}
			src := &progressReader{r: io.LimitReader(r, size), total: size, fn: progress}
			n, err := io.Copy(bw, src)
			if err != nil {
				return err
			}
			if n != size {
				return fmt.Errorf("client: the file ended after %d of %d bytes", n, size)
			}
			return bw.Close()
		}()
		pw.CloseWithError(err) // nil: the body ends here
		ch <- err
	}()
	return pr, ch
}

// registerOnce registers doctype with the server (§8.4, idempotent) the
// first time this Client uploads a blob of it: another device may have
// added the doctype to the keyring and not registered it yet, and a blob
// upload, unlike a document write, cannot be sent again once refused
// (its body is a stream).
func (c *Client) registerOnce(ctx context.Context, doctype string) error {
	c.mu.Lock()
	done := c.registered[doctype]
	c.mu.Unlock()
	if done {
		return nil
	}
	if err := c.registerDoctype(ctx, doctype); err != nil {
		return err
	}
	c.mu.Lock()
	if c.registered == nil {
		c.registered = map[string]bool{}
	}
	c.registered[doctype] = true
	c.mu.Unlock()
	return nil
}

// deleteBlob removes a blob of doctype no document names, best effort.
func (c *Client) deleteBlob(doctype, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.call(ctx, request{method: "DELETE", path: "/v1/blobs/" + doctype + "/" + pathEscape(id)})
}

// countingReader counts and hashes what it reads, and keeps the first
// transport error so it is not mistaken for tampering.
type countingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.h.Write(b[:n])
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// blobHeaderPeek is how much of a blob blobGen looks at: the age version
// line and the one recipient stanza's line fit with room to spare.
const blobHeaderPeek = 4096

// blobGen returns the key generation a sealed blob's recipient stanza names
// ("-> hearth-blob 1 <purpose> <gen>", §6.1), peeking without consuming;
// 0 if it finds none (OpenBlob then refuses the blob).
func blobGen(r *bufio.Reader) uint32 {
	b, _ := r.Peek(512)
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 3 {
		return 0
	}
	f := strings.Fields(lines[1])
	if len(f) != 5 || f[0] != "->" || f[1] != "hearth-blob" {
		return 0
	}
	g, err := strconv.ParseUint(f[4], 10, 32)
	if err != nil || g == 0 {
		return 0
	}
	return uint32(g)
}

// Download streams the content of file fileID (an id Upload returned) to w
// and returns its metadata. A damaged, truncated, swapped or replayed file
// gives ErrIntegrity.
//
// Plaintext reaches w one authenticated 64 KiB chunk at a time, before the
// file as a whole is verified (its length, its end and the digest the file
// document names are checked only after the last chunk): when Download
// returns an error, the caller MUST discard everything written to w, since
// it may be the beginning of another or an older file, or a truncated one.
// Write to a temporary file and rename it into place only if Download
// returns nil (as the CLI does); never show or use what w received before
// that.
func (c *Client) Download(ctx context.Context, fileID string, w io.Writer) (*FileInfo, error) {
	return c.DownloadProgress(ctx, fileID, w, nil)
}

// downloadBlob streams the content of blob b of doctype (purpose file) to
// w and returns its sealed metadata, checking b's size and digest. As for
// Download, on error everything written to w must be discarded.
func (c *Client) downloadBlob(ctx context.Context, doctype string, sb SealedBlob, w io.Writer, progress func(done, total int64)) (seal.Meta, error) {
	req := &httpRequest{method: "GET", url: c.st.Server + "/v1/blobs/" + doctype + "/" + sb.ID,
		header: map[string]string{"Authorization": "Bearer " + c.token()}}
	res, err := c.tr.roundTrip(ctx, req)
	if err != nil {
		return seal.Meta{}, fmt.Errorf("client: download: %w", err)
	}
	defer res.body.Close()
	if res.status != statusOK {
		b, _ := io.ReadAll(io.LimitReader(res.body, 1<<20))
		e := apiError(res, b)
		if errors.Is(e, ErrNotFound) {
			return seal.Meta{}, integrity("it names blob %s, which the server says does not exist", sb.ID)
		}
		return seal.Meta{}, e
	}
	if res.contentLength >= 0 && res.contentLength != sb.Size {
		return seal.Meta{}, integrity("the server's blob %s has the wrong size", sb.ID)
	}
	if meta, ok, err := c.downloadJS(ctx, doctype, res, sb, w, progress); ok {
		return meta, err // in the browser: the bytes stay in JavaScript
	}
	cr := &countingReader{r: io.LimitReader(res.body, sb.Size+1), h: newBlobHash()}
	var ra *readAhead
	fail := func(what string, err error) (seal.Meta, error) {
		if ra != nil {
			ra.Close() // cr is ours again
		}
		if cr.err != nil {
			return seal.Meta{}, fmt.Errorf("client: download: %w", cr.err)
		}
		return seal.Meta{}, &integrityError{detail: what, err: err}
	}
	// The blob names the key generation that sealed it: reload the keyring
	// if it lacks that generation (another device rotated the key), as for
	// documents. What the header claims is only a hint; OpenBlob checks it.
	// Network reads and hashing run ahead in their own goroutine, alongside
	// decryption and writing here.
	ra = newReadAhead(cr)
	defer ra.Close()
	src := bufio.NewReaderSize(ra, blobHeaderPeek)
	ks, err := c.keys(ctx, doctype, blobGen(src), false)
	if err != nil {
		return seal.Meta{}, err
	}
	if ks == nil {
		return fail("sealed with a key the keyring lacks", nil)
	}
	br, stop, err := openSealed(src, sb.Size, ks, seal.BlobRef{Doctype: doctype, ID: sb.ID})
	if err != nil {
		return fail("the blob's header does not open (altered, swapped or not this file's)", err)
	}
	defer stop()
	meta := br.Meta()
	fn := progress
	// Large writes: fewer system calls when w is a file.
	bw := bufio.NewWriterSize(w, 1<<20)
	w = bw
	buf := make([]byte, 64<<10)
	var done int64
	for {
		n, rerr := br.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return seal.Meta{}, err
			}
			done += int64(n)
			if fn != nil {
				fn(done, meta.Size)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail("the content does not authenticate (altered, truncated or reordered)", rerr)
		}
	}
	if err := bw.Flush(); err != nil {
		return seal.Meta{}, err
	}
	stop() // done with src
	// Draining the read-ahead to its end also waits for its goroutine, so
	// cr's count and hash are final.
	if extra, _ := io.Copy(io.Discard, src); extra > 0 || cr.err != nil {
		return fail("trailing data after the end of the blob", nil)
	}
	if cr.n != sb.Size || string(cr.h.Sum(nil)) != string(sb.Digest) {
		return fail("the blob differs from the one the file document names", nil)
	}
	return meta, nil
}
