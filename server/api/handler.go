package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/auth"
	"github.com/hearthcloud/hearth/server/meta"
)

// A handlerFunc answers a request or returns an error for handle to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusWriter remembers the status for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom passes the underlying writer's ReadFrom on (sendfile for blob
// downloads).
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// handle adapts h: security headers, error answers from the one table, and
// one log line per request with the route template, status and duration,
// never the body, the query string or a token (§8.1.12).
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "ETag, Hearth-Revision, Hearth-Seq, Hearth-Deleted, Hearth-Keyring-Revision, Content-Range, Retry-After, Hearth-Upload-Offset")
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The panic value and stack, never the request (§8.1.12).
			s.cfg.Log.Error("handler panicked", "route", routeOf(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if w.status == 0 {
				writeError(w, AsError(errors.New("panic")))
			}
		}()
		if r.ContentLength > 0 {
			bodyDeadline(w, s.cfg.BodyTimeout) // blob uploads then move it forward as bytes arrive
		}
		err := h(w, r)
		switch {
		case err != nil && r.Context().Err() != nil && errors.Is(err, context.Canceled):
			// The client went away (a dropped long-poll, a closed tab):
			// nobody reads an answer, and the server did not fail. 499 is
			// what the log calls it, as proxies do.
			if w.status == 0 {
				w.status = 499
			}
		case err != nil:
			e := AsError(err)
			if e.Code == wire.CodeInternal {
				s.cfg.Log.Error("request failed", "route", routeOf(r), "err", e.Err)
			}
			writeError(w, e)
		}
		s.cfg.Log.Info("request", "method", r.Method, "route", routeOf(r), "status", w.status, "ms", time.Since(start).Milliseconds())
	})
}

func routeOf(r *http.Request) string {
	if rt := mux.CurrentRoute(r); rt != nil {
		if t, err := rt.GetPathTemplate(); err == nil {
			return t
		}
	}
	return "(none)"
}

func writeError(w http.ResponseWriter, e *Error) {
	if (e.Code == wire.CodeRateLimited || e.Code == wire.CodeUnavailable) && e.Retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.Retry))
	}
	if e.Code.Status() == http.StatusUnauthorized {
		// RFC 9110 §11.6.1: a 401 names the scheme (RFC 6750 bearer tokens).
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
	}
	writeJSON(w, e.Code.Status(), map[string]any{"error": itemErr(e)})
}

type ctxKey struct{}

// authed is what an authenticated request carries: its token and the
// access of the route it took.
type authed struct {
	token  *meta.Token
	access access
}

// tokenOf returns the authenticated token of a request.
func tokenOf(r *http.Request) *meta.Token { return r.Context().Value(ctxKey{}).(*authed).token }

// authenticated wraps h, the handler of a route of access a: a valid
// bearer token is required, and a session route refuses app and device
// tokens with forbidden. What else the access asks is the handler's to
// check (permit), after names and query parameters (§8.1.6).
func (s *Server) authenticated(a access, h handlerFunc) handlerFunc {
	sessionOnly := a == accessSession
	return func(w http.ResponseWriter, r *http.Request) error {
		tok, ok := auth.ParseBearer(r.Header.Get("Authorization"))
		if !ok {
			return Errorf(wire.CodeUnauthenticated, "send Authorization: Bearer with a valid token")
		}
		t, err := s.cfg.Meta.TokenByHash(r.Context(), auth.TokenHash(tok))
		if errors.Is(err, meta.ErrNotFound) {
			return Errorf(wire.CodeUnauthenticated, "the token is unknown, expired or revoked")
		}
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		sess, err := s.checkToken(r.Context(), t, now)
		if err != nil {
			return err
		}
		if sessionOnly && t.Kind != meta.KindSession {
			return Errorf(wire.CodeForbidden, "only a session may do this")
		}
		if now.Sub(t.LastSeen) > time.Minute {
			var expires time.Time
			if t.Kind == meta.KindSession {
				expires = now.Add(s.cfg.SessionTTL) // 30 days unused, not 30 days
			}
			s.cfg.Meta.TouchToken(r.Context(), t.ID, now, expires)
			if sess != nil {
				// Using an app counts as using the session it is bound to.
				s.cfg.Meta.TouchToken(r.Context(), sess.ID, now, now.Add(s.cfg.SessionTTL))
			}
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &authed{t, a})))
	}
}

// checkToken answers unauthenticated for a token that expired, or that is
// bound to a session (an app token a session made) which ended: logged out,
// revoked, ended by a password change or recovery, or expired (§8.9.1). It
// returns that session, if any.
func (s *Server) checkToken(ctx context.Context, t *meta.Token, now time.Time) (*meta.Token, error) {
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return nil, Errorf(wire.CodeUnauthenticated, "the session expired; log in again")
	}
	if t.Session == "" {
		return nil, nil
	}
	sess, err := s.cfg.Meta.TokenByID(ctx, t.Session)
	if errors.Is(err, meta.ErrNotFound) || err == nil &&
		(sess.User != t.User || sess.Kind != meta.KindSession || !sess.Expires.IsZero() && !now.Before(sess.Expires)) {
		return nil, Errorf(wire.CodeUnauthenticated, "the session that connected this app ended; connect the app again")
	}
	if err != nil {
		return nil, err
	}
	return sess, nil
}
