package layers

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/hearthcloud/hearth/"

// below says, for each layer (a path prefix within the module), which
// layers its packages may import; a package of the module that matches no
// rule may import anything (the programs and the harnesses).
var below = []struct {
	layer string
	may   []string
}{
	{"internal/wire", nil},
	{"internal/bytesize", nil},
	{"internal/jsonscan", nil},
	{"internal/zipstream", nil},
	{"crypto/", []string{"crypto/", "internal/wire"}},
	{"internal/appmanifest", []string{"crypto/", "internal/wire", "internal/jsonscan"}},
	{"client/", []string{"client/", "crypto/", "internal/wire", "internal/appmanifest", "internal/jsonscan", "internal/bytesize", "internal/zipstream"}},
	{"server/", []string{"server/", "crypto/", "internal/wire", "internal/appmanifest", "internal/bytesize"}},
	// The web client's files, registered with the server's site.
	{"wasm/web", []string{"server/site"}},
	{"wasm/web/", []string{"wasm/web", "server/", "client", "crypto/", "internal/"}},
	{"wasm", []string{"wasm", "client", "crypto/", "internal/wire", "internal/appmanifest", "internal/jsonscan", "internal/bytesize", "internal/zipstream"}},
}

// TestNoUpwardImports fails when a package (its code, not its tests, which
// may start a server or read the vectors) imports one of the module's
// packages its layer may not: the server nothing of the client library or
// the browser client, the client library nothing of the server, crypto/
// nothing above itself.
func TestNoUpwardImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "hearthtest", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		rule := ruleOf(pkg)
		if rule == nil {
			continue
		}
		checked++
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imp = strings.TrimPrefix(imp, module)
			if !allowed(imp, rule) && !strings.HasPrefix(imp, pkg) {
				t.Errorf("%s imports %s, which its layer may not", pkg, imp)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d packages; go list said:\n%s", checked, out)
	}
}

func ruleOf(pkg string) []string {
	for _, r := range below {
		if pkg == strings.TrimSuffix(r.layer, "/") || strings.HasPrefix(pkg, r.layer) && strings.HasSuffix(r.layer, "/") || pkg == r.layer {
			if r.may == nil {
				return []string{}
			}
			return r.may
		}
	}
	return nil
}

func allowed(imp string, may []string) bool {
	for _, m := range may {
		if imp == strings.TrimSuffix(m, "/") || strings.HasPrefix(imp, m) && strings.HasSuffix(m, "/") || imp == m || strings.HasPrefix(imp, m+"/") {
			return true
		}
	}
	return false
}

// TestBrowserLinksNoNetHTTP: the browser's client (hearth.wasm) talks to
// the server through fetch, and links no net/http, which would add about
// 600 KB to what every page loads; a shared package that imports it (for
// http.StatusOK, say) brings it back.
func TestBrowserLinksNoNetHTTP(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", module+"wasm/cmd/hearthwasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "net/http" {
			t.Fatal("hearth.wasm links net/http")
		}
	}
}
