package site

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// TestNoClientRegistered: a binary that links no web client (nothing
// called Register: no import of wasm/web) says so in its log when the site
// starts, and answers 404 for the site's paths, Home's and the bundled
// apps'.
func TestNoClientRegistered(t *testing.T) {
	if _, _, ok := registered(); ok {
		t.Fatal("a web client is registered in this package's tests")
	}
	var log bytes.Buffer
	s, err := New(Config{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "no web client built into this binary") {
		t.Errorf("log: %q", log.String())
	}
	for _, c := range []struct{ host, path string }{
		{"home.localhost", "/"}, {"home.localhost", "/index.html"}, {"home.localhost", "/hearth.js"}, {"home.localhost", "/hearth.wasm"},
		{"notes.alice.localhost", "/"}, {"notes.alice.localhost", "/hearth.js"},
	} {
		o, ok := s.Origin(c.host)
		if !ok {
			t.Fatalf("%s: not an origin", c.host)
		}
		w := httptest.NewRecorder()
		s.Serve(w, httptest.NewRequest("GET", "http://"+c.host+c.path, nil), o)
		if w.Code != 404 {
			t.Errorf("%s%s: %d", c.host, c.path, w.Code)
		}
	}
	// A site given its own files logs nothing of the kind.
	log.Reset()
	f := &fstest.MapFile{Data: []byte("<!doctype html><p>hi")}
	if _, err := New(Config{Static: fstest.MapFS{"index.html": f}, Log: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
		t.Fatal(err)
	}
	if log.Len() != 0 {
		t.Errorf("log: %q", log.String())
	}
}

// TestRegisterOnce: Register records the web client's files, and a second
// call panics rather than replacing them.
func TestRegisterOnce(t *testing.T) {
	saved := client.static
	defer func() { client.static, client.dist = saved, nil }()
	st := fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte("<p>hi")}}
	Register(st, nil)
	if got, di, ok := registered(); !ok || got == nil || di == nil {
		t.Fatalf("registered: %v %v %v", got, di, ok)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second Register did not panic")
		}
	}()
	Register(st, nil)
}
