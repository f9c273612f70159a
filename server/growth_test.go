package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
)

// dbSize is the size of the data folder's SQLite files (database and
// write-ahead log).
func dbSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	matches, _ := filepath.Glob(filepath.Join(dir, "*.db*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestQuotaBoundsFeedHistory: spec §8.1.10 counts the current revision of
// each document, and §8.6 keeps every feed entry for ever; a revision as
// large as the one it replaces "adds neither bytes nor documents" and is
// always accepted. So an account kept at one small document, under a byte
// quota of 8 KiB, makes the server store an entry (doctype, id, digest,
// chain) per write without end: its usage never moves, the disk fills.
func TestQuotaBoundsFeedHistory(t *testing.T) {
	dir := t.TempDir()
	l := startLive(t, dir, server.Config{Quota: meta.Limits{Bytes: 8 << 10, Docs: 1}})
	tok := l.signup("alice")
	doctype := "io." + strings.Repeat("a", 95)
	l.do("PUT", "/v1/doctypes/"+doctype, tok, nil).is(t, 201, "", false)
	id := strings.Repeat("x", 64)
	path := "/v1/docs/" + doctype + "/" + id
	l.do("PUT", path, tok, rnd(100), "If-None-Match", "*").is(t, 201, "", false)
	before := dbSize(t, dir)
	const writes = 1000
	for rev := 1; rev <= writes; rev++ {
		a := l.do("PUT", path, tok, rnd(100), "If-Match", strconv.Quote(strconv.Itoa(rev)))
		if a.status == 413 {
			return // the history counts: refused once it passes the quota
		}
		a.is(t, 200, "", false)
	}
	b, _, _ := l.usage(tok)
	t.Fatalf("%d writes of one 100-byte document under an 8 KiB quota all stored (usage %v bytes); its database files grew by %d bytes", writes, b, dbSize(t, dir)-before)
}

// TestQuotaCountsDoctypes: registering a doctype (PUT /v1/doctypes/X)
// stores a row per name, at will, counted in no quota and bounded by no
// limit; GET /v1/doctypes then lists them all in one answer.
func TestQuotaCountsDoctypes(t *testing.T) {
	dir := t.TempDir()
	l := startLive(t, dir, server.Config{Quota: meta.Limits{Bytes: 8 << 10, Docs: 1}})
	tok := l.signup("alice")
	before := dbSize(t, dir)
	const names = 2000
	for i := range names {
		d := fmt.Sprintf("io.%s%05d", strings.Repeat("d", 90), i)
		a := l.do("PUT", "/v1/doctypes/"+d, tok, nil)
		if a.status == 413 || a.status == 400 {
			return // bounded
		}
		a.is(t, 201, "", false)
	}
	t.Fatalf("%d doctypes registered by an account with an 8 KiB quota; its database files grew by %d bytes", names, dbSize(t, dir)-before)
}
