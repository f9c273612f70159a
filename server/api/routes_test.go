package api_test

import (
	"crypto/rand"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/api"
	blobmem "github.com/hearthcloud/hearth/server/blob/memory"
	metamem "github.com/hearthcloud/hearth/server/meta/memory"
)

// The route table is the permission table of spec/protocol.md §8.1.5:
// these tests hold it in step with that table, with the endpoint summary
// of §8.11 and with what the sections of §8 say of each endpoint, and check
// that the server answers each route's tokens as its access says.

// routeTable returns the server's route table as "METHOD path" to access,
// with the names of path parameters left out ({doctype} as {}).
func routeTable(t *testing.T) map[string]string {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	srv := api.New(api.Config{Meta: metamem.New(), Blobs: blobmem.New(1 << 20), Secret: secret})
	out := map[string]string{}
	for _, rt := range api.Routes(srv) {
		k := routeKey(rt.Method, rt.Path)
		if _, dup := out[k]; dup {
			t.Errorf("the route table has %s twice", k)
		}
		out[k] = rt.Access
	}
	return out
}

var paramName = regexp.MustCompile(`\{[^}/]*\}`)

func routeKey(method, path string) string {
	return method + " " + paramName.ReplaceAllString(path, "{}")
}

// specSection returns the text of spec/protocol.md from the heading that
// starts with from up to the next heading that starts with to.
func specSection(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile("../../spec/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+from)
	if i < 0 {
		t.Fatalf("spec/protocol.md has no heading %q", from)
	}
	j := strings.Index(s[i+1:], "\n"+to)
	if j < 0 {
		t.Fatalf("spec/protocol.md has no heading %q after %q", to, from)
	}
	return s[i+1 : i+1+j]
}

// sameRoutes reports every route on one side only, or with another access.
func sameRoutes(t *testing.T, what string, spec, code map[string]string) {
	t.Helper()
	var keys []string
	for k := range spec {
		keys = append(keys, k)
	}
	for k := range code {
		if _, ok := spec[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, inSpec := spec[k]
		c, inCode := code[k]
		switch {
		case !inSpec:
			t.Errorf("%s: %s (%s) is in the route table, not in the spec", what, k, c)
		case !inCode:
			t.Errorf("%s: %s (%s) is in the spec, not in the route table", what, k, s)
		case s != c:
			t.Errorf("%s: %s: the spec says %s, the route table %s", what, k, s, c)
		}
	}
}

var methodAlt = "GET|HEAD|PUT|POST|PATCH|DELETE|OPTIONS"

// TestRouteTableMatchesSpec reads the table of §8.1.5 (method, path,
// access) and checks that the server's route table has the same rows.
func TestRouteTableMatchesSpec(t *testing.T) {
	text := specSection(t, "#### 8.1.5 ", "#### 8.1.6 ")
	rows := regexp.MustCompile(`(?m)^\| (`+methodAlt+`) +\| (/v1/\S*) +\| ([a-z]+) +\|$`).FindAllStringSubmatch(text, -1)
	if len(rows) < 40 {
		t.Fatalf("found %d routes in §8.1.5's table", len(rows))
	}
	spec := map[string]string{}
	for _, r := range rows {
		k := routeKey(r[1], r[2])
		if _, dup := spec[k]; dup {
			t.Errorf("§8.1.5 lists %s twice", k)
		}
		spec[k] = r[3]
	}
	sameRoutes(t, "§8.1.5", spec, routeTable(t))
}

// TestEndpointSummaryMatchesRouteTable reads the summary of §8.11, whose
// rows group methods ("GET, HEAD / PUT / DELETE" with verbs "read / write /
// delete") and paths ("/v1/totp/enroll, /confirm"), and checks it against
// the route table.
func TestEndpointSummaryMatchesRouteTable(t *testing.T) {
	text := specSection(t, "### 8.11 ", "## 9. ")
	rows := regexp.MustCompile(`(?m)^\| ([A-Z][A-Z ,/]*?) +\| ([^|]+?) +\| ([a-z]+) +\| ([^|]+?) +\|$`).FindAllStringSubmatch(text, -1)
	if len(rows) < 25 {
		t.Fatalf("found %d rows in §8.11's table", len(rows))
	}
	spec := map[string]string{}
	for _, r := range rows {
		groups := strings.Split(r[1], " / ")
		verbs := strings.Split(r[4], " / ")
		if len(verbs) != len(groups) && len(verbs) != 1 {
			t.Errorf("§8.11: %q: %d method groups, %d verbs", r[0], len(groups), len(verbs))
			continue
		}
		for i, g := range groups {
			verb := verbs[0]
			if len(verbs) > 1 {
				verb = verbs[i]
			}
			access := summaryAccess(r[3], verb)
			for _, m := range strings.Split(g, ", ") {
				for _, p := range summaryPaths(r[2]) {
					k := routeKey(strings.TrimSpace(m), p)
					if _, dup := spec[k]; dup {
						t.Errorf("§8.11 lists %s twice", k)
					}
					spec[k] = access
				}
			}
		}
	}
	sameRoutes(t, "§8.11", spec, routeTable(t))
}

// summaryPaths expands a path cell of §8.11: "/v1/totp/enroll, /confirm"
// is /v1/totp/enroll and /v1/totp/confirm; "any path under /v1" is /v1/*.
func summaryPaths(cell string) []string {
	if strings.HasPrefix(cell, "any path under /v1") {
		return []string{"/v1/*"}
	}
	parts := strings.Split(cell, ", ")
	out := []string{parts[0]}
	base := parts[0][:strings.LastIndex(parts[0], "/")]
	for _, p := range parts[1:] {
		out = append(out, base+p)
	}
	return out
}

// summaryAccess maps §8.11's auth and verb cells to §8.1.5's access: the
// verb's first word ("write (+ delete)" is write), "any" for any token,
// and the auth itself where there is no verb.
func summaryAccess(auth, verb string) string {
	verb = strings.TrimSpace(verb)
	if verb == "–" {
		return auth
	}
	word, _, _ := strings.Cut(verb, " ")
	word = strings.TrimSuffix(word, ",")
	if word == "any" {
		return "token"
	}
	return word
}

// TestRouteSectionsMatchRouteTable checks what the sections of §8.2 to
// §8.10 say of each endpoint ("`PUT /v1/docs/{doctype}/{id}`, verb
// `write`", "session only", "no authentication", "app or device token
// only") against the route table, and that each path of the table is
// described there.
func TestRouteSectionsMatchRouteTable(t *testing.T) {
	text := specSection(t, "### 8.2 ", "### 8.11 ")
	table := routeTable(t)
	said := regexp.MustCompile("`("+methodAlt+") (/v1/[^`?\\s]*)[^`]*`(?:,| \\() ?"+
		"(verb `(read|write|delete)`|session only|no authentication|app or device token only)").FindAllStringSubmatch(text, -1)
	if len(said) < 20 {
		t.Fatalf("found %d endpoints with their access in §8.2 to §8.10", len(said))
	}
	for _, m := range said {
		access := map[string]string{"session only": "session", "no authentication": "none", "app or device token only": "app"}[m[3]]
		if m[4] != "" {
			access = m[4]
		}
		k := routeKey(m[1], m[2])
		got, ok := table[k]
		switch {
		case !ok:
			t.Errorf("§8: %q names %s, which is not in the route table", m[0], k)
		case got != access:
			t.Errorf("§8: %q: the route table says %s", m[0], got)
		}
	}
	described := paramName.ReplaceAllString(text, "{}")
	for k := range table {
		method, path, _ := strings.Cut(k, " ")
		if method == "OPTIONS" {
			continue // the preflight is §8.1.9's
		}
		if !regexp.MustCompile(regexp.QuoteMeta(path) + `([^a-z0-9_{}/-]|$)`).MatchString(described) {
			t.Errorf("§8: no section describes %s", path)
		}
	}
}

// TestRouteTablePermissions asks every route of the table with the tokens
// its access admits and refuses: a route for a verb refuses a token holding
// the two other verbs on the doctype and admits one holding only that verb;
// a session route refuses an app token; an app route refuses a session; a
// route of no access answers without a token. "Admits" means any answer
// but 401 and 403: the request carries no body, so most fail later.
func TestRouteTablePermissions(t *testing.T) {
	e := newEnv(t)
	_, session := e.signup("alice")
	const doctype = "io.hearth.notes"
	token := func(verbs ...string) string {
		r := e.do("POST", "/v1/tokens", session, map[string]any{"name": "t", "kind": "app",
			"scopes": []any{map[string]any{"doctype": doctype, "verbs": verbs}}})
		e.want(r, 201, "")
		return r.json(t)["token"].(string)
	}
	only := map[string]string{"read": token("read"), "write": token("write"), "delete": token("delete")}
	lacking := map[string]string{"read": token("write", "delete"), "write": token("read", "delete"), "delete": token("read", "write")}
	app := token("read", "write", "delete")
	other := e.do("POST", "/v1/tokens", session, map[string]any{"name": "o", "kind": "device",
		"scopes": []any{map[string]any{"doctype": "io.hearth.contacts", "verbs": []string{"read"}}}}).json(t)["token"].(string)

	files := e.do("POST", "/v1/tokens", session, map[string]any{"name": "f", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.files", "verbs": []string{"read", "write"}}}}).json(t)["token"].(string)
	filesReadOnly := e.do("POST", "/v1/tokens", session, map[string]any{"name": "fr", "kind": "app",
		"scopes": []any{map[string]any{"doctype": "io.hearth.files", "verbs": []string{"read", "delete"}}}}).json(t)["token"].(string)
	path := strings.NewReplacer("{doctype}", doctype, "{id}", wire.NewID(), "{slug}", "tasks", "*", "docs", "{blob}", wire.NewID(), "{drop}", wire.NewID())
	secret := make([]byte, 32)
	rand.Read(secret)
	routes := api.Routes(api.New(api.Config{Meta: metamem.New(), Blobs: blobmem.New(1 << 20), Secret: secret}))
	// Logging out ends the session the other requests use: it goes last.
	sort.SliceStable(routes, func(i, j int) bool { return routes[j].Path == "/v1/logout" && routes[i].Path != "/v1/logout" })
	for _, rt := range routes {
		p := path.Replace(rt.Path)
		refused := func(tok, why string) {
			t.Helper()
			if r := e.do(rt.Method, p, tok, nil); r.status != 403 {
				t.Errorf("%s %s (%s) with %s: %d %s, want 403", rt.Method, rt.Path, rt.Access, why, r.status, r.body)
			}
		}
		admitted := func(tok, why string) {
			t.Helper()
			if r := e.do(rt.Method, p, tok, nil); r.status == 401 || r.status == 403 {
				t.Errorf("%s %s (%s) with %s: %d %s", rt.Method, rt.Path, rt.Access, why, r.status, r.body)
			}
		}
		switch rt.Access {
		case "none":
			admitted("", "no token")
		case "session":
			refused(app, "an app token holding every verb")
			admitted(session, "a session")
		case "app":
			refused(session, "a session")
			admitted(app, "an app token")
		case "token":
			admitted(other, "a token for another doctype")
		case "files":
			refused(app, "an app token of another doctype")
			refused(filesReadOnly, "a token without write on io.hearth.files")
			admitted(files, "a token holding read and write on io.hearth.files")
			admitted(session, "a session")
		case "link":
			for tok, why := range map[string]string{session: "a session", files: "an app token"} {
				if r := e.do(rt.Method, p, tok, nil); r.status != 401 {
					t.Errorf("%s %s (link) with %s: %d %s, want 401", rt.Method, rt.Path, why, r.status, r.body)
				}
			}
		case "read", "write", "delete":
			refused(lacking[rt.Access], "a token holding the other verbs")
			admitted(only[rt.Access], "a token holding only "+rt.Access)
			admitted(session, "a session")
		default:
			t.Errorf("%s %s: unknown access %q", rt.Method, rt.Path, rt.Access)
		}
	}
}
