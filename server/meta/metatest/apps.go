package metatest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// app returns a test app of slug at version, its archive's digest d.
func app(slug, version string, d byte, installed time.Time) *meta.App {
	return &meta.App{
		Slug:      slug,
		Version:   version,
		Manifest:  []byte(`{"slug":"` + slug + `","version":"` + version + `"}`),
		Digest:    [32]byte{0xa, d},
		Size:      1000 + int64(d),
		Installed: installed,
		Updated:   installed,
	}
}

// sameApp fails t unless got is want, times compared with Equal.
func sameApp(t *testing.T, what string, got, want *meta.App) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Fatalf("%s = %+v, want %+v", what, got, want)
		}
		return
	}
	g, w := *got, *want
	if !g.Installed.Equal(w.Installed) || !g.Updated.Equal(w.Updated) {
		t.Fatalf("%s times = %v, %v; want %v, %v", what, g.Installed, g.Updated, w.Installed, w.Updated)
	}
	g.Installed, g.Updated = w.Installed, w.Updated
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %+v, want %+v", what, g, w)
	}
}

func mustPutApp(t *testing.T, s meta.Store, user string, a *meta.App, onlyNew bool, replaced *meta.App) {
	t.Helper()
	got, err := s.PutApp(ctx, user, a, onlyNew)
	wantErr(t, "PutApp("+user+", "+a.Slug+")", err, nil)
	sameApp(t, "PutApp("+user+", "+a.Slug+") replaced", got, replaced)
}

func wantApp(t *testing.T, s meta.Store, user string, want *meta.App) {
	t.Helper()
	got, err := s.App(ctx, user, want.Slug)
	wantErr(t, "App("+user+", "+want.Slug+")", err, nil)
	sameApp(t, "App("+user+", "+want.Slug+")", got, want)
}

func wantApps(t *testing.T, s meta.Store, user string, want ...*meta.App) {
	t.Helper()
	got, err := s.ListApps(ctx, user)
	wantErr(t, "ListApps("+user+")", err, nil)
	if got == nil {
		t.Fatalf("ListApps(%s) = nil, want an empty slice", user)
	}
	if len(got) != len(want) {
		t.Fatalf("ListApps(%s) = %d apps, want %d", user, len(got), len(want))
	}
	for i := range want {
		sameApp(t, "ListApps("+user+")["+want[i].Slug+"]", got[i], want[i])
	}
}

func wantDigestInUse(t *testing.T, s meta.Store, d [32]byte, want bool) {
	t.Helper()
	if got, err := s.DigestInUse(ctx, d); err != nil || got != want {
		t.Fatalf("DigestInUse(%x) = %v %v, want %v", d[:2], got, err, want)
	}
}

func mustDeleteApp(t *testing.T, s meta.Store, user, slug string, inUse bool) {
	t.Helper()
	got, err := s.DeleteApp(ctx, user, slug)
	if err != nil || got != inUse {
		t.Fatalf("DeleteApp(%s, %s) = %v %v, want %v", user, slug, got, err, inUse)
	}
}

// testApps: installs, updates, listings and uninstalls, per account, and
// the digests apps name.
func testApps(t *testing.T, s meta.Store) {
	notes1 := app("notes", "1.0.0", 1, t0)
	_, err := s.PutApp(ctx, "alice", notes1, false)
	wantErr(t, "PutApp without account", err, meta.ErrNotFound)
	_, err = s.PutApp(ctx, "alice", notes1, true)
	wantErr(t, "PutApp onlyNew without account", err, meta.ErrNotFound)
	_, err = s.App(ctx, "alice", "notes")
	wantErr(t, "App without account", err, meta.ErrNotFound)
	_, err = s.DeleteApp(ctx, "alice", "notes")
	wantErr(t, "DeleteApp without account", err, meta.ErrNotFound)
	wantApps(t, s, "alice")
	mustCreateAccount(t, s, "alice")
	wantApps(t, s, "alice")

	_, err = s.App(ctx, "alice", "notes")
	wantErr(t, "App before install", err, meta.ErrNotFound)
	_, err = s.DeleteApp(ctx, "alice", "notes")
	wantErr(t, "DeleteApp before install", err, meta.ErrNotFound)
	wantDigestInUse(t, s, notes1.Digest, false)

	// Install.
	mustPutApp(t, s, "alice", notes1, true, nil)
	if !notes1.Installed.Equal(t0) {
		t.Fatalf("PutApp of a new app moved Installed to %v", notes1.Installed)
	}
	wantApp(t, s, "alice", notes1)
	wantApps(t, s, "alice", notes1)
	wantDigestInUse(t, s, notes1.Digest, true)

	// onlyNew with an installed slug changes nothing.
	notes2 := app("notes", "2.0.0", 2, t0.Add(time.Hour))
	_, err = s.PutApp(ctx, "alice", notes2, true)
	wantErr(t, "PutApp onlyNew of an installed slug", err, meta.ErrExists)
	if !notes2.Installed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("refused PutApp moved Installed to %v", notes2.Installed)
	}
	wantApp(t, s, "alice", notes1)
	wantDigestInUse(t, s, notes2.Digest, false)

	// An update keeps the first Installed time, sets a.Installed to it and
	// returns the row it replaced, whose digest nothing names any more.
	mustPutApp(t, s, "alice", notes2, false, notes1)
	if !notes2.Installed.Equal(t0) {
		t.Fatalf("PutApp update: a.Installed = %v, want the first install %v", notes2.Installed, t0)
	}
	want2 := *notes2
	want2.Installed, want2.Updated = t0, t0.Add(time.Hour)
	wantApp(t, s, "alice", &want2)
	wantDigestInUse(t, s, notes1.Digest, false)
	wantDigestInUse(t, s, notes2.Digest, true)

	// An update to the same archive keeps naming its digest.
	same := app("notes", "2.0.0", 2, t0.Add(2*time.Hour))
	mustPutApp(t, s, "alice", same, false, &want2)
	wantDigestInUse(t, s, notes2.Digest, true)
	want2.Updated = t0.Add(2 * time.Hour)
	wantApp(t, s, "alice", &want2)

	// Listings are by slug, in byte order.
	zed := app("zed", "0.1", 3, t0.Add(time.Minute))
	cal := app("calendar", "3", 4, t0.Add(time.Second))
	upper := app("Z", "1", 5, t0)
	for _, a := range []*meta.App{zed, cal, upper} {
		mustPutApp(t, s, "alice", a, false, nil)
	}
	wantApps(t, s, "alice", upper, cal, &want2, zed)

	// Neither the bytes handed in nor those handed out are shared.
	in := app("bytes", "1", 6, t0)
	want := *in
	want.Manifest = append([]byte(nil), in.Manifest...)
	mustPutApp(t, s, "alice", in, false, nil)
	in.Manifest[0] = 'X'
	out, err := s.App(ctx, "alice", "bytes")
	wantErr(t, "App", err, nil)
	out.Manifest[0] = 'Y'
	list, _ := s.ListApps(ctx, "alice")
	for _, a := range list {
		a.Manifest[0] = 'Z'
	}
	wantApp(t, s, "alice", &want)
	replaced, err := s.PutApp(ctx, "alice", app("bytes", "2", 6, t0), false)
	wantErr(t, "PutApp", err, nil)
	replaced.Manifest[0] = 'W'
	mustDeleteApp(t, s, "alice", "bytes", false)

	// Uninstall: once.
	mustDeleteApp(t, s, "alice", "zed", false)
	_, err = s.App(ctx, "alice", "zed")
	wantErr(t, "App after DeleteApp", err, meta.ErrNotFound)
	_, err = s.DeleteApp(ctx, "alice", "zed")
	wantErr(t, "DeleteApp twice", err, meta.ErrNotFound)
	wantDigestInUse(t, s, zed.Digest, false)
	wantApps(t, s, "alice", upper, cal, &want2)

	// After an uninstall the slug is new again, Installed included.
	zed2 := app("zed", "0.2", 7, t0.Add(3*time.Hour))
	mustPutApp(t, s, "alice", zed2, true, nil)
	if !zed2.Installed.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("reinstall: a.Installed = %v, want its own", zed2.Installed)
	}
	wantApp(t, s, "alice", zed2)
}

// testAppIsolation: two accounts may install the same slug, each its own;
// a digest stays in use while any app, of any account, or any live blob
// row names it.
func testAppIsolation(t *testing.T, s meta.Store) {
	for _, u := range []string{"alice", "bob"} {
		mustCreateAccount(t, s, u)
	}
	aliceNotes := app("notes", "1", 1, t0)
	bobNotes := app("notes", "2", 2, t0.Add(time.Hour))
	mustPutApp(t, s, "alice", aliceNotes, true, nil)
	wantApps(t, s, "bob")
	_, err := s.App(ctx, "bob", "notes")
	wantErr(t, "App of another account", err, meta.ErrNotFound)
	_, err = s.DeleteApp(ctx, "bob", "notes")
	wantErr(t, "DeleteApp of another account", err, meta.ErrNotFound)

	// bob's install of the same slug is new, and keeps its own times.
	mustPutApp(t, s, "bob", bobNotes, true, nil)
	if !bobNotes.Installed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("bob's PutApp took Installed %v from another account", bobNotes.Installed)
	}
	wantApp(t, s, "alice", aliceNotes)
	wantApp(t, s, "bob", bobNotes)
	mustDeleteApp(t, s, "bob", "notes", false)
	wantApp(t, s, "alice", aliceNotes)
	wantDigestInUse(t, s, aliceNotes.Digest, true)
	wantDigestInUse(t, s, bobNotes.Digest, false)

	// The same archive in both accounts: the digest is in use until the
	// last app naming it goes.
	shared := aliceNotes.Digest
	bobSame := app("notes", "1", 1, t0.Add(time.Hour))
	mustPutApp(t, s, "bob", bobSame, false, nil)
	mustDeleteApp(t, s, "alice", "notes", true)
	wantDigestInUse(t, s, shared, true)
	wantApps(t, s, "alice")
	wantApps(t, s, "bob", bobSame)
	mustDeleteApp(t, s, "bob", "notes", false)
	wantDigestInUse(t, s, shared, false)

	// Replacing one account's app does not free a digest another names.
	mustPutApp(t, s, "alice", app("a", "1", 3, t0), false, nil)
	mustPutApp(t, s, "bob", app("b", "1", 3, t0), false, nil)
	mustPutApp(t, s, "alice", app("a", "2", 4, t0), false, app("a", "1", 3, t0))
	wantDigestInUse(t, s, app("", "", 3, t0).Digest, true)

	// Apps and blob rows count alike: each keeps a digest in use for the
	// other.
	d := app("", "", 5, t0).Digest
	row := &meta.BlobRow{Doctype: notes, ID: "x", Size: 5, Digest: d, Created: t0}
	wantErr(t, "PutBlobRow", s.PutBlobRow(ctx, "bob", row), nil)
	mustPutApp(t, s, "alice", app("c", "1", 5, t0), false, nil)
	mustDeleteApp(t, s, "alice", "c", true)
	wantDigestInUse(t, s, d, true)
	mustPutApp(t, s, "alice", app("c", "1", 5, t0), false, nil)
	if inUse, err := s.DeleteBlobRow(ctx, "bob", notes, "x", false); err != nil || !inUse {
		t.Fatalf("DeleteBlobRow with an app naming the digest = %v %v, want true", inUse, err)
	}
	wantDigestInUse(t, s, d, true)
	mustDeleteApp(t, s, "alice", "c", false)
	wantDigestInUse(t, s, d, false)
}
