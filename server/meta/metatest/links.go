package metatest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

func shareLink(user, id string) *meta.Link {
	return &meta.Link{ID: id, User: user, Kind: meta.LinkShare, Created: t0, Expires: t0.Add(7 * 24 * time.Hour),
		MaxOpens: 2, Verifier: [32]byte{9}, Salt: bytes.Repeat([]byte{3}, 16), KDF: &meta.KDF{Alg: "argon2id", Memory: 65536, Time: 3, Threads: 1},
		Manifest: bytes.Repeat([]byte{4}, 300), Version: 1, Blobs: []string{"b2", "b1"}}
}

func dropLink(user, id string) *meta.Link {
	return &meta.Link{ID: id, User: user, Kind: meta.LinkDrop, Created: t0, Expires: t0.Add(time.Hour), Verifier: [32]byte{8},
		Drop: &meta.DropInfo{Recipient: "age1xyz", Tag: bytes.Repeat([]byte{5}, 32), MaxFiles: 2, MaxFileSize: 1000, MaxTotal: 1500}}
}

func goneReason(err error) string {
	var g *meta.GoneError
	if errors.As(err, &g) && errors.Is(err, meta.ErrGone) {
		return g.Reason
	}
	return ""
}

func testLinks(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	before, _ := s.Quota(ctx, "alice")
	l := shareLink("alice", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
	if err := s.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Quota(ctx, "alice")
	if after.Used.Bytes-before.Used.Bytes != 300+meta.EntryBytes {
		t.Errorf("a link counts %d bytes, want its manifest and one entry", after.Used.Bytes-before.Used.Bytes)
	}
	if err := s.CreateLink(ctx, shareLink("bob", l.ID)); !errors.Is(err, meta.ErrExists) {
		t.Errorf("an id used by another account: %v", err)
	}
	if err := s.CreateLink(ctx, shareLink("nobody", "bbbbbbbbbbbbbbbbbbbbbbbbbb")); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("no account: %v", err)
	}
	got, err := s.Link(ctx, l.ID)
	if err != nil || got.User != "alice" || got.Kind != meta.LinkShare || !got.Expires.Equal(l.Expires) || got.Verifier != l.Verifier ||
		!bytes.Equal(got.Manifest, l.Manifest) || got.KDF == nil || *got.KDF != *l.KDF || len(got.Blobs) != 2 || got.Blobs[0] != "b1" {
		t.Fatalf("Link = %+v, %v", got, err)
	}
	// Opens count up to the limit, atomically.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, gone := 0, 0
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.OpenLink(ctx, l.ID, t0.Add(time.Minute), &meta.LinkToken{Hash: [32]byte{byte(i + 1)}, Link: l.ID, Expires: t0.Add(time.Hour)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if goneReason(err) == meta.GoneExhausted {
				gone++
			} else {
				t.Errorf("OpenLink: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 2 || gone != 4 {
		t.Fatalf("%d opens, %d exhausted; want 2 and 4", ok, gone)
	}
	got, _ = s.Link(ctx, l.ID)
	if got.Opens != 2 || !got.LastOpen.Equal(t0.Add(time.Minute)) {
		t.Errorf("opens %d, last %v", got.Opens, got.LastOpen)
	}
	// Raising the limit opens it again; a token is found by its hash.
	more := int64(5)
	if _, err := s.UpdateLink(ctx, "alice", l.ID, &meta.LinkUpdate{MaxOpens: &more}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenLink(ctx, l.ID, t0.Add(2*time.Minute), &meta.LinkToken{Hash: [32]byte{42}, Link: l.ID, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if tk, err := s.LinkTokenByHash(ctx, [32]byte{42}); err != nil || tk.Link != l.ID || !tk.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LinkTokenByHash = %+v, %v", tk, err)
	}
	if _, err := s.OpenLink(ctx, l.ID, l.Expires, &meta.LinkToken{Hash: [32]byte{43}, Link: l.ID, Expires: t0}); goneReason(err) != meta.GoneExpired {
		t.Errorf("open at expiry: %v", err)
	}
	// A new manifest needs the next version; bob cannot touch alice's link.
	if _, err := s.UpdateLink(ctx, "alice", l.ID, &meta.LinkUpdate{Manifest: []byte("m3"), Version: 3, Blobs: []string{"b3"}}); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("version 3 after 1: %v", err)
	}
	if _, err := s.UpdateLink(ctx, "bob", l.ID, &meta.LinkUpdate{MaxOpens: &more}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("bob updates alice's link: %v", err)
	}
	up, err := s.UpdateLink(ctx, "alice", l.ID, &meta.LinkUpdate{Manifest: []byte("m2"), Version: 2, Blobs: []string{"b3"}})
	if err != nil || up.Version != 2 || string(up.Manifest) != "m2" || len(up.Blobs) != 1 || up.Blobs[0] != "b3" {
		t.Fatalf("UpdateLink = %+v, %v", up, err)
	}
	s.LinkFailure(ctx, l.ID)
	if err := s.RevokeLink(ctx, "bob", l.ID, t0); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("bob revokes alice's link: %v", err)
	}
	if err := s.RevokeLink(ctx, "alice", l.ID, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkTokenByHash(ctx, [32]byte{42}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("a token outlives its link's revocation: %v", err)
	}
	if _, err := s.OpenLink(ctx, l.ID, t0.Add(4*time.Minute), &meta.LinkToken{Hash: [32]byte{44}, Link: l.ID, Expires: t0.Add(time.Hour)}); goneReason(err) != meta.GoneRevoked {
		t.Errorf("open after revocation: %v", err)
	}
	if _, err := s.UpdateLink(ctx, "alice", l.ID, &meta.LinkUpdate{MaxOpens: &more}); !errors.Is(err, meta.ErrGone) {
		t.Errorf("update after revocation: %v", err)
	}
	list, err := s.Links(ctx, "alice")
	if err != nil || len(list) != 1 || list[0].Failures != 1 || !list[0].Revoked.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("Links = %+v, %v", list, err)
	}
	if list, _ := s.Links(ctx, "bob"); len(list) != 0 {
		t.Errorf("bob lists %d links", len(list))
	}
}

func testLinkDrops(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	l := dropLink("alice", "cccccccccccccccccccccccccc")
	if err := s.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	row := func(id string, size int64) *meta.BlobRow {
		return &meta.BlobRow{Doctype: meta.DropsDoctype, ID: id, Size: size, Digest: [32]byte{byte(size)}, Created: t0}
	}
	if err := s.PutDrop(ctx, l.ID, row("d1", 1001), now); !errors.Is(err, meta.ErrLinkLimit) {
		t.Errorf("a drop over the file size: %v", err)
	}
	if err := s.PutDrop(ctx, l.ID, row("d1", 900), now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDrop(ctx, l.ID, row("d1", 100), now); !errors.Is(err, meta.ErrExists) {
		t.Errorf("a drop id used twice: %v", err)
	}
	if err := s.PutDrop(ctx, l.ID, row("d2", 700), now); !errors.Is(err, meta.ErrLinkLimit) {
		t.Errorf("a drop over the total: %v", err)
	}
	if err := s.PutDrop(ctx, l.ID, row("d2", 500), now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDrop(ctx, l.ID, row("d3", 1), now); goneReason(err) != meta.GoneExhausted {
		t.Errorf("a third drop of two: %v", err)
	}
	if _, err := s.OpenLink(ctx, l.ID, now, &meta.LinkToken{Hash: [32]byte{1}, Link: l.ID, Expires: now}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("a drop link opens: %v", err)
	}
	drops, err := s.Drops(ctx, "alice", l.ID)
	if err != nil || len(drops) != 2 || drops[0].ID != "d1" || drops[1].ID != "d2" || drops[0].Size != 900 {
		t.Fatalf("Drops = %v, %v", drops, err)
	}
	if b, err := s.BlobRow(ctx, "alice", meta.DropsDoctype, "d1", false); err != nil || b.Size != 900 {
		t.Errorf("a drop is no blob row of its owner: %v", err)
	}
	if _, err := s.Drops(ctx, "bob", l.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("bob lists alice's drops: %v", err)
	}
	if _, err := s.DeleteDrop(ctx, "bob", l.ID, "d1"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("bob deletes alice's drop: %v", err)
	}
	if inUse, err := s.DeleteDrop(ctx, "alice", l.ID, "d1"); err != nil || inUse {
		t.Fatalf("DeleteDrop = %v, %v", inUse, err)
	}
	got, _ := s.Link(ctx, l.ID)
	if got.Drop == nil || got.Drop.Files != 2 || got.Drop.Bytes != 1400 || got.Drop.Pending != 1 || got.Drop.Recipient != "age1xyz" {
		t.Fatalf("drop info %+v", got.Drop)
	}
	other := dropLink("alice", "dddddddddddddddddddddddddd")
	s.CreateLink(ctx, other)
	if err := s.PutDrop(ctx, other.ID, row("d9", 10), other.Expires); goneReason(err) != meta.GoneExpired {
		t.Errorf("a drop after expiry: %v", err)
	}
	if err := s.PutDrop(ctx, "eeeeeeeeeeeeeeeeeeeeeeeeee", row("d9", 10), now); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("a drop to no link: %v", err)
	}
}
