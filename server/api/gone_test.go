package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/api"
)

// TestClientGoneIsNotAnError (found by the new-user review): a client that
// drops a long-poll of the changes feed is no server failure: nothing is
// logged as an error, and the request line says the client went away.
func TestClientGoneIsNotAnError(t *testing.T) {
	e, ts := loggedEnv(t, api.Config{})
	log := e.log
	_, tok := e.signup("alice")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/changes?since=0&wait=10", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the long-poll answered before the client left")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "route=/v1/changes") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out := log.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "status=500") || !strings.Contains(out, "status=499") {
		t.Fatalf("a client that left is logged as:\n%s", out)
	}
}
