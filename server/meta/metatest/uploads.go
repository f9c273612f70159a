package metatest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// Upload sessions (meta.Uploads): made once per id, never over a used
// blob id, advanced only from where they stand, completed into a blob row
// atomically, limited in number and by the quota (sessions expired
// excepted), listed when expired.

// upload returns a session of size bytes for doctype and id, at offset 0,
// made at t0 and expiring a day later.
func upload(doctype, id string, size int64) *meta.Upload {
	return &meta.Upload{Doctype: doctype, ID: id, Size: size, Hash: []byte("h0"), Partial: "p-" + doctype + "-" + id,
		Created: t0, Expires: t0.Add(24 * time.Hour)}
}

func testUploads(t *testing.T, s meta.Store) {
	wantErr(t, "CreateUpload without account", s.CreateUpload(ctx, "alice", upload(notes, "u1", 100)), meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	mustDoctype(t, s, "alice", notes)
	u := upload(notes, "u1", 1000)
	wantErr(t, "CreateUpload", s.CreateUpload(ctx, "alice", u), nil)
	wantErr(t, "CreateUpload again", s.CreateUpload(ctx, "alice", upload(notes, "u1", 1000)), meta.ErrExists)
	ub := upload(notes, "u1", 1000)
	ub.Partial = "bob's"
	wantErr(t, "CreateUpload for bob", s.CreateUpload(ctx, "bob", ub), nil)
	got, err := s.Upload(ctx, "alice", notes, "u1")
	wantErr(t, "Upload", err, nil)
	if got.Size != 1000 || got.Offset != 0 || !bytes.Equal(got.Hash, u.Hash) || got.Partial != u.Partial ||
		!got.Created.Equal(t0) || !got.Expires.Equal(u.Expires) || got.Doctype != notes || got.ID != "u1" {
		t.Fatalf("Upload = %+v, want %+v", got, u)
	}
	_, err = s.Upload(ctx, "alice", notes, "u2")
	wantErr(t, "Upload of none", err, meta.ErrNotFound)
	_, err = s.Upload(ctx, "carol", notes, "u1")
	wantErr(t, "Upload of an unknown user", err, meta.ErrNotFound)

	// Advancing: only from where it stands.
	later := t0.Add(25 * time.Hour)
	wantErr(t, "AdvanceUpload", s.AdvanceUpload(ctx, "alice", notes, "u1", 0, 400, []byte("h400"), later), nil)
	wantErr(t, "AdvanceUpload from a stale offset", s.AdvanceUpload(ctx, "alice", notes, "u1", 0, 300, []byte("h300"), later), meta.ErrConflict)
	wantErr(t, "AdvanceUpload of none", s.AdvanceUpload(ctx, "alice", notes, "u9", 0, 300, nil, later), meta.ErrNotFound)
	got, _ = s.Upload(ctx, "alice", notes, "u1")
	if got.Offset != 400 || string(got.Hash) != "h400" || !got.Expires.Equal(later) {
		t.Fatalf("after AdvanceUpload: %+v", got)
	}
	if b, _ := s.Upload(ctx, "bob", notes, "u1"); b.Offset != 0 {
		t.Fatalf("bob's session moved with alice's: %+v", b)
	}

	// A blob id used, live or deleted, cannot get a session.
	wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "alice", blobRow(notes, "b1", false, 10, 1)), nil)
	wantErr(t, "CreateUpload over a blob", s.CreateUpload(ctx, "alice", upload(notes, "b1", 10)), meta.ErrExists)
	if _, err := s.DeleteBlobRow(ctx, "alice", notes, "b1", false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateUpload over a deleted blob", s.CreateUpload(ctx, "alice", upload(notes, "b1", 10)), meta.ErrExists)
	// A segment of that id is another kind: no matter.
	wantErr(t, "PutBlobRow segment", s.PutBlobRow(ctx, "alice", blobRow(notes, "s1", true, 10, 2)), nil)
	wantErr(t, "CreateUpload beside a segment", s.CreateUpload(ctx, "alice", upload(notes, "s1", 10)), nil)

	// Deleting.
	wantErr(t, "DeleteUpload", s.DeleteUpload(ctx, "alice", notes, "s1"), nil)
	wantErr(t, "DeleteUpload again", s.DeleteUpload(ctx, "alice", notes, "s1"), meta.ErrNotFound)
	_, err = s.Upload(ctx, "alice", notes, "s1")
	wantErr(t, "Upload after DeleteUpload", err, meta.ErrNotFound)

	// Completing: the blob row and the end of the session, together.
	row := blobRow(notes, "u1", false, 1000, 3)
	wantErr(t, "CompleteUpload", s.CompleteUpload(ctx, "alice", row), nil)
	_, err = s.Upload(ctx, "alice", notes, "u1")
	wantErr(t, "Upload after CompleteUpload", err, meta.ErrNotFound)
	if r, err := s.BlobRow(ctx, "alice", notes, "u1", false); err != nil || r.Digest != row.Digest || r.Size != 1000 {
		t.Fatalf("BlobRow after CompleteUpload = %+v, %v", r, err)
	}
	wantErr(t, "CompleteUpload again", s.CompleteUpload(ctx, "alice", row), meta.ErrNotFound)
	// A refused row keeps the session.
	wantErr(t, "CreateUpload u3", s.CreateUpload(ctx, "alice", upload(notes, "u3", 10)), nil)
	wantErr(t, "PutBlobRow u3 (a PUT while the session was open)", s.PutBlobRow(ctx, "alice", blobRow(notes, "u3", false, 10, 4)), nil)
	wantErr(t, "CompleteUpload over other bytes", s.CompleteUpload(ctx, "alice", blobRow(notes, "u3", false, 10, 5)), meta.ErrExists)
	if _, err := s.Upload(ctx, "alice", notes, "u3"); err != nil {
		t.Fatalf("a refused CompleteUpload ended the session: %v", err)
	}
	wantErr(t, "CompleteUpload with the same bytes", s.CompleteUpload(ctx, "alice", blobRow(notes, "u3", false, 10, 4)), nil)

	parts, err := s.UploadPartials(ctx)
	wantErr(t, "UploadPartials", err, nil)
	slices.Sort(parts)
	if want := []string{"bob's"}; !slices.Equal(parts, want) {
		t.Fatalf("UploadPartials = %v, want %v", parts, want)
	}
}

// testUploadLimits: at most MaxUploads open, and their sizes count beside
// the quota's usage when a session is made; expired ones count in neither.
func testUploadLimits(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	for i := range meta.MaxUploads {
		wantErr(t, "CreateUpload", s.CreateUpload(ctx, "alice", upload(notes, fmt.Sprint("u", i), 100)), nil)
	}
	wantErr(t, "CreateUpload past MaxUploads", s.CreateUpload(ctx, "alice", upload(notes, "more", 100)), meta.ErrTooMany)
	// Drop sessions (strangers', through drop links) count apart: the
	// account's own full does not stop them, and theirs full does not
	// take the account's.
	for i := range meta.MaxDropUploads {
		wantErr(t, "CreateUpload of a drop", s.CreateUpload(ctx, "alice", upload(meta.DropsDoctype, fmt.Sprint("d", i), 1)), nil)
	}
	wantErr(t, "CreateUpload past MaxDropUploads", s.CreateUpload(ctx, "alice", upload(meta.DropsDoctype, "dmore", 1)), meta.ErrTooMany)
	for i := range meta.MaxDropUploads {
		wantErr(t, "DeleteUpload of a drop", s.DeleteUpload(ctx, "alice", meta.DropsDoctype, fmt.Sprint("d", i)), nil)
	}
	wantErr(t, "DeleteUpload", s.DeleteUpload(ctx, "alice", notes, "u0"), nil)
	for i := range meta.MaxDropUploads {
		wantErr(t, "CreateUpload of a drop", s.CreateUpload(ctx, "alice", upload(meta.DropsDoctype, fmt.Sprint("e", i), 1)), nil)
	}
	wantErr(t, "CreateUpload beside full drops", s.CreateUpload(ctx, "alice", upload(notes, "u0b", 100)), nil)
	for i := range meta.MaxDropUploads {
		wantErr(t, "DeleteUpload of a drop", s.DeleteUpload(ctx, "alice", meta.DropsDoctype, fmt.Sprint("e", i)), nil)
	}
	if n, size, err := s.UploadUsage(ctx, "alice", t0); err != nil || n != meta.MaxUploads || size != 100*meta.MaxUploads {
		t.Fatalf("UploadUsage = %d, %d, %v", n, size, err)
	}
	if n, size, err := s.UploadUsage(ctx, "nobody", t0); err != nil || n != 0 || size != 0 {
		t.Fatalf("UploadUsage of an unknown user = %d, %d, %v", n, size, err)
	}
	// A day later they all expired: they count no more.
	day := t0.Add(24 * time.Hour)
	if n, _, _ := s.UploadUsage(ctx, "alice", day); n != 0 {
		t.Fatalf("UploadUsage after expiry = %d", n)
	}
	u := upload(notes, "more", 100)
	u.Created, u.Expires = day, day.Add(24*time.Hour)
	wantErr(t, "CreateUpload once the others expired", s.CreateUpload(ctx, "alice", u), nil)

	// The quota: usage + open sessions + the new one + its row's entry.
	mustCreateAccount(t, s, "bob")
	mustDoctype(t, s, "bob", notes)
	q, _ := s.Quota(ctx, "bob")
	limit := q.Used.Bytes + 10000
	wantErr(t, "SetLimits", s.SetLimits(ctx, "bob", meta.Limits{Bytes: limit, Docs: meta.DefaultLimit}), nil)
	wantErr(t, "CreateUpload b1", s.CreateUpload(ctx, "bob", upload(notes, "b1", 6000)), nil)
	wantErr(t, "CreateUpload b2 past the quota", s.CreateUpload(ctx, "bob", upload(notes, "b2", 4000)), meta.ErrQuota)
	wantErr(t, "CreateUpload b2 that fits", s.CreateUpload(ctx, "bob", upload(notes, "b2", 4000-meta.EntryBytes)), nil)
	wantUsage(t, s, "bob", q.Used) // sessions are not usage
	wantErr(t, "DeleteUpload b1", s.DeleteUpload(ctx, "bob", notes, "b1"), nil)
	wantErr(t, "CreateUpload b3 after a cancel", s.CreateUpload(ctx, "bob", upload(notes, "b3", 5000)), nil)
}

// testUploadExpiry: ExpiredUploads lists sessions whose expiry passed, of
// every account, oldest first, up to limit.
func testUploadExpiry(t *testing.T, s meta.Store) {
	for _, user := range []string{"alice", "bob"} {
		mustCreateAccount(t, s, user)
		mustDoctype(t, s, user, notes)
	}
	mk := func(user, id string, expires time.Time) {
		u := upload(notes, id, 10)
		u.Partial, u.Expires = user+id, expires
		wantErr(t, "CreateUpload", s.CreateUpload(ctx, user, u), nil)
	}
	mk("alice", "a1", t0.Add(3*time.Hour))
	mk("bob", "b1", t0.Add(1*time.Hour))
	mk("alice", "a2", t0.Add(2*time.Hour))
	mk("alice", "a3", t0.Add(48*time.Hour))
	got, err := s.ExpiredUploads(ctx, t0.Add(3*time.Hour), 0)
	wantErr(t, "ExpiredUploads", err, nil)
	exp := func(user, id string) meta.ExpiredUpload {
		return meta.ExpiredUpload{User: user, Doctype: notes, ID: id, Partial: user + id}
	}
	want := []meta.ExpiredUpload{exp("bob", "b1"), exp("alice", "a2"), exp("alice", "a1")}
	if !slices.Equal(got, want) {
		t.Fatalf("ExpiredUploads = %v, want %v", got, want)
	}
	if got, _ := s.ExpiredUploads(ctx, t0.Add(3*time.Hour), 2); !slices.Equal(got, want[:2]) {
		t.Fatalf("ExpiredUploads limit 2 = %v", got)
	}
	if got, _ := s.ExpiredUploads(ctx, t0, 0); len(got) != 0 {
		t.Fatalf("ExpiredUploads before any expiry = %v", got)
	}
	// An expired session still blocks its id until it is deleted.
	wantErr(t, "CreateUpload over an expired one", s.CreateUpload(ctx, "bob", upload(notes, "b1", 10)), meta.ErrExists)
}

// testUploadsConcurrent: many sessions made at once never pass
// MaxUploads, and concurrent advances from one offset: one wins.
func testUploadsConcurrent(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	var made, won atomic.Int32
	var wg sync.WaitGroup
	for i := range 2 * meta.MaxUploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.CreateUpload(ctx, "alice", upload(notes, fmt.Sprint("c", i), 10)) == nil {
				made.Add(1)
			}
		}()
	}
	wg.Wait()
	if made.Load() != meta.MaxUploads {
		t.Fatalf("%d sessions made at once, want %d", made.Load(), meta.MaxUploads)
	}
	var id string
	for i := range 2 * meta.MaxUploads {
		if _, err := s.Upload(ctx, "alice", notes, fmt.Sprint("c", i)); err == nil {
			id = fmt.Sprint("c", i)
		}
	}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.AdvanceUpload(ctx, "alice", notes, id, 0, int64(i+1), nil, t0.Add(time.Hour)) == nil {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d advances from offset 0 won, want 1", won.Load())
	}
}
