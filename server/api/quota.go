package api

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/hearthcloud/hearth/internal/bytesize"
	"github.com/hearthcloud/hearth/server/meta"
)

// Quotas (§8.1.10). Storage enforces them: every write that grows an
// account checks its limits in its own transaction (meta.Quotas). Here,
// uploads whose bodies stream to disk before their row is written (blobs,
// segments, app archives) are refused before their body is read when
// their Content-Length does not fit in what remains, counting the
// account's other uploads still under way and the sizes of its open upload
// sessions (uploads.go), so that many uploads at once
// cannot fill the disk past the quota before their rows are refused.

// holds counts, per account, the declared bytes of its uploads under way.
type holds struct {
	mu sync.Mutex
	n  map[string]int64
}

// holdUpload checks that n more bytes fit in user's quota, beside the uploads
// under way, and holds them until release is called. grown is what the
// write adds once stored (n less what it replaces).
func (s *Server) holdUpload(r *http.Request, user string, n, grown int64) (release func(), err error) {
	q, err := s.cfg.Meta.Quota(r.Context(), user)
	if err != nil {
		return nil, err
	}
	var sessions int64 // the sizes of the open upload sessions (§8.7.3)
	if q.Limit.Bytes > 0 && grown > 0 {
		if _, sessions, err = s.cfg.Meta.UploadUsage(r.Context(), user, s.cfg.Now()); err != nil {
			return nil, err
		}
	}
	h := &s.uploads
	h.mu.Lock()
	defer h.mu.Unlock()
	if q.Limit.Bytes > 0 && grown > 0 && q.Used.Bytes+sessions+h.n[user]+grown > q.Limit.Bytes {
		e := AsError(meta.ErrQuota)
		left := max(0, q.Limit.Bytes-q.Used.Bytes-sessions-h.n[user])
		e.Limit, e.Left = &q.Limit.Bytes, &left
		if left > 0 {
			e.Message = fmt.Sprintf("this upload (%s) does not fit in the room left in the account's quota (%s of %s): delete something, or ask the server's operator for more room",
				bytesize.Format(grown), bytesize.Format(left), bytesize.Format(q.Limit.Bytes))
		}
		return nil, e
	}
	if h.n == nil {
		h.n = map[string]int64{}
	}
	h.n[user] += n
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.n[user] -= n; h.n[user] <= 0 {
			delete(h.n, user)
		}
	}, nil
}

// limitJSON is a limit as the account endpoint gives it: null for none.
func limitJSON(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}

// usageJSON is what GET /v1/account adds about the quota (§8.2.8).
func usageJSON(q *meta.Quota) map[string]any {
	return map[string]any{
		"usage": map[string]int64{"bytes": q.Used.Bytes, "docs": q.Used.Docs},
		"quota": map[string]*int64{"bytes": limitJSON(q.Limit.Bytes), "docs": limitJSON(q.Limit.Docs)},
	}
}
