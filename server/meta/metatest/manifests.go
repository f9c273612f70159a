package metatest

import (
	"bytes"
	"crypto/rand"
	"reflect"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/server/meta"
)

// wantManifest fails t unless user's manifest of doctype is at rev with
// the given bytes.
func wantManifest(t *testing.T, s meta.Store, user, doctype string, rev uint64, sealed []byte) {
	t.Helper()
	got, b, err := s.Manifest(ctx, user, doctype)
	if err != nil || got != rev || !bytes.Equal(b, sealed) {
		t.Fatalf("Manifest(%s, %s) = %d, %d bytes, %v; want %d, %d bytes", user, doctype, got, len(b), err, rev, len(sealed))
	}
}

func mustPutManifest(t *testing.T, s meta.Store, user, doctype string, ifRev uint64, sealed []byte) {
	t.Helper()
	rev, err := s.PutManifest(ctx, user, doctype, ifRev, sealed)
	if err != nil || rev != ifRev+1 {
		t.Fatalf("PutManifest(%s, %s, %d) = %d %v, want %d", user, doctype, ifRev, rev, err, ifRev+1)
	}
}

func testManifests(t *testing.T, s meta.Store) {
	_, err := s.PutManifest(ctx, "alice", notes, 0, []byte("m"))
	wantErr(t, "PutManifest without account", err, meta.ErrNotFound)
	_, _, err = s.Manifest(ctx, "alice", notes)
	wantErr(t, "Manifest without account", err, meta.ErrNotFound)
	mustCreateAccount(t, s, "alice")

	// Only registered doctypes hold a manifest.
	_, err = s.PutManifest(ctx, "alice", notes, 0, []byte("m"))
	wantErr(t, "PutManifest, doctype not registered", err, meta.ErrUnknownDoctype)
	_, err = s.PutManifest(ctx, "alice", notes, 1, []byte("m"))
	wantErr(t, "PutManifest If-Match, doctype not registered", err, meta.ErrUnknownDoctype)
	mustDoctype(t, s, "alice", notes, contacts)

	// None until the first write; an update of none is ErrNotFound.
	_, _, err = s.Manifest(ctx, "alice", notes)
	wantErr(t, "Manifest before the first write", err, meta.ErrNotFound)
	_, err = s.PutManifest(ctx, "alice", notes, 1, []byte("m"))
	wantErr(t, "PutManifest update before create", err, meta.ErrNotFound)

	// Create, then create again.
	mustPutManifest(t, s, "alice", notes, 0, []byte("manifest 1"))
	wantManifest(t, s, "alice", notes, 1, []byte("manifest 1"))
	_, err = s.PutManifest(ctx, "alice", notes, 0, []byte("other 1"))
	wantErr(t, "PutManifest create twice", err, meta.ErrExists)
	wantManifest(t, s, "alice", notes, 1, []byte("manifest 1"))

	// Updates: the current revision only.
	mustPutManifest(t, s, "alice", notes, 1, []byte("manifest 2"))
	for _, stale := range []uint64{1, 3, 99} {
		_, err = s.PutManifest(ctx, "alice", notes, stale, []byte("stale"))
		wantErr(t, "PutManifest at another revision", err, meta.ErrConflict)
	}
	mustPutManifest(t, s, "alice", notes, 2, []byte("manifest 3"))
	wantManifest(t, s, "alice", notes, 3, []byte("manifest 3"))

	// Each doctype has its own.
	_, _, err = s.Manifest(ctx, "alice", contacts)
	wantErr(t, "Manifest of another doctype", err, meta.ErrNotFound)
	mustPutManifest(t, s, "alice", contacts, 0, []byte("contacts 1"))
	wantManifest(t, s, "alice", contacts, 1, []byte("contacts 1"))
	wantManifest(t, s, "alice", notes, 3, []byte("manifest 3"))

	// Neither the bytes handed in nor those handed out are shared.
	in := []byte("manifest 4")
	mustPutManifest(t, s, "alice", notes, 3, in)
	in[0] = 'X'
	_, out, _ := s.Manifest(ctx, "alice", notes)
	out[0] = 'Y'
	wantManifest(t, s, "alice", notes, 4, []byte("manifest 4"))

	// A manifest is neither a document nor a blob: the doctype's counts
	// leave it out (§8.4).
	got, err := s.Doctypes(ctx, "alice")
	want := []meta.DoctypeInfo{{Name: contacts}, {Name: notes}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Doctypes = %+v %v, want %+v", got, err, want)
	}
}

// testManifestIsolation: accounts do not see or touch each other's
// manifests, and registration is per account.
func testManifestIsolation(t *testing.T, s meta.Store) {
	for _, u := range []string{"alice", "bob"} {
		mustCreateAccount(t, s, u)
	}
	mustDoctype(t, s, "alice", notes, contacts)
	mustDoctype(t, s, "bob", notes)
	mustPutManifest(t, s, "alice", notes, 0, []byte("alice 1"))
	mustPutManifest(t, s, "alice", notes, 1, []byte("alice 2"))
	mustPutManifest(t, s, "alice", contacts, 0, []byte("alice contacts"))

	_, _, err := s.Manifest(ctx, "bob", notes)
	wantErr(t, "Manifest of another account", err, meta.ErrNotFound)
	_, _, err = s.Manifest(ctx, "bob", contacts)
	wantErr(t, "Manifest, doctype of another account", err, meta.ErrNotFound)
	_, err = s.PutManifest(ctx, "bob", notes, 2, []byte("bob"))
	wantErr(t, "PutManifest at another account's revision", err, meta.ErrNotFound)
	_, err = s.PutManifest(ctx, "bob", contacts, 0, []byte("bob"))
	wantErr(t, "PutManifest, doctype of another account", err, meta.ErrUnknownDoctype)

	mustPutManifest(t, s, "bob", notes, 0, []byte("bob 1"))
	wantManifest(t, s, "bob", notes, 1, []byte("bob 1"))
	wantManifest(t, s, "alice", notes, 2, []byte("alice 2"))
	mustPutManifest(t, s, "alice", notes, 2, []byte("alice 3"))
	wantManifest(t, s, "bob", notes, 1, []byte("bob 1"))
	_, _, err = s.Manifest(ctx, "nobody", notes)
	wantErr(t, "Manifest of an unknown user", err, meta.ErrNotFound)
}

// testManifestLarge: a manifest of the protocol's size limit (1 MiB)
// round-trips byte for byte, and so does its replacement.
func testManifestLarge(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	for rev := uint64(0); rev < 2; rev++ {
		big := make([]byte, 1<<20)
		rand.Read(big)
		mustPutManifest(t, s, "alice", notes, rev, big)
		wantManifest(t, s, "alice", notes, rev+1, big)
	}
	mustPutManifest(t, s, "alice", notes, 2, []byte("small again"))
	wantManifest(t, s, "alice", notes, 3, []byte("small again"))
}

// testManifestConcurrent: of concurrent writers at the same revision,
// exactly one wins; the others get ErrExists (creates) or ErrConflict.
func testManifestConcurrent(t *testing.T, s meta.Store) {
	mustCreateAccount(t, s, "alice")
	mustDoctype(t, s, "alice", notes)
	for _, ifRev := range []uint64{0, 1} {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = s.PutManifest(ctx, "alice", notes, ifRev, []byte{byte(i)}) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case ifRev == 0:
				wantErr(t, "concurrent create", err, meta.ErrExists)
			default:
				wantErr(t, "concurrent update", err, meta.ErrConflict)
			}
		}
		if wins != 1 {
			t.Fatalf("%d concurrent writers at revision %d succeeded, want 1", wins, ifRev)
		}
		if rev, _, err := s.Manifest(ctx, "alice", notes); err != nil || rev != ifRev+1 {
			t.Fatalf("Manifest after concurrent writes = %d %v, want %d", rev, err, ifRev+1)
		}
	}
}
