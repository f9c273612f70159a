//go:build hearthtest

package client_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

func upTo(t *testing.T, c *client.Client, parent, name string, data []byte) string {
	t.Helper()
	id, err := c.UploadTo(ctx, parent, bytes.NewReader(data), int64(len(data)), name, "text/plain", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mkdir(t *testing.T, c *client.Client, parent, name string) string {
	t.Helper()
	id, err := c.Mkdir(ctx, parent, name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func files(t *testing.T, c *client.Client) *client.Tree {
	t.Helper()
	tr, err := c.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func names(items []*client.FileItem) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Name)
	}
	return strings.Join(s, ",")
}

func blobCount(t *testing.T, e *env, c *client.Client) int {
	t.Helper()
	res, b := rawCall(t, e, "GET", "/v1/blobs/"+client.FilesDoctype, c.State().Token, nil, nil)
	var ans struct {
		Blobs []json.RawMessage `json:"blobs"`
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &ans) != nil {
		t.Fatalf("listing blobs: %s %s", res.Status, b)
	}
	return len(ans.Blobs)
}

func TestFilesTree(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("a long test passphrase")
	trips := mkdir(t, c, "", "Trips")
	y24 := mkdir(t, c, trips, "2024")
	a := upTo(t, c, y24, "a.txt", []byte("hello"))
	notes := upTo(t, c, "", "notes.txt", []byte("0123456789"))
	if _, err := c.Mkdir(ctx, "", "Trips"); !errors.Is(err, client.ErrNameTaken) {
		t.Fatalf("a second Trips: %v", err)
	}
	if _, err := c.Mkdir(ctx, "", "a/b"); !errors.Is(err, client.ErrBadName) {
		t.Fatalf("a name with a slash: %v", err)
	}
	if _, err := c.Mkdir(ctx, notes, "x"); !errors.Is(err, client.ErrNotFolder) {
		t.Fatalf("a folder in a file: %v", err)
	}
	// Another device sees the same tree.
	c2 := login(t, e, user)
	tr := files(t, c2)
	if got := names(tr.Children("")); got != "Trips,notes.txt" {
		t.Fatalf("root: %s", got)
	}
	if tr.Item(trips).Length != 5 || tr.Item(y24).Length != 5 || tr.Item(notes).Length != 10 {
		t.Fatalf("sizes %d %d %d", tr.Item(trips).Length, tr.Item(y24).Length, tr.Item(notes).Length)
	}
	if p := tr.Path(a); p != "Trips/2024/a.txt" {
		t.Fatalf("path %q", p)
	}
	if l := tr.Lookup("Trips/2024/a.txt"); len(l) != 1 || l[0].ID != a {
		t.Fatalf("lookup %v", l)
	}
	// Rename, move, and the moves refused.
	if err := c.Rename(ctx, a, "b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(ctx, notes, "Trips"); !errors.Is(err, client.ErrNameTaken) {
		t.Fatalf("rename onto Trips: %v", err)
	}
	if err := c.Move(ctx, []string{trips}, y24); !errors.Is(err, client.ErrMoveIntoItself) {
		t.Fatalf("Trips into Trips/2024: %v", err)
	}
	if err := c.Move(ctx, []string{trips}, trips); !errors.Is(err, client.ErrMoveIntoItself) {
		t.Fatalf("Trips into itself: %v", err)
	}
	if err := c.Move(ctx, []string{y24, notes}, ""); err != nil {
		t.Fatal(err)
	}
	tr = files(t, c2)
	if got := names(tr.Children("")); got != "2024,Trips,notes.txt" {
		t.Fatalf("root after the move: %s", got)
	}
	if tr.Item(trips).Length != 0 || tr.Path(a) != "2024/b.txt" {
		t.Fatalf("after the move: %d %q", tr.Item(trips).Length, tr.Path(a))
	}
	// The downloaded name is the document's.
	var out bytes.Buffer
	info, err := c2.DownloadProgress(ctx, a, &out, nil)
	if err != nil || info.Name != "b.txt" || out.String() != "hello" {
		t.Fatalf("%+v %q %v", info, out.String(), err)
	}
}

func TestFilesTrash(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	f := mkdir(t, c, "", "F")
	sub := mkdir(t, c, f, "sub")
	x := upTo(t, c, sub, "x", []byte("xx"))
	y := upTo(t, c, "", "y", []byte("yyy"))
	upTo(t, c, "", "y", []byte("yyyy")) // a version of y
	blobs := blobCount(t, e, c)
	if err := c.Trash(ctx, []string{f, y}); err != nil {
		t.Fatal(err)
	}
	tr := files(t, c)
	if got := names(tr.Children("")); got != "" {
		t.Fatalf("root after trashing: %q", got)
	}
	if got := names(tr.Trash()); got != "F,y" {
		t.Fatalf("trash: %q", got)
	}
	if !tr.Item(x).InTrash || !tr.Item(x).Trashed.IsZero() || tr.Item(f).Length != 2 {
		t.Fatalf("x in the trash with its folder: %+v, F %d", tr.Item(x), tr.Item(f).Length)
	}
	// Restoring the folder alone brings back what it holds; restoring an
	// item of a folder in the trash brings it to a folder of that name
	// made again where that one was; then the folder, restored, takes
	// another name beside it.
	if err := c.Restore(ctx, []string{sub}); err != nil {
		t.Fatal(err)
	}
	tr = files(t, c)
	remade := tr.Item(tr.Item(sub).Parent)
	if got := names(tr.Children("")); got != "F" || tr.Item(x).InTrash || remade == nil || remade.ID == f || tr.Path(x) != "F/sub/x" {
		t.Fatalf("root after restoring sub: %q, x at %q", got, tr.Path(x))
	}
	if err := c.Restore(ctx, []string{f}); err != nil {
		t.Fatal(err)
	}
	if got := names(files(t, c).Children("")); got != "F,F (2)" {
		t.Fatalf("root after restoring F: %q", got)
	}
	// Emptying deletes y, its version, and their blobs; x stays.
	if err := c.EmptyTrash(ctx); err != nil {
		t.Fatal(err)
	}
	tr = files(t, c)
	if tr.Item(y) != nil || tr.Item(x) == nil || len(tr.Trash()) != 0 {
		t.Fatal("after emptying the trash")
	}
	if n := blobCount(t, e, c); n != blobs-2 {
		t.Fatalf("%d blobs, want %d", n, blobs-2)
	}
	// DeleteFile on a folder deletes it all.
	if err := c.DeleteFile(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if tr := files(t, c); tr.Len() != 2 || blobCount(t, e, c) != blobs-3 {
		t.Fatalf("after deleting sub: %d items", tr.Len())
	}
}

func TestFilesVersions(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	if err := c.SetVersionsKept(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.SetVersionsKept(ctx, 101); err == nil {
		t.Fatal("101 versions accepted")
	}
	id := upTo(t, c, "", "doc.txt", []byte("v1"))
	for _, v := range []string{"v2", "v3", "v4"} {
		if got := upTo(t, c, "", "doc.txt", []byte(v)); got != id {
			t.Fatalf("a new version made a new file %s", got)
		}
	}
	vs, err := c.Versions(ctx, id)
	if err != nil || len(vs) != 2 || vs[0].Length != 2 {
		t.Fatalf("%+v %v", vs, err)
	}
	if n := blobCount(t, e, c); n != 3 {
		t.Fatalf("%d blobs: the dropped version's was kept", n)
	}
	if err := c.RestoreVersion(ctx, id, 1); err != nil { // v2
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.Download(ctx, id, &out); err != nil || out.String() != "v2" {
		t.Fatalf("%q %v", out.String(), err)
	}
	if tr := files(t, c); tr.VersionsKept != 2 || len(tr.Item(id).Versions) != 2 || tr.Len() != 1 {
		t.Fatalf("%+v", tr.Item(id))
	}
	if err := c.RestoreVersion(ctx, id, 5); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
}

// TestFilesConflict: two devices change one item at once; the write that
// comes second meets a conflict, reads again and applies its change to
// what the first wrote.
func TestFilesConflict(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("a long test passphrase")
	id := upTo(t, c, "", "a", []byte("a"))
	c2 := login(t, e, user)
	// Between c's listing and c's write, c2 renames the file.
	var armed, conflicts atomic.Int32
	armed.Store(1)
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "PUT" || !strings.HasPrefix(r.URL.Path, "/v1/docs/") || r.Header.Get("Authorization") != "Bearer "+c.State().Token {
			return false
		}
		if armed.CompareAndSwap(1, 0) {
			if err := c2.Rename(ctx, id, "b"); err != nil {
				t.Error(err)
			}
		}
		rec := capture(next, r)
		if rec.Code == http.StatusPreconditionFailed {
			conflicts.Add(1)
		}
		replay(w, rec, rec.Body.Bytes())
		return true
	})
	if err := c.Trash(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}
	e.tamper(nil)
	if conflicts.Load() != 1 {
		t.Fatalf("%d conflicts", conflicts.Load())
	}
	if it := files(t, c2).Item(id); it.Name != "b" || it.Trashed.IsZero() {
		t.Fatalf("%+v", it)
	}
	// A race: both rename from the same revision, many times.
	done := make(chan error, 2)
	for i, cl := range []*client.Client{c, c2} {
		go func() {
			var err error
			for j := range 5 {
				if err = cl.Rename(ctx, id, fmt.Sprintf("n%d-%d", i, j)); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if it := files(t, c).Item(id); !strings.HasPrefix(it.Name, "n") || it.Trashed.IsZero() {
		t.Fatalf("after the race: %+v", it)
	}
}

// login signs user in on another device, caught up.
func login(t *testing.T, e *env, user string) *client.Client {
	t.Helper()
	c2, err := client.Login(ctx, e.url, user, "a long test passphrase", "", opts)
	if err == nil {
		err = c2.CatchUp(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c2
}

// TestFilesHostileTree: documents that name each other as parents (as a
// hostile app with write access could write them) still list, each once.
func TestFilesHostileTree(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	a := mkdir(t, c, "", "a")
	b := mkdir(t, c, a, "b")
	put := func(id, content string) {
		if _, err := c.Put(ctx, client.FilesDoctype, id, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	put(a, `{"kind":"folder","name":"a","parent":"`+b+`"}`)
	put("orphanorphanorphanorphan12", `{"kind":"folder","name":"o","parent":"nosuchfoldernosuchfolder12"}`)
	put("weirdweirdweirdweirdweird1", `{"kind":"folder","name":"../../etc"}`)
	put("futurefuturefuturefuture12", `{"kind":"hologram","name":"x"}`)
	tr := files(t, c)
	if tr.Len() != 3 || len(tr.Malformed) != 1 {
		t.Fatalf("%d items, %v malformed", tr.Len(), tr.Malformed)
	}
	root := names(tr.Children(""))
	if root != "a,o" && root != "b,o" {
		t.Fatalf("root %q", root)
	}
}

// TestFilesOldFormat: a file written in the format before kinds is listed
// with the name from its blob, and its document upgraded.
func TestFilesOldFormat(t *testing.T) {
	e := newEnv(t)
	c, user, _ := e.signup("a long test passphrase")
	data := make([]byte, 200<<10)
	rand.Read(data)
	id, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "old.bin", "application/x-old", time.Unix(1700000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Blob   string `json:"blob"`
		Digest []byte `json:"digest"`
		Size   int64  `json:"size"`
	}
	json.Unmarshal(d.Content, &old)
	b, _ := json.Marshal(old)
	if _, err := c.Put(ctx, client.FilesDoctype, id, b); err != nil {
		t.Fatal(err)
	}
	c2 := login(t, e, user)
	var out bytes.Buffer
	if info, err := c2.Download(ctx, id, &out); err != nil || info.Name != "old.bin" || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("old format download: %+v %v", info, err)
	}
	var ranged atomic.Int32
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Header.Get("Range") != "" {
			ranged.Add(1)
		}
		return false
	})
	it := files(t, c2).Item(id)
	e.tamper(nil)
	if it.Name != "old.bin" || it.Type != "application/x-old" || it.Length != int64(len(data)) || it.OldFormat || ranged.Load() != 1 {
		t.Fatalf("%+v, %d ranged reads", it, ranged.Load())
	}
	d, err = c.Get(ctx, client.FilesDoctype, id)
	if err != nil || !strings.Contains(string(d.Content), `"kind":"file"`) || !strings.Contains(string(d.Content), `"name":"old.bin"`) {
		t.Fatalf("not upgraded: %s %v", d.Content, err)
	}
}

func TestWriteZip(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	f := mkdir(t, c, "", "F")
	sub := mkdir(t, c, f, "sub")
	mkdir(t, c, f, "empty")
	big := make([]byte, 300<<10)
	rand.Read(big)
	upTo(t, c, sub, "big.bin", big)
	upTo(t, c, f, "a.txt", []byte("aaa"))
	gone := upTo(t, c, f, "gone.txt", []byte("trash"))
	top := upTo(t, c, "", "top.txt", []byte("top"))
	if err := c.Trash(ctx, []string{gone}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var last, total int64
	if err := c.WriteZip(ctx, []string{f, top}, &buf, func(d, tt int64) { last, total = d, tt }); err != nil {
		t.Fatal(err)
	}
	if last != total || total != int64(len(big))+6 {
		t.Fatalf("progress %d of %d", last, total)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"F/": nil, "F/sub/": nil, "F/empty/": nil, "F/sub/big.bin": big, "F/a.txt": []byte("aaa"), "top.txt": []byte("top")}
	for _, zf := range zr.File {
		w, ok := want[zf.Name]
		if !ok {
			t.Fatalf("unexpected entry %s", zf.Name)
		}
		delete(want, zf.Name)
		if zf.Method != zip.Store || (!strings.HasSuffix(zf.Name, "/") && zf.Flags&0x8 == 0) {
			t.Errorf("%s: method %d flags %x", zf.Name, zf.Method, zf.Flags)
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, w) {
			t.Fatalf("%s differs: %v", zf.Name, err)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing %v", want)
	}
	// A host that alters one file: the zip fails, and what was written is
	// no archive.
	e.tamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != "GET" || !strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			return false
		}
		rec := capture(next, r)
		body := rec.Body.Bytes()
		if len(body) > 200<<10 {
			body[len(body)-100] ^= 1
		}
		replay(w, rec, body)
		return true
	})
	buf.Reset()
	err = c.WriteZip(ctx, []string{f}, &buf, nil)
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("a zip of an altered file: %v", err)
	}
	if _, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Fatal("the failed zip reads as an archive")
	}
}

func TestUploadAll(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	dst := mkdir(t, c, "", "dst")
	mkdir(t, c, dst, "A") // exists: used
	old := upTo(t, c, "", "x", []byte("old"))
	if err := c.Move(ctx, []string{old}, dst); err != nil {
		t.Fatal(err)
	}
	src := func(p, content string) client.UploadSource {
		return client.UploadSource{Path: p, Size: int64(len(content)), Open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(content)), nil
		}}
	}
	var last, total int64
	done, err := c.UploadAll(ctx, dst, []client.UploadSource{
		{Path: "A", Folder: true}, src("A/a", "1"), src("A/B/b", "22"), {Path: "A/E", Folder: true}, src("x", "new"),
	}, func(d, tt int64) { last, total = d, tt })
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(done))
	for i, u := range done {
		ids[i] = u.ID
	}
	if last != 6 || total != 6 || ids[4] != old || !done[4].Version || done[1].Version || done[1].Unchanged {
		t.Fatalf("progress %d/%d, uploaded %+v", last, total, done)
	}
	tr := files(t, c)
	if got := names(tr.Children(dst)); got != "A,x" {
		t.Fatalf("dst: %s", got)
	}
	if got := names(tr.Children(ids[0])); got != "B,E,a" || tr.Path(ids[2]) != "dst/A/B/b" || len(tr.Item(old).Versions) != 1 {
		t.Fatalf("A: %s, %s", got, tr.Path(ids[2]))
	}
	if _, err := c.UploadAll(ctx, "", []client.UploadSource{src("a/../b", "")}, nil); !errors.Is(err, client.ErrBadName) {
		t.Fatal(err)
	}
}

// BenchmarkFiles10k: listing a tree of 10,000 files in 100 folders from a
// real server (loopback, memory stores): cold, every document read and
// opened; warm, the listing only (the documents unchanged).
func BenchmarkFiles10k(b *testing.B) {
	e := newEnv(&testing.T{})
	c, _, _ := e.signup("a long test passphrase")
	var folders []client.Item
	for i := range 100 {
		folders = append(folders, client.Item{Content: []byte(fmt.Sprintf(`{"kind":"folder","name":"folder %d"}`, i))})
	}
	res, err := c.PutMany(ctx, client.FilesDoctype, folders)
	if err != nil {
		b.Fatal(err)
	}
	var items []client.Item
	for i := range 10_000 {
		items = append(items, client.Item{Content: []byte(fmt.Sprintf(`{"kind":"file","name":"photo %d.jpg","parent":%q,"type":"image/jpeg","length":%d,"mtime":1795000000,"blob":"blob%022d","digest":"LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=","size":%d}`,
			i, res[i%100].ID, 1000+i, i, 2000+i))})
	}
	if _, err := c.PutMany(ctx, client.FilesDoctype, items); err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			fresh, err := client.Resume(c.State(), opts) // a new Client: nothing cached
			if err != nil {
				b.Fatal(err)
			}
			if t, err := fresh.Files(ctx); err != nil || t.Len() != 10_100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			if t, err := c.Files(ctx); err != nil || t.Len() != 10_100 {
				b.Fatal(err)
			}
		}
	})
}
