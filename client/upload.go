package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/hearthcloud/hearth/internal/wire"
)

// Resumable uploads (spec §8.7.3): a blob whose sealed size exceeds
// sessionThreshold goes to the server in pieces through an upload session.
// The piece not yet acknowledged stays in memory; on a network error or a
// 5xx the client waits, asks the server where the session stands and sends
// the rest of the piece from there, for as long as uploadRetry allows
// without progress. So a dropped connection, or a server killed and
// restarted, costs at most one piece.

// defaultUploadRetry is Options.UploadRetry's default.
const defaultUploadRetry = 2 * time.Minute

// sessionThreshold: sealed sizes above go through a session. A variable,
// so that a benchmark may compare with one PUT (testhook.go).
var sessionThreshold int64 = 8 << 20

// Backoff between attempts of a piece: from retryFirst, doubling, at most
// retryMax (or the server's Retry-After). Variables, so tests may shorten
// them.
var (
	retryFirst = time.Second
	retryMax   = 8 * time.Second
)

// pieceTimeout bounds one PATCH of n bytes: a minute, plus a second per
// 64 KiB (a link slower than that fails the request, which is retried).
func pieceTimeout(n int) time.Duration { return time.Minute + time.Duration(n>>16)*time.Second }

// upload is one session under way: the owner's (§8.7.3) or a dropper's
// (§8.12.5), which differ only in how a request is sent.
type upload struct {
	// call sends one request, authenticated as the session needs.
	call func(ctx context.Context, r request) (*response, error)
	// check, if not nil, says whether this client may still write.
	check func() error
	// window is how long failures may go on without progress.
	window time.Duration
	// forged, if not nil, removes a blob the server stored wrongly.
	forged  func()
	doctype string
	path    string // /v1/uploads/{doctype}/{id}, or /v1/links/{id}/uploads/{drop-id}
	blob    string // /v1/blobs/{doctype}/{id}, to check a completion whose answer was lost; "" if none can be read
	id      string
	size    int64 // sealed
	plain   int64 // plaintext, for progress
	report  func(done, total int64)
}

// getJSON sends a GET of the session and reads its JSON answer into out.
func (u *upload) getJSON(ctx context.Context, out any) error {
	res, err := u.call(ctx, request{method: "GET", path: u.path})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return fmt.Errorf("client: upload: the server's answer is malformed: %v", err)
	}
	return nil
}

// begin opens the session and checks that it stands at 0.
func (u *upload) begin(ctx context.Context) error {
	body, _ := json.Marshal(map[string]int64{"size": u.size})
	res, err := u.call(ctx, request{method: "POST", path: u.path, ctype: "application/json", body: body})
	if err != nil {
		return fmt.Errorf("client: upload: %w", err)
	}
	var created struct {
		Size   int64 `json:"size"`
		Offset int64 `json:"offset"`
	}
	if err := json.Unmarshal(res.body, &created); err != nil || created.Size != u.size || created.Offset != 0 {
		u.cancel()
		return fmt.Errorf("client: upload: the server's new session stands at %d of %d bytes, not 0 of %d", created.Offset, created.Size, u.size)
	}
	return nil
}

// upload sends the size sealed bytes of sealed through u's session, which
// it opens, and cancels it on failure.
func (u *upload) upload(ctx context.Context, sealed io.Reader) (SealedBlob, error) {
	return u.uploadFrom(ctx, newReaderSource(sealed, u.size))
}

// uploadFrom is upload, of the pieces src gives.
func (u *upload) uploadFrom(ctx context.Context, src pieceSource) (SealedBlob, error) {
	if err := u.begin(ctx); err != nil {
		return SealedBlob{}, err
	}
	b, err := u.run(ctx, src)
	if err != nil {
		u.cancel()
		return SealedBlob{}, err
	}
	return b, nil
}

// uploadSession uploads the size sealed bytes read from sealed as blob id
// of doctype through a session, in pieces of uploadPiece bytes, and
// returns it once the server's answer gave the digest and size sent.
// progress, if not nil, is called with the plaintext bytes the
// acknowledged sealed bytes stand for (plain in all). A failure, ctx
// cancelled included, cancels the session (best effort).
func (c *Client) uploadSession(ctx context.Context, doctype, id string, src pieceSource, size, plain int64, progress func(done, total int64)) (SealedBlob, error) {
	u := &upload{call: c.call, check: c.writable, window: c.uploadRetry, forged: func() { c.deleteBlob(doctype, id) },
		doctype: doctype, path: "/v1/uploads/" + doctype + "/" + pathEscape(id), blob: "/v1/blobs/" + doctype + "/" + pathEscape(id),
		id: id, size: size, plain: plain, report: progress}
	return u.uploadFrom(ctx, src)
}

// A piece of an upload: its bytes here (b), or held where the transport
// sends them from (held: a Blob in the browser, sealer_js.go).
type piece struct {
	b      []byte
	held   heldBody
	digest []byte // on the last piece: the SHA-256 of the whole blob
	err    error
}

func (p piece) len() int64 {
	if p.held != nil {
		return p.held.Len()
	}
	return int64(len(p.b))
}

// from is the piece less its first i bytes.
func (p piece) from(i int64) piece {
	if p.held != nil {
		return piece{held: p.held.Slice(i)}
	}
	return piece{b: p.b[i:]}
}

// A pieceSource gives an upload's sealed bytes, piece by piece, hashed.
type pieceSource interface {
	// next starts making the piece at off, the first after the piece
	// before (each at most uploadPiece bytes, the last with the
	// digest); the piece comes on the channel. Each call waits until the
	// piece before came.
	next(off int64) <-chan piece
}

// readerSource is a pieceSource of a sealed stream: it reads each piece
// into one of two buffers, in turn, and hashes it.
type readerSource struct {
	r    io.Reader
	size int64
	h    hash.Hash
	bufs [2][]byte
	i    int
}

func newReaderSource(r io.Reader, size int64) *readerSource {
	n0 := min(int64(uploadPiece), size)
	return &readerSource{r: r, size: size, h: newBlobHash(), bufs: [2][]byte{make([]byte, n0), make([]byte, n0)}}
}

func (s *readerSource) next(off int64) <-chan piece {
	buf := s.bufs[s.i]
	s.i ^= 1
	ch := make(chan piece, 1)
	go func() {
		n := min(int64(len(buf)), s.size-off)
		if _, err := io.ReadFull(s.r, buf[:n]); err != nil {
			ch <- piece{err: fmt.Errorf("client: upload: sealing: %w", err)}
			return
		}
		s.h.Write(buf[:n])
		p := piece{b: buf[:n]}
		if off+n == s.size {
			p.digest = s.h.Sum(nil)
		}
		ch <- p
	}()
	return ch
}

// run sends the pieces and checks the completion's answer. The next
// piece is sealed and hashed while the current one is on its way.
func (u *upload) run(ctx context.Context, src pieceSource) (SealedBlob, error) {
	next := src.next(0)
	for off := int64(0); off < u.size; {
		p := <-next
		if p.err != nil {
			return SealedBlob{}, p.err
		}
		n := p.len()
		if n <= 0 || off+n > u.size {
			return SealedBlob{}, fmt.Errorf("client: upload: a piece of %d bytes at %d of %d", n, off, u.size)
		}
		if off+n < u.size {
			next = src.next(off + n)
		}
		ans, err := u.send(ctx, off, p, p.digest)
		if err != nil {
			if off+n < u.size {
				<-next // the reader is done with the other buffer and the hash
			}
			return SealedBlob{}, err
		}
		off += n
		if p.digest != nil {
			if ans.ID != u.id || ans.Size != u.size || string(ans.Digest) != string(p.digest) {
				if u.forged != nil {
					u.forged()
				}
				return SealedBlob{}, integrity("the server stored other bytes than were uploaded (blob %s)", u.id)
			}
			if u.report != nil {
				u.report(u.plain, u.plain)
			}
			return SealedBlob{ID: u.id, Digest: p.digest, Size: u.size}, nil
		}
	}
	return SealedBlob{}, errors.New("client: upload: ended without completing") // unreachable: size > 0
}

// blobAnswer is the answer to a completed upload (as to PUT, §8.7.1).
type blobAnswer struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	Digest []byte `json:"digest"`
}

// progress reports that the server holds at sealed bytes.
func (u *upload) progress(at int64) {
	if u.report != nil && at < u.size {
		u.report(int64(float64(at)/float64(u.size)*float64(u.plain)), u.plain)
	}
}

// send has the server hold p, the bytes at start of the blob: from where
// the server stands, again after each failure, until it acknowledged them
// all. digest, on the last piece, completes the session: send then
// returns the server's answer.
func (u *upload) send(ctx context.Context, start int64, p piece, digest []byte) (*blobAnswer, error) {
	end := start + p.len()
	at := start // where the server stands
	var failing time.Time
	wait := retryFirst
	for {
		if at == end && digest == nil {
			return nil, nil
		}
		if u.check != nil {
			if err := u.check(); err != nil {
				return nil, err
			}
		}
		res, err := u.patch(ctx, at, p.from(at-start), digest)
		var ae *APIError
		switch {
		case err == nil && res.status == 204:
			next, perr := strconv.ParseInt(res.header.Get("Hearth-Upload-Offset"), 10, 64)
			if perr != nil || next < at || next > end {
				return nil, fmt.Errorf("client: upload: the server acknowledged up to %q, sent %d to %d", res.header.Get("Hearth-Upload-Offset"), at, end)
			}
			if next > at {
				failing, wait = time.Time{}, retryFirst
				u.progress(next)
			}
			at = next
			continue
		case err == nil && digest != nil:
			var ans blobAnswer
			if err := json.Unmarshal(res.body, &ans); err != nil {
				return nil, fmt.Errorf("client: upload: the server's answer is malformed: %v", err)
			}
			return &ans, nil
		case err == nil:
			return nil, fmt.Errorf("client: upload: the server answered %d to a piece", res.status)
		case errors.As(err, &ae) && ae.Code == wire.CodeOffsetMismatch:
			if ae.Offset < start || ae.Offset > end {
				return nil, fmt.Errorf("client: upload: the server stands at %d, outside the piece %d to %d held here", ae.Offset, start, end)
			}
			at = ae.Offset
			continue
		case errors.As(err, &ae) && ae.Code == wire.CodeNotFound && digest != nil:
			// The completion may have gone through, its answer lost.
			return u.completed(ctx, digest, err)
		case !retryable(ctx, err):
			return nil, fmt.Errorf("client: upload: %w", err)
		}
		// A network error or a 5xx: wait, then ask where the session
		// stands, for as long as the window allows without progress.
		if failing.IsZero() {
			failing = time.Now()
		}
		for {
			if time.Since(failing) > u.window {
				return nil, fmt.Errorf("client: upload: no progress for %v: %w", u.window, err)
			}
			d := wait
			if errors.As(err, &ae) && ae.RetryAfter > d {
				d = ae.RetryAfter
			}
			if serr := sleep(ctx, d); serr != nil {
				return nil, serr
			}
			wait = min(2*wait, retryMax)
			var st struct {
				Offset int64 `json:"offset"`
			}
			err = u.getJSON(ctx, &st)
			if err == nil {
				if st.Offset < start || st.Offset > end {
					return nil, fmt.Errorf("client: upload: the server stands at %d, outside the piece %d to %d held here", st.Offset, start, end)
				}
				if st.Offset > at {
					failing, wait = time.Time{}, retryFirst
					u.progress(st.Offset)
				}
				at = st.Offset
				break
			}
			if errors.As(err, &ae) && ae.Code == wire.CodeNotFound && digest != nil && at == end {
				return u.completed(ctx, digest, err)
			}
			if !retryable(ctx, err) {
				return nil, fmt.Errorf("client: upload: %w", err)
			}
		}
	}
}

// completed checks whether the session, gone (cause), completed: the blob
// then exists with digest, and the answer is made from it.
func (u *upload) completed(ctx context.Context, digest []byte, cause error) (*blobAnswer, error) {
	if u.blob == "" {
		return nil, fmt.Errorf("client: upload: the upload session is gone, and whether it completed cannot be told: %w", cause)
	}
	res, err := u.call(ctx, request{method: "HEAD", path: u.blob})
	if err == nil && res.header.Get("ETag") == `"`+base64.StdEncoding.EncodeToString(digest)+`"` {
		return &blobAnswer{ID: u.id, Size: u.size, Digest: digest}, nil
	}
	return nil, fmt.Errorf("client: upload: the upload session is gone: %w", cause)
}

// patch sends one PATCH of p at offset at, with digest if not nil.
func (u *upload) patch(ctx context.Context, at int64, p piece, digest []byte) (*response, error) {
	hdr := map[string]string{"Hearth-Upload-Offset": strconv.FormatInt(at, 10)}
	if digest != nil {
		hdr["Hearth-Digest"] = "sha-256=" + base64.StdEncoding.EncodeToString(digest)
	}
	return u.call(ctx, request{method: "PATCH", path: u.path, ctype: "application/octet-stream", body: p.b, held: p.held, hdr: hdr,
		timeout: pieceTimeout(int(p.len()))})
}

// cancel deletes the session, best effort, even when ctx was cancelled.
func (u *upload) cancel() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u.call(ctx, request{method: "DELETE", path: u.path})
}

// retryable reports whether a failed request may go again: a network
// failure (not ctx's own end), or a temporary failure of the server (5xx,
// 429 after its Retry-After).
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == 429
	}
	var ie *integrityError
	var g *GoneError
	return !errors.As(err, &ie) && !errors.As(err, &g) && !errors.Is(err, ErrNotCaughtUp) && !errors.Is(err, ErrHalted)
}

// sleep waits d, or until ctx ends (its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
