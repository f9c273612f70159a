package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// wantUsage fails t unless user's usage is want.
func wantUsage(t *testing.T, s meta.Store, user string, want meta.Usage) {
	t.Helper()
	q, err := s.Quota(ctx, user)
	if err != nil {
		t.Fatalf("Quota(%s): %v", user, err)
	}
	if q.Used != want {
		t.Fatalf("Quota(%s).Used = %+v, want %+v", user, q.Used, want)
	}
}

// blobRow returns a live blob (or segment) row of size bytes.
func blobRow(doctype, id string, segment bool, size int64, d byte) *meta.BlobRow {
	return &meta.BlobRow{Doctype: doctype, ID: id, Segment: segment, Size: size, Digest: [32]byte{0xb, d}, Created: t0}
}

// testQuotaUsage checks what usage counts: current document revisions
// (tombstones included) and live documents, live blob and segment rows in
// full (two accounts with the same bytes are both charged), manifests and
// app archives; and that deletions and smaller revisions free space.
func testQuotaUsage(t *testing.T, s meta.Store) {
	_, err := s.Quota(ctx, "alice")
	wantErr(t, "Quota without account", err, meta.ErrNotFound)
	wantErr(t, "SetLimits without account", s.SetLimits(ctx, "alice", meta.Limits{Bytes: 1, Docs: 1}), meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	mustDoctype(t, s, "alice", notes, contacts)
	mustDoctype(t, s, "bob", notes)
	// Each doctype and each feed entry counts too (EntryBytes,
	// DoctypeBytes): alice's two doctypes, bob's one, and an entry a write.
	const E, D = meta.EntryBytes, meta.DoctypeBytes
	wantUsage(t, s, "alice", meta.Usage{Bytes: 2 * D})

	doc := func(id string, ifRev uint64, n int, deleted bool) meta.DocWrite {
		return meta.DocWrite{Doctype: notes, ID: id, IfRev: ifRev, Sealed: bytes.Repeat([]byte{'x'}, n), Deleted: deleted}
	}
	mustPutDocs(t, s, "alice", []meta.DocWrite{doc("a", 0, 300, false), doc("b", 0, 500, false)}, nil)
	wantUsage(t, s, "alice", meta.Usage{Bytes: 800 + 2*E + 2*D, Docs: 2})
	mustPutDocs(t, s, "alice", []meta.DocWrite{doc("a", 1, 1000, false)}, nil) // grows
	wantUsage(t, s, "alice", meta.Usage{Bytes: 1500 + 3*E + 2*D, Docs: 2})
	mustPutDocs(t, s, "alice", []meta.DocWrite{doc("a", 2, 256, true)}, nil) // a tombstone still counts its bytes
	wantUsage(t, s, "alice", meta.Usage{Bytes: 756 + 4*E + 2*D, Docs: 1})
	mustPutDocs(t, s, "alice", []meta.DocWrite{doc("a", 3, 400, false)}, nil) // brought back
	wantUsage(t, s, "alice", meta.Usage{Bytes: 900 + 5*E + 2*D, Docs: 2})
	// Conflicts and unknown doctypes count nothing.
	mustPutDocs(t, s, "alice", []meta.DocWrite{doc("a", 1, 5000, false), {Doctype: "x.unknown", ID: "c", Sealed: []byte("abc")}},
		[]outcome{{err: meta.ErrConflict, curRev: 4}, {err: meta.ErrUnknownDoctype}})
	wantUsage(t, s, "alice", meta.Usage{Bytes: 900 + 5*E + 2*D, Docs: 2})

	// Blobs and segments, at full size for each account holding them, and
	// each row's EntryBytes for ever (a deleted row stays).
	for _, u := range []string{"alice", "bob"} {
		if err := s.PutBlobRow(ctx, u, blobRow(notes, "f1", false, 10000, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutBlobRow(ctx, "alice", blobRow(notes, "f1", false, 10000, 1)); err != nil { // an idempotent retry
		t.Fatal(err)
	}
	if err := s.PutBlobRow(ctx, "alice", blobRow(notes, "s1", true, 2000, 2)); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 12900 + 7*E + 2*D, Docs: 2})
	wantUsage(t, s, "bob", meta.Usage{Bytes: 10000 + E + D})
	if _, err := s.DeleteBlobRow(ctx, "alice", notes, "f1", false); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 2900 + 7*E + 2*D, Docs: 2})
	wantUsage(t, s, "bob", meta.Usage{Bytes: 10000 + E + D})

	// Manifests: the current one's size.
	mustPutManifest(t, s, "alice", notes, 0, bytes.Repeat([]byte{'m'}, 700))
	wantUsage(t, s, "alice", meta.Usage{Bytes: 3600 + 7*E + 2*D, Docs: 2})
	mustPutManifest(t, s, "alice", notes, 1, bytes.Repeat([]byte{'m'}, 300))
	wantUsage(t, s, "alice", meta.Usage{Bytes: 3200 + 7*E + 2*D, Docs: 2})

	// Apps: the archive's size; a replacement counts only the new one.
	a1 := app("tasks", "1.0.0", 1, t0) // 1001 bytes
	mustPutApp(t, s, "alice", a1, false, nil)
	wantUsage(t, s, "alice", meta.Usage{Bytes: 4201 + 7*E + 2*D, Docs: 2})
	a2 := app("tasks", "1.1.0", 5, t0) // 1005 bytes
	if _, err := s.PutApp(ctx, "alice", a2, false); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 4205 + 7*E + 2*D, Docs: 2})
	mustDeleteApp(t, s, "alice", "tasks", false)
	wantUsage(t, s, "alice", meta.Usage{Bytes: 3200 + 7*E + 2*D, Docs: 2})
	wantUsage(t, s, "bob", meta.Usage{Bytes: 10000 + E + D})

	// Doctypes' counts agree with the usage where they overlap.
	list, err := s.Doctypes(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var docs, b int64
	for _, d := range list {
		docs += d.Docs
		b += d.Bytes
	}
	if docs != 2 || b != 3200-300 { // Doctypes leaves the manifest out
		t.Fatalf("Doctypes total %d docs, %d bytes; want 2 and %d", docs, b, 3200-300)
	}
}

// testQuotaLimits checks that writes past a limit fail with ErrQuota and
// store nothing, that writes growing nothing pass even over a limit, and
// how own limits, DefaultLimit and the default combine.
func testQuotaLimits(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	mustDoctype(t, s, "alice", notes)
	mustDoctype(t, s, "bob", notes)
	q, err := s.Quota(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := (meta.Limits{Bytes: meta.DefaultLimit, Docs: meta.DefaultLimit}); q.Own != want || q.Limit != (meta.Limits{}) {
		t.Fatalf("a new account's limits: own %+v, applying %+v; want %+v and none", q.Own, q.Limit, want)
	}

	s.SetDefaultLimits(meta.Limits{Docs: 3})
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(notes, "b", 0, false), write(notes, "c", 0, false),
		write(notes, "d", 0, false)}, []outcome{{rev: 1, seq: 1}, {rev: 1, seq: 2}, {rev: 1, seq: 3}, {err: meta.ErrQuota}})
	if _, err := s.Doc(ctx, "alice", notes, "d"); err == nil {
		t.Fatal("a document refused for the quota was stored")
	}
	if seq, _, _ := s.Head(ctx, "alice"); seq != 3 {
		t.Fatalf("feed head %d after a refused write, want 3", seq)
	}
	// An update adds no document: it passes at the limit.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 1, false)}, nil)
	// A deletion frees a place, in the same batch too.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "d", 0, false), write(notes, "b", 1, true), write(notes, "d", 0, false)},
		[]outcome{{err: meta.ErrQuota}, {rev: 2, seq: 5}, {rev: 1, seq: 6}})
	// Bringing a tombstone back adds a document.
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "b", 2, false)}, []outcome{{err: meta.ErrQuota}})

	// Own limits win over the default; DefaultLimit follows it; 0 is none.
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: -2, Docs: 0}); err == nil {
		t.Fatal("SetLimits took a limit below DefaultLimit")
	}
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: meta.DefaultLimit, Docs: 0}); err != nil {
		t.Fatal(err)
	}
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "b", 2, false), write(notes, "e", 0, false),
		{Doctype: notes, ID: "big", Sealed: bytes.Repeat([]byte{'b'}, 1000)}}, nil)
	q, _ = s.Quota(ctx, "alice")
	if want := (meta.Limits{Bytes: meta.DefaultLimit, Docs: 0}); q.Own != want || q.Limit != (meta.Limits{}) {
		t.Fatalf("limits: own %+v, applying %+v; want %+v and none", q.Own, q.Limit, want)
	}
	// Bob still has the default.
	mustPutDocs(t, s, "bob", []meta.DocWrite{write(notes, "a", 0, false), write(notes, "b", 0, false), write(notes, "c", 0, false),
		write(notes, "d", 0, false)}, []outcome{{rev: 1, seq: 1}, {rev: 1, seq: 2}, {rev: 1, seq: 3}, {err: meta.ErrQuota}})

	// Bytes, for every kind of write.
	used := func() int64 {
		q, err := s.Quota(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		return q.Used.Bytes
	}
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: used() + 1000, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	q, _ = s.Quota(ctx, "alice")
	if q.Limit.Bytes != q.Used.Bytes+1000 || q.Limit.Docs != 3 {
		t.Fatalf("applying limits %+v", q.Limit)
	}
	s.SetDefaultLimits(meta.Limits{})
	wantErr(t, "PutBlobRow over the quota", s.PutBlobRow(ctx, "alice", blobRow(notes, "f1", false, 1001, 1)), meta.ErrQuota)
	if _, err := s.BlobRow(ctx, "alice", notes, "f1", false); err == nil {
		t.Fatal("a blob row refused for the quota was stored")
	}
	if err := s.PutBlobRow(ctx, "alice", blobRow(notes, "f1", false, 1001, 1)); !isErr(err, meta.ErrQuota) {
		t.Fatalf("a blob id refused for the quota, tried again: %v (want ErrQuota, not ErrExists)", err)
	}
	if err := s.PutBlobRow(ctx, "alice", blobRow(notes, "f2", false, 600-meta.EntryBytes, 2)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "PutBlobRow (segment) over the quota", s.PutBlobRow(ctx, "alice", blobRow(notes, "s1", true, 401, 3)), meta.ErrQuota)
	_, err = s.PutManifest(ctx, "alice", notes, 0, bytes.Repeat([]byte{'m'}, 401))
	wantErr(t, "PutManifest over the quota", err, meta.ErrQuota)
	if _, _, err := s.Manifest(ctx, "alice", notes); err == nil {
		t.Fatal("a manifest refused for the quota was stored")
	}
	mustPutManifest(t, s, "alice", notes, 0, bytes.Repeat([]byte{'m'}, 100))
	big := app("tasks", "1.0.0", 0, t0)
	big.Size = 301
	_, err = s.PutApp(ctx, "alice", big, false)
	wantErr(t, "PutApp over the quota", err, meta.ErrQuota)
	if _, err := s.App(ctx, "alice", "tasks"); err == nil {
		t.Fatal("an app refused for the quota was stored")
	}
	big.Size = 300
	mustPutApp(t, s, "alice", big, false, nil)
	// Full: one byte more is refused, and so is a same-sized document
	// update, whose feed entry counts (EntryBytes); one smaller by at
	// least the entry's bytes passes.
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "x", Sealed: []byte("y")}}, []outcome{{err: meta.ErrQuota}})
	d, _ := s.Doc(ctx, "alice", notes, "a")
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "a", IfRev: d.Rev, Sealed: bytes.Repeat([]byte{'z'}, len(d.Sealed))}},
		[]outcome{{err: meta.ErrQuota}})
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "big", IfRev: 1, Sealed: bytes.Repeat([]byte{'b'}, 1000-meta.EntryBytes)}}, nil)

	// Lowered below the usage: growing is refused, shrinking and deleting
	// pass (deleting a live document even though its tombstone's entry
	// counts), and a deletion frees room; a doctype is refused.
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: 10, Docs: 1}); err != nil {
		t.Fatal(err)
	}
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "big", IfRev: 2, Sealed: []byte("shorter")}}, nil)
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "e", IfRev: 1, Sealed: []byte("t"), Deleted: true}}, nil)
	// A tombstone deleted again adds an entry and frees nothing.
	mustPutDocs(t, s, "alice", []meta.DocWrite{{Doctype: notes, ID: "e", IfRev: 2, Sealed: []byte("t"), Deleted: true}}, []outcome{{err: meta.ErrQuota}})
	_, err = s.PutDoctype(ctx, "alice", contacts)
	wantErr(t, "PutDoctype over the quota", err, meta.ErrQuota)
	_, err = s.PutDoctype(ctx, "alice", notes) // registered: nothing added
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteBlobRow(ctx, "alice", notes, "f2", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteApp(ctx, "alice", "tasks"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: used() + 600, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlobRow(ctx, "alice", blobRow(notes, "f3", false, 600-meta.EntryBytes, 2)); err != nil {
		t.Fatal(err)
	}
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// testQuotaDocs checks that a write past the document limit is told apart
// from one past the byte limit (ErrQuotaDocs, which is also ErrQuota).
func testQuotaDocs(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: 100000, Docs: 1}); err != nil {
		t.Fatal(err)
	}
	mustPutDocs(t, s, "alice", []meta.DocWrite{write(notes, "a", 0, false), write(notes, "b", 0, false)},
		[]outcome{{rev: 1, seq: 1}, {err: meta.ErrQuotaDocs}})
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: 10, Docs: 5}); err != nil {
		t.Fatal(err)
	}
	res, err := s.PutDocs(ctx, "alice", []meta.DocWrite{write(notes, "b", 0, false)})
	if err != nil || !isErr(res[0].Err, meta.ErrQuota) || isErr(res[0].Err, meta.ErrQuotaDocs) {
		t.Fatalf("a write past the byte limit: %v %+v, want ErrQuota alone", err, res)
	}
}

// testMaxDoctypes checks that one account registers at most MaxDoctypes
// doctypes (ErrTooMany after), while another account is not held back,
// and that registering one again adds nothing.
func testMaxDoctypes(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateAccount(t, s, "bob")
	for i := range meta.MaxDoctypes {
		if created, err := s.PutDoctype(ctx, "alice", fmt.Sprintf("io.example.d%04d", i)); err != nil || !created {
			t.Fatalf("doctype %d: %v %v", i, created, err)
		}
	}
	_, err := s.PutDoctype(ctx, "alice", "io.example.more")
	wantErr(t, "PutDoctype past MaxDoctypes", err, meta.ErrTooMany)
	if created, err := s.PutDoctype(ctx, "alice", "io.example.d0000"); err != nil || created {
		t.Fatalf("registering a doctype again: %v %v", created, err)
	}
	mustDoctype(t, s, "bob", notes)
	list, err := s.Doctypes(ctx, "alice")
	if err != nil || len(list) != meta.MaxDoctypes {
		t.Fatalf("alice lists %d doctypes (%v), want %d", len(list), err, meta.MaxDoctypes)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: meta.MaxDoctypes * meta.DoctypeBytes})
}

// testQuotaConcurrent sends many writes at once to an account with room
// for a few: exactly that many pass, whatever the interleaving.
func testQuotaConcurrent(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	const room, tries = 7, 40
	const each = 1000 - meta.EntryBytes // with its feed entry, a document takes 1000
	body := bytes.Repeat([]byte{'x'}, each)
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: room*1000 + meta.DoctypeBytes, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			res, err := s.PutDocs(ctx, "alice", []meta.DocWrite{{Doctype: notes, ID: fmt.Sprintf("d%d", i), Sealed: body}})
			switch {
			case err != nil:
				t.Error(err)
			case res[0].Err == nil:
				ok.Add(1)
			case isErr(res[0].Err, meta.ErrQuota):
				refused.Add(1)
			default:
				t.Error(res[0].Err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != room || refused.Load() != tries-room {
		t.Fatalf("%d documents stored and %d refused, want %d and %d", ok.Load(), refused.Load(), room, tries-room)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: room*1000 + meta.DoctypeBytes, Docs: room})

	// Blob rows, from an account with room for a few more.
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: (room+room)*1000 + meta.DoctypeBytes, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	ok.Store(0)
	for i := range tries {
		wg.Go(func() {
			err := s.PutBlobRow(ctx, "alice", blobRow(notes, fmt.Sprintf("b%d", i), i%2 == 0, each, byte(i)))
			switch {
			case err == nil:
				ok.Add(1)
			case !isErr(err, meta.ErrQuota):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != room {
		t.Fatalf("%d blob rows stored, want %d", ok.Load(), room)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 2*room*1000 + meta.DoctypeBytes, Docs: room})
}

// testInvites checks one-time invitations: unknown, used and expired ones
// create nothing; a taken name leaves the invitation usable.
func testInvites(t *testing.T, s meta.Store) {
	inv := &meta.Invite{Hash: [32]byte{1}, Created: t0, Expires: t0.Add(7 * 24 * time.Hour)}
	if err := s.PutInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "PutInvite again", s.PutInvite(ctx, inv), meta.ErrExists)
	mustCreateAccount(t, s, "bob")

	a := account("alice")
	a.Created = t0.Add(time.Hour)
	wantErr(t, "unknown invitation", s.CreateInvitedAccount(ctx, a, []byte("kr"), []byte("rk"), [32]byte{2}), meta.ErrInvite)
	if _, err := s.Account(ctx, "alice"); err == nil {
		t.Fatal("an account was created with an unknown invitation")
	}
	taken := account("bob")
	taken.Created = a.Created
	wantErr(t, "taken name", s.CreateInvitedAccount(ctx, taken, []byte("kr"), []byte("rk"), inv.Hash), meta.ErrExists)
	if err := s.CreateInvitedAccount(ctx, a, []byte("kr-alice"), []byte("rk-alice"), inv.Hash); err != nil {
		t.Fatalf("CreateInvitedAccount after a taken name: %v", err)
	}
	checkKeyring(t, s, "alice", 1, "kr-alice", "rk-alice")
	if _, err := s.Quota(ctx, "alice"); err != nil {
		t.Fatalf("an invited account has no quota: %v", err)
	}
	c := account("carol")
	c.Created = a.Created
	wantErr(t, "used invitation", s.CreateInvitedAccount(ctx, c, nil, nil, inv.Hash), meta.ErrInvite)

	// Expiry: usable until Expires, not at it; PutInvite forgets expired ones.
	old := &meta.Invite{Hash: [32]byte{3}, Created: t0, Expires: t0.Add(time.Hour)}
	if err := s.PutInvite(ctx, old); err != nil {
		t.Fatal(err)
	}
	c.Created = old.Expires
	wantErr(t, "expired invitation", s.CreateInvitedAccount(ctx, c, nil, nil, old.Hash), meta.ErrInvite)
	if err := s.PutInvite(ctx, &meta.Invite{Hash: [32]byte{4}, Created: old.Expires, Expires: old.Expires.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c.Created = old.Expires.Add(-time.Second)
	wantErr(t, "invitation expired when another was made", s.CreateInvitedAccount(ctx, c, nil, nil, old.Hash), meta.ErrInvite)
	if _, err := s.Account(ctx, "carol"); err == nil {
		t.Fatal("an account was created with an expired invitation")
	}
	if err := s.CreateInvitedAccount(ctx, c, nil, nil, [32]byte{4}); err != nil {
		t.Fatal(err)
	}
}

// testInvitesConcurrent signs up many names with one invitation at once:
// exactly one account is made.
func testInvitesConcurrent(t *testing.T, s meta.Store) {
	inv := &meta.Invite{Hash: [32]byte{9}, Created: t0, Expires: t0.Add(time.Hour)}
	if err := s.PutInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := account(fmt.Sprintf("user%d", i))
			err := s.CreateInvitedAccount(ctx, a, nil, nil, inv.Hash)
			switch {
			case err == nil:
				ok.Add(1)
			case !isErr(err, meta.ErrInvite):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d accounts made with one invitation, want 1", ok.Load())
	}
}

// testQuotaGrants checks that grants count in the usage (§8.1.10): their
// bytes from PutGrant to DeleteGrant, to the deletion of their token, or
// of the session their token was bound to; and that a grant growing the
// account past its limit is ErrQuota and stores nothing, while one of the
// same size passes at the limit.
func testQuotaGrants(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustCreateTokens(t, s, token("alice", "sess", meta.KindSession, 0), token("alice", "dev1", meta.KindDevice, 1),
		token("alice", "dev2", meta.KindDevice, 2), bound("alice", "app1", "sess", 3))
	put := func(id string, ifRev uint64, n int) error {
		_, err := s.PutGrant(ctx, "alice", id, ifRev, bytes.Repeat([]byte{'g'}, n))
		return err
	}
	for id, n := range map[string]int{"dev1": 300, "app1": 200} {
		if err := put(id, 0, n); err != nil {
			t.Fatal(err)
		}
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 500})
	if err := put("dev1", 1, 100); err != nil { // replaced by a smaller one
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 300})
	if err := s.SetLimits(ctx, "alice", meta.Limits{Bytes: 400, Docs: meta.DefaultLimit}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "PutGrant over the quota", put("dev2", 0, 101), meta.ErrQuota)
	if _, _, err := s.Grant(ctx, "alice", "dev2"); !isErr(err, meta.ErrNotFound) {
		t.Fatalf("a grant refused for the quota: %v, want ErrNotFound", err)
	}
	if err := put("dev2", 0, 100); err != nil { // exactly full
		t.Fatal(err)
	}
	if err := put("dev1", 2, 100); err != nil { // the same size, at the limit
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 400})
	if err := s.DeleteGrant(ctx, "alice", "dev2"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 300})
	if err := s.DeleteToken(ctx, "alice", "dev1"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{Bytes: 200})
	if err := s.DeleteToken(ctx, "alice", "sess"); err != nil { // app1 ends with it
		t.Fatal(err)
	}
	wantUsage(t, s, "alice", meta.Usage{})
}
