//go:build hearthtest

package client_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/client"
)

// fileContent reads a files document's JSON as a map.
func fileContent(t *testing.T, c *client.Client, id string) (map[string]any, uint64) {
	t.Helper()
	d, err := c.Get(ctx, client.FilesDoctype, id)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(d.Content, &m); err != nil {
		t.Fatal(err)
	}
	return m, d.Rev
}

// uploadFile uploads data as name into parent from r (nil: a bytes.Reader,
// which can be read again).
func uploadFile(t *testing.T, c *client.Client, parent, name string, data []byte, r io.Reader) client.Uploaded {
	t.Helper()
	if r == nil {
		r = bytes.NewReader(data)
	}
	u, err := c.UploadFile(ctx, parent, r, int64(len(data)), name, "text/plain", time.Unix(1795000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// onlyReader hides every method of a reader but Read (no Seek).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestUploadUnchanged: a file's document records the mac of its content
// (§6.3); an upload of the same bytes onto it is skipped (no blob, no
// revision, no version), of other bytes of the same length is a new
// version; a source that cannot be read twice, or a file recorded before
// macs, is uploaded as before (and then gets one); a restored version
// brings its mac back; two accounts' macs of one content differ.
func TestUploadUnchanged(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.signup("a long test passphrase")
	data := []byte("the same bytes, twice")
	first := uploadFile(t, c, "", "a.txt", data, nil)
	if first.Version || first.Unchanged {
		t.Fatalf("a new file: %+v", first)
	}
	doc, rev := fileContent(t, c, first.ID)
	mac, _ := doc["mac"].(string)
	if len(mac) != 44 || doc["mac_gen"] != float64(1) {
		t.Fatalf("no mac recorded: %v", doc)
	}
	blobs := blobCount(t, e, c)

	again := uploadFile(t, c, "", "a.txt", data, nil)
	if !again.Unchanged || again.Version || again.ID != first.ID {
		t.Fatalf("the same bytes again: %+v", again)
	}
	if _, r := fileContent(t, c, first.ID); r != rev || blobCount(t, e, c) != blobs {
		t.Fatalf("an unchanged upload wrote: rev %d→%d, blobs %d→%d", rev, r, blobs, blobCount(t, e, c))
	}

	// Other bytes of the same length: a new version, with its own mac.
	other := []byte("the same bytes, again")
	if u := uploadFile(t, c, "", "a.txt", other, nil); !u.Version || u.Unchanged {
		t.Fatalf("other bytes: %+v", u)
	}
	doc, _ = fileContent(t, c, first.ID)
	if doc["mac"] == mac || len(files(t, c).Item(first.ID).Versions) != 1 {
		t.Fatalf("after other bytes: %v", doc)
	}
	// A source read only once is not compared: a version again.
	if u := uploadFile(t, c, "", "a.txt", other, onlyReader{bytes.NewReader(other)}); !u.Version {
		t.Fatalf("a reader without Seek: %+v", u)
	}
	// Restoring the first content brings its mac back: uploading it again
	// is then unchanged.
	if err := c.RestoreVersion(ctx, first.ID, 1); err != nil {
		t.Fatal(err)
	}
	if doc, _ = fileContent(t, c, first.ID); doc["mac"] != mac {
		t.Fatalf("the restored version's mac: %v, want %s", doc["mac"], mac)
	}
	if u := uploadFile(t, c, "", "a.txt", data, nil); !u.Unchanged {
		t.Fatalf("the restored content again: %+v", u)
	}

	// A file written before macs (none in its document): its content
	// uploaded again is a new version, which records the mac.
	delete(doc, "mac")
	delete(doc, "mac_gen")
	b, _ := json.Marshal(doc)
	if _, err := c.Put(ctx, client.FilesDoctype, first.ID, b); err != nil {
		t.Fatal(err)
	}
	if u := uploadFile(t, c, "", "a.txt", data, nil); !u.Version {
		t.Fatalf("a file without a mac: %+v", u)
	}
	if doc, _ = fileContent(t, c, first.ID); doc["mac"] != mac {
		t.Fatalf("no mac recorded again: %v", doc)
	}

	// A malformed mac is ignored, not trusted: a version again.
	doc["mac"] = "AAAA"
	b, _ = json.Marshal(doc)
	if _, err := c.Put(ctx, client.FilesDoctype, first.ID, b); err != nil {
		t.Fatal(err)
	}
	if u := uploadFile(t, c, "", "a.txt", data, nil); !u.Version {
		t.Fatalf("a malformed mac: %+v", u)
	}

	// UploadAll says the same of each file; Upload (a new file at the
	// root) records a mac too.
	up, err := c.UploadAll(ctx, "", []client.UploadSource{
		{Path: "a.txt", Size: int64(len(data)), Open: func() (io.ReadCloser, error) { return readSeekCloser{bytes.NewReader(data)}, nil }},
		{Path: "b.txt", Size: 1, Open: func() (io.ReadCloser, error) { return readSeekCloser{strings.NewReader("b")}, nil }},
	}, nil)
	if err != nil || !up[0].Unchanged || up[1].Unchanged || up[1].Version {
		t.Fatalf("UploadAll: %+v, %v", up, err)
	}
	root, err := c.Upload(ctx, bytes.NewReader(data), int64(len(data)), "c.txt", "", time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ = fileContent(t, c, root); doc["mac"] != mac {
		t.Fatalf("Upload's mac: %v", doc["mac"])
	}

	// Another account's mac of the same bytes is another: its key differs.
	c2, _, _ := e.signup("another long test passphrase")
	theirs := uploadFile(t, c2, "", "a.txt", data, nil)
	if d2, _ := fileContent(t, c2, theirs.ID); d2["mac"] == mac || d2["mac"] == nil {
		t.Fatalf("two accounts, one mac: %v", d2["mac"])
	}
}

type readSeekCloser struct{ io.ReadSeeker }

func (readSeekCloser) Close() error { return nil }
