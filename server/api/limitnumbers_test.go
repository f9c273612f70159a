package api_test

import (
	"testing"

	"github.com/hearthcloud/hearth/server/api"
	"github.com/hearthcloud/hearth/server/meta"
)

// TestLimitNumbers: GET /v1/server states the largest blob, and a
// too_large answer says the limit it met in bytes (§8.1.8, §8.2.9): the
// largest blob, for a PUT or a session past it; the quota and the bytes
// left of it, for an upload that does not fit.
func TestLimitNumbers(t *testing.T) {
	u := newUploadEnv(t, func(c *api.Config) { c.MaxBlobSize = 1 << 20 })
	if got := u.do("GET", "/v1/server", "", nil).json(t); got["max_blob"] != float64(1<<20) || got["signup"] != "open" {
		t.Fatalf("server info %v", got)
	}
	errOf := func(r resp) map[string]any {
		t.Helper()
		if r.status != 413 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["error"].(map[string]any)
	}
	if e := errOf(u.do("POST", upPath, u.tok, map[string]any{"size": 1<<20 + 1})); e["limit"] != float64(1<<20) || e["left"] != nil || e["quota"] != nil {
		t.Fatalf("a session past the largest blob: %v", e)
	}
	if e := errOf(u.do("PUT", "/v1/blobs/io.hearth.notes/abcdefabcdefabcdefabcdefab", u.tok, make([]byte, 1<<20+1))); e["limit"] != float64(1<<20) {
		t.Fatalf("a PUT past the largest blob: %v", e)
	}
	u.meta.SetDefaultLimits(meta.Limits{Bytes: 100 << 10})
	e := errOf(u.do("POST", upPath, u.tok, map[string]any{"size": 200 << 10}))
	left, _ := e["left"].(float64)
	if e["quota"] != true || e["limit"] != float64(100<<10) || left <= 0 || left >= 100<<10 {
		t.Fatalf("a session past the quota: %v", e)
	}
}
