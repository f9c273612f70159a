package metatest

import (
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// testDropLinkUploads: a stranger's sessions through a drop link count
// with the link's drops against its limits (MaxTotal, MaxFiles), so that
// they hold no more of the owner's quota than the link takes; another
// link's sessions do not count; revoking the link ends them.
func testDropLinkUploads(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	l := dropLink("alice", "dddddddddddddddddddddddddd") // 2 files, 1000 each, 1500 in all
	other := dropLink("alice", "eeeeeeeeeeeeeeeeeeeeeeeeee")
	for _, x := range []*meta.Link{l, other} {
		if err := s.CreateLink(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	drop := func(link, id string, size int64) *meta.Upload {
		u := upload(meta.DropsDoctype, id, size)
		u.Link = link
		return u
	}
	wantErr(t, "CreateUpload through another's link", s.CreateUpload(ctx, "bob", drop(l.ID, "b1", 10)), meta.ErrNotFound)
	wantErr(t, "CreateUpload through a link that is none", s.CreateUpload(ctx, "alice", drop("ffffffffffffffffffffffffff", "f1", 10)), meta.ErrNotFound)
	wantErr(t, "CreateUpload 1", s.CreateUpload(ctx, "alice", drop(l.ID, "s1", 1000)), nil)
	wantErr(t, "CreateUpload past MaxTotal", s.CreateUpload(ctx, "alice", drop(l.ID, "s2", 501)), meta.ErrLinkLimit)
	wantErr(t, "CreateUpload 2", s.CreateUpload(ctx, "alice", drop(l.ID, "s2", 500)), nil)
	wantErr(t, "CreateUpload past MaxFiles", s.CreateUpload(ctx, "alice", drop(l.ID, "s3", 1)), meta.ErrLinkLimit)
	wantErr(t, "CreateUpload through the other link", s.CreateUpload(ctx, "alice", drop(other.ID, "o1", 1000)), nil)
	if u, err := s.Upload(ctx, "alice", meta.DropsDoctype, "s1"); err != nil || u.Link != l.ID {
		t.Fatalf("Upload = %+v, %v; want the link", u, err)
	}
	// A completed drop counts as a drop, no longer as a session.
	row := &meta.BlobRow{Doctype: meta.DropsDoctype, ID: "s2", Size: 500, Digest: [32]byte{7}, Created: t0}
	wantErr(t, "PutDrop", s.PutDrop(ctx, l.ID, row, t0), nil)
	wantErr(t, "DeleteUpload", s.DeleteUpload(ctx, "alice", meta.DropsDoctype, "s2"), nil)
	wantErr(t, "CreateUpload past MaxFiles after a drop", s.CreateUpload(ctx, "alice", drop(l.ID, "s3", 1)), meta.ErrLinkLimit)
	// Revoking ends the link's sessions, not the other link's.
	at := t0.Add(time.Minute)
	wantErr(t, "RevokeLink", s.RevokeLink(ctx, "alice", l.ID, at), nil)
	if u, err := s.Upload(ctx, "alice", meta.DropsDoctype, "s1"); err != nil || u.Expires.After(at) {
		t.Fatalf("after revocation, Upload = %+v, %v; want it expired at %v", u, err, at)
	}
	if u, err := s.Upload(ctx, "alice", meta.DropsDoctype, "o1"); err != nil || !u.Expires.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("after revoking another link, Upload = %+v, %v", u, err)
	}
	if n, size, err := s.UploadUsage(ctx, "alice", at); err != nil || n != 1 || size != 1000 {
		t.Fatalf("UploadUsage after revocation = %d, %d, %v; want the other link's session alone", n, size, err)
	}
	if ex, err := s.ExpiredUploads(ctx, at, 10); err != nil || len(ex) != 1 || ex[0].ID != "s1" {
		t.Fatalf("ExpiredUploads = %+v, %v; want the revoked link's session", ex, err)
	}
}
