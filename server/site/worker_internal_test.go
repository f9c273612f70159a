package site

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The worker script holds its parts (hearth-worker-<concept>.js) in place
// of their importScripts lines, under its one hash; a part is not served
// on its own, and a part the worker names that is missing fails the build.
func TestWorkerParts(t *testing.T) {
	static := fstest.MapFS{
		WorkerName:               {Data: []byte("\"use strict\";\nimportScripts(\"/" + ExecName + "\");\nconst a = 1;\nimportScripts(\"/hearth-worker-extra.js\"); // here\nconst c = 3;\n")},
		"hearth-worker-extra.js": {Data: []byte("const b = 2;")},
	}
	b, err := Build(static, fstest.MapFS{}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, ok := b.files[WorkerName]
	if !ok {
		t.Fatal("no worker script")
	}
	got := string(w.raw.data)
	if !strings.Contains(got, "const a = 1;\nconst b = 2;\nconst c = 3;\n") || strings.Contains(got, "importScripts") {
		t.Fatalf("worker script:\n%s", got)
	}
	if _, ok := b.files["hearth-worker-extra.js"]; ok {
		t.Error("the worker's part is served on its own")
	}
	delete(static, "hearth-worker-extra.js")
	if _, err := Build(static, fstest.MapFS{}, BuildOptions{}); err == nil || !strings.Contains(err.Error(), "hearth-worker-extra.js") {
		t.Errorf("a missing part: %v", err)
	}
}
