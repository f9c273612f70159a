package appmanifest

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

const testManifest = `{"hearth":1,"slug":"tasks","name":"Tasks","version":"1.0.0",
 "permissions":[{"doctype":"io.hearth.tasks","verbs":["read","write"],"reason":"Your tasks."}],
 "intents":[{"action":"create","doctype":"io.hearth.tasks","title":"Create a task","href":"new.html#x"}]}`

func appFiles() []File {
	return []File{
		{ManifestName, []byte(testManifest)},
		{"index.html", []byte("<!doctype html><title>Tasks</title>")},
		{"new.html", []byte("<!doctype html><title>New</title>")},
		{"js/app.js", []byte("console.log(1)")},
	}
}

func mustZip(t testing.TB, files []File) []byte {
	t.Helper()
	b, err := Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func read(b []byte) (*Archive, error) { return ReadArchive(bytes.NewReader(b), int64(len(b))) }

func TestArchive(t *testing.T) {
	for name, files := range map[string][]File{
		"root": appFiles(),
		"folder": func() []File {
			var out []File
			for _, f := range appFiles() {
				out = append(out, File{"tasks-1.0/" + f.Path, f.Data})
			}
			return append(out, File{"__MACOSX/tasks-1.0/._index.html", []byte("x")}, File{"tasks-1.0/.DS_Store", []byte("x")})
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			a, err := read(mustZip(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if a.Manifest.Slug != "tasks" || string(a.ManifestJSON) != testManifest {
				t.Fatalf("manifest %+v", a.Manifest)
			}
			want := []string{ManifestName, "index.html", "js/app.js", "new.html"}
			if strings.Join(a.Paths, " ") != strings.Join(want, " ") {
				t.Fatalf("paths %q", a.Paths)
			}
			if err := fstest.TestFS(a.Files, want...); err != nil {
				t.Fatal(err)
			}
			b, err := fs.ReadFile(a.Files, "js/app.js")
			if err != nil || string(b) != "console.log(1)" {
				t.Fatalf("js/app.js = %q, %v", b, err)
			}
			if _, err := a.Files.Open(".DS_Store"); err == nil {
				t.Fatal("a skipped file is served")
			}
			packed, err := a.Repack()
			if name == "root" {
				if packed != nil || err != nil || len(a.Skipped) != 0 {
					t.Fatalf("nothing to leave out, yet %d bytes, %v, %q", len(packed), err, a.Skipped)
				}
				return
			}
			if len(a.Skipped) != 2 || err != nil {
				t.Fatalf("skipped %q, %v", a.Skipped, err)
			}
			b2, err := read(packed)
			if err != nil || len(b2.Skipped) != 0 || strings.Join(b2.Paths, " ") != strings.Join(want, " ") {
				t.Fatalf("repacked: %v %q %q", err, b2.Skipped, b2.Paths)
			}
		})
	}
}

// rawZip writes entries with the headers given.
func rawZip(t *testing.T, entries ...func(*zip.Writer)) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		e(zw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func entry(h zip.FileHeader, data []byte) func(*zip.Writer) {
	return func(zw *zip.Writer) {
		if h.Method == 12 {
			zw.RegisterCompressor(12, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
		}
		w, err := zw.CreateHeader(&h)
		if err != nil {
			panic(err)
		}
		w.Write(data)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func base(zw *zip.Writer) {
	for _, f := range appFiles() {
		entry(zip.FileHeader{Name: f.Path, Method: zip.Deflate}, f.Data)(zw)
	}
}

func TestArchiveRefused(t *testing.T) {
	with := func(extra ...File) []byte { return mustZip(t, append(appFiles(), extra...)) }
	without := func(path string) []byte {
		var out []File
		for _, f := range appFiles() {
			if f.Path != path {
				out = append(out, f)
			}
		}
		return mustZip(t, out)
	}
	link := zip.FileHeader{Name: "link.js", Method: zip.Store}
	link.SetMode(fs.ModeSymlink | 0o777)
	damaged := with()
	i := bytes.Index(damaged, []byte("console.log(1)"))
	if i < 0 { // deflated: find it by storing instead
		damaged = rawZip(t, base, entry(zip.FileHeader{Name: "plain.js", Method: zip.Store}, []byte("console.log(2)")))
		i = bytes.Index(damaged, []byte("console.log(2)"))
	}
	damaged = bytes.Clone(damaged)
	damaged[i] ^= 1
	many := appFiles()
	for i := 0; i < MaxFiles; i++ {
		many = append(many, File{"f/" + strings.Repeat("a", 1+i%50) + string(rune('a'+i%26)) + strings.Repeat("b", i/1300) + itoa(i) + ".txt", nil})
	}
	for _, c := range []struct {
		name, entry, problem string
		zip                  []byte
	}{
		{"not a zip", "", "not a ZIP archive", []byte("hello")},
		{"no manifest", "", "no hearth-app.json", without(ManifestName)},
		{"bad manifest", ManifestName, "permissions", mustZip(t, []File{{ManifestName, []byte(strings.Replace(testManifest, `"read","write"`, `"admin"`, 1))}, {"index.html", nil}, {"new.html", nil}})},
		{"no entry page", "index.html", "not in the archive", without("index.html")},
		{"no intent page", "new.html", "not in the archive", without("new.html")},
		{"twice", "js/app.js", "appears twice", with(File{"js/app.js", nil})},
		{"case", "JS/app.js", "but for case", with(File{"JS/app.js", nil})},
		{"bad path", "a b.js", "not a path", with(File{"a b.js", nil})},
		{"dot dot", "x/../index.html", "not a path", with(File{"x/../index.html", nil})},
		{"absolute", "/etc/passwd", "not a path", with(File{"/etc/passwd", nil})},
		{"backslash", `js\app.js`, "not a path", with(File{`js\app.js`, nil})},
		{"outside the folder", "other.js", "outside the folder", mustZip(t, []File{{"app/" + ManifestName, []byte(testManifest)}, {"app/index.html", nil}, {"app/new.html", nil}, {"other.js", nil}})},
		{"link", "link.js", "not a regular file", rawZip(t, base, entry(link, []byte("index.html")))},
		{"encrypted", "secret.js", "encrypted", rawZip(t, base, entry(zip.FileHeader{Name: "secret.js", Method: zip.Store, Flags: 1}, []byte("x")))},
		{"method", "odd.js", "method 12", rawZip(t, base, entry(zip.FileHeader{Name: "odd.js", Method: 12}, nil))},
		{"bomb", "bomb.txt", "compressed more than", rawZip(t, base, entry(zip.FileHeader{Name: "bomb.txt", Method: zip.Deflate}, make([]byte, 1<<20)))},
		{"damaged", "", "damaged", damaged},
		{"too many files", "", "more than 1000 files", mustZip(t, many)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(c.zip)
			var ae *ArchiveError
			if !errors.As(err, &ae) || !errors.Is(err, ErrBadArchive) {
				t.Fatalf("err = %v", err)
			}
			if (c.entry != "" && ae.Entry != c.entry) || !strings.Contains(err.Error(), c.problem) {
				t.Fatalf("err = %v (entry %q), want entry %q and %q", err, ae.Entry, c.entry, c.problem)
			}
		})
	}
	if _, err := ReadArchive(bytes.NewReader(nil), MaxArchive+1); !errors.Is(err, ErrBadArchive) {
		t.Fatalf("too large: %v", err)
	}
}

// TestZipStoresBombLikeFiles: a file that deflates more than MaxRatio to 1
// (a big run of one byte) is stored, so that an archive Zip makes (from a
// folder, or repacked) always reads.
func TestZipStoresBombLikeFiles(t *testing.T) {
	files := append(appFiles(), File{"data/zeros.json", make([]byte, 4<<20)}, File{".hidden", []byte("x")})
	a, err := read(mustZip(t, files))
	if err != nil {
		t.Fatal(err)
	}
	packed, err := a.Repack()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := read(packed); err != nil || len(b.Skipped) != 0 {
		t.Fatalf("repacked: %v", err)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func FuzzReadArchive(f *testing.F) {
	f.Add(mustZip(f, appFiles()))
	f.Add(mustZip(f, []File{{"a/" + ManifestName, []byte(testManifest)}, {"a/index.html", nil}, {"a/new.html", nil}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := read(b)
		if err != nil {
			if !errors.Is(err, ErrBadArchive) {
				t.Fatalf("error %v is not ErrBadArchive", err)
			}
			return
		}
		if err := fstest.TestFS(a.Files, a.Paths...); err != nil {
			t.Fatal(err)
		}
	})
}
