package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

// An access says who may use a route: the last column of the route table
// in spec/protocol.md §8.1.5.
type access string

const (
	accessNone    access = "none"    // no token
	accessSession access = "session" // a session token only
	accessToken   access = "token"   // any token; what it lists is filtered by the token's scopes
	accessApp     access = "app"     // an app or device token only
	accessFiles   access = "files"   // a session, or a token holding read and write on io.hearth.files (links' owner side, §8.12)
	accessLink    access = "link"    // a link token (hlt_) of the path's link (§8.12.4)
	verbRead      access = "read"    // a session, or a token holding the verb on the doctype
	verbWrite     access = "write"
	verbDelete    access = "delete"
)

// verbs are the verbs a scope may hold (§8.1.5).
var verbs = []access{verbRead, verbWrite, verbDelete}

func (a access) isVerb() bool { return slices.Contains(verbs, a) }

// A route is one row of the route table: a method and a path under /v1 (a
// final * takes any rest), who may use it, and its handler.
type route struct {
	method string
	path   string
	access access
	h      handlerFunc
}

// routeTable is every route of §8, in the order they are matched
// (/grants/self before /grants/{id}: "self" is never a token id). It is
// also the permission table: §8.1.5 lists the same rows, and a test holds
// the two in step.
func (s *Server) routeTable() []route {
	const get, head, put, post, del, patch = http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch
	return []route{
		{post, "/prelogin", accessNone, s.prelogin},
		{post, "/accounts", accessNone, s.signup},
		{post, "/login", accessNone, s.login},
		{get, "/server", accessNone, s.serverInfo},
		{post, "/passkeys/register/begin", accessSession, s.passkeyRegisterBegin},
		{post, "/passkeys/register/finish", accessSession, s.passkeyRegisterFinish},
		{get, "/passkeys", accessSession, s.listPasskeys},
		{del, "/passkeys/{id}", accessSession, s.deletePasskey},
		{put, "/passkeys/{id}/unlock", accessSession, s.setPasskeyUnlock},
		{post, "/passkeys/login/begin", accessNone, s.passkeyLoginBegin},
		{post, "/passkeys/login/finish", accessNone, s.passkeyLoginFinish},
		{post, "/logout", accessSession, s.logout},
		{get, "/sessions", accessSession, s.listSessions},
		{del, "/sessions/{id}", accessSession, s.deleteSession},

		{post, "/totp/enroll", accessSession, s.totpEnroll},
		{post, "/totp/confirm", accessSession, s.totpConfirm},
		{post, "/totp/disable", accessSession, s.totpDisable},

		{get, "/keyring", accessSession, s.getKeyring(false)},
		{put, "/keyring", accessSession, s.putKeyring},
		{get, "/keyring/recovery", accessSession, s.getKeyring(true)},

		{get, "/doctypes", accessToken, s.listDoctypes},
		{put, "/doctypes/{doctype}", verbWrite, s.putDoctype},
		{get, "/docs/{doctype}", verbRead, s.listDocs},
		{post, "/docs/{doctype}/_bulk_put", verbWrite, s.bulkPut}, // and delete for tombstones
		{post, "/docs/{doctype}/_bulk_get", verbRead, s.bulkGet},
		{get, "/docs/{doctype}/{id}", verbRead, s.getDoc},
		{put, "/docs/{doctype}/{id}", verbWrite, s.putDoc},
		{del, "/docs/{doctype}/{id}", verbDelete, s.deleteDoc},
		{get, "/changes", verbRead, s.changes}, // on each doctype it answers

		{post, "/recovery/keyring", accessNone, s.recoveryKeyring},
		{post, "/recovery/reset", accessNone, s.recoveryReset},
		{post, "/account/password", accessSession, s.changePassword},
		{get, "/account", accessSession, s.getAccount},

		{get, "/blobs/{doctype}", verbRead, s.listBlobs(false)},
		{get, "/blobs/{doctype}/{id}", verbRead, s.getBlob(false)},
		{head, "/blobs/{doctype}/{id}", verbRead, s.getBlob(false)},
		{put, "/blobs/{doctype}/{id}", verbWrite, s.putBlob(false)},
		{del, "/blobs/{doctype}/{id}", verbDelete, s.deleteBlob(false)},
		{post, "/uploads/{doctype}/{id}", verbWrite, s.createUpload},
		{get, "/uploads/{doctype}/{id}", verbWrite, s.getUpload},
		{patch, "/uploads/{doctype}/{id}", verbWrite, s.patchUpload},
		{del, "/uploads/{doctype}/{id}", verbWrite, s.deleteUpload},
		{get, "/index/{doctype}/segments", verbRead, s.listBlobs(true)},
		{get, "/index/{doctype}/segments/{id}", verbRead, s.getBlob(true)},
		{head, "/index/{doctype}/segments/{id}", verbRead, s.getBlob(true)},
		{put, "/index/{doctype}/segments/{id}", verbWrite, s.putBlob(true)},
		{del, "/index/{doctype}/segments/{id}", verbDelete, s.deleteBlob(true)},
		{get, "/index/{doctype}/manifest", verbRead, s.getManifest},
		{put, "/index/{doctype}/manifest", verbWrite, s.putManifest},

		{post, "/tokens", accessSession, s.createToken},
		{get, "/tokens", accessSession, s.listTokens},
		{del, "/tokens/{id}", accessSession, s.deleteToken},
		{get, "/grants/self", accessApp, s.selfGrant},
		{get, "/grants/{id}", accessSession, s.getGrant},
		{put, "/grants/{id}", accessSession, s.putGrant},
		{del, "/grants/{id}", accessSession, s.deleteGrant},

		{get, "/apps", accessSession, s.listApps},
		{get, "/apps/{slug}", accessSession, s.getApp},
		{put, "/apps/{slug}", accessSession, s.putApp},
		{del, "/apps/{slug}", accessSession, s.deleteApp},
		{get, "/apps/{slug}/archive", accessSession, s.getAppArchive},

		{post, "/links", accessFiles, s.createLink},
		{get, "/links", accessFiles, s.listLinks},
		{get, "/links/{id}", accessNone, s.linkInfo},
		{patch, "/links/{id}", accessFiles, s.updateLink},
		{del, "/links/{id}", accessFiles, s.revokeLink},
		{post, "/links/{id}/open", accessNone, s.openLink},
		{get, "/links/{id}/blobs/{blob}", accessLink, s.linkBlob},
		{head, "/links/{id}/blobs/{blob}", accessLink, s.linkBlob},
		{get, "/links/{id}/drops", accessFiles, s.listDrops},
		{put, "/links/{id}/drops/{drop}", accessNone, s.putDrop},
		{get, "/links/{id}/drops/{drop}", accessFiles, s.getDrop},
		{head, "/links/{id}/drops/{drop}", accessFiles, s.getDrop},
		{del, "/links/{id}/drops/{drop}", accessFiles, s.deleteDrop},
		{post, "/links/{id}/uploads/{drop}", accessNone, s.createDropUpload},
		{get, "/links/{id}/uploads/{drop}", accessNone, s.getDropUpload},
		{patch, "/links/{id}/uploads/{drop}", accessNone, s.patchDropUpload},
		{del, "/links/{id}/uploads/{drop}", accessNone, s.deleteDropUpload},

		{http.MethodOptions, "/*", accessNone, preflight}, // CORS preflight (§8.1.9)
	}
}

// routes registers the route table on a router.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = s.handle(func(http.ResponseWriter, *http.Request) error {
		return Errorf(wire.CodeNotFound, "no such route")
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		allow := s.allowHeader(r.URL.Path)
		if allow == "" { // only the preflight route matched the path
			return Errorf(wire.CodeNotFound, "no such route")
		}
		w.Header().Set("Allow", allow)
		return Errorf(wire.CodeMethodNotAllowed, "this path does not take this method")
	})
	// Full paths on the root router: gorilla/mux 1.8 answers 404 instead of
	// 405 for a wrong method under a PathPrefix subrouter.
	for _, rt := range s.routeTable() {
		hf := rt.h
		if rt.access != accessNone && rt.access != accessLink { // link routes check their own tokens
			hf = s.authenticated(rt.access, hf)
		}
		h := s.handle(hf)
		if prefix, ok := strings.CutSuffix(rt.path, "*"); ok {
			r.PathPrefix("/v1" + prefix).Methods(rt.method).Handler(h)
		} else {
			r.Handle("/v1"+rt.path, h).Methods(rt.method)
		}
	}
	s.allowed = allowedRoutes(r)
	return r
}

// accessOf returns the access of the route an authenticated request took.
func accessOf(r *http.Request) access { return r.Context().Value(ctxKey{}).(*authed).access }

// permit checks what the route's access leaves to its handler, which calls
// it after names and query parameters (§8.1.6): for a verb, that the token
// holds it on doctype; for an app route, that the token is not a session.
func permit(r *http.Request, doctype string) error {
	switch a := accessOf(r); {
	case a.isVerb():
		return allow(r, doctype, a)
	case a == accessApp && tokenOf(r).Kind == meta.KindSession:
		return Errorf(wire.CodeForbidden, "a session has no grant; this is for app and device tokens")
	case a == accessFiles:
		if allow(r, meta.FilesDoctype, verbRead) != nil || allow(r, meta.FilesDoctype, verbWrite) != nil {
			return Errorf(wire.CodeForbidden, "links need read and write on io.hearth.files")
		}
	}
	return nil
}

// allow checks that the request's token may use verb on doctype: sessions
// may do everything, other tokens what their scopes say.
func allow(r *http.Request, doctype string, verb access) error {
	t := tokenOf(r)
	if t.Kind == meta.KindSession {
		return nil
	}
	for _, sc := range t.Scopes {
		if sc.Doctype == doctype && slices.Contains(sc.Verbs, string(verb)) {
			return nil
		}
	}
	return Errorf(wire.CodeForbidden, "this token may not %s in this doctype", verb)
}

// doctypeVar returns the checked {doctype} of the route: names first (the
// route's {id} too, if it has one), then the token's scope for the route's
// verb (§8.1.6).
func doctypeVar(r *http.Request) (string, error) {
	d := mux.Vars(r)["doctype"]
	if err := wire.CheckDoctype(d); err != nil {
		return "", err
	}
	if d == meta.DropsDoctype { // the server's, reached through links only (§8.12.5)
		return "", Errorf(wire.CodeInvalidName, "%s is reserved for drops; reach them through their link", meta.DropsDoctype)
	}
	if _, ok := mux.Vars(r)["id"]; ok {
		if _, err := idVar(r); err != nil {
			return "", err
		}
	}
	return d, permit(r, d)
}

// itemVars returns the checked {doctype} and {id} of the route, as
// doctypeVar checks them.
func itemVars(r *http.Request) (doctype, id string, err error) {
	if doctype, err = doctypeVar(r); err != nil {
		return "", "", err
	}
	id, err = idVar(r)
	return doctype, id, err
}

// idVar returns the checked {id} of the route; ids starting with "_" are
// reserved (§8.1.2).
func idVar(r *http.Request) (string, error) {
	id := mux.Vars(r)["id"]
	if err := wire.CheckID(id); err != nil || id[0] == '_' {
		return "", Errorf(wire.CodeInvalidName, "%s", wire.ErrInvalidID.Error())
	}
	return id, nil
}

// preflight answers a CORS preflight (§8.1.9); it needs no token.
func preflight(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, If-None-Match, Range, If-Range, Hearth-Digest, Hearth-Link-Proof, Hearth-Upload-Offset")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// An allowedRoute is a route's path pattern with its methods, to list in
// the Allow header of a 405 answer.
type allowedRoute struct {
	path    *regexp.Regexp
	methods []string
}

func allowedRoutes(r *mux.Router) []allowedRoute {
	var out []allowedRoute
	r.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		pat, err1 := rt.GetPathRegexp()
		methods, err2 := rt.GetMethods()
		if err1 == nil && err2 == nil && !slices.Equal(methods, []string{http.MethodOptions}) {
			out = append(out, allowedRoute{regexp.MustCompile(pat), methods})
		}
		return nil
	})
	return out
}

// allowHeader lists the methods the request's path takes.
func (s *Server) allowHeader(path string) string {
	var ms []string
	for _, a := range s.allowed {
		if a.path.MatchString(path) {
			for _, m := range a.methods {
				if !slices.Contains(ms, m) {
					ms = append(ms, m)
				}
			}
		}
	}
	return strings.Join(ms, ", ")
}
